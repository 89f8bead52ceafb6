import {
  type Caller,
  type Clock,
  callerWithPrincipals,
  type EventBus,
  GroundworkError,
  type IdGenerator,
  localOperator,
  newId,
  type Tracer,
} from '../core/index.ts';
import { authorize, recordAudit } from '../govern/index.ts';
import { chunkTexts, indexedCorpusState } from '../ingest/index.ts';
import { traceCosts } from '../observe/index.ts';
import type { Queryable } from '../store/index.ts';
import { loadDataset } from './datasets.ts';
import {
  citationPrecision,
  citationRecall,
  defaultRetrievalMetrics,
  exactMatch,
  parseMetricName,
  retrievalCaseMetrics,
  summarizeMetrics,
  tokenF1,
} from './eval-metrics.ts';
import { offlineGroundedness } from './groundedness.ts';
import type { EvalJudge } from './judge.ts';
import type {
  CaseResult,
  EvalAnswer,
  EvalAsk,
  EvalCase,
  EvalSearch,
  GroundednessCheck,
  IndexState,
  MetricSummary,
  RunConfigSnapshot,
} from './types.ts';

declare module '../core/events.ts' {
  interface GroundworkEventMap {
    /** An evaluation run finished (succeeded or failed). */
    'evaluation-run-end': {
      runId: string;
      dataset: string;
      datasetVersion: number;
      status: 'succeeded' | 'failed';
      caseCount: number;
      errors: number;
      metrics: Readonly<Record<string, number>>;
      scheduleName: string | null;
    };
  }
}

export interface RunEvaluationDeps {
  readonly db: Queryable & { transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> };
  readonly tracer: Tracer;
  readonly events: EventBus;
  readonly clock: Clock;
  /** Retrieval at document level; required for retrieval runs, used for retrieval metrics in answer runs. */
  readonly search?: EvalSearch;
  /** Answers; required for answer runs. */
  readonly ask?: EvalAsk;
  /**
   * Makes recorded traces durable before per-case costs are read from them (the observe recorder's
   * flush). Absent: costs are read from whatever traces are already recorded.
   */
  readonly flushTraces?: () => Promise<void>;
  /** Optional judge model (correctness and faithfulness); absent: offline metrics only. */
  readonly judge?: EvalJudge;
  /** Defaults to the offline lexical+numeric checker. */
  readonly groundedness?: GroundednessCheck;
  readonly ids?: IdGenerator;
}

export interface RunEvaluationOptions {
  /** `name`, `name@version` or a dataset id. */
  readonly dataset: string;
  readonly mode: 'retrieval' | 'answer';
  /** Who starts the run (recorded); cases are asked as their own principals. */
  readonly caller: Caller;
  /** Ranked documents fetched per case (default 100); `map` is cut here. */
  readonly depth?: number;
  /** Samples per case for answer runs (default 1); retrieval is deterministic and sampled once. */
  readonly repeat?: number;
  /** Extra metrics to compute (e.g. from gates: `ndcg@3`). */
  readonly metrics?: readonly string[];
  readonly labels?: readonly string[];
  readonly scheduleName?: string;
  readonly useCase?: string;
  /** Configuration to snapshot with the run (use case settings, prompt version, model, retrieval). */
  readonly snapshot?: {
    readonly useCaseSettings?: unknown;
    readonly promptVersion?: string;
    readonly modelVersion?: string | null;
    readonly model?: string;
    readonly retrieval?: unknown;
  };
  /** Cases evaluated in parallel (default 1; 1–32). Useful on server PostgreSQL with a connection pool. */
  readonly concurrency?: number;
  /**
   * Who asks the cases that name no principals (default: the operator, who sees everything). Runs started
   * over the API by a caller without the ACL bypass pass that caller, so a dataset cannot widen its reach.
   */
  readonly unscopedCaseCaller?: Caller;
  /** Called after each case (progress output). */
  readonly onCase?: (done: number, total: number) => void;
}

export interface EvaluationRunResult {
  readonly runId: string;
  readonly datasetId: string;
  readonly datasetName: string;
  readonly datasetVersion: number;
  readonly traceId: string;
  readonly metrics: Record<string, MetricSummary>;
  readonly results: readonly CaseResult[];
  readonly errors: number;
  readonly config: RunConfigSnapshot;
  readonly indexState: IndexState;
  readonly durationMs: number;
}

/** Document count, chunk count and a fingerprint of indexed documents (ids + content hashes), from ingest. */
export async function captureIndexState(db: Queryable): Promise<IndexState> {
  return indexedCorpusState(db);
}

function callerFor(principals: readonly string[], unscoped: Caller): Caller {
  return principals.length > 0 ? callerWithPrincipals(principals) : unscoped;
}

