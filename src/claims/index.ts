/**
 * claims/ — the claims workflow (docs/claims.md): claims and their documents (ingested with the claim's ACL),
 * `process` (the pure assessment in assess/ behind model.ts, stored as versioned assessments with trace and
 * cost), the adjuster's review queue (accept / edit / override, evaluation candidates), SIU outcomes, versioned
 * configuration (governed `claims.config`), imported history and metrics.
 */
export { bindClaimsActions } from './actions.ts';
export { assessClaim, defaultClaimsConfig, defaultExtractionPrompt } from './assess/index.ts';
export {
  type ClaimDocumentView,
  type ClaimInput,
  type ClaimItem,
  type ClaimReviewView,
  type ClaimStatus,
  type ClaimSummary,
  type ClaimsDeps,
  claimStatuses,
  claimsRole,
  getClaim,
  type ListClaimsOptions,
  listClaims,
} from './claims.ts';
export {
  type ClaimsConfigVersion,
  changeClaimsConfig,
  claimsConfigSchema,
  claimsConfigVersions,
  currentClaimsConfig,
  registerClaimsChangeKinds,
} from './config.ts';
export {
  addClaimDocument,
  type ClaimDocumentPages,
  claimsDocumentsDir,
  claimsSourceName,
  getClaimDocument,
  reapplyClaimAcl,
  saveClaim,
  type UploadedDocument,
} from './documents.ts';
export { claimsErrorCodes } from './error-codes.ts';
export { loadExampleClaims } from './example-claims.ts';
export {
  claimsPoliciesSourceName,
  type ImportProgress,
  type ImportSummary,
  importClaims,
  importHistoryCsv,
  parseCsv,
} from './import.ts';
export { type ClaimsMetrics, claimsMetrics, isoWeek, nearestRank, type Percentiles } from './metrics.ts';
export * from './model.ts';
export {
  addClaimNote,
  type ClaimNoteView,
  type ClaimTierChangeView,
  maxNoteLength,
  setClaimTier,
} from './notes.ts';
export {
  type ProcessResult,
  policyTermsSearch,
  processAllClaims,
  processClaim,
  requestClaimsProcessing,
  runClaimsProcessing,
} from './process.ts';
export {
  type ClaimReviewInput,
  maxCommentLength,
  type OverrideReasonCode,
  overrideReasonCodes,
  recordSiuOutcome,
  reviewClaim,
  siuOutcomes,
} from './review.ts';
