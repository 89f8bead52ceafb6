import { z } from 'zod';
import { type ActionDeps, type AgentDeps, executeProposal } from './actions/index.ts';
import { assertMayUseUseCase, type VersionPin } from './answer/index.ts';
import { runClaimsProcessing } from './claims/index.ts';
import { type Caller, GroundworkError, newId } from './core/index.ts';
import type { Platform } from './create-platform.ts';
import {
  askThrough,
  type EvalAsk,
  type EvaluationReport,
  loadDataset,
  parseGate,
  runGatedEvaluation,
  runScheduledEvaluation,
} from './evaluate/index.ts';
import { authorize, recordAudit } from './govern/index.ts';
import { getSource, listSources, type SourceRecord, setSourceSchedule } from './ingest/index.ts';
import {
  createJobQueue,
  isJobName,
  type JobData,
  type JobInfo,
  type JobName,
  type JobQueue,
  type JobView,
  jobNames,
  jobTypeSettings,
} from './jobs/index.ts';
import { deliverAlertWebhook, evaluateMonitors, type MonitorDeps, monitorSystemCaller } from './monitor/index.ts';
import { buildPriceTable } from './observe/index.ts';

/**
 * The composition root for background work: every job type's handler, and the worker that consumes the
 * queue with them (`groundwork worker`; inside `groundwork serve` on the embedded store only).
 *
 * Extension point: a later kind of background work (a monitor, a document workflow, an agent action) adds
 * its contract and defaults to src/jobs/contracts.ts and its handler to `jobHandlers` below — the table is
 * typed by the contracts, so one without the other does not compile. Everything else — concurrency,
 * retries with backoff, dead letters, heartbeats, graceful shutdown, the jobs API, CLI and page — is generic.
 */
/** One configured evaluation schedule run now, on the platform's store and retriever (worker and CLI). */
export function runScheduledEvaluationOn(
  platform: Platform,
  schedule: Platform['config']['evaluation']['schedules'][number],
): ReturnType<typeof runScheduledEvaluation> {
  const { alertWebhookUrl } = platform.config.evaluation;
  return runScheduledEvaluation(
    {
      db: platform.db,
      tracer: platform.tracer,
      events: platform.events,
      clock: platform.clock,
      logger: platform.logger,
      search: (request) => platform.retriever.search(request),
      ...(alertWebhookUrl ? { webhookUrl: alertWebhookUrl } : {}),
    },
    schedule,
  );
}

/**
 * Runs a failed or dead-lettered job again and records who asked — the one retry for the HTTP route and the
 * local CLI. The redrive and the audit record are one transaction: pg-boss takes our transaction as its
 * connection (its `db` option), so a retry is never left unaudited and an audit record never names a retry
 * that did not happen.
 */
export async function retryJob(platform: Platform, caller: Caller, id: string, requestId?: string): Promise<JobView> {
  authorize(caller, 'jobs:write');
  return platform.jobs.retry(id, {
    inTransaction: async (tx, job) => {
      await recordAudit(
        tx,
        {
          actor: caller.id,
          action: 'job.retry',
          target: `job:${id}`,
          after: { id: job.id, type: job.name },
          ...(requestId ? { requestId } : {}),
        },
        platform.clock,
      );
    },
  });
}

/**
 * Starts an evaluation run for a worker — the one write path behind `POST /v1/eval/runs`: authorizes
 * (`eval:run`), fails fast on bad gates, unknown datasets and use cases the caller may not use, then enqueues
 * the `evaluation-run` job and records `eval.run.request` in one transaction. (The run itself is audited as
 * `eval.run` when the worker starts it, like a CLI run.)
 */
