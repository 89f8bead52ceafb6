import { createHash } from 'node:crypto';
import type { LanguageModelV4 } from '@ai-sdk/provider';
import { streamText } from 'ai';
import { type ActiveSpan, type Caller, type EventBus, GroundworkError, isGroundworkError, type Tracer } from '../core/index.ts';
import { hasIndexedDocuments } from '../ingest/index.ts';
import type { ModelDescription, ModelResolver } from '../models/index.ts';
import { checkBudget } from '../observe/index.ts';
import { findModelConfig, type ResolvedPrompt, resolveModelConfig, resolvePrompt } from '../prompts/index.ts';
import { createRedactionSession, decideEgress, redactText } from '../protect/index.ts';
import type { Retriever, SearchHit } from '../retrieve/index.ts';
import type { Queryable } from '../store/index.ts';
import { assembleContext, passageBudget } from './assemble-context.ts';
import { cleanCitations, createCitationStream, renumberCitations, resolveCitations, stripCitations } from './citations.ts';
import {
  checkGroundedness,
  combineConfidence,
  evidencePassages,
  injectionWarnings,
  isModelRefusal,
  retrievalEvidence,
  untrustedEvidence,
} from './confidence.ts';
import { profileQuestion } from './evidence.ts';
import { extractiveAnswer, extractiveLabel } from './extractive.ts';
import { judgeGroundedness } from './judge.ts';
import {
  buildSystemPrompt,
  buildUserPrompt,
  buildVersionedUserPrompt,
  noDocumentsText,
  promptOverheadTokens,
  promptVersion,
  refusalText,
} from './prompt.ts';
import { searchFiltersOfUseCase } from './search-filters.ts';
import { estimateTokens } from './text.ts';
import type {
  Answer,
  AnswerEvent,
  AnswerRequest,
  AnswerWarning,
  ConfidenceParts,
  Passage,
  UseCase,
  VersionPin,
} from './types.ts';
import { assertMayUseUseCase, createUseCaseStore, type UseCaseStore } from './use-cases.ts';

/**
 * The answer use case: retrieve (as the caller) → egress policy (drop blocked passages, redact PII in passages
 * and question) → assemble within the token budget → generate (streamed) or extract → clean citations →
 * groundedness and confidence → refuse or answer. Traced as `answer` with children `retrieve` (by the
 * retriever), `assemble`, `generate`, `groundedness`. Citations reach the caller numbered 1..n in order of
 * first use, in the streamed tokens as in the final answer. Passages with suspected prompt injection are
 * never quoted, reach a model only as untrusted-data blocks, lower confidence and add a warning.
 */

/**
 * Default refusal threshold, chosen on the calibration set (bench/calibrate-confidence.ts, docs/benchmarks.md
 * "Answers"): the midpoint of the widest gap between answerable and unanswerable questions.
 */
export const defaultRefusalThreshold = 0.36;

declare module '../core/events.ts' {
  interface GroundworkEventMap {
    /** One answered (or refused) question. Never carries question or answer text. */
    'answer-end': {
      readonly traceId: string;
      readonly useCase: string;
      readonly callerId: string;
      readonly mode: Answer['mode'];
      readonly refused: boolean;
      readonly refusalReason?: string;
      readonly confidence: number;
      readonly citations: number;
      readonly inputTokens: number;
      readonly outputTokens: number;
      readonly tookMs: number;
      /** The caller's principals (`user:…`, `group:…`): usage analytics evaluate named cohorts with them. */
      readonly principals: readonly string[];
      /** sha256 of the normalised question (first 32 hex): a retry of the same question is recognised without its text. */
      readonly questionHash: string;
      /** Asked inside another operation's trace (an evaluation run's case), not a production request of its own. */
      readonly nested?: boolean;
    };
    /** The consumer stopped reading a stream before its final answer (client closed the connection). No text. */
    'answer-abandoned': {
      readonly traceId: string;
      readonly useCase: string;
      readonly callerId: string;
      readonly principals: readonly string[];
      readonly questionHash: string;
    };
  }
}

/** The question as usage analytics compare it (case and whitespace ignored), hashed: never the text itself. */
export function questionHash(question: string): string {
  return createHash('sha256').update(question.trim().replace(/\s+/g, ' ').toLowerCase()).digest('hex').slice(0, 32);
}

