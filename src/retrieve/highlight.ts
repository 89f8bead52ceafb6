/**
 * Highlights and snippets, computed from the chunk text and the set of surface words whose analyzed form
 * (lexeme) matches a query term — the database decides which words match, with the same analyzer as ranking.
 */

export interface Span {
  readonly start: number;
  readonly end: number;
}

const wordPattern = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** Words of `text` with their offsets (UTF-16 code units, end exclusive). */
export function wordSpans(text: string): Array<Span & { word: string }> {
  return Array.from(text.matchAll(wordPattern), (m) => ({ word: m[0], start: m.index, end: m.index + m[0].length }));
}

/** Distinct lower-cased words of the texts, for analysis by the database. */
export function distinctWords(texts: readonly string[]): string[] {
  const set = new Set<string>();
  for (const text of texts) for (const span of wordSpans(text)) set.add(span.word.toLowerCase());
  return [...set];
}

/** Offsets of the words of `text` that are in `matching` (lower-cased surface forms). */
export function highlightSpans(text: string, matching: ReadonlySet<string>): Span[] {
  return wordSpans(text)
    .filter((span) => matching.has(span.word.toLowerCase()))
    .map(({ start, end }) => ({ start, end }));
}

/**
 * A short excerpt around the densest run of highlights: at most `maxChars` characters of the text
 * (cut at word boundaries where possible), each highlight wrapped in «», a leading/trailing … where text was
 * cut. Without highlights: the beginning of the text.
 */
export function makeSnippet(text: string, highlights: readonly Span[], maxChars = 240): string {
  const clean = (s: string) => s.replace(/\s+/g, ' ');
  if (text.length <= maxChars && highlights.length === 0) return clean(text).trim();
  let windowStart = 0;
  if (highlights.length > 0) {
    // The window start (at a highlight) that covers the most highlights within maxChars.
    let best = 0;
    let bestCount = 0;
    for (let i = 0, j = 0; i < highlights.length; i++) {
      const first = highlights[i] as Span;
      while (j < highlights.length && (highlights[j] as Span).end - first.start <= maxChars) j++;
      if (j - i > bestCount) {
        bestCount = j - i;
        best = i;
      }
    }
    const first = highlights[best] as Span;
    const last = highlights[Math.min(best + bestCount, highlights.length) - 1] as Span;
    const slack = Math.max(0, maxChars - (last.end - first.start));
    windowStart = Math.max(0, first.start - Math.floor(slack / 3));
  }
  let windowEnd = Math.min(text.length, windowStart + maxChars);
  if (windowEnd - windowStart < maxChars) windowStart = Math.max(0, windowEnd - maxChars);
  // Snap to word boundaries (never cutting through a highlight).
  if (windowStart > 0) {
    const space = text.indexOf(' ', windowStart);
    const firstHighlight = highlights.find((h) => h.end > windowStart);
    if (space !== -1 && space < windowStart + 30 && (!firstHighlight || space < firstHighlight.start)) windowStart = space + 1;
  }
  if (windowEnd < text.length) {
    const space = text.lastIndexOf(' ', windowEnd);
    if (space > windowEnd - 30 && space > windowStart) windowEnd = space;
  }
  let out = '';
  let cursor = windowStart;
  for (const h of highlights) {
    if (h.start < windowStart || h.end > windowEnd) continue;
    out += `${text.slice(cursor, h.start)}«${text.slice(h.start, h.end)}»`;
    cursor = h.end;
  }
  out += text.slice(cursor, windowEnd);
  return `${windowStart > 0 ? '…' : ''}${clean(out).trim()}${windowEnd < text.length ? '…' : ''}`;
}
