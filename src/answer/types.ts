import type { Caller, SpanContext } from '../core/index.ts';
import type { SearchFilters, SearchHit, SearchMode } from '../retrieve/index.ts';

export const answerStyles = ['concise', 'detailed', 'bullets'] as const;
export type AnswerStyle = (typeof answerStyles)[number];

/** Retrieval settings of a use case; absent fields use the retriever's defaults. */
export interface UseCaseRetrieval {
  /** Passages retrieved (default 8, at most 50). */
  readonly k?: number;
  readonly mode?: SearchMode;
  /** Extra vocabulary: term → equivalent terms, merged with `retrieval.synonyms`. */
  readonly synonyms?: Readonly<Record<string, readonly string[]>>;
  /** Filters other than sources (media types, sensitivity, dates as ISO strings, metadata). */
  readonly filters?: {
    readonly mediaTypes?: readonly string[];
    readonly sensitivity?: SearchFilters['sensitivity'];
    readonly modifiedAfter?: string;
    readonly modifiedBefore?: string;
    readonly metadata?: Readonly<Record<string, string | number | boolean>>;
  };
}

/**
 * A named answering configuration (`underwriting-qa`, `claims-helpdesk`), stored in `use_cases`.
 *
 * The prompt is stored inline for now and versioned by content (`inline:<sha256-8>`); the prompts feature
 * will later allow `promptRef` = "prompt name" resolved by label `production` without changing this shape.
 */