export interface AnswererDeps {
  readonly db: Queryable;
  readonly retriever: Retriever;
  /** `defaultJudge` (config `models.judge`) turns on the judged groundedness check of generated answers. */
  readonly models: Pick<ModelResolver, 'chat' | 'describe' | 'defaultChat'> & { readonly defaultJudge?: string | undefined };
  readonly tracer: Tracer;
  readonly events?: EventBus;
  /** Custom PII patterns (config `ingest.piiPatterns`) for redacting the question. */
  readonly piiPatterns?: Readonly<Record<string, string>>;
  /**
   * How long a use case read from the database is reused, ms (default 2000; 0 = always read). Writes through
   * `answerer.useCases` take effect at once; writes by another process within this delay.
   */
  readonly useCaseCacheMs?: number;
  /**
   * Whether the use case is available to the caller now (the rollout feature's stage and kill switch, injected
   * by the composition root): throws `rollout.not_available` before anything is retrieved or spent.
   */
  readonly availability?: (useCase: string, caller: Caller) => Promise<void>;
}

/** A use case as answers run it: its `production` model configuration applied, and the model it calls. */
export interface EffectiveUseCase {
  readonly useCase: UseCase;
  /** `provider:model`, or undefined: answers are extractive (no model call). */
  readonly modelRef: string | undefined;
  /** The versioned model configuration applied (`name@N`), if any. */
  readonly modelVersion: string | undefined;
}

/** The versions an answer in a use case runs with (see `Answerer.target`). */
export interface AnswerTarget {
  /** The use case as answers run it (its model configuration applied). */
  readonly useCase: UseCase;
  readonly promptVersion: string;
  readonly modelVersion: string | null;
  /** `provider:model`, or `extractive`. */
  readonly model: string;
}

export interface Answerer {
  readonly useCases: UseCaseStore;
  /**
   * The use case with its `production` model configuration (or the pinned version) and default model
   * resolved; `use_case.not_found` if absent.
   */
  effectiveUseCase(name: string, pin?: VersionPin): Promise<EffectiveUseCase>;
  /**
   * What answers in the use case run with — the prompt version (`name@N` for a versioned prompt, `inline:<hash>`
   * otherwise), the model configuration version and the model — with `pin` applied: what an evaluation run
   * records, and what a governed label move compares its evaluation run with.
   */
  target(name: string, pin?: VersionPin): Promise<AnswerTarget>;
  /** Streams tokens as they come, then one `final` event with the post-processed answer. */
  stream(request: AnswerRequest): AsyncIterable<AnswerEvent>;
  /** The final answer only. */
  ask(request: AnswerRequest): Promise<Answer>;
}

const defaultK = 8;

/** An answer without what `finish` adds (trace id, timing, use case, prompt version). */
type AnswerDraft = Omit<Answer, 'traceId' | 'tookMs' | 'useCase' | 'promptVersion'>;

const zeroConfidence: ConfidenceParts = {
  retrieval: 0,
  agreement: 0,
  citationCoverage: 0,
  groundedness: 0,
  untrustedEvidence: 0,
};

/** One question being answered: what every step reads, and how its final answer is recorded. */
interface AnswerRun {
  readonly deps: AnswererDeps;
  readonly request: AnswerRequest;
  readonly question: string;
  readonly root: ActiveSpan;
  readonly useCase: UseCase;
  /** Undefined: extractive (no model call). */
  readonly model: ModelDescription | undefined;
  readonly versioned: ResolvedPrompt | undefined;
  readonly threshold: number;
  /** Started alongside retrieval when a model will be called; awaited before spending. */
  readonly budgetCheck: ReturnType<typeof checkBudget> | undefined;
  /** Completes, traces and announces the answer. `tracedText`: what the provider saw (placeholders, not values). */
  finish(answer: AnswerDraft, tracedText?: string): Answer;
}

/** A cached view of the use-case store: reads are reused for `cacheMs`, writes through it take effect at once. */
function createCachedUseCaseStore(db: Queryable, cacheMs: number): UseCaseStore {
  const store = createUseCaseStore(db);
  const cache = new Map<string, { useCase: UseCase; at: number }>();
  return {
    ...store,
    async require(name) {
      const hit = cache.get(name);
      if (hit && performance.now() - hit.at < cacheMs) return hit.useCase;
      const useCase = await store.require(name);
      if (cacheMs > 0) cache.set(name, { useCase, at: performance.now() });
      return useCase;
    },
    async create(name, input) {
      cache.delete(name);
      return store.create(name, input);
    },
    async update(name, patch) {
      cache.delete(name);
      return store.update(name, patch);
    },
    async delete(name) {
      cache.delete(name);
      return store.delete(name);
    },
  };
}

