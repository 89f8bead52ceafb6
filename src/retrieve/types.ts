import type { EmbeddingModel, RerankingModel } from 'ai';
import type { Caller, GroundworkConfig, SensitivityLabel, SpanContext, Tracer } from '../core/index.ts';
import type { ChangeFeed, Database } from '../store/index.ts';

/** Lexical ranking engine actually used for a search. */
export type LexicalEngine = 'pg_textsearch' | 'portable';
export type SearchMode = 'lexical' | 'vector' | 'hybrid';
export type RetrievalConfig = GroundworkConfig['retrieval'];

/**
 * Filters applied inside the SQL of every retrieval path, before ranking limits (never post-filtered).
 * Arrays mean "any of"; absent means "no restriction".
 */
export interface SearchFilters {
  readonly sourceIds?: readonly string[];
  /** Document media types, e.g. `application/pdf`. */
  readonly mediaTypes?: readonly string[];
  readonly sensitivity?: readonly SensitivityLabel[];
  /** Inclusive bounds on `documents.source_modified_at`; documents without a date are excluded when set. */
  readonly modifiedAfter?: Date;
  readonly modifiedBefore?: Date;
  /** Exact matches on `documents.metadata` top-level fields (JSON containment). */
  readonly metadata?: Readonly<Record<string, string | number | boolean>>;
}

export interface SearchRequest {
  readonly query: string;
  /** Filtered by `caller.principals` in SQL unless `caller.seesEverything`. */
  readonly caller: Caller;
  /** Number of hits, default 10, at most 1000. */
  readonly k?: number;
  /** Default: hybrid when an embedding model is configured and chunks have embeddings, else lexical. */
  readonly mode?: SearchMode;
  /** `document`: one hit per document (its best chunk; document score = best chunk score). Default `chunk`. */
  readonly level?: 'chunk' | 'document';
  readonly filters?: SearchFilters;
  /** Extra vocabulary from a use case, merged with `retrieval.synonyms`. */
  readonly synonyms?: Readonly<Record<string, readonly string[]>>;
  /** The use case asking: its managed vocabulary entries apply (with the entries for every use case). */
  readonly useCase?: string;
  /** Override the configured lexical engine for this search (`auto` picks). Used by parity tests and eval. */
  readonly lexicalEngine?: 'auto' | LexicalEngine;
  /** Compute highlights and snippets (default true; evaluation turns it off for speed). */
  readonly highlight?: boolean;
  /** Skip the rerank model even when one is configured. */
  readonly rerank?: boolean;
  /** Parent span. */
  readonly trace?: SpanContext;
}

export interface SearchHit {
  /** 1-based position in the result. */
  readonly rank: number;
  readonly chunkId: string;
  readonly documentId: string;
  readonly ordinal: number;
  /** Full chunk text. */
  readonly text: string;
  /** Matched query-term offsets in `text` (UTF-16 code units, end exclusive), ascending. */
  readonly highlights: ReadonlyArray<{ start: number; end: number }>;
  /** Up to ~240 characters around the densest matches, matches wrapped in «», elisions marked with …. */
  readonly snippet: string;
  readonly title: string;
  readonly uri: string;
  readonly sourceId: string;
  readonly mediaType: string;
  readonly pageStart: number | null;
  readonly pageEnd: number | null;
  readonly sectionPath: readonly string[];
  readonly sensitivity: SensitivityLabel;
  /** PII spans from `chunks.pii` (offsets into `text`), for egress redaction. */
  readonly pii: ReadonlyArray<{ type: string; start: number; end: number }>;
  /**
   * Instruction-like sentences from `chunks.injection_spans` (offsets into `text`): suspected prompt injection.
   * Null (or absent) when the chunk has not been scanned yet; answers then scan it themselves.
   */
  readonly injection?: ReadonlyArray<{ category: string; start: number; end: number }> | null;
  /**
   * lexical: BM25 (positive, higher is better); vector: cosine similarity (1 - distance); fused: the
   * ranking score (RRF or weighted, or the single component's score); rerank: the rerank model's score.
   */
  readonly scores: { readonly lexical?: number; readonly vector?: number; readonly fused: number; readonly rerank?: number };
}

export interface SearchResult {
  readonly hits: readonly SearchHit[];
  readonly mode: SearchMode;
  readonly lexicalEngine: LexicalEngine;
  readonly tookMs: number;
  /** Terms and phrases added by synonym / acronym expansion. */
  readonly expandedTerms?: readonly string[];
}

export interface Retriever {
  search(request: SearchRequest): Promise<SearchResult>;
}

export interface RetrieverDeps {
  readonly db: Database;
  readonly config: RetrievalConfig;
  readonly tracer: Tracer;
  /** Query embeddings (AI SDK). Absent: lexical only. */
  readonly embeddingModel?: EmbeddingModel;
  /** Dimensions of stored embeddings (`models.embedding.dimensions`); enables the HNSW index. */
  readonly embeddingDimensions?: number;
  readonly rerankModel?: RerankingModel;
  /** Cross-process invalidation: sources (analyzers in use) and retrieval indexes created elsewhere. */
  readonly changes?: ChangeFeed;
  /**
   * The managed domain vocabulary (src/vocabulary) for a use case (undefined: entries for every use case),
   * merged with `retrieval.synonyms` and the request's synonyms. Injected by the composition root.
   */
  readonly vocabulary?: (useCase: string | undefined) => Promise<Readonly<Record<string, readonly string[]>>>;
}
