import type { Clock, EventBus, GroundworkConfig, Logger } from '../core/index.ts';
import { sourceSyncLags } from '../ingest/index.ts';
import type { Database } from '../store/index.ts';
import { budgetUsage } from './budgets.ts';
import { subscribeIngestTraces } from './ingest-traces.ts';
import { createMetricsRegistry } from './metrics-registry.ts';
import { createObserveMetrics, type ObserveMetrics } from './observe-metrics.ts';
import { createOtlpExporter, type OtlpExporter } from './otlp-exporter.ts';
import { buildPriceTable, type PriceTable } from './prices.ts';
import { type ExtraPurge, startTracePurgeSchedule } from './purge-traces.ts';
import { defaultTextRedactor, type TextRedactor } from './span-rows.ts';
import { createTraceRecorder, type TraceRecorder } from './trace-recorder.ts';

/** The running observe feature of one platform: recorder, metrics and (optionally) the OTLP exporter. */
export interface Observability {
  readonly metrics: ObserveMetrics;
  readonly recorder: TraceRecorder;
  /** Present when `observe.otlpEndpoint` is configured. */
  readonly exporter: OtlpExporter | undefined;
  readonly prices: PriceTable;
  /** Prometheus text exposition (0.0.4) for `/metrics`. */
  renderMetrics(): Promise<string>;
  /** Server and worker: purge traces older than `observe.retentionDays` a minute after start, then hourly. Returns a stop function. */
  startPurgeSchedule(intervalMs?: number): () => void;
  /** Flushes and stops recorder and exporter. */
  close(): Promise<void>;
}

export interface CreateObservabilityOptions {
  readonly db: Database;
  readonly events: EventBus;
  readonly config: GroundworkConfig['observe'];
  readonly logger: Logger;
  readonly clock: Clock;
  /** PII redaction for `textRetention: redact` (protect's `redactPii`); a conservative default otherwise. */
  readonly redact?: TextRedactor;
  readonly fetch?: typeof fetch;
  /** Schema of the job queue's tables (pg-boss `job`), for `groundwork_queue_depth` at scrape time. */
  readonly jobsSchema?: string;
  /** Purges other features run with the retention purge, in its transaction (adoption's `purgeUsageAnswers`). */
  readonly alsoPurge?: readonly ExtraPurge[];
}

export function createObservability(options: CreateObservabilityOptions): Observability {
  const { config, logger } = options;
  const metrics = createObserveMetrics(createMetricsRegistry());
  const prices = buildPriceTable(config.prices);
  const redact = options.redact ?? defaultTextRedactor;
  const exporter = config.otlpEndpoint
    ? createOtlpExporter({
        endpoint: config.otlpEndpoint,
        retention: config.textRetention,
        redact,
        metrics,
        logger,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      })
    : undefined;
  const recorder = createTraceRecorder({
    db: options.db,
    events: options.events,
    metrics,
    prices,
    retention: config.textRetention,
    redact,
    contextWarnRatio: config.contextWarnRatio,
    maxBufferedSpans: config.recorder.maxBufferedSpans,
    flushBatchSize: config.recorder.flushBatchSize,
    flushIntervalMs: config.recorder.flushIntervalMs,
    logger,
    ...(exporter ? { sinks: [exporter] } : {}),
  });
  // Sync runs become traces: ingestion publishes lifecycle events, not spans.
  const unsubscribeIngest = subscribeIngestTraces({ events: options.events, metrics });
  // Ingestion lag per source, read at scrape time.
  metrics.registry.addCollector(async () => {
    const lags = await sourceSyncLags(options.db);
    metrics.ingestLag.reset();
    for (const lag of lags) if (lag.lagSeconds !== null) metrics.ingestLag.set({ source: lag.name }, lag.lagSeconds);
  });
  // Queue depth from the job table itself (no pg-boss start at scrape; absent until the queue was first used).
  const jobsSchema = options.jobsSchema;
  if (jobsSchema && /^[a-z_][a-z0-9_]*$/.test(jobsSchema)) {
    metrics.registry.addCollector(async () => {
      const exists = await options.db.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [
        `${jobsSchema}.job`,
      ]);
      if (!exists.rows[0]?.present) return;
      const rows = await options.db.query<{ name: string; n: number }>(
        `SELECT name, count(*)::int AS n FROM ${jobsSchema}.job WHERE state IN ('created', 'retry', 'active') GROUP BY name`,
      );
      metrics.queueDepth.reset();
      for (const row of rows.rows) metrics.queueDepth.set({ queue: row.name }, Number(row.n));
    });
  }
  // Budget state for alerting, shared by every process through the store.
  metrics.registry.addCollector(async () => {
    const usage = await budgetUsage(options.db, options.clock.now());
    metrics.budgetUsed.reset();
    for (const row of usage) metrics.budgetUsed.set({ use_case: row.useCase, period: row.period }, row.ratio);
    const events = await options.db.query<{ use_case: string; kind: string; n: number }>(
      'SELECT use_case, kind, count(*)::int AS n FROM budget_events GROUP BY use_case, kind',
    );
    metrics.budgetEvents.reset();
    for (const row of events.rows) metrics.budgetEvents.set({ use_case: row.use_case, kind: row.kind }, Number(row.n));
  });
  return {
    metrics,
    recorder,
    exporter,
    prices,
    renderMetrics: () => metrics.registry.render(),
    startPurgeSchedule: (intervalMs) =>
      startTracePurgeSchedule({
        db: options.db,
        retentionDays: config.retentionDays,
        clock: options.clock,
        logger,
        ...(intervalMs === undefined ? {} : { intervalMs }),
        ...(options.alsoPurge ? { alsoPurge: options.alsoPurge } : {}),
      }),
    async close() {
      unsubscribeIngest();
      await recorder.close();
      await exporter?.close();
    },
  };
}