export async function startEvaluationRun(
  platform: Platform,
  caller: Caller,
  body: EvaluationRunRequest,
  requestId?: string,
): Promise<{ runId: string; jobId: string | null }> {
  authorize(caller, 'eval:run');
  body.failIf.forEach(parseGate);
  await loadDataset(platform.db, body.dataset);
  const pin = versionPin(body);
  if (body.mode === 'answer') {
    const name = body.useCase ?? 'default';
    assertMayUseUseCase(await platform.answerer.useCases.require(name), caller);
    // A pinned version must exist (and the prompt be versioned) before a job is queued for it.
    if (pin) await platform.answerer.target(name, pin);
  } else if (pin) {
    throw pinNeedsAnswerMode();
  }
  const runId = newId('evr');
  await platform.jobs.prepare('evaluation-run');
  return platform.db.transaction(async (tx) => {
    const jobId = await platform.jobs.send(
      'evaluation-run',
      {
        runId,
        request: body,
        caller: { id: caller.id, role: caller.role, principals: [...caller.principals], seesEverything: caller.seesEverything },
      },
      { tx },
    );
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'eval.run.request',
        target: `run:${runId}`,
        after: { dataset: body.dataset, mode: body.mode, useCase: body.useCase ?? null, labels: body.labels, jobId },
        ...(requestId ? { requestId } : {}),
      },
      platform.clock,
    );
    return { runId, jobId };
  });
}

/**
 * What the monitor feature takes from the platform (HTTP routes, CLI and the jobs below share it): the store,
 * clock, configuration, secrets (webhook HMAC secrets by env var), the queue (webhook deliveries are jobs),
 * governance (automatic rollbacks) and events.
 */
export function monitorDeps(platform: Platform, requestId?: string): MonitorDeps {
  return {
    db: platform.db,
    clock: platform.clock,
    config: platform.config,
    secrets: platform.secrets,
    jobs: platform.jobs,
    governance: platform.governance,
    events: platform.events,
    logger: platform.logger,
    ...(requestId ? { requestId } : {}),
  };
}

/** What the actions feature takes from the platform (routes, CLI, the `action-execute` job, MCP). */
export function actionDeps(platform: Platform, requestId?: string): ActionDeps {
  return {
    db: platform.db,
    registry: platform.actions,
    config: platform.config,
    jobs: platform.jobs,
    secrets: platform.secrets,
    clock: platform.clock,
    logger: platform.logger,
    ...(requestId ? { requestId } : {}),
  };
}

/** An agent's dependencies: the actions', plus search, the use case's model and the tracer. */
export function agentDeps(platform: Platform, requestId?: string): AgentDeps {
  return {
    ...actionDeps(platform, requestId),
    tracer: platform.tracer,
    search: (request) => platform.retriever.search(request),
    resolveUseCase: async (name) => platform.answerer.effectiveUseCase(name),
    models: platform.models,
    prices: buildPriceTable(platform.config.observe.prices),
    availability: (useCase, caller) => platform.rollout.check(useCase, caller),
    agentsConfig: platform.config.agents,
  };
}

export type WorkerJobHandler<N extends JobName> = (platform: Platform, data: JobData<N>, job: JobInfo) => Promise<unknown>;

export type JobHandlerTable = { readonly [N in JobName]: WorkerJobHandler<N> };

export const jobHandlers: JobHandlerTable = {
  // One source end to end. The sync is idempotent and crash-safe: a retried job (a killed worker, a
  // released job at shutdown) finds the finished documents unchanged and redoes only the rest.
  'sync-source': async (platform, data, job) =>
    platform.ingestion.sync({ source: data.source, trigger: data.trigger, signal: job.signal }),
  'evaluation-scheduled-run': async (platform, data) => {
    const { schedules } = platform.config.evaluation;
    const schedule = schedules.find((s) => s.name === data.schedule);
    // A schedule removed from the configuration may still fire once before the workers reconcile: skip it.
    if (!schedule) return { skipped: true, reason: `no evaluation schedule "${data.schedule}" in the configuration` };
    const { run, alerts } = await runScheduledEvaluationOn(platform, schedule);
    return { runId: run.runId, metrics: run.metrics, alerts: alerts.length };
  },
  'evaluation-run': async (platform, data) =>
    runApiEvaluation(platform, data.caller, evaluationRunBody.parse(data.request), data.runId),
  // Every due monitor, as the system (never on the answer path); alerts' notices are `monitor-webhook` jobs.
  'monitors-evaluate': async (platform) => {
    const results = await evaluateMonitors(monitorDeps(platform), monitorSystemCaller);
    return {
      evaluated: results.length,
      firing: results.filter((r) => r.state === 'firing').map((r) => r.name),
      alerts: results.filter((r) => r.alert).map((r) => ({ monitor: r.name, ...r.alert })),
    };
  },
  // Claims assessed as the caller who asked (their ACL decides which documents and policy terms are read).
  'claims-process': async (platform, data) => runClaimsProcessing(platform, data.caller, data.claims, data.trigger),
  'monitor-webhook': async (platform, data, job) =>
    deliverAlertWebhook(monitorDeps(platform), data.deliveryId, {
      retryCount: job.retryCount,
      retryLimit: jobTypeSettings(platform.config.jobs, 'monitor-webhook').retryLimit,
    }),
  // One approved proposal; a re-run after a crash resumes it with the same idempotency key (src/actions).
  'action-execute': async (platform, data) => executeProposal(actionDeps(platform), data.proposalId),
};

