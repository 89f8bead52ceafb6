/**
 * protect/ — who may read what, and what may leave.
 *
 * Principals and ACL maps (deny by default, with explanations), PII detection, prompt-injection detection,
 * sensitivity labels, and the egress policy with redaction used before text is sent to an LLM provider.
 * Everything here is a pure function of its inputs, except `readableDocumentIds`: the one read of current
 * document access for views of recorded content (traces, evaluation rows, candidates), in SQL. Its predicate,
 * `readablePredicate`, is the only ACL predicate: search (retrieve), document listings (ingest) and traces
 * (observe) build their SQL with it.
 */
export {
  type AclMap,
  type AclMapInput,
  type AclRule,
  aclMapSchema,
  assertNoShadowedRules,
  normaliseSourcePath,
  type ParsedAclMap,
  parseAclMap,
  validateAclMap,
} from './acl/acl-map.ts';
export { type AclRuleUsage, type AclRuleWarning, trackAclRuleUsage } from './acl/acl-rule-usage.ts';
export {
  describeInvalidPrincipal,
  normalisePrincipals,
  type Principal,
  type PrincipalKind,
  parsePrincipal,
  principalKinds,
  tryParsePrincipal,
} from './acl/principal.ts';
export { readableDocumentIds, readablePredicate, withheldNoLongerReadable } from './acl/readable-documents.ts';
export {
  type AccessCheck,
  type AccessExplanation,
  type AccessGrant,
  type AccessSource,
  type DocumentAccess,
  explainAccess,
  type ResolveDocumentAccessInput,
  resolveDocumentAccess,
} from './acl/resolve-document-access.ts';
export {
  describeIdentityChain,
  describeSourceIdentity,
  type IdentityMappingLookup,
  identityMappingLookup,
  type MappedIdentity,
  mapIdentitiesWith,
  type SourceIdentity,
  tryParseSourceIdentity,
} from './acl/source-identity.ts';
export {
  type DecideEgressInput,
  decideEgress,
  type EgressDecision,
  type EgressItem,
  type EgressItemDecision,
  type EgressOutcome,
  type EgressPolicy,
  type EgressTotals,
  egressPolicyFor,
  type ProviderEgressConfig,
} from './egress/decide-egress.ts';
export {
  createRedactionSession,
  type RedactionResult,
  type RedactionSession,
  type RedactTextOptions,
  redactPii,
  redactText,
} from './egress/redact-pii.ts';
export { protectErrorCodes } from './error-codes.ts';
export {
  countInjection,
  detectInjection,
  type InjectionCategory,
  type InjectionSpan,
  injectionCategories,
  overlapsInjection,
} from './injection/detect-injection.ts';
export {
  hasKnownCardPrefix,
  ibanLengths,
  isIbanChecksumValid,
  isLuhnValid,
  isValidDutchBsn,
  isValidFrenchNir,
  isValidItalianFiscalCode,
  isValidSpanishId,
  isValidSsn,
  isValidSteuerId,
  isValidUkNino,
} from './pii/checksums.ts';
export {
  type BuiltInPiiType,
  builtInPiiTypes,
  type CompiledPiiPatterns,
  compilePiiPatterns,
  countPii,
  type DetectedPiiSpan,
  type DetectPiiOptions,
  defaultMinPiiScore,
  detectPii,
  type PiiSpan,
} from './pii/detect-pii.ts';
export {
  builtInPiiSensitivity,
  type DeriveSensitivityInput,
  deriveSensitivity,
  isSensitivityLabel,
  maxSensitivity,
  type SensitivityDecision,
  type SensitivityReason,
  sensitivityRank,
} from './sensitivity/derive-sensitivity.ts';