/** The use case with its `production` (or pinned) model configuration applied and its model resolved. */
async function resolveEffectiveUseCase(
  deps: AnswererDeps,
  useCases: UseCaseStore,
  name: string,
  pin?: VersionPin,
): Promise<EffectiveUseCase> {
  const stored = await useCases.require(name);
  // A versioned model configuration (prompts feature, label `production`) overrides the use case's model
  // settings; a pinned version must exist (`models.not_found` names it).
  const modelConfig =
    pin?.model === undefined
      ? await findModelConfig(deps.db, stored.name, 'production')
      : await resolveModelConfig(deps.db, stored.name, pin.model);
  const useCase: UseCase = modelConfig
    ? {
        ...stored,
        model: `${modelConfig.provider}:${modelConfig.model}`,
        temperature: modelConfig.parameters.temperature ?? stored.temperature,
        maxOutputTokens: modelConfig.parameters.maxOutputTokens ?? stored.maxOutputTokens,
        contextWindow: modelConfig.parameters.contextWindow ?? stored.contextWindow,
      }
    : stored;
  const modelRef = useCase.model === 'extractive' ? undefined : (useCase.model ?? deps.models.defaultChat);
  return { useCase, modelRef, modelVersion: modelConfig?.ref };
}

function pinWithoutPrompt(useCase: string): GroundworkError {
  return new GroundworkError(
    'answer.pin_without_prompt',
    `Use case "${useCase}" has an inline prompt, not a versioned one: there is no prompt version to pin.`,
    {
      category: 'usage',
      fix: `Point the use case at a versioned prompt (promptRef), or leave out the prompt version.`,
      details: { useCase },
    },
  );
}

export function createAnswerer(deps: AnswererDeps): Answerer {
  const useCases = createCachedUseCaseStore(deps.db, deps.useCaseCacheMs ?? 2000);
  const effectiveUseCase = (name: string, pin?: VersionPin) => resolveEffectiveUseCase(deps, useCases, name, pin);
  const stream = (request: AnswerRequest) => streamAnswer(deps, effectiveUseCase, request);
  return {
    useCases,
    effectiveUseCase,
    async target(name, pin) {
      const { useCase, modelRef, modelVersion } = await effectiveUseCase(name, pin);
      if (pin?.prompt !== undefined && !useCase.promptRef) throw pinWithoutPrompt(useCase.name);
      const prompt = useCase.promptRef
        ? (await resolvePrompt(deps.db, useCase.promptRef, pin?.prompt ?? 'production')).ref
        : promptVersion(useCase.prompt);
      return { useCase, promptVersion: prompt, modelVersion: modelVersion ?? null, model: modelRef ?? 'extractive' };
    },
    stream,
    async ask(request) {
      for await (const event of stream(request)) if (event.type === 'final') return event.answer;
      throw new GroundworkError('internal.unexpected', 'The answer stream ended without a final answer.', {
        category: 'internal',
      });
    },
  };
}

/**
 * The answer's steps: check the question → open the run (use case, access, model, prompt) → retrieve →
 * no passages, extractive, or generative. Each step is a function of the run.
 */
async function* streamAnswer(
  deps: AnswererDeps,
  effectiveUseCase: (name: string, pin?: VersionPin) => Promise<EffectiveUseCase>,
  request: AnswerRequest,
): AsyncGenerator<AnswerEvent> {
  const started = performance.now();
  const question = checkQuestion(request);
  const root = startAnswerSpan(deps, request, question);
  let opened: UseCase | undefined;
  let settled = false; // a final answer was yielded, or the answer failed
  try {
    const run = await openAnswerRun(deps, effectiveUseCase, request, question, root, started);
    opened = run.useCase;
    const hits = await retrieveForAnswer(run);
    const events =
      hits.length === 0
        ? yieldWhole(await answerWithoutPassages(run))
        : !run.model
          ? answerExtractively(run, hits)
          : answerGeneratively(run, run.model, hits);
    for await (const event of events) {
      if (event.type === 'final') settled = true;
      yield event;
    }
  } catch (error) {
    settled = true;
    root.fail(error);
    throw error;
  } finally {
    root.fail(aborted()); // no-op unless the consumer stopped reading before the final answer
    if (!settled && opened) {
      deps.events?.publish('answer-abandoned', {
        traceId: root.context.traceId,
        useCase: opened.name,
        callerId: request.caller.id,
        principals: request.caller.principals,
        questionHash: questionHash(question),
      });
    }
  }
}

function checkQuestion(request: AnswerRequest): string {
  const question = request.question.trim();
  if (question === '') {
    throw new GroundworkError('answer.empty_question', 'The question is empty.', {
      category: 'usage',
      fix: 'Ask a question, e.g. groundwork ask "What is the deductible for water damage under HO-3?"',
    });
  }
  return question;
}

function startAnswerSpan(deps: AnswererDeps, request: AnswerRequest, question: string): ActiveSpan {
  return deps.tracer.startSpan('answer', request.trace, {
    'groundwork.operation': 'answer',
    'groundwork.caller': request.caller.id,
    'groundwork.caller.sees_everything': request.caller.seesEverything,
    // What the caller could read: production candidates (negative feedback → eval cases) are asked again
    // as these principals, and shown only to reviewers who hold them.
    'groundwork.caller.principals': [...request.caller.principals],
    'groundwork.question': question,
  });
}