/**
 * Runs a dataset version through retrieval (and answers), stores per-case results with the principals
 * each case was asked as, aggregates the metrics and records the run inside an `evaluation` span.
 * A failing case is recorded with its error and the run goes on; the run fails only when it cannot run.
 */
export async function runEvaluation(deps: RunEvaluationDeps, options: RunEvaluationOptions): Promise<EvaluationRunResult> {
  authorize(options.caller, 'eval:run');
  const ids = deps.ids ?? newId;
  const unscopedCaller = options.unscopedCaseCaller ?? localOperator;
  const depth = options.depth ?? 100;
  const repeat = options.mode === 'answer' ? Math.max(1, options.repeat ?? 1) : 1;
  if (!Number.isInteger(depth) || depth < 1 || depth > 1000) {
    throw new GroundworkError('evaluate.invalid_depth', `Depth ${depth} is out of range.`, {
      category: 'usage',
      fix: 'Use a depth between 1 and 1000 (default 100).',
    });
  }
  if (options.mode === 'retrieval' && !deps.search) {
    throw new GroundworkError('evaluate.no_retriever', 'A retrieval evaluation needs the retriever.', {
      category: 'unavailable',
      fix: 'Run with the retrieval feature available (platform.retriever).',
    });
  }
  if (options.mode === 'answer' && !deps.ask) {
    throw new GroundworkError('evaluate.no_answerer', 'An answer evaluation needs the answer feature.', {
      category: 'unavailable',
      fix: 'Use --mode retrieval, or run where the answer feature is available.',
    });
  }
  const retrievalNames = [
    ...new Set([
      ...defaultRetrievalMetrics,
      ...(options.metrics ?? []).filter((m) => parseMetricName(m)?.k !== undefined || m === 'map'),
    ]),
  ];
  const dataset = await loadDataset(deps.db, options.dataset);
  const indexState = await captureIndexState(deps.db);
  const config: RunConfigSnapshot = {
    mode: options.mode,
    k: depth,
    repeat,
    useCase: options.useCase
      ? {
          name: options.useCase,
          ...(options.snapshot?.useCaseSettings === undefined ? {} : { settings: options.snapshot.useCaseSettings }),
        }
      : null,
    promptVersion: options.snapshot?.promptVersion ?? null,
    modelVersion: options.snapshot?.modelVersion ?? null,
    model: options.snapshot?.model ?? null,
    retrieval: options.snapshot?.retrieval ?? null,
  };
  const runId = ids('evr');
  const started = deps.clock.now();
  const span = deps.tracer.startSpan('evaluation', undefined, {
    'groundwork.operation': 'evaluation',
    'groundwork.caller': options.caller.id,
    'groundwork.caller.sees_everything': options.caller.seesEverything,
    ...(options.useCase ? { 'groundwork.use_case': options.useCase } : {}),
    ...(config.promptVersion ? { 'groundwork.prompt.version': config.promptVersion } : {}),
    'groundwork.evaluation.run_id': runId,
    'groundwork.evaluation.dataset': `${dataset.name}@${dataset.version}`,
    'groundwork.evaluation.mode': options.mode,
  });
  // The run row and its audit record (`eval.run`: who ran what) are one transaction.
  await deps.db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO eval_runs (id, dataset_id, status, mode, use_case, config, index_state, labels, schedule_name, trace_id,
                              case_count, created_by, started_at)
       VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        runId,
        dataset.id,
        options.mode,
        options.useCase ?? null,
        JSON.stringify(config),
        JSON.stringify(indexState),
        [...new Set(options.labels ?? [])],
        options.scheduleName ?? null,
        span.context.traceId,
        dataset.cases.length,
        options.caller.id,
        started,
      ],
    );
    await recordAudit(
      tx,
      {
        actor: options.caller.id,
        action: 'eval.run',
        target: `run:${runId}`,
        after: {
          dataset: `${dataset.name}@${dataset.version}`,
          mode: options.mode,
          useCase: options.useCase ?? null,
          labels: [...new Set(options.labels ?? [])],
          ...(options.scheduleName ? { schedule: options.scheduleName } : {}),
        },
        at: started,
      },
      deps.clock,
    );
  });
  const results: CaseResult[] = [];
  const groundedness: GroundednessCheck =
    deps.groundedness ??
    ((answer, cited) =>
      offlineGroundedness(
        answer,
        cited.map((c) => c.text),
      ));
  try {
    let done = 0;
    let nextCase = 0;
    const perCase: CaseResult[][] = [];
    // Cases in parallel up to `concurrency` (server stores with a pool); results keep the dataset order.
    const worker = async () => {
      while (nextCase < dataset.cases.length) {
        const index = nextCase++;
        const evalCase = dataset.cases[index] as EvalCase;
        const samples: CaseResult[] = [];
        for (let sample = 0; sample < repeat; sample++) {
          samples.push(
            await runCase(
              deps,
              evalCase,
              sample,
              options.mode,
              retrievalNames,
              depth,
              groundedness,
              span.context,
              unscopedCaller,
            ),
          );
        }
        perCase[index] = samples;
        done++;
        options.onCase?.(done, dataset.cases.length);
      }
    };
    const concurrency = Math.max(1, Math.min(options.concurrency ?? 1, 32));
    await Promise.all(Array.from({ length: concurrency }, worker));
    for (const samples of perCase) results.push(...samples);
    await addTraceCosts(deps, results);
    await storeResults(deps.db, runId, results);
    const metrics = summarizeMetrics(results);
    const errors = results.filter((r) => r.error !== null).length;
    await deps.db.query(`UPDATE eval_runs SET status = 'succeeded', metrics = $2, finished_at = $3 WHERE id = $1`, [
      runId,
      JSON.stringify(metrics),
      deps.clock.now(),
    ]);
    span.setAttributes({ 'groundwork.evaluation.cases': dataset.cases.length, 'groundwork.evaluation.errors': errors });
    span.end();
    deps.events.publish('evaluation-run-end', {
      runId,
      dataset: dataset.name,
      datasetVersion: dataset.version,
      status: 'succeeded',
      caseCount: dataset.cases.length,
      errors,
      metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, v.mean])),
      scheduleName: options.scheduleName ?? null,
    });
    const finished = deps.clock.now();
    return {
      runId,
      datasetId: dataset.id,
      datasetName: dataset.name,
      datasetVersion: dataset.version,
      traceId: span.context.traceId,
      metrics,
      results,
      errors,
      config,
      indexState,
      durationMs: finished.getTime() - started.getTime(),
    };
  } catch (error) {
    span.fail(error);
    await deps.db
      .query(`UPDATE eval_runs SET status = 'failed', error = $2, finished_at = $3 WHERE id = $1`, [
        runId,
        (error as Error).message ?? String(error),
        deps.clock.now(),
      ])
      .catch(() => {});
    deps.events.publish('evaluation-run-end', {
      runId,
      dataset: dataset.name,
      datasetVersion: dataset.version,
      status: 'failed',
      caseCount: dataset.cases.length,
      errors: results.length,
      metrics: {},
      scheduleName: options.scheduleName ?? null,
    });
    throw error;
  }
}

