/**
 * Small, dependency-free text helpers shared by extractive answers, citations and confidence: sentence
 * splitting, content terms, numbers and a token estimate. Deterministic and language-light (English).
 */

const stopwords = new Set(
  (
    'a an and are as at be been being but by can could did do does doing for from had has have how i if in into is it its ' +
    'may me might must my no nor not of on or our shall should so than that the their them then there these they this ' +
    'those to under upon us was we were what when where which while who whom whose why will with would you your about ' +
    'any apply applies tell please explain describe give list show much many soon often long amount happen'
  ).split(' '),
);

/** Words as lower-case tokens; identifiers like `HO-3`, `2.5`, `24/7` stay one token. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:[-/.'][\p{L}\p{N}]+)*/gu) ?? [];
}

/** A light stemmer: plural and possessive endings only (keeps `loss`, `glass`, `business`). */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  if (word.endsWith("'s")) return word.slice(0, -2);
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (/(ss|us|is)$/.test(word)) return word;
  if (/(xes|ches|shes|sses)$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s')) return word.slice(0, -1);
  return word;
}

/** Content terms: stemmed words without stopwords (numbers kept). */
export function contentTerms(text: string): string[] {
  return words(text)
    .filter((w) => !stopwords.has(w))
    .map(stem);
}

/** Numbers and amounts, normalised: `$1,000.00` → `1000`, `12.5%` → `12.5`. Years and ids count too. */
export function numbersIn(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(/(?<![\p{L}\d])[$€£]?\d[\d,]*(?:\.\d+)?/gu)) {
    const raw = match[0].replace(/^[$€£]/, '').replace(/,(?=\d{3}\b)/g, '');
    const value = raw.includes('.') ? raw.replace(/\.?0+$/, '') : raw;
    if (value !== '') out.push(value);
  }
  return out;
}

export interface Sentence {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

// Single capital letters are not treated as initials: "Coverage A." ends sentences in insurance texts.
const abbreviation = /\b(?:e\.g|i\.e|etc|vs|no|nr|art|sec|para|approx|incl|mr|mrs|ms|dr|inc|ltd|co|st|u\.s)\.$/i;

/**
 * Splits prose into sentences (and list items / lines), with offsets into `text`. A period ends a sentence
 * when followed by whitespace and an upper-case letter, digit, quote or bracket, unless it ends a common
 * abbreviation; blank lines and list bullets always split.
 */
export function splitSentences(text: string): Sentence[] {
  const sentences: Sentence[] = [];
  const boundary = /([.!?])(?=\s+["'([]?[\p{Lu}\p{N}$€£])|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)/gu;
  let start = 0;
  const push = (end: number) => {
    const slice = text.slice(start, end);
    const trimmedStart = start + (slice.length - slice.trimStart().length);
    const body = text.slice(trimmedStart, end).trimEnd();
    if (/[\p{L}\p{N}]/u.test(body))
      sentences.push({ text: body.replace(/\s+/g, ' '), start: trimmedStart, end: trimmedStart + body.length });
  };
  for (const match of text.matchAll(boundary)) {
    const end = match.index + (match[1] ? 1 : 0);
    if (match[1] === '.' && abbreviation.test(text.slice(Math.max(0, end - 6), end))) continue;
    push(end);
    start = match.index + match[0].length;
  }
  push(text.length);
  return sentences;
}

/** Rough token count (≈ 4 characters per token for English); used for budgets, never for billing. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Jaccard similarity of word 3-shingles (1 for identical texts); for near-duplicate detection. */
export function shingleSimilarity(a: string, b: string): number {
  const sa = shingles(a);
  const sb = shingles(b);
  if (sa.size === 0 && sb.size === 0) return 1;
  let shared = 0;
  for (const s of sa) if (sb.has(s)) shared++;
  return shared / (sa.size + sb.size - shared);
}

function shingles(text: string): Set<string> {
  const w = words(text);
  const out = new Set<string>();
  if (w.length < 3) {
    if (w.length > 0) out.add(w.join(' '));
    return out;
  }
  for (let i = 0; i + 3 <= w.length; i++) out.add(`${w[i]} ${w[i + 1]} ${w[i + 2]}`);
  return out;
}

/** Identifier-like terms (letters and digits, e.g. `ho-3`, `b2b`): discriminative, must match exactly. */
export function isIdentifier(term: string): boolean {
  return /\p{L}/u.test(term) && /\d/.test(term);
}
