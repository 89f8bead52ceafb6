import type { EventBus, Logger, SpanRecord } from '../core/index.ts';
import type { Database } from '../store/index.ts';
import type { ObserveMetrics } from './observe-metrics.ts';
import type { PriceTable } from './prices.ts';
import {
  outcomeOf,
  type SpanRow,
  type TextRedactor,
  type TextRetention,
  type TraceRow,
  toSpanRow,
  toTraceRow,
} from './span-rows.ts';

/**
 * Records `span-end` events as traces and spans.
 *
 * The request path only pushes the span onto an in-memory buffer and bumps a few counters; pricing, redaction
 * and the batched INSERTs happen later, off the request path: when `flushBatchSize` spans are waiting, every
 * `flushIntervalMs`, and on close. Memory is bounded by `maxBufferedSpans`: beyond it spans are dropped and
 * counted (`groundwork_trace_spans_dropped_total{reason="buffer_full"}`), never blocking the request. A failed
 * batch write is logged and its spans are counted as dropped (`reason="write_failed"`): traces are
 * best-effort, requests are not.
 *
 * A trace row is written when its root span (no parent) arrives; its token and cost totals are recomputed
 * from its spans in SQL whenever spans of that trace are written, so spans that end after the root still count.
 */
export interface TraceRecorder {
  /** Writes everything buffered now. Resolves when written (or dropped on failure); never rejects. */
  flush(): Promise<void>;
  /** Stops listening, flushes, and stops the timer. */
  close(): Promise<void>;
  readonly stats: TraceRecorderStats;
}

export interface TraceRecorderStats {
  readonly recorded: number;
  readonly dropped: number;
  readonly buffered: number;
  readonly writeFailures: number;
}

/** Receives every span as it ends (the OTLP exporter); must return immediately. */
export interface SpanSink {
  enqueue(span: SpanRecord): void;
}

export interface TraceRecorderOptions {
  readonly db: Database;
  readonly events: EventBus;
  readonly metrics: ObserveMetrics;
  readonly prices: PriceTable;
  readonly retention: TextRetention;
  readonly redact: TextRedactor;
  readonly contextWarnRatio: number;
  readonly maxBufferedSpans: number;
  readonly flushBatchSize: number;
  readonly flushIntervalMs: number;
  readonly logger: Logger;
  readonly sinks?: readonly SpanSink[];
}

/** Largest number of spans written in one transaction. */
const maxSpansPerWrite = 2_000;

const spanColumns = `trace_id text, span_id text, parent_span_id text, name text, started_at timestamptz, ended_at timestamptz,
  duration_ms double precision, status text, error_code text, error_message text, model text, provider text,
  input_tokens bigint, output_tokens bigint, embedding_tokens bigint, cost_usd double precision,
  context_near_limit boolean, attributes jsonb`;
const spanNames = `trace_id, span_id, parent_span_id, name, started_at, ended_at, duration_ms, status, error_code,
  error_message, model, provider, input_tokens, output_tokens, embedding_tokens, cost_usd, context_near_limit, attributes`;
const traceColumns = `id text, operation text, name text, caller_id text, caller_sees_everything boolean, use_case text,
  prompt_version text, model text, provider text, started_at timestamptz, ended_at timestamptz, duration_ms double precision,
  status text, outcome text, error_code text, confidence double precision, context_near_limit boolean, question text,
  answer text, text_retention text, attributes jsonb`;
const traceNames = `id, operation, name, caller_id, caller_sees_everything, use_case, prompt_version, model, provider,
  started_at, ended_at, duration_ms, status, outcome, error_code, confidence, context_near_limit, question, answer,
  text_retention, attributes`;

// Totals come from the spans; `previous` (read before the update) lets the cost counter grow by the difference.
const aggregateSql = `
  UPDATE traces t SET
    input_tokens = a.input_tokens,
    output_tokens = a.output_tokens,
    embedding_tokens = a.embedding_tokens,
    cost_usd = a.cost_usd,
    context_near_limit = t.context_near_limit OR a.near_limit,
    model = COALESCE(t.model, a.model),
    provider = COALESCE(t.provider, a.provider)
  FROM (
    SELECT s.trace_id,
      sum(s.input_tokens) AS input_tokens,
      sum(s.output_tokens) AS output_tokens,
      sum(s.embedding_tokens) AS embedding_tokens,
      sum(s.cost_usd) AS cost_usd,
      bool_or(s.context_near_limit) AS near_limit,
      (array_agg(s.model ORDER BY s.started_at) FILTER (WHERE s.model IS NOT NULL AND s.embedding_tokens = 0))[1] AS model,
      (array_agg(s.provider ORDER BY s.started_at) FILTER (WHERE s.provider IS NOT NULL AND s.embedding_tokens = 0))[1] AS provider,
      (SELECT p.cost_usd FROM traces p WHERE p.id = s.trace_id) AS previous_cost
    FROM spans s
    WHERE s.trace_id = ANY($1::text[])
    GROUP BY s.trace_id
  ) a
  WHERE t.id = a.trace_id
  RETURNING t.operation, t.use_case, a.cost_usd - a.previous_cost AS added_cost`;

