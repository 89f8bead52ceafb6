import type { LanguageModelV4 } from '@ai-sdk/provider';
import { streamText } from 'ai';
import { type ActiveSpan, type EventBus, GroundworkError, isGroundworkError, type Tracer } from '../core/index.ts';
import type { ModelDescription, ModelResolver } from '../models/index.ts';
import { checkBudget } from '../observe/index.ts';
import { findModelConfig, resolvePrompt } from '../prompts/index.ts';
import { createRedactionSession, decideEgress, redactText } from '../protect/index.ts';
import type { Retriever, SearchFilters, SearchHit } from '../retrieve/index.ts';
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
import { estimateTokens } from './text.ts';
import type { Answer, AnswerEvent, AnswerRequest, AnswerWarning, ConfidenceParts, Passage, UseCase } from './types.ts';
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
    };
  }
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
}

/** A use case as answers run it: its `production` model configuration applied, and the model it calls. */
export interface EffectiveUseCase {
  readonly useCase: UseCase;
  /** `provider:model`, or undefined: answers are extractive (no model call). */
  readonly modelRef: string | undefined;
  /** The versioned model configuration applied (`name@N`), if any. */
  readonly modelVersion: string | undefined;
}

export interface Answerer {
  readonly useCases: UseCaseStore;
  /** The use case with its `production` model configuration and default model resolved; `use_case.not_found` if absent. */
  effectiveUseCase(name: string): Promise<EffectiveUseCase>;
  /** Streams tokens as they come, then one `final` event with the post-processed answer. */
  stream(request: AnswerRequest): AsyncIterable<AnswerEvent>;
  /** The final answer only. */
  ask(request: AnswerRequest): Promise<Answer>;
}

const defaultK = 8;

