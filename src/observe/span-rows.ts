import { redactForLog, type SpanRecord } from '../core/index.ts';
import { type PriceTable, spanUsage } from './prices.ts';

/** What `observe.textRetention` does with question and answer text. */
export type TextRetention = 'keep' | 'redact' | 'drop';

/** Replaces PII in free text with placeholders. protect's `redactPii` when available; a conservative default otherwise. */
export type TextRedactor = (text: string) => string;

/** Masks e-mail addresses, SSN-like and card-like numbers (the logger's rules); protect's detector does more. */
export const defaultTextRedactor: TextRedactor = (text) => String(redactForLog(text));

/** Attributes holding free text that never go into stored or exported attributes verbatim. */
export const textAttributeKeys = ['groundwork.question', 'groundwork.answer'] as const;

export interface SpanRowContext {
  readonly prices: PriceTable;
  readonly contextWarnRatio: number;
}

/** A `spans` row, in the JSON shape fed to `jsonb_to_recordset`. */
export interface SpanRow {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  started_at: string;
  ended_at: string;
  duration_ms: number;
  status: 'ok' | 'error';
  error_code: string | null;
  error_message: string | null;
  model: string | null;
  provider: string | null;
  input_tokens: number;
  output_tokens: number;
  embedding_tokens: number;
  cost_usd: number;
  context_near_limit: boolean;
  attributes: Record<string, unknown>;
}

/** A `traces` row built from the root span (aggregates are filled in from the spans by SQL). */
export interface TraceRow {
  id: string;
  operation: string;
  name: string;
  caller_id: string | null;
  caller_sees_everything: boolean;
  use_case: string | null;
  prompt_version: string | null;
  model: string | null;
  provider: string | null;
  started_at: string;
  ended_at: string;
  duration_ms: number;
  status: 'ok' | 'error';
  outcome: string;
  error_code: string | null;
  confidence: number | null;
  context_near_limit: boolean;
  question: string | null;
  answer: string | null;
  text_retention: TextRetention;
  attributes: Record<string, unknown>;
  /** Totals over the trace's spans; filled in by the recorder. */
  input_tokens: number;
  output_tokens: number;
  embedding_tokens: number;
  cost_usd: number;
}

/** Epoch milliseconds (fractional) → ISO 8601 with microseconds, the precision of timestamptz (spans often start < 1 ms apart). */
export function isoMicros(ms: number): string {
  const whole = Math.floor(ms);
  const micros = Math.min(999, Math.round((ms - whole) * 1000));
  return new Date(whole).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
}

const str = (value: unknown): string | null => (typeof value === 'string' && value ? value : null);

/** True when the span's context uses more than `ratio` of the model's window. */
export function isNearContextLimit(span: SpanRecord, ratio: number): boolean {
  const tokens = span.attributes['groundwork.context.tokens'];
  const limit = span.attributes['groundwork.context.limit'];
  return typeof tokens === 'number' && typeof limit === 'number' && limit > 0 && tokens > limit * ratio;
}

function storedAttributes(span: SpanRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(span.attributes)) {
    if ((textAttributeKeys as readonly string[]).includes(key) || value === undefined) continue;
    out[key] = value;
  }
  return out;
}

export function toSpanRow(span: SpanRecord, context: SpanRowContext): SpanRow {
  const usage = spanUsage(span, context.prices);
  return {
    trace_id: span.traceId,
    span_id: span.spanId,
    parent_span_id: span.parentSpanId ?? null,
    name: span.name,
    started_at: isoMicros(span.startTime),
    ended_at: isoMicros(span.endTime),
    duration_ms: Math.max(0, span.endTime - span.startTime),
    status: span.status,
    error_code: span.error?.code ?? null,
    error_message: span.error ? span.error.message.slice(0, 2000) : null,
    model: usage.model ?? null,
    provider: usage.provider ?? null,
    input_tokens: Math.round(usage.inputTokens),
    output_tokens: Math.round(usage.outputTokens),
    embedding_tokens: Math.round(usage.embeddingTokens),
    cost_usd: usage.costUsd,
    context_near_limit: isNearContextLimit(span, context.contextWarnRatio),
    attributes: storedAttributes(span),
  };
}

/** answered | refused | blocked (budget) | aborted (client went away) | error | ok */
export function outcomeOf(span: SpanRecord): string {
  if (span.status === 'error') {
    if (span.error?.code === 'budget.exhausted') return 'blocked';
    return span.error?.code === 'answer.aborted' ? 'aborted' : 'error';
  }
  if (span.attributes['groundwork.refused'] === true) return 'refused';
  const operation = span.attributes['groundwork.operation'] ?? span.name;
  return operation === 'answer' ? 'answered' : 'ok';
}

/** Applies the retention policy to one text; `undefined` text stays absent. */
export function retainText(text: unknown, retention: TextRetention, redact: TextRedactor): string | null {
  if (typeof text !== 'string' || retention === 'drop') return null;
  if (retention === 'keep') return text;
  try {
    return redact(text);
  } catch {
    // A failing redactor must not leak the text it could not redact.
    return null;
  }
}

export function toTraceRow(
  root: SpanRecord,
  context: SpanRowContext & { readonly retention: TextRetention; readonly redact: TextRedactor },
): TraceRow {
  const a = root.attributes;
  const usage = spanUsage(root, context.prices);
  const confidence = a['groundwork.confidence'];
  return {
    id: root.traceId,
    operation: str(a['groundwork.operation']) ?? root.name,
    name: root.name,
    caller_id: str(a['groundwork.caller']),
    caller_sees_everything: a['groundwork.caller.sees_everything'] === true,
    use_case: str(a['groundwork.use_case']),
    prompt_version: str(a['groundwork.prompt.version']),
    model: usage.model ?? null,
    provider: usage.provider ?? null,
    started_at: isoMicros(root.startTime),
    ended_at: isoMicros(root.endTime),
    duration_ms: Math.max(0, root.endTime - root.startTime),
    status: root.status,
    outcome: outcomeOf(root),
    error_code: root.error?.code ?? null,
    confidence: typeof confidence === 'number' && Number.isFinite(confidence) ? confidence : null,
    context_near_limit: isNearContextLimit(root, context.contextWarnRatio),
    question: retainText(a['groundwork.question'], context.retention, context.redact),
    answer: retainText(a['groundwork.answer'], context.retention, context.redact),
    text_retention: context.retention,
    attributes: storedAttributes(root),
    input_tokens: 0,
    output_tokens: 0,
    embedding_tokens: 0,
    cost_usd: 0,
  };
}
