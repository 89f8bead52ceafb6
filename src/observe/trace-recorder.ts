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
 * A trace row is written when its root span (no parent) arrives. Its token and cost totals are summed in
 * memory when the whole trace is in one batch (the common case: children end before their root). When a
 * trace is split across batches — children written before the root, or a child ending after it — the
 * totals are recomputed from its spans in SQL. The recorder remembers the last `trackedTraces` split or
 * finished traces for this; beyond that a very late span is still stored but no longer added to its trace's totals.
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
/** Trace ids remembered to detect traces split across batches (each set is bounded by this). */
const trackedTraces = 50_000;

/** A bounded insertion-ordered set: adding beyond `limit` forgets the oldest entries. */
function remember(set: Set<string>, id: string): void {
  set.delete(id);
  set.add(id);
  if (set.size > trackedTraces) {
    const oldest = set.values().next().value;
    if (oldest !== undefined) set.delete(oldest);
  }
}

const spanColumns = `trace_id text, span_id text, parent_span_id text, name text, started_at timestamptz, ended_at timestamptz,
  duration_ms double precision, status text, error_code text, error_message text, model text, provider text,
  input_tokens bigint, output_tokens bigint, embedding_tokens bigint, cost_usd double precision,
  context_near_limit boolean, attributes jsonb`;
const spanNames = `trace_id, span_id, parent_span_id, name, started_at, ended_at, duration_ms, status, error_code,
  error_message, model, provider, input_tokens, output_tokens, embedding_tokens, cost_usd, context_near_limit, attributes`;
const traceColumns = `id text, operation text, name text, caller_id text, caller_sees_everything boolean, use_case text,
  prompt_version text, model text, provider text, started_at timestamptz, ended_at timestamptz, duration_ms double precision,
  status text, outcome text, error_code text, confidence double precision, context_near_limit boolean, question text,
  answer text, text_retention text, attributes jsonb, input_tokens bigint, output_tokens bigint, embedding_tokens bigint,
  cost_usd double precision`;
const traceNames = `id, operation, name, caller_id, caller_sees_everything, use_case, prompt_version, model, provider,
  started_at, ended_at, duration_ms, status, outcome, error_code, confidence, context_near_limit, question, answer,
  text_retention, attributes, input_tokens, output_tokens, embedding_tokens, cost_usd`;

// For traces split across batches: totals from all their spans; `previous` (read before the update) lets the
// cost counter grow by the difference.
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
  RETURNING t.id, t.operation, t.use_case, a.cost_usd - COALESCE(a.previous_cost, 0) AS added_cost`;

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
        const status = span.attributes['groundwork.sync.status'];
        metrics.ingestSyncs.inc({ source, status: typeof status === 'string' ? status : span.status });
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

  // Traces with spans written before their root, and traces whose root is written (for late children).
  const rootless = new Set<string>();
  const finished = new Set<string>();

  const write = async (batch: SpanRecord[]) => {
    const spanRows: SpanRow[] = [];
    const traceRows = new Map<string, TraceRow>();
    for (const span of batch) {
      spanRows.push(toSpanRow(span, rowContext));
      if (span.parentSpanId === undefined) traceRows.set(span.traceId, toTraceRow(span, rowContext));
    }
    // Totals in memory for traces complete in this batch; SQL recomputation for traces split across batches.
    const split = new Set<string>();
    const chatModel = new Map<string, SpanRow>();
    for (const row of spanRows) {
      const trace = traceRows.get(row.trace_id);
      if (!trace) {
        if (finished.has(row.trace_id)) split.add(row.trace_id);
        continue;
      }
      if (rootless.has(row.trace_id)) split.add(row.trace_id);
      trace.input_tokens += row.input_tokens;
      trace.output_tokens += row.output_tokens;
      trace.embedding_tokens += row.embedding_tokens;
      trace.cost_usd += row.cost_usd;
      trace.context_near_limit ||= row.context_near_limit;
      if (row.model && row.embedding_tokens === 0) {
        const first = chatModel.get(row.trace_id);
        if (!first || row.started_at < first.started_at) chatModel.set(row.trace_id, row);
      }
    }
    for (const [traceId, row] of chatModel) {
      const trace = traceRows.get(traceId);
      if (trace && !trace.model) {
        trace.model = row.model;
        trace.provider = row.provider;
      }
    }
    const added = await options.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO spans (${spanNames}) SELECT ${spanNames} FROM jsonb_to_recordset($1::jsonb) AS x(${spanColumns})
         ON CONFLICT (trace_id, span_id) DO NOTHING`,
        [JSON.stringify(spanRows)],
      );
      if (traceRows.size > 0) {
        await tx.query(
          `INSERT INTO traces (${traceNames}) SELECT ${traceNames} FROM jsonb_to_recordset($1::jsonb) AS x(${traceColumns})
           ON CONFLICT (id) DO NOTHING`,
          [JSON.stringify([...traceRows.values()])],
        );
      }
      if (split.size === 0) return [];
      const result = await tx.query<{ id: string; operation: string; use_case: string | null; added_cost: number | null }>(
        aggregateSql,
        [[...split]],
      );
      return result.rows;
    });
    for (const row of spanRows) {
      if (traceRows.has(row.trace_id)) continue;
      if (!finished.has(row.trace_id)) remember(rootless, row.trace_id);
    }
    for (const traceId of traceRows.keys()) {
      rootless.delete(traceId);
      remember(finished, traceId);
    }
    // In-memory totals, plus for split traces the difference SQL found (their spans from other batches).
    for (const trace of traceRows.values()) {
      if (trace.cost_usd > 0) metrics.costUsd.inc({ operation: trace.operation, use_case: trace.use_case ?? '' }, trace.cost_usd);
    }
    for (const row of added) {
      const cost = Number(row.added_cost ?? 0);
      if (cost > 0) metrics.costUsd.inc({ operation: row.operation, use_case: row.use_case ?? '' }, cost);
    }
    for (const row of spanRows) {
      const model = row.model ?? '';
      if (row.input_tokens > 0) metrics.tokens.inc({ direction: 'input', model }, row.input_tokens);
      if (row.output_tokens > 0) metrics.tokens.inc({ direction: 'output', model }, row.output_tokens);
      if (row.embedding_tokens > 0) metrics.tokens.inc({ direction: 'embedding', model }, row.embedding_tokens);
      if (row.context_near_limit) {
        const useCase = traceRows.get(row.trace_id)?.use_case ?? String(row.attributes['groundwork.use_case'] ?? '');
        metrics.contextNearLimit.inc({ use_case: useCase, model });
      }
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