export function createAnswerer(deps: AnswererDeps): Answerer {
  const store = createUseCaseStore(deps.db);
  const cacheMs = deps.useCaseCacheMs ?? 2000;
  const cache = new Map<string, { useCase: UseCase; at: number }>();
  const useCases: UseCaseStore = {
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

  async function effectiveUseCase(name: string): Promise<EffectiveUseCase> {
    const stored = await useCases.require(name);
    // A versioned model configuration (prompts feature, label `production`) overrides the use case's model settings.
    const modelConfig = await findModelConfig(deps.db, stored.name, 'production');
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

  async function* stream(request: AnswerRequest): AsyncGenerator<AnswerEvent> {
    const started = performance.now();
    const question = request.question.trim();
    if (question === '') {
      throw new GroundworkError('answer.empty_question', 'The question is empty.', {
        category: 'usage',
        fix: 'Ask a question, e.g. groundwork ask "What is the deductible for water damage under HO-3?"',
      });
    }
    const root = deps.tracer.startSpan('answer', request.trace, {
      'groundwork.operation': 'answer',
      'groundwork.caller': request.caller.id,
      'groundwork.caller.sees_everything': request.caller.seesEverything,
      // What the caller could read: production candidates (negative feedback → eval cases) are asked again
      // as these principals, and shown only to reviewers who hold them.
      'groundwork.caller.principals': [...request.caller.principals],
      'groundwork.question': question,
    });
    try {
      const { useCase, modelRef, modelVersion } = await effectiveUseCase(request.useCase ?? 'default');
      if (modelVersion) root.setAttributes({ 'groundwork.model.version': modelVersion });
      assertMayUseUseCase(useCase, request.caller);
      const model = modelRef ? deps.models.describe(modelRef) : undefined;
      // A versioned prompt (`prompt_ref`) is resolved by its `production` label; otherwise the inline one.
      const versioned = useCase.promptRef ? await resolvePrompt(deps.db, useCase.promptRef, 'production') : undefined;
      const version = versioned?.ref ?? promptVersion(useCase.prompt);
      root.setAttributes({
        'groundwork.use_case': useCase.name,
        'groundwork.prompt.version': version,
        'groundwork.mode': model ? 'generative' : 'extractive',
      });

      // The budget check runs alongside retrieval (it only matters when a model is called; awaited there).
      const budgetCheck = model ? checkBudget(deps.db, useCase.name) : undefined;
      budgetCheck?.catch(() => {}); // observed where it is awaited; never an unhandled rejection
      const filters = await filtersFor(deps.db, useCase);
      const result = await deps.retriever.search({
        query: question,
        caller: request.caller,
        k: useCase.retrieval.k ?? defaultK,
        ...(useCase.retrieval.mode ? { mode: useCase.retrieval.mode } : {}),
        ...(useCase.retrieval.synonyms ? { synonyms: useCase.retrieval.synonyms } : {}),
        filters,
        trace: root.context,
      });
      root.setAttributes({
        'groundwork.retrieved': result.hits.map((h) => ({ chunkId: h.chunkId, documentId: h.documentId, score: h.scores.fused })),
      });

      // Traces get the text the provider saw (placeholders, not values); the caller gets the restored answer.
      let tracedAnswer: string | undefined;
      const finish = (answer: Omit<Answer, 'traceId' | 'tookMs' | 'useCase' | 'promptVersion'>): Answer => {
        const final: Answer = {
          ...answer,
          traceId: root.context.traceId,
          useCase: useCase.name,
          promptVersion: version,
          tookMs: Math.round((performance.now() - started) * 100) / 100,
        };
        recordAnswer(root, final, tracedAnswer ?? final.answer, deps.events, request.caller.id);
        return final;
      };
      const refusal = (
        reason: string,
        parts: ConfidenceParts,
        extra: Partial<Answer> = {},
        text = refusalText,
      ): Omit<Answer, 'traceId' | 'tookMs' | 'useCase' | 'promptVersion'> => ({
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
      });
      const zero: ConfidenceParts = { retrieval: 0, agreement: 0, citationCoverage: 0, groundedness: 0, untrustedEvidence: 0 };
      // Passages with suspected prompt injection that the answer was built from: warnings, and a trace count.
      const warn = (passages: readonly Passage[]): AnswerWarning[] => {
        const warnings = injectionWarnings(passages);
        root.setAttributes({ 'groundwork.injection.suspected_documents': warnings.length });
        return warnings;
      };
      const threshold = useCase.refusalThreshold ?? defaultRefusalThreshold;

      if (result.hits.length === 0) {
        // An empty store (nobody's documents: this reveals nothing about what the caller may not read) says so.
        const answer = finish(
          (await storeIsEmpty(deps.db)) ? refusal('no_documents', zero, {}, noDocumentsText) : refusal('no_passages', zero),
        );
        yield { type: 'token', text: answer.answer };
        yield { type: 'final', answer };
        return;
      }

      if (!model) {
        // Extractive: nothing leaves the process, so no egress policy applies; the caller reads only what
        // retrieval let through (ACL in SQL).
        const assembled = await deps.tracer.inSpan('assemble', root.context, async (span) => {
          const context = assembleContext(result.hits, { budgetTokens: Number.POSITIVE_INFINITY });
          span.setAttributes({
            'groundwork.assemble.passages': context.passages.length,
            'groundwork.assemble.duplicates': context.duplicates,
          });
          return context;
        });
        const profile = profileQuestion(question, assembled.passages);
        const evidence = retrievalEvidence(profile, assembled.passages);
        const extracted = extractiveAnswer(profile, assembled.passages, useCase.style);
        const grounded = groundedness(deps.tracer, root, extracted.text, assembled.passages);
        const { used } = cleanCitations(extracted.text, () => true);
        const evidenceUsed = evidencePassages(assembled.passages, used);
        const parts: ConfidenceParts = { ...evidence, ...grounded, untrustedEvidence: untrustedEvidence(evidenceUsed) };
        const confidence = combineConfidence(parts);
        const warnings = warn(evidenceUsed);
        if (extracted.text === '' || confidence < threshold) {
          const answer = finish(refusal('insufficient_evidence', parts, { warnings }));
          yield { type: 'token', text: answer.answer };
          yield { type: 'final', answer };
          return;
        }
        const text = renumberCitations(extracted.text, used);
        for (const sentence of text.split(/(?<=\]\.?)\s+/)) yield { type: 'token', text: `${sentence} ` };
        yield {
          type: 'final',
          answer: finish({
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
        return;
      }

      // Generative. Policy first: nothing in the passages can change what is sent.
      const session = createRedactionSession();
      const egress = decideEgress({
        provider: model.providerConfig,
        providerName: model.provider,
        items: result.hits.map((h) => ({ id: h.chunkId, sensitivity: h.sensitivity, text: h.text, piiSpans: h.pii })),
        session,
        ...(deps.piiPatterns ? { customPatterns: deps.piiPatterns } : {}),
      });
      const sendable = new Map(egress.items.filter((i) => i.outcome !== 'blocked').map((i) => [i.id, i.text ?? '']));
      const safeQuestion = egress.policy.redactPii
        ? redactText(question, { session, ...(deps.piiPatterns ? { customPatterns: deps.piiPatterns } : {}) })
        : { text: question, counts: {} };
      if (egress.policy.redactPii) root.setAttributes({ 'groundwork.question': safeQuestion.text });
      const redacted = { ...egress.totals.redactedByType };
      for (const [type, count] of Object.entries(safeQuestion.counts)) redacted[type] = (redacted[type] ?? 0) + count;
      const egressSummary = { provider: model.provider, blocked: egress.totals.blocked, redacted };
      root.setAttributes({
        'groundwork.egress.provider': model.provider,
        'groundwork.egress.blocked': egress.totals.blocked,
        'groundwork.egress.redacted': redacted,
      });
      if (egress.allBlocked) {
        const text = `${refusalText} ${egress.blockedReason ?? ''}`.trim();
        const answer = finish(refusal('egress_blocked', zero, { egress: egressSummary }, text));
        yield { type: 'token', text: answer.answer };
        yield { type: 'final', answer };
        return;
      }

      const system = buildSystemPrompt(useCase.prompt, useCase.style);
      const assembled = await deps.tracer.inSpan('assemble', root.context, async (span) => {
        const budget = passageBudget({
          contextWindow: useCase.contextWindow,
          systemPrompt: system,
          question: safeQuestion.text,
          maxOutputTokens: useCase.maxOutputTokens,
          // A versioned template's own text is sent too: keep it inside the window.
          overhead: promptOverheadTokens + (versioned ? estimateTokens(versioned.template) : 0),
        });
        const context = assembleContext(
          result.hits.filter((h) => sendable.has(h.chunkId)),
          { budgetTokens: budget, textOf: (h: SearchHit) => sendable.get(h.chunkId) ?? '' },
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
      const profile = profileQuestion(safeQuestion.text, assembled.passages);
      const evidence = retrievalEvidence(profile, assembled.passages);
      // confidence ≤ retrieval strength, so below the threshold no generation could be accepted: skip the call.
      if (assembled.passages.length === 0 || evidence.retrieval < threshold) {
        const reason = assembled.passages.length === 0 ? 'no_passages' : 'insufficient_evidence';
        const topEvidence = evidencePassages(assembled.passages, []);
        const answer = finish(
          refusal(
            reason,
            { ...zero, ...evidence, untrustedEvidence: untrustedEvidence(topEvidence) },
            { egress: egressSummary, warnings: warn(topEvidence) },
          ),
        );
        yield { type: 'token', text: answer.answer };
        yield { type: 'final', answer };
        return;
      }

      // Budget before spending: throws budget.exhausted (category limit) when the use case's budget blocks.
      const budget = await (budgetCheck ?? checkBudget(deps.db, useCase.name));
      if (budget.state !== 'none') root.setAttributes({ 'groundwork.budget.state': budget.state });
      const prompt = versioned
        ? buildVersionedUserPrompt(versioned.template, assembled.passages, safeQuestion.text, useCase.name)
        : buildUserPrompt(assembled.passages, safeQuestion.text);
      const languageModel = deps.models.chat(model.ref);
      const validCitation = (n: number) => n >= 1 && n <= assembled.passages.length;
      // Tokens reach the caller as they will read them: citations renumbered, placeholders restored.
      const visibleStream = createCitationStream(validCitation, (text) => session.restore(text));
      const generateSpan = deps.tracer.startSpan('generate', root.context, {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': model.providerType,
        'gen_ai.request.model': model.modelId,
        'gen_ai.request.temperature': useCase.temperature,
        'gen_ai.request.max_tokens': useCase.maxOutputTokens,
      });
      let usage = { inputTokens: 0, outputTokens: 0 };
      try {
        const generation = generate(languageModel, system, prompt, useCase, request.signal);
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
        usage = { inputTokens: reported.inputTokens ?? 0, outputTokens: reported.outputTokens ?? 0 };
        generateSpan.setAttributes({
          'gen_ai.response.model': model.modelId,
          'gen_ai.usage.input_tokens': usage.inputTokens,
          'gen_ai.usage.output_tokens': usage.outputTokens,
        });
        generateSpan.end();
      } catch (error) {
        const failure = isGroundworkError(error) ? error : modelFailure(model, error);
        generateSpan.fail(failure);
        throw failure;
      } finally {
        // The consumer stopped reading (client gone): close the span; no-op when it already ended.
        generateSpan.fail(aborted());
      }

      const raw = visibleStream.raw;
      const cleaned = cleanCitations(raw, validCitation);
      const grounded = groundedness(deps.tracer, root, cleaned.text, assembled.passages);
      const judged = deps.models.defaultJudge
        ? await judgedGroundedness(deps, root, deps.models.defaultJudge, cleaned.text, assembled.passages, request.signal)
        : undefined;
      const parts: ConfidenceParts = {
        ...evidence,
        citationCoverage: grounded.citationCoverage,
        groundedness: judged?.groundedness ?? grounded.groundedness,
        untrustedEvidence: untrustedEvidence(evidencePassages(assembled.passages, cleaned.used)),
      };
      const confidence = combineConfidence(parts);
      if (judged)
        usage = { inputTokens: usage.inputTokens + judged.inputTokens, outputTokens: usage.outputTokens + judged.outputTokens };
      const common = {
        usage,
        egress: egressSummary,
        citationsRemoved: cleaned.removed,
        model: model.ref,
        mode: 'generative' as const,
        label: `Generated by ${model.ref} from your documents`,
        // The model read every passage sent: each flagged one is worth a warning, cited or not.
        warnings: warn(assembled.passages),
      };
      if (isModelRefusal(raw) || confidence < threshold) {
        const reason = isModelRefusal(raw) ? 'model_declined' : 'insufficient_evidence';
        yield { type: 'final', answer: finish({ ...refusal(reason, parts), ...common, refused: true }) };
        return;
      }
      const numbered = renumberCitations(cleaned.text, cleaned.used);
      tracedAnswer = numbered.trim();
      yield {
        type: 'final',
        answer: finish({
          ...common,
          answer: session.restore(numbered).trim(),
          citations: resolveCitations(cleaned.used, assembled.passages),
          confidence,
          confidenceParts: parts,
          refused: false,
        }),
      };
    } catch (error) {
      root.fail(error);
      throw error;
    } finally {
      root.fail(aborted()); // no-op unless the consumer stopped reading before the final answer
    }
  }

  return {
    useCases,
    effectiveUseCase,
    stream,
    async ask(request) {
      for await (const event of stream(request)) if (event.type === 'final') return event.answer;
      throw new GroundworkError('internal.unexpected', 'The answer stream ended without a final answer.', {
        category: 'internal',
      });
    },
  };
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

/** No document is indexed at all (in any source, for anyone). */
async function storeIsEmpty(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ empty: boolean }>(
    `SELECT NOT EXISTS (SELECT 1 FROM documents WHERE status = 'indexed') AS empty`,
  );
  return rows[0]?.empty === true;
}

async function filtersFor(db: Queryable, useCase: UseCase): Promise<SearchFilters> {
  const f = useCase.retrieval.filters ?? {};
  const filters: {
    -readonly [K in keyof SearchFilters]: SearchFilters[K];
  } = {};
  if (f.mediaTypes) filters.mediaTypes = f.mediaTypes;
  if (f.sensitivity) filters.sensitivity = f.sensitivity;
  if (f.metadata) filters.metadata = f.metadata;
  if (f.modifiedAfter) filters.modifiedAfter = new Date(f.modifiedAfter);
  if (f.modifiedBefore) filters.modifiedBefore = new Date(f.modifiedBefore);
  if (useCase.sources.length > 0) {
    // Names or ids; unknown entries match nothing, so a misconfigured use case finds nothing rather than everything.
    const { rows } = await db.query<{ id: string }>('SELECT id FROM sources WHERE id = ANY($1) OR name = ANY($1)', [
      [...useCase.sources],
    ]);
    filters.sourceIds = rows.map((r) => r.id);
  }
  return filters;
}

function recordAnswer(
  root: ActiveSpan,
  answer: Answer,
  tracedText: string,
  events: EventBus | undefined,
  callerId: string,
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
    callerId,
    mode: answer.mode,
    refused: answer.refused,
    ...(answer.refusalReason ? { refusalReason: answer.refusalReason } : {}),
    confidence: answer.confidence,
    citations: answer.citations.length,
    inputTokens: answer.usage.inputTokens,
    outputTokens: answer.usage.outputTokens,
    tookMs: answer.tookMs,
  });
}