/** The body of `POST /v1/eval/runs`, also the `request` of an `evaluation-run` job. */
export const evaluationRunBody = z.strictObject({
  dataset: z.string().min(1).max(200).describe('name, name@version or dataset id'),
  mode: z.enum(['retrieval', 'answer']).default('retrieval'),
  useCase: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/)
    .optional(),
  depth: z.number().int().min(1).max(1000).default(100),
  repeat: z.number().int().min(1).max(10).default(1),
  concurrency: z.number().int().min(1).max(8).default(1),
  labels: z.array(z.string().min(1).max(100)).max(20).default([]),
  failIf: z.array(z.string().min(1).max(200)).max(50).default([]).describe('gates such as "ndcg@10 < 0.6"'),
  baseline: z.string().min(1).max(200).optional().describe('run id or label to compare against'),
  promptVersion: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("answer mode: answer with this version of the use case's versioned prompt instead of its production label"),
  modelVersion: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("answer mode: answer with this version of the use case's model configuration instead of its production label"),
});
export type EvaluationRunRequest = z.output<typeof evaluationRunBody>;

/** The versions an evaluation pins (`promptVersion` / `modelVersion`), or undefined. */
export function versionPin(options: { promptVersion?: number; modelVersion?: number }): VersionPin | undefined {
  if (options.promptVersion === undefined && options.modelVersion === undefined) return undefined;
  return {
    ...(options.promptVersion === undefined ? {} : { prompt: options.promptVersion }),
    ...(options.modelVersion === undefined ? {} : { model: options.modelVersion }),
  };
}

export function pinNeedsAnswerMode(): GroundworkError {
  return new GroundworkError('evaluate.pin_needs_answer_mode', 'A prompt or model version can only be pinned in answer mode.', {
    category: 'usage',
    fix: 'Add --mode answer --use-case NAME (API: "mode": "answer", "useCase"), or leave out the version.',
  });
}

/**
 * Starts one evaluation run as the CLI's `eval run` does: cases are asked as their own principals; the
 * report carries gates and, with a baseline, the paired comparison. The report's per-case view is what
 * `GET /v1/eval/runs/:id` shows the viewer (cases filtered by the viewer's principals).
 */
