import type { Counter, Gauge, Histogram, MetricsRegistry } from './metrics-registry.ts';

/**
 * The operator metrics Groundwork exposes on `/metrics`. Refusal rate is
 * `groundwork_refusals_total / groundwork_requests_total{operation="answer"}`; ingestion lag is
 * `groundwork_ingest_lag_seconds` (refreshed from the store at scrape time).
 */
export interface ObserveMetrics {
  readonly registry: MetricsRegistry;
  /** Finished requests (root spans) by operation, use case and outcome. */
  readonly requests: Counter;
  readonly requestDuration: Histogram;
  /** Tokens by direction (`input`, `output`, `embedding`) and model. */
  readonly tokens: Counter;
  readonly costUsd: Counter;
  readonly refusals: Counter;
  /** Model calls whose context used more than `observe.contextWarnRatio` of the window. */
  readonly contextNearLimit: Counter;
  readonly spansRecorded: Counter;
  /** Spans dropped because the buffer was full or a batch write failed. */
  readonly spansDropped: Counter;
  readonly traceBuffer: Gauge;
  readonly traceWriteFailures: Counter;
  readonly otlpExported: Counter;
  readonly otlpDropped: Counter;
  readonly ingestSyncs: Counter;
  readonly ingestFailures: Counter;
  readonly ingestLag: Gauge;
  /** Jobs waiting, by queue; set by the jobs feature or a collector. */
  readonly queueDepth: Gauge;
  /** Warnings and blocks recorded by any process (read from `budget_events` at scrape). */
  readonly budgetEvents: Gauge;
  /** Spend / limit per use case and period (`day`, `month`), read at scrape: alert on it before blocks happen. */
  readonly budgetUsed: Gauge;
}

export function createObserveMetrics(registry: MetricsRegistry): ObserveMetrics {
  return {
    registry,
    requests: registry.counter('groundwork_requests_total', 'Finished requests (traces) by operation, use case and outcome.', [
      'operation',
      'use_case',
      'outcome',
    ]),
    requestDuration: registry.histogram('groundwork_request_duration_seconds', 'Request latency in seconds.', [
      'operation',
      'use_case',
      'outcome',
    ]),
    tokens: registry.counter('groundwork_tokens_total', 'Model tokens by direction (input, output, embedding) and model.', [
      'direction',
      'model',
    ]),
    costUsd: registry.counter('groundwork_cost_usd_total', 'Estimated model and OCR spend in US dollars.', [
      'operation',
      'use_case',
    ]),
    refusals: registry.counter('groundwork_refusals_total', 'Answers refused (no grounded answer possible).', ['use_case']),
    contextNearLimit: registry.counter(
      'groundwork_context_near_limit_total',
      "Model calls using more than observe.contextWarnRatio of the model's context window.",
      ['use_case', 'model'],
    ),
    spansRecorded: registry.counter('groundwork_trace_spans_recorded_total', 'Spans written to the trace store.'),
    spansDropped: registry.counter(
      'groundwork_trace_spans_dropped_total',
      'Spans not recorded (buffer full or write failed), by reason.',
      ['reason'],
    ),
    traceBuffer: registry.gauge('groundwork_trace_buffer_spans', 'Spans waiting in memory to be written.'),
    traceWriteFailures: registry.counter('groundwork_trace_write_failures_total', 'Failed trace batch writes.'),
    otlpExported: registry.counter('groundwork_otlp_spans_exported_total', 'Spans accepted by the OTLP endpoint.'),
    otlpDropped: registry.counter('groundwork_otlp_spans_dropped_total', 'Spans not exported over OTLP, by reason.', ['reason']),
    ingestSyncs: registry.counter('groundwork_ingest_syncs_total', 'Finished source syncs by source and status.', [
      'source',
      'status',
    ]),
    ingestFailures: registry.counter('groundwork_ingest_failures_total', 'Failed syncs and quarantined documents by source.', [
      'source',
      'kind',
    ]),
    ingestLag: registry.gauge('groundwork_ingest_lag_seconds', 'Seconds since the last successful sync, by source.', ['source']),
    queueDepth: registry.gauge('groundwork_queue_depth', 'Jobs waiting, by queue.', ['queue']),
    budgetEvents: registry.gauge(
      'groundwork_budget_events',
      'Budget warnings and blocks recorded (all processes), by use case and kind.',
      ['use_case', 'kind'],
    ),
    budgetUsed: registry.gauge('groundwork_budget_used_ratio', 'Spend divided by the budget limit, by use case and period.', [
      'use_case',
      'period',
    ]),
  };
}
