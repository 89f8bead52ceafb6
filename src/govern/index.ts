/**
 * Governance: API keys, OIDC verification, roles → scopes and `authorize`, the tamper-evident audit log,
 * and feedback on answers.
 */
export {
  type ActorContext,
  type ApiKey,
  authenticateApiKey,
  type CreateApiKeyInput,
  createApiKey,
  getApiKey,
  hasActiveApiKeys,
  listApiKeys,
  looksLikeApiKey,
  revokeApiKey,
} from './api-keys.ts';
export {
  type AuditEntry,
  type AuditEntryInput,
  type AuditListOptions,
  type AuditVerification,
  auditEntryHash,
  listAudit,
  recordAudit,
  verifyAuditChain,
} from './audit/audit-log.ts';
export { canonicalJson } from './audit/canonical-json.ts';
export { governErrorCodes } from './error-codes.ts';
export {
  type Feedback,
  type FeedbackCategory,
  type FeedbackInput,
  feedbackCategories,
  listFeedback,
  negativeFeedback,
  recordFeedback,
  type TraceOwnerLookup,
} from './feedback.ts';
export { callerFromClaims, createOidcVerifier, type OidcConfig, type OidcVerifier, type OidcVerifierOptions } from './oidc.ts';
export { revokeKey } from './revoke-key.ts';
export { authorize, hasScope, isRole, roleRank, roleScopes, rolesWith, type Scope, scopes } from './scopes.ts';