async function runCase(
  deps: RunEvaluationDeps,
  evalCase: EvalCase,
  sample: number,
  mode: 'retrieval' | 'answer',
  retrievalNames: readonly string[],
  depth: number,
  groundedness: GroundednessCheck,
  trace: { traceId: string; spanId: string },
  unscopedCaller: Caller,
): Promise<CaseResult> {
  const caller = callerFor(evalCase.principals, unscopedCaller);
  // Results are stored with the principals the case was actually asked as, so whoever holds them (the caller
  // who asked a principal-less case, say) sees them; `[]` = asked as the operator, seen by the operator only.
  const askedAs = caller.seesEverything ? [] : [...caller.principals];
  const metrics: Record<string, number> = {};
  let retrieved: string[] = [];
  let answer: string | null = null;
  let citations: Array<{ documentId: string; chunkId: string }> = [];
  let refused: boolean | null = null;
  let costUsd: number | null = null;
  let traceId: string | null = null;
  const start = performance.now();
  try {
    const relevance = new Map(evalCase.relevantDocumentIds.map((id) => [id, evalCase.relevance[id] ?? 1] as const));
    // Retrieval metrics once per case (deterministic): in answer runs only with the first sample.
    if (deps.search && sample === 0) {
      const result = await deps.search({
        query: evalCase.question,
        caller,
        k: depth,
        level: 'document',
        highlight: false,
        trace,
      });
      retrieved = result.hits.map((h) => h.documentId).slice(0, 100);
      if (relevance.size > 0) {
        Object.assign(
          metrics,
          retrievalCaseMetrics(
            result.hits.map((h) => h.documentId),
            relevance,
            retrievalNames,
            depth,
          ),
        );
      }
    }
    if (mode === 'answer' && deps.ask) {
      const response = await deps.ask({ question: evalCase.question, caller, trace });
      answer = response.answer;
      refused = response.refused;
      citations = response.citations.map((c) => ({ documentId: c.documentId, chunkId: c.chunkId }));
      costUsd = response.costUsd ?? null;
      traceId = response.traceId ?? null;
      metrics.refusal_accuracy = response.refused === evalCase.expectRefusal ? 1 : 0;
      const relevant = new Set(evalCase.relevantDocumentIds);
      const cited = citations.map((c) => c.documentId);
      if (!evalCase.expectRefusal) {
        const recall = citationRecall(cited, relevant);
        if (recall !== undefined) metrics.citation_recall = recall;
        if (!response.refused) {
          const precision = relevant.size > 0 ? citationPrecision(cited, relevant) : undefined;
          if (precision !== undefined) metrics.citation_precision = precision;
          if (evalCase.referenceAnswer) {
            metrics.exact_match = exactMatch(response.answer, evalCase.referenceAnswer);
            metrics.token_f1 = tokenF1(response.answer, evalCase.referenceAnswer);
          }
          const citedPassages = await citedTexts(deps.db, response.citations);
          metrics.groundedness = groundedness(response.answer, citedPassages);
          if (deps.judge) {
            const verdict = await deps.judge({
              question: evalCase.question,
              answer: response.answer,
              referenceAnswer: evalCase.referenceAnswer,
              citedTexts: citedPassages.map((c) => c.text),
            });
            metrics.judge_faithfulness = verdict.faithfulness;
            if (verdict.correctness !== undefined) metrics.judge_correctness = verdict.correctness;
          }
        } else if (evalCase.referenceAnswer) {
          metrics.exact_match = 0;
          metrics.token_f1 = 0;
        }
      }
      if (costUsd !== null) metrics.cost_usd = costUsd;
    }
    const latencyMs = performance.now() - start;
    metrics.latency_ms = latencyMs;
    return {
      caseId: evalCase.id,
      externalId: evalCase.externalId,
      sample,
      principals: askedAs,
      metrics,
      retrievedDocumentIds: retrieved,
      answer,
      citations,
      refused,
      latencyMs,
      costUsd,
      traceId,
      error: null,
    };
  } catch (error) {
    const err = error as { code?: string; message?: string };
    return {
      caseId: evalCase.id,
      externalId: evalCase.externalId,
      sample,
      principals: askedAs,
      metrics: {},
      retrievedDocumentIds: retrieved,
      answer,
      citations,
      refused,
      latencyMs: performance.now() - start,
      costUsd,
      traceId,
      error: `${err.code ? `${err.code}: ` : ''}${err.message ?? String(error)}`,
    };
  }
}

