/**
 * data-audit/ — the Stage 2 data audit of a source or folder, without indexing anything: formats, encodings,
 * OCR, unparseable files, near-duplicates, PII density, sensitivity, staleness, permission coverage, missing
 * metadata, and the estimated ingestion time and cost; as JSON and as a self-contained HTML report.
 * See docs/data-audit.md.
 */

export { renderAuditHtml } from './audit-html.ts';
export {
  type AuditFolderInput,
  auditFolder,
  auditSource,
  type DataAuditConfig,
  type DataAuditDeps,
  type DataAuditOptions,
  type DataAuditReport,
  estimateConstants,
} from './data-audit.ts';
export { dataAuditErrorCodes } from './error-codes.ts';
export { type DuplicateCluster, minhashSignature, NearDuplicateIndex, similarity } from './near-duplicates.ts';