export function createTraceRecorder(options: TraceRecorderOptions): TraceRecorder {
  const { metrics } = options;
  let buffer: SpanRecord[] = [];
  let recorded = 0;
  let dropped = 0;
  let writeFailures = 0;
  let scheduled = false;
  let closed = false;
  let chain: Promise<void> = Promise.resolve();
  const rowContext = {
    prices: options.prices,
    contextWarnRatio: options.contextWarnRatio,
    retention: options.retention,
    redact: options.redact,
  };

  const drop = (count: number, reason: 'buffer_full' | 'write_failed') => {
    dropped += count;
    metrics.spansDropped.inc({ reason }, count);
  };

  // The request path: keep it to a push and a few counter updates.
  const onSpan = (span: SpanRecord) => {
    for (const sink of options.sinks ?? []) sink.enqueue(span);
    if (span.parentSpanId === undefined) {
      const operation = String(span.attributes['groundwork.operation'] ?? span.name);
      const useCase = typeof span.attributes['groundwork.use_case'] === 'string' ? span.attributes['groundwork.use_case'] : '';
      const outcome = outcomeOf(span);
      const labels = { operation, use_case: useCase, outcome };
      metrics.requests.inc(labels);
      metrics.requestDuration.observe(labels, Math.max(0, span.endTime - span.startTime) / 1000);
      if (outcome === 'refused') metrics.refusals.inc({ use_case: useCase });
      if (span.name === 'sync' || operation === 'sync') {
        const source = typeof span.attributes['groundwork.source'] === 'string' ? span.attributes['groundwork.source'] : '';
        metrics.ingestSyncs.inc({ source, status: span.status });
        if (span.status === 'error') metrics.ingestFailures.inc({ source, kind: 'sync' });
      }
    }
    if (closed) return;
    if (buffer.length >= options.maxBufferedSpans) {
      drop(1, 'buffer_full');
      return;
    }
    buffer.push(span);
    if (buffer.length >= options.flushBatchSize && !scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        void flush();
      });
    }
  };

  const write = async (batch: SpanRecord[]) => {
    const spanRows: SpanRow[] = [];
    const traceRows: TraceRow[] = [];
    for (const span of batch) {
      spanRows.push(toSpanRow(span, rowContext));
      if (span.parentSpanId === undefined) traceRows.push(toTraceRow(span, rowContext));
    }
    const traceIds = [...new Set(spanRows.map((row) => row.trace_id))];
    const added = await options.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO spans (${spanNames}) SELECT ${spanNames} FROM jsonb_to_recordset($1::jsonb) AS x(${spanColumns})
         ON CONFLICT (trace_id, span_id) DO NOTHING`,
        [JSON.stringify(spanRows)],
      );
      if (traceRows.length > 0) {
        await tx.query(
          `INSERT INTO traces (${traceNames}) SELECT ${traceNames} FROM jsonb_to_recordset($1::jsonb) AS x(${traceColumns})
           ON CONFLICT (id) DO NOTHING`,
          [JSON.stringify(traceRows)],
        );
      }
      return tx.query<{ operation: string; use_case: string | null; added_cost: number | null }>(aggregateSql, [traceIds]);
    });
    for (const row of added.rows) {
      const cost = Number(row.added_cost ?? 0);
      if (cost > 0) metrics.costUsd.inc({ operation: row.operation, use_case: row.use_case ?? '' }, cost);
    }
    for (const row of spanRows) {
      const model = row.model ?? '';
      if (row.input_tokens > 0) metrics.tokens.inc({ direction: 'input', model }, row.input_tokens);
      if (row.output_tokens > 0) metrics.tokens.inc({ direction: 'output', model }, row.output_tokens);
      if (row.embedding_tokens > 0) metrics.tokens.inc({ direction: 'embedding', model }, row.embedding_tokens);
      if (row.context_near_limit)
        metrics.contextNearLimit.inc({ use_case: String(row.attributes['groundwork.use_case'] ?? ''), model });
    }
    recorded += batch.length;
    metrics.spansRecorded.inc(undefined, batch.length);
  };

  const drain = async () => {
    while (buffer.length > 0) {
      const batch = buffer.length <= maxSpansPerWrite ? buffer : buffer.slice(0, maxSpansPerWrite);
      buffer = buffer.length <= maxSpansPerWrite ? [] : buffer.slice(maxSpansPerWrite);
      metrics.traceBuffer.set({}, buffer.length);
      try {
        await write(batch);
      } catch (error) {
        writeFailures += 1;
        metrics.traceWriteFailures.inc();
        drop(batch.length, 'write_failed');
        options.logger.warn('trace batch write failed; spans dropped', { spans: batch.length, error });
      }
    }
    metrics.traceBuffer.set({}, 0);
  };

  // One drain at a time: batches are written in order and never concurrently (the embedded store has one connection).
  const flush = (): Promise<void> => {
    chain = chain.then(drain, drain);
    return chain;
  };

  const unsubscribe = options.events.subscribe('span-end', onSpan);
  const timer = setInterval(() => {
    if (buffer.length > 0) void flush();
  }, options.flushIntervalMs);
  timer.unref();

  return {
    flush,
    async close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(timer);
      await flush();
    },
    get stats() {
      return { recorded, dropped, buffered: buffer.length, writeFailures };
    },
  };
}