/** The full text of cited chunks (snippets are too short to judge support). Internal to the run. */
async function citedTexts(db: Queryable, citations: EvalAnswer['citations']): Promise<Array<{ n: number; text: string }>> {
  const byId = await chunkTexts(db, citations.map((c) => c.chunkId).filter(Boolean));
  return citations.map((c, i) => ({ n: c.n ?? i + 1, text: byId.get(c.chunkId) ?? c.snippet ?? '' }));
}

/**
 * Cost per case from the answer traces the observe feature priced (`traces.cost_usd`), for answerers that
 * do not report cost themselves.
 */
async function addTraceCosts(deps: RunEvaluationDeps, results: CaseResult[]): Promise<void> {
  const missing = results.filter((r) => r.traceId && r.costUsd === null);
  if (missing.length === 0) return;
  await deps.flushTraces?.();
  const costs = await traceCosts(
    deps.db,
    missing.map((r) => r.traceId as string),
  );
  results.forEach((result, i) => {
    const cost = result.traceId && result.costUsd === null ? costs.get(result.traceId) : undefined;
    if (cost === undefined) return;
    results[i] = { ...result, costUsd: cost, metrics: { ...result.metrics, cost_usd: cost } };
  });
}

async function storeResults(db: Queryable, runId: string, results: readonly CaseResult[]): Promise<void> {
  for (let start = 0; start < results.length; start += 500) {
    const batch = results.slice(start, start + 500).map((r) => ({
      case_id: r.caseId,
      sample: r.sample,
      principals: r.principals,
      metrics: r.metrics,
      retrieved: r.retrievedDocumentIds,
      answer: r.answer,
      citations: r.citations,
      refused: r.refused,
      latency_ms: r.latencyMs,
      cost_usd: r.costUsd,
      trace_id: r.traceId,
      error: r.error,
    }));
    await db.query(
      `INSERT INTO eval_case_results (run_id, case_id, sample, principals, metrics, retrieved_document_ids, answer, citations,
                                      refused, latency_ms, cost_usd, trace_id, error)
       SELECT $1, r.case_id, r.sample, ARRAY(SELECT jsonb_array_elements_text(r.principals)), r.metrics,
              ARRAY(SELECT e FROM jsonb_array_elements_text(r.retrieved) WITH ORDINALITY AS t(e, i) ORDER BY i), r.answer, r.citations, r.refused, r.latency_ms,
              r.cost_usd, r.trace_id, r.error
         FROM jsonb_to_recordset($2::jsonb) AS r(case_id text, sample integer, principals jsonb, metrics jsonb,
              retrieved jsonb, answer text, citations jsonb, refused boolean, latency_ms double precision,
              cost_usd double precision, trace_id text, error text)`,
      [runId, JSON.stringify(batch)],
    );
  }
}
