import { createHash } from 'node:crypto';
import { groundworkVersion, type Logger, type SpanRecord } from '../core/index.ts';
import type { ObserveMetrics } from './observe-metrics.ts';
import { retainText, type TextRedactor, type TextRetention, textAttributeKeys } from './span-rows.ts';

/**
 * Exports spans to an OpenTelemetry collector over OTLP/HTTP with JSON encoding
 * (`POST {endpoint}/v1/traces`, an `ExportTraceServiceRequest`).
 *
 * Hand-rolled rather than the @opentelemetry SDK: the wire format is one small JSON shape, our spans already
 * exist as records (we would have to re-create them through the SDK's API only to have them serialised), and
 * the SDK would add a dozen packages to every install. What we need from it — batching, retry with backoff,
 * a bounded queue — is fifty lines here.
 *
 * `enqueue` never blocks and never throws: beyond `maxQueue` spans are dropped and counted. Batches are sent
 * every `intervalMs` or when `batchSize` spans wait; 429, 5xx and network errors are retried with exponential
 * backoff up to `maxAttempts`, then dropped and counted; other 4xx are dropped at once (retrying cannot help).
 * Question and answer text follow the same retention policy as the trace store.
 */
export interface OtlpExporterOptions {
  /** Collector base URL, e.g. `http://otel-collector:4318`; `/v1/traces` is appended. */
  readonly endpoint: string;
  readonly serviceName?: string;
  readonly maxQueue?: number;
  readonly batchSize?: number;
  readonly intervalMs?: number;
  readonly maxAttempts?: number;
  /** First retry delay; doubles each attempt. */
  readonly retryDelayMs?: number;
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly retention: TextRetention;
  readonly redact: TextRedactor;
  readonly metrics?: ObserveMetrics;
  readonly logger?: Logger;
  readonly fetch?: typeof fetch;
}

export interface OtlpExporter {
  enqueue(span: SpanRecord): void;
  /** Sends everything queued now (with retries). Never rejects. */
  flush(): Promise<void>;
  close(): Promise<void>;
  readonly stats: { readonly exported: number; readonly dropped: number; readonly queued: number };
}

/** OTLP AnyValue (JSON mapping of the protobuf: int64 as a decimal string). */
export type OtlpAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: OtlpAnyValue[] } };

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpKeyValue[];
  status: { code: number; message?: string };
}

export interface OtlpExportRequest {
  resourceSpans: Array<{
    resource: { attributes: OtlpKeyValue[] };
    scopeSpans: Array<{ scope: { name: string; version: string }; spans: OtlpSpan[] }>;
  }>;
}

/** A deterministic OTel id: the first `hexLength` hex digits of sha256(our id). Non-zero by construction in practice. */
export function toOtelId(id: string, hexLength: 32 | 16): string {
  const hex = createHash('sha256').update(id).digest('hex').slice(0, hexLength);
  return /^0+$/.test(hex) ? `${hex.slice(0, -1)}1` : hex;
}

/** Epoch milliseconds (fractional) → nanoseconds as a decimal string, without float overflow. */
export function toUnixNano(ms: number): string {
  const whole = Math.floor(ms);
  const fraction = Math.round((ms - whole) * 1_000_000);
  return (BigInt(whole) * 1_000_000n + BigInt(fraction)).toString();
}

export function toAnyValue(value: unknown): OtlpAnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (typeof value === 'bigint') return { intValue: value.toString() };
  if (Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object')) {
    return { arrayValue: { values: value.map(toAnyValue) } };
  }
  // Structured values (retrieved chunk ids with scores, citations) travel as JSON strings.
  return { stringValue: JSON.stringify(value) };
}

const spanKindInternal = 1;
const spanKindClient = 3;