/** The use case (the caller must be allowed to use it), its model and prompt version, and the budget check. */
async function openAnswerRun(
  deps: AnswererDeps,
  effectiveUseCase: (name: string, pin?: VersionPin) => Promise<EffectiveUseCase>,
  request: AnswerRequest,
  question: string,
  root: ActiveSpan,
  started: number,
): Promise<AnswerRun> {
  const { useCase, modelRef, modelVersion } = await effectiveUseCase(request.useCase ?? 'default', request.pin);
  if (modelVersion) root.setAttributes({ 'groundwork.model.version': modelVersion });
  assertMayUseUseCase(useCase, request.caller);
  if (!request.evaluation) await deps.availability?.(useCase.name, request.caller);
  const model = modelRef ? deps.models.describe(modelRef) : undefined;
  // A versioned prompt (`prompt_ref`) is resolved by its `production` label (or the pinned version);
  // otherwise the inline one.
  if (request.pin?.prompt !== undefined && !useCase.promptRef) throw pinWithoutPrompt(useCase.name);
  const versioned = useCase.promptRef
    ? await resolvePrompt(deps.db, useCase.promptRef, request.pin?.prompt ?? 'production')
    : undefined;
  const version = versioned?.ref ?? promptVersion(useCase.prompt);
  root.setAttributes({
    'groundwork.use_case': useCase.name,
    'groundwork.prompt.version': version,
    'groundwork.mode': model ? 'generative' : 'extractive',
  });
  // The budget check runs alongside retrieval (it only matters when a model is called; awaited there).
  const budgetCheck = model ? checkBudget(deps.db, useCase.name) : undefined;
  budgetCheck?.catch(() => {}); // observed where it is awaited; never an unhandled rejection
  return {
    deps,
    request,
    question,
    root,
    useCase,
    model,
    versioned,
    threshold: useCase.refusalThreshold ?? defaultRefusalThreshold,
    budgetCheck,
    finish(answer, tracedText) {
      const final: Answer = {
        ...answer,
        traceId: root.context.traceId,
        useCase: useCase.name,
        promptVersion: version,
        tookMs: Math.round((performance.now() - started) * 100) / 100,
      };
      recordAnswer(root, final, tracedText ?? final.answer, deps.events, request.caller, question, request.trace !== undefined);
      return final;
    },
  };
}

/** Retrieval as the caller, within the use case's sources and filters; the trace records what came back. */
async function retrieveForAnswer(run: AnswerRun): Promise<readonly SearchHit[]> {
  const { deps, useCase, root } = run;
  const result = await deps.retriever.search({
    query: run.question,
    caller: run.request.caller,
    k: useCase.retrieval.k ?? defaultK,
    ...(useCase.retrieval.mode ? { mode: useCase.retrieval.mode } : {}),
    ...(useCase.retrieval.synonyms ? { synonyms: useCase.retrieval.synonyms } : {}),
    useCase: useCase.name,
    filters: await searchFiltersOfUseCase(deps.db, useCase),
    trace: root.context,
  });
  root.setAttributes({
    'groundwork.retrieved': result.hits.map((h) => ({ chunkId: h.chunkId, documentId: h.documentId, score: h.scores.fused })),
  });
  return result.hits;
}

/** A refusal: no citations, the refusal text (or `text`), and the confidence parts that led to it. */
function refusal(
  run: AnswerRun,
  reason: string,
  parts: ConfidenceParts,
  extra: Partial<Answer> = {},
  text = refusalText,
): AnswerDraft {
  const { model } = run;
  return {
    answer: text,
    citations: [],
    confidence: combineConfidence(parts),
    confidenceParts: parts,
    refused: true,
    refusalReason: reason,
    mode: model ? 'generative' : 'extractive',
    label: model ? `Generated by ${model.ref}` : extractiveLabel,
    usage: { inputTokens: 0, outputTokens: 0 },
    ...(model ? { model: model.ref } : {}),
    citationsRemoved: 0,
    warnings: [],
    ...extra,
  };
}

/** Passages with suspected prompt injection that the answer was built from: warnings, and a trace count. */
function injectionWarningsFor(run: AnswerRun, passages: readonly Passage[]): AnswerWarning[] {
  const warnings = injectionWarnings(passages);
  run.root.setAttributes({ 'groundwork.injection.suspected_documents': warnings.length });
  return warnings;
}

/** An answer sent in one piece: its text as one token, then the final event. */
async function* yieldWhole(answer: Answer): AsyncGenerator<AnswerEvent> {
  yield { type: 'token', text: answer.answer };
  yield { type: 'final', answer };
}

