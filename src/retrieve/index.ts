/**
 * Retrieval: permission-aware BM25 (pg_textsearch or portable postings), vector and hybrid search over
 * chunks, with synonyms, highlights, document-level results, and BEIR evaluation.
 *
 * The lexical index stays current by itself: triggers on `chunks` (migration 0020) maintain the portable
 * postings in the same transaction as ingestion's chunk writes; the pg_textsearch index is an ordinary index.
 * Call `prepareRetrieval` at start-up to build the indexes (otherwise the first search builds the BM25 index).
 */

export {
  type BeirEvalOptions,
  type BeirEvalReport,
  type BeirImport,
  type BeirQueryResult,
  corpusFingerprint,
  evaluateBeir,
  importBeirCorpus,
  parseQrels,
} from './beir.ts';
export { retrieveErrorCodes } from './error-codes.ts';
export { type Candidate, type FusedCandidate, reciprocalRankFusion, weightedFusion } from './fusion.ts';
export { distinctWords, highlightSpans, makeSnippet, type Span, wordSpans } from './highlight.ts';
export { bm25IndexName, ensureLexicalIndex, type RankedChunk, readableChunkTexts } from './lexical.ts';
export {
  averagePrecision,
  type Judgments,
  meanMetrics,
  ndcgAt,
  precisionAt,
  type QueryMetrics,
  queryMetrics,
  recallAt,
  reciprocalRankAt,
} from './metrics.ts';
export { prepareRetrieval, reindexLexical } from './prepare.ts';
export { createRetriever } from './retriever.ts';
export { scopedDatabase } from './scoped-database.ts';
export { type ExpandedQuery, expandQuery, mergeSynonyms, type SynonymMap } from './synonyms.ts';
export type {
  LexicalEngine,
  RetrievalConfig,
  Retriever,
  RetrieverDeps,
  SearchFilters,
  SearchHit,
  SearchMode,
  SearchRequest,
  SearchResult,
} from './types.ts';
export { ensureVectorIndex, vectorIndexName } from './vector.ts';
