import type { EventBus } from './events.ts';
import { newId } from './ids.ts';

/**
 * Spans as typed lifecycle events.
 *
 * Features do not write traces: they open spans around their work and the tracer publishes `span-end`
 * events on the EventBus; the observe feature subscribes and records (buffered, batched), prices and exports
 * them. A span never throws into the work it measures.
 *
 * Attribute keys follow the OpenTelemetry GenAI semantic conventions where one exists (`gen_ai.*`) and use
 * `groundwork.*` otherwise. Values are JSON-serialisable. Never put secrets in attributes; question and answer
 * text go under `groundwork.question` / `groundwork.answer`, which the recorder stores according to the
 * retention and redaction policy.
 */

export interface SpanContext {
  readonly traceId: string;
  readonly spanId: string;
}

/** Well-known attributes; any other `groundwork.*` key is allowed. */
export interface SpanAttributes {
  'groundwork.operation'?: 'search' | 'answer' | 'sync' | 'evaluation' | 'ingest' | 'agent' | 'document';
  'groundwork.caller'?: string;
  'groundwork.caller.sees_everything'?: boolean;
  'groundwork.use_case'?: string;
  'groundwork.prompt.version'?: string;
  'groundwork.question'?: string;
  'groundwork.answer'?: string;
  'groundwork.mode'?: string;
  /** Retrieved chunks with scores (ids only; never chunk text). */
  'groundwork.retrieved'?: ReadonlyArray<{ chunkId: string; documentId: string; score: number }>;
  'groundwork.citations'?: ReadonlyArray<{ n: number; chunkId: string; documentId: string }>;
  'groundwork.citations.removed'?: number;
  'groundwork.confidence'?: number;
  'groundwork.refused'?: boolean;
  'groundwork.refusal.reason'?: string;
  /** What was redacted (type → count) and what was blocked by the egress policy. */
  'groundwork.egress.redacted'?: Readonly<Record<string, number>>;
  'groundwork.egress.blocked'?: number;
  'groundwork.egress.provider'?: string;
  'groundwork.source'?: string;
  'groundwork.documents'?: number;
  'groundwork.pages'?: number;
  'groundwork.ocr.pages'?: number;
  'groundwork.context.tokens'?: number;
  'groundwork.context.limit'?: number;
  'gen_ai.operation.name'?: 'chat' | 'embeddings' | 'rerank' | 'text_completion';
  'gen_ai.provider.name'?: string;
  'gen_ai.request.model'?: string;
  'gen_ai.response.model'?: string;
  'gen_ai.request.temperature'?: number;
  'gen_ai.request.max_tokens'?: number;
  'gen_ai.usage.input_tokens'?: number;
  'gen_ai.usage.output_tokens'?: number;
  readonly [key: `groundwork.${string}` | `gen_ai.${string}`]: unknown;
}

export interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  /** `answer`, `retrieve`, `retrieve.lexical`, `retrieve.vector`, `retrieve.fusion`, `retrieve.rerank`,
   * `assemble`, `generate`, `groundedness`, `search`, `sync`, `parse`, `ocr`, `embed`, `evaluation`, … */
  readonly name: string;
  /** Epoch milliseconds (fractional). */
  readonly startTime: number;
  readonly endTime: number;
  readonly status: 'ok' | 'error';
  readonly error?: { readonly code: string; readonly message: string };
  readonly attributes: SpanAttributes;
}

declare module './events.ts' {
  interface GroundworkEventMap {
    'span-end': SpanRecord;
  }
}

export interface ActiveSpan {
  readonly context: SpanContext;
  setAttributes(attributes: SpanAttributes): void;
  /** Ends the span once; later calls are ignored. */
  end(): void;
  /** Ends the span with an error status (code from GroundworkError when available). */
  fail(error: unknown): void;
}

export interface Tracer {
  /** Starts a span; without a parent it starts a new trace. */
  startSpan(name: string, parent?: SpanContext, attributes?: SpanAttributes): ActiveSpan;
  /** Runs `work` inside a span: ends it on success, fails it (and rethrows) on error. */
  inSpan<T>(
    name: string,
    parent: SpanContext | undefined,
    work: (span: ActiveSpan) => Promise<T>,
    attributes?: SpanAttributes,
  ): Promise<T>;
}

export function createTracer(events: EventBus, now: () => number = () => performance.timeOrigin + performance.now()): Tracer {
  const startSpan: Tracer['startSpan'] = (name, parent, initial) => {
    const context: SpanContext = { traceId: parent?.traceId ?? newId('trc'), spanId: newId('spn') };
    const startTime = now();
    const attributes: Record<string, unknown> = { ...initial };
    let ended = false;
    const finish = (status: 'ok' | 'error', error?: { code: string; message: string }) => {
      if (ended) return;
      ended = true;
      events.publish('span-end', {
        traceId: context.traceId,
        spanId: context.spanId,
        parentSpanId: parent?.spanId,
        name,
        startTime,
        endTime: now(),
        status,
        ...(error ? { error } : {}),
        attributes: attributes as SpanAttributes,
      });
    };
    return {
      context,
      setAttributes(more) {
        Object.assign(attributes, more);
      },
      end: () => finish('ok'),
      fail(error) {
        const err = error as { code?: unknown; message?: unknown };
        finish('error', {
          code: typeof err?.code === 'string' ? err.code : 'internal.unexpected',
          message: typeof err?.message === 'string' ? err.message : String(error),
        });
      },
    };
  };
  return {
    startSpan,
    async inSpan(name, parent, work, attributes) {
      const span = startSpan(name, parent, attributes);
      try {
        const result = await work(span);
        span.end();
        return result;
      } catch (error) {
        span.fail(error);
        throw error;
      }
    },
  };
}