async function answerWithoutPassages(run: AnswerRun): Promise<Answer> {
  // An empty store (nobody's documents: this reveals nothing about what the caller may not read) says so.
  return run.finish(
    (await hasIndexedDocuments(run.deps.db))
      ? refusal(run, 'no_passages', zeroConfidence)
      : refusal(run, 'no_documents', zeroConfidence, {}, noDocumentsText),
  );
}

/**
 * Extractive: sentences quoted from the passages. Nothing leaves the process, so no egress policy applies;
 * the caller reads only what retrieval let through (ACL in SQL).
 */
async function* answerExtractively(run: AnswerRun, hits: readonly SearchHit[]): AsyncGenerator<AnswerEvent> {
  const { deps, root } = run;
  const assembled = await deps.tracer.inSpan('assemble', root.context, async (span) => {
    const context = assembleContext(hits, { budgetTokens: Number.POSITIVE_INFINITY });
    span.setAttributes({
      'groundwork.assemble.passages': context.passages.length,
      'groundwork.assemble.duplicates': context.duplicates,
    });
    return context;
  });
  const profile = profileQuestion(run.question, assembled.passages);
  const evidence = retrievalEvidence(profile, assembled.passages);
  const extracted = extractiveAnswer(profile, assembled.passages, run.useCase.style);
  const grounded = groundedness(deps.tracer, root, extracted.text, assembled.passages);
  const { used } = cleanCitations(extracted.text, () => true);
  const evidenceUsed = evidencePassages(assembled.passages, used);
  const parts: ConfidenceParts = { ...evidence, ...grounded, untrustedEvidence: untrustedEvidence(evidenceUsed) };
  const confidence = combineConfidence(parts);
  const warnings = injectionWarningsFor(run, evidenceUsed);
  if (extracted.text === '' || confidence < run.threshold) {
    yield* yieldWhole(run.finish(refusal(run, 'insufficient_evidence', parts, { warnings })));
    return;
  }
  const text = renumberCitations(extracted.text, used);
  for (const sentence of text.split(/(?<=\]\.?)\s+/)) yield { type: 'token', text: `${sentence} ` };
  yield {
    type: 'final',
    answer: run.finish({
      answer: text,
      citations: resolveCitations(used, assembled.passages),
      confidence,
      confidenceParts: parts,
      refused: false,
      mode: 'extractive',
      label: extractiveLabel,
      usage: { inputTokens: 0, outputTokens: 0 },
      citationsRemoved: 0,
      warnings,
    }),
  };
}

/** What the egress policy lets the provider see: passages (blocked ones dropped, PII redacted) and the question. */
interface EgressOutcomeForAnswer {
  readonly session: ReturnType<typeof createRedactionSession>;
  readonly sendable: Map<string, string>;
  readonly question: string;
  readonly summary: NonNullable<Answer['egress']>;
  /** Set when every passage was blocked: why, for the refusal. */
  readonly allBlocked?: string;
}

/** Policy first: nothing in the passages can change what is sent. */
function applyEgressPolicy(run: AnswerRun, model: ModelDescription, hits: readonly SearchHit[]): EgressOutcomeForAnswer {
  const { deps, root } = run;
  const session = createRedactionSession();
  const egress = decideEgress({
    provider: model.providerConfig,
    providerName: model.provider,
    items: hits.map((h) => ({ id: h.chunkId, sensitivity: h.sensitivity, text: h.text, piiSpans: h.pii })),
    session,
    ...(deps.piiPatterns ? { customPatterns: deps.piiPatterns } : {}),
  });
  const sendable = new Map(egress.items.filter((i) => i.outcome !== 'blocked').map((i) => [i.id, i.text ?? '']));
  const safeQuestion = egress.policy.redactPii
    ? redactText(run.question, { session, ...(deps.piiPatterns ? { customPatterns: deps.piiPatterns } : {}) })
    : { text: run.question, counts: {} };
  if (egress.policy.redactPii) root.setAttributes({ 'groundwork.question': safeQuestion.text });
  const redacted = { ...egress.totals.redactedByType };
  for (const [type, count] of Object.entries(safeQuestion.counts)) redacted[type] = (redacted[type] ?? 0) + count;
  root.setAttributes({
    'groundwork.egress.provider': model.provider,
    'groundwork.egress.blocked': egress.totals.blocked,
    'groundwork.egress.redacted': redacted,
  });
  return {
    session,
    sendable,
    question: safeQuestion.text,
    summary: { provider: model.provider, blocked: egress.totals.blocked, redacted },
    ...(egress.allBlocked ? { allBlocked: `${refusalText} ${egress.blockedReason ?? ''}`.trim() } : {}),
  };
}

