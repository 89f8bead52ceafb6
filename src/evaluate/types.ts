import type { Caller, SpanContext } from '../core/index.ts';

/**
 * A case as written in an import file, before references are resolved. `relevantDocuments` may name
 * Groundwork document ids (`doc_…`) or source references (paths such as `policies/home.pdf`, optionally
 * `source-name:path`); both are resolved to document ids at import.
 */
export interface CaseInput {
  /** Id in the file (BEIR query id, JSONL `id`); defaults to the 1-based line/row number. */
  readonly externalId: string;
  readonly question: string;
  readonly referenceAnswer?: string;
  readonly relevantDocuments: readonly string[];
  /** Graded relevance per reference (BEIR qrels); references without a grade count 1. */
  readonly relevance?: Readonly<Record<string, number>>;
  readonly relevantChunkIds?: readonly string[];
  readonly relevantPages?: readonly number[];
  /** The question cannot be answered from the corpus: the correct behaviour is to refuse. */
  readonly expectRefusal?: boolean;
  readonly tags?: readonly string[];
  /** Principals to ask as (`user:…`, `group:…`); empty = as an operator who sees everything. */
  readonly principals?: readonly string[];
  /** 1-based line (JSONL, CSV) the case came from, for error messages. */
  readonly line: number;
}

/** A stored case with resolved document ids. */
export interface EvalCase {
  readonly id: string;
  readonly ordinal: number;
  readonly externalId: string;
  readonly question: string;
  readonly referenceAnswer: string | null;
  readonly relevantDocumentIds: readonly string[];
  /** document id → graded relevance (≥ 1 relevant). */
  readonly relevance: Readonly<Record<string, number>>;
  readonly relevantChunkIds: readonly string[];
  readonly relevantPages: readonly number[];
  readonly expectRefusal: boolean;
  readonly tags: readonly string[];
  readonly principals: readonly string[];
}

export interface DatasetSummary {
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly description: string;
  readonly origin: string;
  readonly caseCount: number;
  readonly createdBy: string;
  readonly createdAt: Date;
}

export interface Dataset extends DatasetSummary {
  readonly cases: readonly EvalCase[];
}

/** One problem in an import file; all problems are reported at once and nothing is imported. */
export interface ImportProblem {
  /** 1-based line in the file (0 = the file as a whole). */
  readonly line: number;
  readonly reason: string;
}

/** What a search returns that evaluation needs (a subset of the retriever's SearchResult). */
export interface EvalSearchResult {
  readonly hits: ReadonlyArray<{ readonly documentId: string; readonly chunkId: string }>;
}

/** Search port: the retriever at document level, filtered by `caller` in SQL. */
export type EvalSearch = (request: {
  readonly query: string;
  readonly caller: Caller;
  readonly k: number;
  readonly level: 'document';
  readonly highlight: false;
  readonly trace?: SpanContext;
}) => Promise<EvalSearchResult>;

/** What an answer returns that evaluation needs (a subset of the answer feature's result). */
export interface EvalAnswer {
  readonly answer: string;
  /** `n` is the citation number used in the answer text (`[n]`), when the answerer numbers citations. */
  readonly citations: ReadonlyArray<{
    readonly n?: number;
    readonly documentId: string;
    readonly chunkId: string;
    readonly snippet?: string;
  }>;
  readonly refused: boolean;
  readonly usage?: { readonly inputTokens?: number; readonly outputTokens?: number };
  readonly costUsd?: number;
  readonly traceId?: string;
}

/** Answer port: the answer feature's `ask` for one use case. */
export type EvalAsk = (request: {
  readonly question: string;
  readonly caller: Caller;
  readonly useCase?: string;
  readonly trace?: SpanContext;
}) => Promise<EvalAnswer>;

/**
 * Offline groundedness: share (0–1) of the answer's sentences supported by the cited texts (`n` = the
 * citation number in the answer, when known). The CLI plugs in the answer feature's checker; evaluate
 * ships a lexical+numeric fallback that ignores citation numbers.
 */
export type GroundednessCheck = (answer: string, cited: ReadonlyArray<{ readonly n: number; readonly text: string }>) => number;

/** Aggregate of one metric over cases (and samples). */
export interface MetricSummary {
  readonly mean: number;
  /** Cases (×samples) the metric applies to. */
  readonly n: number;
  /** Standard deviation of the per-case values. */
  readonly std: number;
  readonly min: number;
  readonly max: number;
  /** With --repeat N: spread of the per-sample means (mean over cases of each sample). */
  readonly samples?: { readonly mean: number; readonly std: number; readonly min: number; readonly max: number };
}

export interface RunConfigSnapshot {
  readonly mode: 'retrieval' | 'answer';
  readonly k: number;
  readonly repeat: number;
  readonly useCase: { readonly name: string; readonly settings?: unknown } | null;
  readonly promptVersion: string | null;
  /** The versioned model configuration answers ran with (`name@N`); absent on runs recorded before it was. */
  readonly modelVersion?: string | null;
  readonly model: string | null;
  readonly retrieval: unknown;
}

export interface IndexState {
  readonly documentCount: number;
  readonly chunkCount: number;
  /** md5 over `id:content_hash` of indexed documents, ordered by id. */
  readonly fingerprint: string;
}

export interface CaseResult {
  readonly caseId: string;
  readonly externalId: string;
  readonly sample: number;
  readonly principals: readonly string[];
  readonly metrics: Readonly<Record<string, number>>;
  readonly retrievedDocumentIds: readonly string[];
  readonly answer: string | null;
  readonly citations: ReadonlyArray<{ readonly documentId: string; readonly chunkId: string }>;
  readonly refused: boolean | null;
  readonly latencyMs: number;
  readonly costUsd: number | null;
  readonly traceId: string | null;
  readonly error: string | null;
  /**
   * Set when documents this case retrieved or cited are not readable by the viewer *now* (an ACL change
   * since the run): their ids are replaced by opaque `withheld:document-N` stand-ins and the answer text is
   * withheld (`answer: null`). Metrics stay: they carry no content.
   */
  readonly withheld?: 'no longer readable';
}

export interface RunSummary {
  readonly id: string;
  readonly datasetId: string;
  readonly datasetName: string;
  readonly datasetVersion: number;
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly mode: 'retrieval' | 'answer';
  readonly useCase: string | null;
  readonly labels: readonly string[];
  readonly scheduleName: string | null;
  readonly caseCount: number;
  readonly metrics: Readonly<Record<string, MetricSummary>>;
  readonly config: RunConfigSnapshot;
  readonly indexState: IndexState;
  readonly traceId: string | null;
  readonly error: string | null;
  readonly createdBy: string;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
}

export interface RunDetail extends RunSummary {
  /** Only the cases the viewer may see (all principals held, or sees everything). */
  readonly cases: readonly CaseResult[];
  /** Cases hidden from this viewer. */
  readonly hiddenCases: number;
}