export interface UseCase {
  readonly name: string;
  readonly description: string;
  /** Source ids or names it may search; empty = all sources. */
  readonly sources: readonly string[];
  readonly retrieval: UseCaseRetrieval;
  /** Instructions placed before Groundwork's fixed grounding rules; undefined = built-in instructions. */
  readonly prompt: string | undefined;
  /** Reserved for versioned prompts (`name` resolved by label `production`); unused until prompts land. */
  readonly promptRef: string | undefined;
  /**
   * `provider:model` from `models.providers`; `extractive` forces extractive answers; undefined = the
   * configured default chat model (`models.chat`), or extractive when none is configured.
   */
  readonly model: string | undefined;
  readonly temperature: number;
  readonly maxOutputTokens: number;
  /** The model's context window in tokens (prompt + passages + question + output must fit). */
  readonly contextWindow: number;
  readonly style: AnswerStyle;
  /** Answers with confidence below this are refused; undefined = the calibrated default. */
  readonly refusalThreshold: number | undefined;
  /** Principals allowed to ask through it; empty = everyone. */
  readonly principals: readonly string[];
  /** Who answers for it (a principal, `user:…`); undefined = nobody named yet. */
  readonly owner: string | undefined;
  /** Principals who may approve its governed changes (admins always may). */
  readonly approvers: readonly string[];
  /** Who is called when it misbehaves (a principal or contact). */
  readonly onCall: string | undefined;
  /** Lifecycle and rollout stage: changes to a use case past `draft` are governed (docs/governance.md, docs/rollout.md). */
  readonly status: UseCaseStatus;
  /** Per use case policy: at least this many distinct approvers for its changes. */
  readonly requiredApprovals: number | undefined;
  /** The capability card as written by its owner; undefined = derived from the description and sources. */
  readonly card: UseCaseCard | undefined;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** "What this assistant can and cannot do": shown to its users on first use. */
export interface UseCaseCard {
  readonly canDo: readonly string[];
  readonly cannotDo: readonly string[];
  readonly verifyWhen: readonly string[];
}

/**
 * Lifecycle and rollout stage (docs/rollout.md): draft → pilot (named cohorts only) → limited (cohorts plus a
 * sticky percentage of the audience) → general (everyone the use case's principals allow); retired answers nobody.
 */
export const useCaseStatuses = ['draft', 'pilot', 'limited', 'general', 'retired'] as const;
export type UseCaseStatus = (typeof useCaseStatuses)[number];

/** One resolved citation: `[n]` in the answer points at this chunk. */
export interface Citation {
  readonly n: number;
  readonly chunkId: string;
  readonly documentId: string;
  readonly title: string;
  readonly uri: string;
  /** First page of the chunk (PDFs), else null. */
  readonly page: number | null;
  readonly snippet: string;
}

/** The parts of the confidence score, each 0..1 (docs/answers.md has the formula). */
export interface ConfidenceParts {
  /** Idf-weighted share of the question's terms found in the best passages. */
  readonly retrieval: number;
  /** Share of the other top passages that also match the question well. */
  readonly agreement: number;
  /** Share of answer sentences carrying at least one valid citation. */
  readonly citationCoverage: number;
  /** Share of answer sentences supported by their cited text (terms and every number). */
  readonly groundedness: number;
  /**
   * Share of the evidence (the top 3 passages and the cited ones) with suspected prompt injection; it lowers
   * confidence by up to half.
   */
  readonly untrustedEvidence: number;
}

/** Something the reader of an answer should know about its sources. */
export interface AnswerWarning {
  /**
   * `answer.injection_suspected`: the document holds text that looks like instructions to an AI. Its
   * instruction-like sentences were never quoted and were sent to a model only as untrusted data.
   */
  readonly code: 'answer.injection_suspected';
  /** A document the caller may read (a cited one, or one the answer was built from). */
  readonly documentId: string;
  readonly message: string;
}

export interface AnswerUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export type AnswerMode = 'generative' | 'extractive';

export interface Answer {
  readonly answer: string;
  readonly citations: readonly Citation[];
  /** 0..1. */
  readonly confidence: number;
  readonly confidenceParts: ConfidenceParts;
  readonly refused: boolean;
  /** Why it was refused (`insufficient_evidence`, `no_passages`, `egress_blocked`, `model_declined`). */
  readonly refusalReason?: string;
  readonly mode: AnswerMode;
  /** Human label of the mode, e.g. "Extractive answer: quoted from your documents, no language model". */
  readonly label: string;
  readonly usage: AnswerUsage;
  readonly traceId: string;
  readonly useCase: string;
  /** `provider:model` for generative answers. */
  readonly model?: string;
  readonly promptVersion: string;
  /** Citations in the model's text that pointed at no passage and were removed. */
  readonly citationsRemoved: number;
  /** One per document among the evidence with suspected prompt injection (none: empty). */
  readonly warnings: readonly AnswerWarning[];
  /** What the egress policy did (generative mode). Types and counts only, never values. */
  readonly egress?: {
    readonly provider: string;
    readonly blocked: number;
    readonly redacted: Readonly<Record<string, number>>;
  };
  /** Wall time of the whole request, ms. */
  readonly tookMs: number;
}

/** Events of a streamed answer: tokens as they come (raw model text), then the final, post-processed answer. */
export type AnswerEvent = { readonly type: 'token'; readonly text: string } | { readonly type: 'final'; readonly answer: Answer };

export interface AnswerRequest {
  readonly question: string;
  readonly caller: Caller;
  /** Use case name; default `default`. */
  readonly useCase?: string;
  /** Parent span (e.g. the HTTP request's). */
  readonly trace?: SpanContext;
  readonly signal?: AbortSignal;
  /**
   * An evaluation run asks (evaluate's `askThrough`): the rollout stage and kill switch do not apply — a use
   * case is evaluated before it is rolled out and while it is killed. Never set from a request body.
   */
  readonly evaluation?: boolean;
  /**
   * Answer with these versions of the use case's versioned prompt / model configuration instead of the ones
   * its `production` labels point at: how an evaluation measures a candidate before its label moves. Set only
   * by evaluation (never from an HTTP answer request).
   */
  readonly pin?: VersionPin;
}

/** Versions pinned for one answer (evaluation of a candidate prompt or model configuration). */
export interface VersionPin {
  /** Version number of the prompt named by the use case's `promptRef`. */
  readonly prompt?: number;
  /** Version number of the use case's model configuration (named like the use case). */
  readonly model?: number;
}

/** A passage as assembled into the prompt: citation number, the hit, and the text actually sent. */
export interface Passage {
  readonly n: number;
  readonly hit: SearchHit;
  /** Text sent to the model (redacted when the egress policy says so). */
  readonly text: string;
  readonly tokens: number;
  /**
   * Suspected prompt injection: instruction-like sentences (offsets into `text`). Set by context assembly;
   * absent = not known yet (`injectionOf` detects it then).
   */
  readonly injection?: ReadonlyArray<{ readonly category: string; readonly start: number; readonly end: number }>;
}