export async function runApiEvaluation(
  platform: Platform,
  caller: Caller,
  body: EvaluationRunRequest,
  runId: string,
): Promise<EvaluationReport> {
  let ask: EvalAsk | undefined;
  let snapshot: Record<string, unknown> = { retrieval: platform.config.retrieval };
  const pin = versionPin(body);
  if (body.mode === 'answer') {
    const name = body.useCase ?? 'default';
    const useCase = await platform.answerer.useCases.require(name);
    assertMayUseUseCase(useCase, caller);
    // The run records the versions its answers ran with: what a governed label move compares it with.
    const target = await platform.answerer.target(name, pin);
    ask = askThrough(platform.answerer, name, pin);
    snapshot = {
      ...snapshot,
      useCaseSettings: useCase,
      promptVersion: target.promptVersion,
      modelVersion: target.modelVersion,
      model: target.model,
    };
  } else if (pin) {
    throw pinNeedsAnswerMode();
  }
  const { report } = await runGatedEvaluation(
    {
      db: platform.db,
      tracer: platform.tracer,
      events: platform.events,
      clock: platform.clock,
      ids: (prefix) => (prefix === 'evr' ? runId : newId(prefix)),
      search: (request) => platform.retriever.search(request),
      ...(ask ? { ask, flushTraces: () => platform.observe.recorder.flush() } : {}),
    },
    {
      dataset: body.dataset,
      mode: body.mode,
      caller,
      // Cases without principals are asked as the caller (admin keys included: they never read past ACLs).
      ...(caller.seesEverything ? {} : { unscopedCaseCaller: caller }),
      depth: body.depth,
      repeat: body.repeat,
      concurrency: body.concurrency,
      gates: body.failIf.map(parseGate),
      baseline: body.baseline,
      viewer: caller,
      bootstrap: { resamples: platform.config.evaluation.bootstrapResamples, seed: platform.config.evaluation.bootstrapSeed },
      labels: body.labels,
      ...(body.useCase ? { useCase: body.useCase } : {}),
      snapshot,
    },
  );
  return report;
}

/** What the worker reports per finished attempt (the CLI prints it; never payload secrets). */
export interface JobEvent {
  readonly type: JobName;
  readonly id: string;
  readonly retryCount: number;
  readonly outcome: 'completed' | 'failed';
  readonly durationMs: number;
  readonly code?: string;
}

export interface WorkerOptions {
  /** Job types this worker consumes (default: every type). */
  readonly only?: readonly JobName[];
  /** Per type, jobs run at once by this process (overrides `jobs.types.<name>.concurrency`). */
  readonly concurrency?: Partial<Record<JobName, number>>;
  /** Jobs fetched per poll by each of those (default 1: long jobs should not wait behind each other). */
  readonly batchSize?: number;
  /** Replaces handlers (tests; plugins that wrap one). */
  readonly handlers?: Partial<JobHandlerTable>;
  readonly onJob?: (event: JobEvent) => void;
}

export interface Worker {
  readonly types: readonly JobName[];
  /** The worker's own queue (maintenance and cron on). */
  readonly queue: JobQueue;
  /** Jobs running in this process now. */
  running(): number;
  /**
   * Graceful shutdown: stops fetching, lets running jobs finish for `timeoutMs` (default
   * `jobs.shutdownTimeoutSeconds`), then aborts and releases the rest (failed → retried by another worker).
   */
  stop(options?: { readonly timeoutMs?: number }): Promise<void>;
}

/** `--only a,b`: job type names. @throws `jobs.unknown_type`. */
export function parseJobTypes(list: string): JobName[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !isJobName(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new GroundworkError(
      'jobs.unknown_type',
      `Unknown job type${unknown.length === 1 ? '' : 's'}: ${unknown.join(', ') || '(none)'}.`,
      {
        category: 'usage',
        fix: `Job types: ${jobNames.join(', ')}.`,
      },
    );
  }
  return names as JobName[];
}

/** Starts consuming the queue with every handler (or `only` those). Resolves once the workers are registered. */
export async function startWorker(platform: Platform, options: WorkerOptions = {}): Promise<Worker> {
  const types = options.only ? [...options.only] : [...jobNames];
  const queue = createJobQueue(platform.db, platform.logger, { config: platform.config.jobs, role: 'worker' });
  let running = 0;
  try {
    await reconcileSchedules(platform, queue, types);
    for (const type of types) {
      const handler = (options.handlers?.[type] ?? jobHandlers[type]) as WorkerJobHandler<typeof type>;
      const concurrency = options.concurrency?.[type] ?? jobTypeSettings(platform.config.jobs, type).concurrency;
      await queue.work(
        type,
        async (data, job) => {
          const started = performance.now();
          running += 1;
          try {
            const output = await handler(platform, data, job);
            options.onJob?.({
              type,
              id: job.id,
              retryCount: job.retryCount,
              outcome: 'completed',
              durationMs: performance.now() - started,
            });
            return output;
          } catch (error) {
            options.onJob?.({
              type,
              id: job.id,
              retryCount: job.retryCount,
              outcome: 'failed',
              durationMs: performance.now() - started,
              code: (error as { code?: string }).code ?? 'internal.unexpected',
            });
            throw error;
          } finally {
            running -= 1;
          }
        },
        { concurrency, ...(options.batchSize ? { batchSize: options.batchSize } : {}) },
      );
    }
  } catch (error) {
    await queue.stop({ timeoutMs: 1000 }).catch(() => {});
    throw error;
  }
  return {
    types,
    queue,
    running: () => running,
    async stop(stopOptions = {}) {
      await queue.stop({ timeoutMs: stopOptions.timeoutMs ?? platform.config.jobs.shutdownTimeoutSeconds * 1000 });
    },
  };
}

