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
  createKey,
  getApiKey,
  governedKeyRoles,
  hasActiveApiKeys,
  listApiKeys,
  looksLikeApiKey,
  registerKeyChangeKinds,
  revokeApiKey,
} from './api-keys.ts';
export { listAuditForTargets } from './audit/audit-by-target.ts';
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
export {
  type AppliedChange,
  approveChange,
  type ChangeApproval,
  type ChangeFilter,
  type ChangeKind,
  type ChangeRequest,
  type ChangeStatus,
  changeContentHash,
  changeStatuses,
  changesErrorCodes,
  changesForUseCase,
  controllingIdentities,
  createGovernance,
  type DecideOptions,
  type EvalRunVerdict,
  expireChanges,
  type Governance,
  type GovernanceOptions,
  type GovernancePolicy,
  getChange,
  listChanges,
  mayApprove,
  needsApproval,
  rejectChange,
  type SubmitChangeInput,
  type SubmitChangeResult,
  samePerson,
  submitChange,
  type UseCaseOwnership,
  withdrawChange,
} from './changes/index.ts';
export { governErrorCodes } from './error-codes.ts';
export {
  type Feedback,
  type FeedbackCategory,
  type FeedbackFilters,
  type FeedbackInput,
  type FeedbackNotice,
  type FeedbackStatus,
  type FeedbackStatusChange,
  type FeedbackStatusInput,
  feedbackCategories,
  feedbackHistory,
  feedbackRatingsBetween,
  feedbackStatuses,
  feedbackTransitions,
  fixedFeedbackByDay,
  listFeedback,
  listNotices,
  markNoticesSeen,
  mayTriageUseCase,
  negativeFeedback,
  recordFeedback,
  type TraceOwnerLookup,
  updateFeedbackStatus,
} from './feedback.ts';
export { feedbackTraceId } from './feedback-lookup.ts';
export { callerFromClaims, createOidcVerifier, type OidcConfig, type OidcVerifier, type OidcVerifierOptions } from './oidc.ts';
export { revokeKey } from './revoke-key.ts';
export { authorize, hasScope, isRole, roleRank, roleScopes, rolesWith, type Scope, scopes } from './scopes.ts';
