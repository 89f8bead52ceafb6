/**
 * ingest/chunking — pure functions that split a parsed document into retrieval-sized chunks.
 * Re-exported by src/ingest/index.ts for other features.
 */
export {
  type ChunkableDocument,
  type ChunkableSection,
  type ChunkDraft,
  type ChunkingOptions,
  type ChunkSourceSpan,
  chunkContentHash,
  chunkDocument,
  defaultMinTokens,
  maxTextCharsForChunks,
} from './chunk-document.ts';
export { estimateTokenHundredths, estimateTokens } from './estimate-tokens.ts';