/** The passages that fit the model's context window next to the system prompt, question and output. */
async function assembleForModel(run: AnswerRun, hits: readonly SearchHit[], egress: EgressOutcomeForAnswer, system: string) {
  const { useCase, versioned } = run;
  return run.deps.tracer.inSpan('assemble', run.root.context, async (span) => {
    const budget = passageBudget({
      contextWindow: useCase.contextWindow,
      systemPrompt: system,
      question: egress.question,
      maxOutputTokens: useCase.maxOutputTokens,
      // A versioned template's own text is sent too: keep it inside the window.
      overhead: promptOverheadTokens + (versioned ? estimateTokens(versioned.template) : 0),
    });
    const context = assembleContext(
      hits.filter((h) => egress.sendable.has(h.chunkId)),
      { budgetTokens: budget, textOf: (h: SearchHit) => egress.sendable.get(h.chunkId) ?? '' },
    );
    span.setAttributes({
      'groundwork.context.tokens': context.tokens,
      'groundwork.context.limit': budget,
      'groundwork.assemble.passages': context.passages.length,
      'groundwork.assemble.duplicates': context.duplicates,
      'groundwork.assemble.over_budget': context.overBudget,
      'groundwork.assemble.truncated': context.truncated,
    });
    return context;
  });
}

/** Generative: egress policy → assemble → (refuse early, or check the budget) → stream the model → score. */
async function* answerGeneratively(
  run: AnswerRun,
  model: ModelDescription,
  hits: readonly SearchHit[],
): AsyncGenerator<AnswerEvent> {
  const egress = applyEgressPolicy(run, model, hits);
  if (egress.allBlocked !== undefined) {
    yield* yieldWhole(run.finish(refusal(run, 'egress_blocked', zeroConfidence, { egress: egress.summary }, egress.allBlocked)));
    return;
  }
  const system = buildSystemPrompt(run.useCase.prompt, run.useCase.style);
  const assembled = await assembleForModel(run, hits, egress, system);
  const profile = profileQuestion(egress.question, assembled.passages);
  const evidence = retrievalEvidence(profile, assembled.passages);
  // confidence ≤ retrieval strength, so below the threshold no generation could be accepted: skip the call.
  if (assembled.passages.length === 0 || evidence.retrieval < run.threshold) {
    const reason = assembled.passages.length === 0 ? 'no_passages' : 'insufficient_evidence';
    const topEvidence = evidencePassages(assembled.passages, []);
    const parts = { ...zeroConfidence, ...evidence, untrustedEvidence: untrustedEvidence(topEvidence) };
    yield* yieldWhole(
      run.finish(refusal(run, reason, parts, { egress: egress.summary, warnings: injectionWarningsFor(run, topEvidence) })),
    );
    return;
  }
  // Budget before spending: throws budget.exhausted (category limit) when the use case's budget blocks.
  const budget = await (run.budgetCheck ?? checkBudget(run.deps.db, run.useCase.name));
  if (budget.state !== 'none') run.root.setAttributes({ 'groundwork.budget.state': budget.state });
  const prompt = run.versioned
    ? buildVersionedUserPrompt(run.versioned.template, assembled.passages, egress.question, run.useCase.name)
    : buildUserPrompt(assembled.passages, egress.question);
  const validCitation = (n: number) => n >= 1 && n <= assembled.passages.length;
  const generated = yield* streamModel(run, model, system, prompt, validCitation, egress.session);
  yield { type: 'final', answer: await scoreGeneration(run, model, generated, assembled.passages, evidence, egress) };
}

/**
 * Streams the model's tokens as the caller will read them (citations renumbered, placeholders restored),
 * in a `generate` span; returns the raw text and the token usage.
 */