/** One span in OTLP shape, named per the GenAI conventions (`chat gpt-4o-mini`, `embeddings text-embedding-3-small`). */
export function toOtlpSpan(span: SpanRecord, retention: TextRetention, redact: TextRedactor): OtlpSpan {
  const operation = span.attributes['gen_ai.operation.name'];
  const model = span.attributes['gen_ai.request.model'];
  const name = typeof operation === 'string' ? `${operation}${typeof model === 'string' ? ` ${model}` : ''}` : span.name;
  const attributes: OtlpKeyValue[] = [];
  for (const [key, value] of Object.entries(span.attributes)) {
    if (value === undefined || value === null) continue;
    if ((textAttributeKeys as readonly string[]).includes(key)) {
      const text = retainText(value, retention, redact);
      if (text !== null) attributes.push({ key, value: { stringValue: text } });
      continue;
    }
    attributes.push({ key, value: toAnyValue(value) });
  }
  if (typeof operation === 'string') attributes.push({ key: 'groundwork.span.name', value: { stringValue: span.name } });
  if (span.error) {
    attributes.push({ key: 'error.type', value: { stringValue: span.error.code } });
  }
  return {
    traceId: toOtelId(span.traceId, 32),
    spanId: toOtelId(span.spanId, 16),
    ...(span.parentSpanId ? { parentSpanId: toOtelId(span.parentSpanId, 16) } : {}),
    name,
    kind: typeof operation === 'string' ? spanKindClient : spanKindInternal,
    startTimeUnixNano: toUnixNano(span.startTime),
    endTimeUnixNano: toUnixNano(span.endTime),
    attributes,
    status: span.status === 'ok' ? { code: 1 } : { code: 2, message: span.error?.message ?? 'error' },
  };
}

export function toExportRequest(spans: readonly OtlpSpan[], serviceName: string): OtlpExportRequest {
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: serviceName } },
            { key: 'service.version', value: { stringValue: groundworkVersion } },
            { key: 'telemetry.sdk.name', value: { stringValue: 'groundwork' } },
          ],
        },
        scopeSpans: [{ scope: { name: 'groundwork', version: groundworkVersion }, spans: [...spans] }],
      },
    ],
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export function createOtlpExporter(options: OtlpExporterOptions): OtlpExporter {
  const url = `${options.endpoint.replace(/\/+$/, '')}/v1/traces`;
  const maxQueue = options.maxQueue ?? 2_048;
  const batchSize = options.batchSize ?? 256;
  const maxAttempts = options.maxAttempts ?? 4;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch = options.fetch ?? fetch;
  const serviceName = options.serviceName ?? 'groundwork';
  let queue: SpanRecord[] = [];
  let exported = 0;
  let dropped = 0;
  let closed = false;
  let chain: Promise<void> = Promise.resolve();

  const drop = (count: number, reason: string) => {
    dropped += count;
    options.metrics?.otlpDropped.inc({ reason }, count);
  };

  const send = async (batch: SpanRecord[]) => {
    const body = JSON.stringify(
      toExportRequest(
        batch.map((span) => toOtlpSpan(span, options.retention, options.redact)),
        serviceName,
      ),
    );
    for (let attempt = 1; ; attempt++) {
      let retryable: boolean;
      let problem: string;
      try {
        const response = await doFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...options.headers },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) {
          exported += batch.length;
          options.metrics?.otlpExported.inc(undefined, batch.length);
          return;
        }
        retryable = response.status === 429 || response.status >= 500;
        problem = `HTTP ${response.status}`;
      } catch (error) {
        retryable = true;
        problem = error instanceof Error ? error.message : String(error);
      }
      if (!retryable || attempt >= maxAttempts) {
        drop(batch.length, retryable ? 'retries_exhausted' : 'rejected');
        options.logger?.warn('OTLP export failed; spans dropped', { spans: batch.length, attempts: attempt, problem });
        return;
      }
      await sleep(retryDelayMs * 2 ** (attempt - 1));
    }
  };

  const drain = async () => {
    while (queue.length > 0) {
      const batch = queue.slice(0, batchSize);
      queue = queue.slice(batch.length);
      await send(batch);
    }
  };
  const flush = (): Promise<void> => {
    chain = chain.then(drain, drain);
    return chain;
  };

  const timer = setInterval(() => {
    if (queue.length > 0) void flush();
  }, options.intervalMs ?? 2_000);
  timer.unref();

  return {
    enqueue(span) {
      if (closed) return;
      if (queue.length >= maxQueue) {
        drop(1, 'queue_full');
        return;
      }
      queue.push(span);
      if (queue.length === batchSize) setImmediate(() => void flush());
    },
    flush,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await flush();
    },
    get stats() {
      return { exported, dropped, queued: queue.length };
    },
  };
}