/**
 * `groundwork serve`'s in-process worker: on the embedded store (`jobs.serveWorker: auto`) one process holds
 * the store, so no `groundwork worker` can run beside it and the API process consumes the queue itself. In
 * server mode it is off unless `jobs.serveWorker: on`: long work belongs to worker processes.
 */
export async function startServeWorker(platform: Platform): Promise<Worker | undefined> {
  const setting = platform.config.jobs.serveWorker;
  if (setting === 'off' || (setting === 'auto' && platform.db.mode !== 'embedded')) return undefined;
  return startWorker(platform);
}

/**
 * Brings the queue's schedules in line with their records: a schedule per source with one (keyed by source
 * id) and per configured evaluation schedule (keyed by name); schedules whose record is gone are removed.
 * Every worker does it at start; pg-boss's keyed schedules and per-occurrence singleton make it idempotent,
 * and one occurrence sends one job however many workers run.
 */
export async function reconcileSchedules(
  platform: Platform,
  queue: JobQueue,
  types: readonly JobName[] = jobNames,
): Promise<void> {
  if (types.includes('sync-source')) {
    const sources = (await listSources(platform.db)).filter((s) => s.schedule);
    const keep = new Set(sources.map((s) => s.id));
    for (const source of sources) {
      await queue.schedule('sync-source', source.id, source.schedule as string, { source: source.id, trigger: 'schedule' });
    }
    for (const existing of await queue.schedules('sync-source')) {
      if (!keep.has(existing.key)) await queue.unschedule('sync-source', existing.key);
    }
  }
  if (types.includes('evaluation-scheduled-run')) {
    const schedules = platform.config.evaluation.schedules;
    for (const schedule of schedules) {
      await queue.schedule('evaluation-scheduled-run', schedule.name, schedule.cron, { schedule: schedule.name });
    }
    const keep = new Set(schedules.map((s) => s.name));
    for (const existing of await queue.schedules('evaluation-scheduled-run')) {
      if (!keep.has(existing.key)) await queue.unschedule('evaluation-scheduled-run', existing.key);
    }
  }
  // One schedule for all monitors (each monitor's `every` decides whether it is due at a pass).
  if (types.includes('monitors-evaluate')) {
    await queue.schedule('monitors-evaluate', 'monitors', platform.config.monitoring.schedule, { trigger: 'schedule' });
  }
}

/**
 * Sets (cron, UTC) or clears (`null`) a source's sync schedule: validated, stored on the source, registered
 * with the queue at once (a worker started later reconciles from the stored record anyway).
 * @throws `jobs.invalid_schedule`, `ingest.source_not_found`.
 */
export async function applySourceSchedule(platform: Platform, nameOrId: string, cron: string | null): Promise<SourceRecord> {
  const schedule = cron === null ? null : cron.trim();
  if (schedule !== null) platform.jobs.assertCron(schedule);
  const source = await setSourceSchedule(platform.db, (await getSource(platform.db, nameOrId)).id, schedule);
  if (schedule === null) await platform.jobs.unschedule('sync-source', source.id);
  else await platform.jobs.schedule('sync-source', source.id, schedule, { source: source.id, trigger: 'schedule' });
  return source;
}