async function* streamModel(
  run: AnswerRun,
  model: ModelDescription,
  system: string,
  prompt: string,
  validCitation: (n: number) => boolean,
  session: ReturnType<typeof createRedactionSession>,
): AsyncGenerator<AnswerEvent, { raw: string; usage: { inputTokens: number; outputTokens: number } }> {
  const { deps, useCase } = run;
  const visibleStream = createCitationStream(validCitation, (text) => session.restore(text));
  const generateSpan = deps.tracer.startSpan('generate', run.root.context, {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': model.providerType,
    'gen_ai.request.model': model.modelId,
    'gen_ai.request.temperature': useCase.temperature,
    'gen_ai.request.max_tokens': useCase.maxOutputTokens,
  });
  try {
    const generation = generate(deps.models.chat(model.ref), system, prompt, useCase, run.request.signal);
    for await (const part of generation.fullStream) {
      if (part.type === 'text-delta') {
        const visible = visibleStream.push(part.text);
        if (visible) yield { type: 'token', text: visible };
      } else if (part.type === 'error') {
        throw modelFailure(model, part.error);
      }
    }
    const rest = visibleStream.flush();
    if (rest) yield { type: 'token', text: rest };
    const reported = await generation.usage;
    const usage = { inputTokens: reported.inputTokens ?? 0, outputTokens: reported.outputTokens ?? 0 };
    generateSpan.setAttributes({
      'gen_ai.response.model': model.modelId,
      'gen_ai.usage.input_tokens': usage.inputTokens,
      'gen_ai.usage.output_tokens': usage.outputTokens,
    });
    generateSpan.end();
    return { raw: visibleStream.raw, usage };
  } catch (error) {
    const failure = isGroundworkError(error) ? error : modelFailure(model, error);
    generateSpan.fail(failure);
    throw failure;
  } finally {
    // The consumer stopped reading (client gone): close the span; no-op when it already ended.
    generateSpan.fail(aborted());
  }
}

/** Cleans the generated citations, checks groundedness (judged when configured) and decides: answer or refuse. */
async function scoreGeneration(
  run: AnswerRun,
  model: ModelDescription,
  generated: { raw: string; usage: { inputTokens: number; outputTokens: number } },
  passages: readonly Passage[],
  evidence: { retrieval: number; agreement: number },
  egress: EgressOutcomeForAnswer,
): Promise<Answer> {
  const { deps, root } = run;
  const { raw } = generated;
  const validCitation = (n: number) => n >= 1 && n <= passages.length;
  const cleaned = cleanCitations(raw, validCitation);
  const grounded = groundedness(deps.tracer, root, cleaned.text, passages);
  const judged = deps.models.defaultJudge
    ? await judgedGroundedness(deps, root, deps.models.defaultJudge, cleaned.text, passages, run.request.signal)
    : undefined;
  const parts: ConfidenceParts = {
    ...evidence,
    citationCoverage: grounded.citationCoverage,
    groundedness: judged?.groundedness ?? grounded.groundedness,
    untrustedEvidence: untrustedEvidence(evidencePassages(passages, cleaned.used)),
  };
  const confidence = combineConfidence(parts);
  const usage = judged
    ? {
        inputTokens: generated.usage.inputTokens + judged.inputTokens,
        outputTokens: generated.usage.outputTokens + judged.outputTokens,
      }
    : generated.usage;
  const common = {
    usage,
    egress: egress.summary,
    citationsRemoved: cleaned.removed,
    model: model.ref,
    mode: 'generative' as const,
    label: `Generated by ${model.ref} from your documents`,
    // The model read every passage sent: each flagged one is worth a warning, cited or not.
    warnings: injectionWarningsFor(run, passages),
  };
  if (isModelRefusal(raw) || confidence < run.threshold) {
    const reason = isModelRefusal(raw) ? 'model_declined' : 'insufficient_evidence';
    return run.finish({ ...refusal(run, reason, parts), ...common, refused: true });
  }
  const numbered = renumberCitations(cleaned.text, cleaned.used);
  return run.finish(
    {
      ...common,
      answer: egress.session.restore(numbered).trim(),
      citations: resolveCitations(cleaned.used, passages),
      confidence,
      confidenceParts: parts,
      refused: false,
    },
    numbered.trim(),
  );
}

function aborted(): GroundworkError {
  return new GroundworkError('answer.aborted', 'The answer stream was closed before the final answer.', {
    category: 'unavailable',
    isRetryable: true,
  });
}

function generate(model: LanguageModelV4, system: string, prompt: string, useCase: UseCase, signal: AbortSignal | undefined) {
  return streamText({
    model,
    instructions: system,
    prompt,
    temperature: useCase.temperature,
    maxOutputTokens: useCase.maxOutputTokens,
    maxRetries: 1,
    // Errors arrive as `error` parts of the stream and become answer.model_failed; no console logging.
    onError: () => {},
    ...(signal ? { abortSignal: signal } : {}),
  });
}

function groundedness(tracer: Tracer, root: ActiveSpan, text: string, passages: readonly Passage[]) {
  const span = tracer.startSpan('groundedness', root.context);
  const result = checkGroundedness(text, passages);
  span.setAttributes({
    'groundwork.groundedness': result.groundedness,
    'groundwork.citation_coverage': result.citationCoverage,
    'groundwork.groundedness.sentences': result.sentences.length,
  });
  span.end();
  return { citationCoverage: result.citationCoverage, groundedness: result.groundedness };
}

/**
 * The judge model's groundedness (a `groundedness.judge` span): only when the judge's provider may receive
 * every cited passage under its own egress policy (else skipped: the lexical value stands), with PII redacted
 * for it when its policy says so. A sentence counts when the judge supports it and every number in it appears
 * in its cited text. A failing judge never fails the answer.
 */
