/**
 * Offline groundedness (faithfulness) checker: which sentences of an answer are supported by the cited
 * text, with no model. A claim sentence is supported when one context window (a sentence and its
 * neighbour) covers most of its content words AND its word pairs (catches swapped entities), contains
 * every number it states (catches changed amounts and dates), and agrees on negation (catches "is not"
 * vs "is"). Lexical by design: paraphrases that share few words are reported unsupported, so the score is
 * a conservative lower bound. Benchmarked in bench/groundedness.bench.ts (docs/benchmarks.md).
 *
 * Used when the answer feature's own checker is not plugged in (`GroundednessCheck` port).
 */

const stopwords = new Set(
  'a an the of to in on at for by with from and or as is are was were be been being it its this that these those which who whom whose what when where how than then there their they them he she his her we our you your i me my do does did has have had shall will would can could may might must also any all each per into over under about after before such upon within without'.split(
    ' ',
  ),
);
// Polarity words only: antonyms such as "excluded" vs "covered" are caught by word coverage instead.
const negations = new Set(['not', 'no', 'never', 'none', 'nor', 'cannot', 'neither']);

/** Splits text into sentences (periods inside numbers and common abbreviations do not split). */
export function splitSentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.!?;])\s+(?=[A-Z0-9"'(])/)
    .map((s) => s.trim())
    .filter((s) => /[\p{L}\p{N}]/u.test(s));
}

function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

interface Analyzed {
  readonly words: string[];
  readonly numbers: Set<string>;
  readonly negated: boolean;
}

function normalizeNumber(raw: string): string {
  const cleaned = raw.replace(/,/g, '');
  const value = Number(cleaned);
  return Number.isFinite(value) ? String(value) : cleaned;
}

function analyze(text: string): Analyzed {
  const lower = text.toLowerCase().replace(/n't\b/g, ' not');
  const numbers = new Set((lower.match(/\d[\d,]*(?:\.\d+)?/g) ?? []).map(normalizeNumber));
  const tokens = lower.match(/[\p{L}]+/gu) ?? [];
  const negated = tokens.some((t) => negations.has(t));
  const words = tokens.filter((t) => !stopwords.has(t) && !negations.has(t)).map(stem);
  return { words, numbers, negated };
}

function pairs(words: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < words.length; i++) out.push(`${words[i]} ${words[i + 1]}`);
  return out;
}

function coverage(needles: readonly string[], haystack: ReadonlySet<string>): number {
  if (needles.length === 0) return 1;
  return needles.filter((n) => haystack.has(n)).length / needles.length;
}

/** Thresholds tuned on the benchmark's development half; see docs/evaluation.md. */
const wordCoverage = 0.85;
const pairCoverage = 0.5;

/** Whether one claim is supported by any window of the contexts. */
export function isClaimSupported(claim: string, contexts: readonly string[]): boolean {
  const target = analyze(claim);
  if (target.words.length === 0 && target.numbers.size === 0) return true;
  const targetPairs = pairs(target.words);
  for (const context of contexts) {
    const sentences = splitSentences(context);
    for (let i = 0; i < sentences.length; i++) {
      // The sentence alone, then with its neighbour (claims that merge two adjacent sentences).
      const candidates = [sentences[i] ?? '', `${sentences[i]} ${sentences[i + 1] ?? ''}`];
      for (const candidate of candidates) {
        const window = analyze(candidate);
        if (coverage(target.words, new Set(window.words)) < wordCoverage) continue;
        if (coverage(targetPairs, new Set(pairs(window.words))) < pairCoverage) continue;
        if (![...target.numbers].every((n) => window.numbers.has(n))) continue;
        if (target.negated !== window.negated) continue;
        return true;
      }
    }
  }
  return false;
}

/** Share (0–1) of the answer's sentences supported by the contexts; 1 for an empty answer. */
export function offlineGroundedness(answer: string, contexts: readonly string[]): number {
  const claims = splitSentences(answer.replace(/\[\d+\]/g, ''));
  if (claims.length === 0) return 1;
  return claims.filter((claim) => isClaimSupported(claim, contexts)).length / claims.length;
}
