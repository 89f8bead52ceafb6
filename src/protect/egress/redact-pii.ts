import { type DetectPiiOptions, detectPii, type PiiSpan } from '../pii/detect-pii.ts';

/**
 * Redaction: replacing detected PII with typed placeholders before text leaves for an LLM provider.
 *
 * Placeholders are `[PERSON_1]`, `[EMAIL_1]`, `[SSN_2]`, `[POLICY_NUMBER_1]`, … and are numbered per request through a
 * `RedactionSession`: the same value (compared after normalisation, so `4111 1111 …` and `4111-1111-…` are one
 * card) gets the same placeholder in every passage and in the question, so the model can still relate them.
 * The session keeps the values in memory only, so that the answer can be restored for the caller, who was
 * allowed to read those passages; it is never serialised (its JSON form holds only counts).
 */

export interface RedactionSession {
  /** The placeholder for a value of a type, allocating the next number on first sight. */
  placeholderFor(type: string, value: string): string;
  /** Replaces placeholders of this session in `text` (e.g. the model's answer) by their original values. */
  restore(text: string): string;
  /** Distinct values seen, by type. */
  distinctCounts(): Record<string, number>;
  toJSON(): { distinctCounts: Record<string, number> };
}

/** A fresh session: one per request (an answer, a search with redacted snippets). */
export function createRedactionSession(): RedactionSession {
  const byKey = new Map<string, string>();
  const byPlaceholder = new Map<string, string>();
  const next = new Map<string, number>();
  const distinctCounts = () => Object.fromEntries([...next].map(([type, n]) => [type, n]));
  return {
    placeholderFor(type, value) {
      const key = `${type}\u0000${normaliseValue(type, value)}`;
      let placeholder = byKey.get(key);
      if (!placeholder) {
        const number = (next.get(type) ?? 0) + 1;
        next.set(type, number);
        placeholder = `[${type.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_${number}]`;
        byKey.set(key, placeholder);
        byPlaceholder.set(placeholder, value);
      }
      return placeholder;
    },
    restore(text) {
      if (byPlaceholder.size === 0) return text;
      return text.replace(/\[[A-Z0-9_]+_\d+\]/g, (placeholder) => byPlaceholder.get(placeholder) ?? placeholder);
    },
    distinctCounts,
    toJSON: () => ({ distinctCounts: distinctCounts() }),
  };
}

function normaliseValue(type: string, value: string): string {
  if (['credit_card', 'iban', 'ssn', 'national_id', 'passport_number', 'drivers_license', 'postal_code'].includes(type))
    return value.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
  if (type === 'phone') return value.replace(/\(0\)/, '').replace(/[^0-9+]/g, '');
  return value.trim().replace(/\s+/g, ' ').toLowerCase();
}

export interface RedactionResult {
  readonly text: string;
  /** Replaced occurrences by type (not distinct values). */
  readonly counts: Record<string, number>;
}

/**
 * Replaces each span by its typed placeholder. Spans outside the text or overlapping an earlier span are
 * ignored (stored spans may come from an older detector run); pass one `session` for a whole request.
 */
export function redactPii(
  text: string,
  spans: readonly PiiSpan[],
  session: RedactionSession = createRedactionSession(),
): RedactionResult {
  const ordered = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const counts: Record<string, number> = {};
  let out = '';
  let cursor = 0;
  for (const span of ordered) {
    if (!Number.isInteger(span.start) || !Number.isInteger(span.end)) continue;
    if (span.start < cursor || span.end <= span.start || span.end > text.length) continue;
    out += text.slice(cursor, span.start) + session.placeholderFor(span.type, text.slice(span.start, span.end));
    counts[span.type] = (counts[span.type] ?? 0) + 1;
    cursor = span.end;
  }
  return { text: out + text.slice(cursor), counts };
}

export interface RedactTextOptions extends DetectPiiOptions {
  readonly session?: RedactionSession;
}

/** Detects PII in `text` (e.g. a user's question) and redacts it. */
export function redactText(text: string, options: RedactTextOptions = {}): RedactionResult {
  return redactPii(text, detectPii(text, options), options.session);
}
