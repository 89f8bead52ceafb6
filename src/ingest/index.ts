/**
 * ingest/ — from enterprise sources to index rows: the Source port and connectors, sync planning (new,
 * changed, unchanged, renamed, deleted), parsing in isolation, principals, PII, sensitivity, chunking,
 * optional embeddings, atomic writes, quarantine and status. See docs/ingestion.md.
 */
export {
  type ChunkableDocument,
  type ChunkableSection,
  type ChunkDraft,
  type ChunkingOptions,
  chunkContentHash,
  chunkDocument,
  estimateTokens,
  maxTextCharsForChunks,
} from './chunking/index.ts';
export { type DocumentPages, documentPages, documentsByRefs } from './document-pages.ts';
export {
  chunkSnippets,
  chunkTexts,
  type DocumentAccessReport,
  type DocumentDetail,
  type DocumentReferenceMatch,
  type DocumentSummary,
  type DocumentTextPage,
  documentsByReference,
  documentText,
  documentTitles,
  documentVersions,
  explainDocumentAccess,
  getDocument,
  hasIndexedDocuments,
  indexedCorpusState,
  type ListDocumentsOptions,
  listDocuments,
  sourceSyncLags,
} from './documents.ts';
export { ingestErrorCodes } from './error-codes.ts';
export { ingestStatus, type RunReport, type SourceStatus, sourceRunHistory } from './ingest-status.ts';
export { type CreateIngestionOptions, createIngestion, type Ingestion } from './ingestion.ts';
export {
  closeParsers,
  createParserPool,
  detectMediaType,
  isTextType,
  type PageOcrInfo,
  type ParsedDocument,
  type ParsedPage,
  type ParsedSection,
  type ParseErrorCode,
  type ParseInput,
  type ParseLimits,
  type ParserPool,
  parseDocument,
  parseErrorCodes,
  parseIsolated,
  parseLimitsFromConfig,
} from './parsers/index.ts';
export {
  type QuarantinedFile,
  runSync,
  type SyncDeps,
  type SyncOptions,
  type SyncProgress,
  type SyncSummary,
} from './run-sync.ts';
export type { ConnectorDefinition, ConnectorDeps, ConnectorSettingHint } from './sources/connector.ts';
export { connectorErrorCodes } from './sources/error-codes.ts';
export { createFilesystemSource, type FilesystemSourceConfig, sidecarSuffix } from './sources/filesystem/filesystem-source.ts';
export {
  type ConnectorDescription,
  connectorKinds,
  describeConnector,
  describeConnectors,
  findConnector,
  getConnector,
  listConnectors,
  registerConnector,
} from './sources/registry.ts';
export { type CommonSourceSettings, commonSettingHints, commonSourceSettings, isEnvSetting } from './sources/settings.ts';
export type {
  FetchedItem,
  SidecarMetadata,
  Source,
  SourceCapabilities,
  SourceChange,
  SourceCursor,
  SourceItem,
  SourceProblem,
} from './sources/source.ts';
export {
  failureKindOfStatus,
  isNetworkError,
  requireSecret,
  retryAfterMs,
  type SourceFailureKind,
  type SourceRetryOptions,
  sourceFailure,
  withSourceRetry,
} from './sources/source-errors.ts';
export { type Embedder, embedderFromModel, embedWithCache, lazyEmbedder } from './sync/embed-chunks.ts';
export type { SyncCounts } from './sync/ingest-events.ts';
export {
  type ChunkFn,
  childSeparator,
  type ParseFn,
  type PrepareContext,
  type PreparedDocument,
  prepareDocument,
} from './sync/prepare-document.ts';
export { listQuarantine, type QuarantineEntry } from './sync/quarantine-store.ts';
export { retryQuarantined } from './sync/retry-quarantined.ts';
export {
  registerSourceChangeKinds,
  requestSourceAclMap,
  requestSourceAdd,
  requestSourceRemoval,
  type SourceChangeOptions,
  type SourceSnapshot,
  type UseCasesOfSource,
} from './sync/source-changes.ts';
export { readableSourceNames, sourceIdsOf } from './sync/source-ids.ts';
export {
  type AddSourceInput,
  addSource,
  type FilesystemSettings,
  findSource,
  findSourceByPath,
  getSource,
  listSourceNames,
  listSources,
  type OpenSourceOptions,
  openSource,
  readAclMapFile,
  readablePrincipals,
  removeSource,
  type SourceRecord,
  type SourceSettings,
  type SourceType,
  setSourceAclMap,
  setSourceReadableBy,
  setSourceSchedule,
  sourceTypes,
} from './sync/source-registry.ts';