async function judgedGroundedness(
  deps: AnswererDeps,
  root: ActiveSpan,
  judgeRef: string,
  answer: string,
  passages: readonly Passage[],
  signal: AbortSignal | undefined,
): Promise<{ groundedness: number; inputTokens: number; outputTokens: number } | undefined> {
  const judge = deps.models.describe(judgeRef);
  const span = deps.tracer.startSpan('groundedness.judge', root.context, {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': judge.providerType,
    'gen_ai.request.model': judge.modelId,
  });
  const lexical = checkGroundedness(answer, passages);
  const sentences = lexical.sentences;
  if (sentences.length === 0) {
    span.end();
    return undefined;
  }
  const session = createRedactionSession();
  const egress = decideEgress({
    provider: judge.providerConfig,
    providerName: judge.provider,
    items: passages.map((p) => ({ id: String(p.n), sensitivity: p.hit.sensitivity, text: p.text })),
    session,
    ...(deps.piiPatterns ? { customPatterns: deps.piiPatterns } : {}),
  });
  if (egress.totals.blocked > 0) {
    span.setAttributes({ 'groundwork.judge.skipped': 'egress_blocked', 'groundwork.egress.blocked': egress.totals.blocked });
    span.end();
    return undefined;
  }
  const texts = new Map(egress.items.map((i) => [Number(i.id), i.text ?? '']));
  const redact = (text: string) =>
    egress.policy.redactPii
      ? redactText(text, { session, ...(deps.piiPatterns ? { customPatterns: deps.piiPatterns } : {}) }).text
      : text;
  try {
    const result = await judgeGroundedness({
      model: deps.models.chat(judgeRef),
      sentences: sentences.map((s) => ({ text: redact(stripCitations(s.text)).trim(), cites: s.citedNumbers })),
      passages: passages.map((p) => ({ ...p, text: texts.get(p.n) ?? '' })),
      signal,
    });
    const supported = sentences.filter((s, i) => s.cited && s.numbersOk && result.supported[i]).length;
    const value = supported / sentences.length;
    span.setAttributes({
      'groundwork.groundedness': value,
      'groundwork.groundedness.lexical': lexical.groundedness,
      'groundwork.egress.redacted': egress.totals.redactedByType,
      'gen_ai.usage.input_tokens': result.usage.inputTokens,
      'gen_ai.usage.output_tokens': result.usage.outputTokens,
    });
    span.end();
    return { groundedness: value, ...result.usage };
  } catch (error) {
    span.fail(error);
    return undefined;
  }
}

function modelFailure(model: ModelDescription, error: unknown): GroundworkError {
  const message = error instanceof Error ? error.message : String(error);
  const failure = error as { statusCode?: unknown; lastError?: { statusCode?: unknown } } | undefined;
  const status = failure?.statusCode ?? failure?.lastError?.statusCode;
  return new GroundworkError('answer.model_failed', `The model ${model.ref} failed: ${message}`, {
    category: 'unavailable',
    isRetryable: status === undefined || status === 429 || (typeof status === 'number' && status >= 500),
    fix: `Check that provider "${model.provider}" is reachable and its key is valid; \`groundwork doctor\` shows the configuration. Answers work offline with \`--use-case\` set to an extractive use case.`,
    cause: error,
  });
}

function recordAnswer(
  root: ActiveSpan,
  answer: Answer,
  tracedText: string,
  events: EventBus | undefined,
  caller: AnswerRequest['caller'],
  question: string,
  nested: boolean,
): void {
  root.setAttributes({
    'groundwork.answer': tracedText,
    'groundwork.mode': answer.mode,
    'groundwork.confidence': answer.confidence,
    'groundwork.refused': answer.refused,
    ...(answer.refusalReason ? { 'groundwork.refusal.reason': answer.refusalReason } : {}),
    'groundwork.citations': answer.citations.map((c) => ({ n: c.n, chunkId: c.chunkId, documentId: c.documentId })),
    'groundwork.citations.removed': answer.citationsRemoved,
  });
  root.end();
  events?.publish('answer-end', {
    traceId: answer.traceId,
    useCase: answer.useCase,
    callerId: caller.id,
    mode: answer.mode,
    refused: answer.refused,
    ...(answer.refusalReason ? { refusalReason: answer.refusalReason } : {}),
    confidence: answer.confidence,
    citations: answer.citations.length,
    inputTokens: answer.usage.inputTokens,
    outputTokens: answer.usage.outputTokens,
    tookMs: answer.tookMs,
    principals: caller.principals,
    questionHash: questionHash(question),
    ...(nested ? { nested: true } : {}),
  });
}
