/**
 * Small, dependency-free text helpers shared by extractive answers, citations and confidence: sentence
 * splitting, content terms, numbers and a token estimate. Deterministic and language-light (English).
 */

const stopwords = new Set(
  (
    'a an and are as at be been being but by can could did do does doing for from had has have how i if in into is it its ' +
    'may me might must my no nor not of on or our shall should so than that the their them then there these they this ' +
    'those to under upon us was we were what when where which while who whom whose why will with would you your about ' +
    'any apply applies tell please explain describe give list show much many soon often long amount happen ' +
    'mean means meaning stand stands'
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
  /**
   * A heading: the passage's heading line (title › sections), a Markdown `#` line, an all-caps title line, a
   * short line without a full stop above a paragraph or list, or a run-in heading ("Wind and hail deductible."
   * in front of the paragraph it names). Headings are context for the sentences after them, never answer
   * sentences, and never glued to the sentence that follows.
   */
  readonly heading: boolean;
}

export interface SplitOptions {
  /** Headings known for the text (a passage's title and section path): a line made of them is a heading. */
  readonly headings?: readonly string[];
}

// Single capital letters are not treated as initials after a word: "Coverage A." ends sentences in insurance
// texts. After a label, a comma, a bracket or another initial they are ("Adjuster: R. Okafor", "J. R. Smith").
const abbreviation = /\b(?:e\.g|i\.e|etc|vs|no|nr|art|sec|para|approx|incl|mr|mrs|ms|dr|inc|ltd|co|st|u\.s)\.$/i;
const initial = /(?:^|[:,(]\s*|\b\p{Lu}\.\s)\p{Lu}\.$/u;

/**
 * Splits prose into sentences (and list items / lines), with offsets into `text`. A period ends a sentence
 * when followed by whitespace and an upper-case letter, digit, quote or bracket, unless it ends a common
 * abbreviation; blank lines and list bullets always split. Heading lines are sentences of their own, marked
 * `heading`, and so are "label: value" lines ("Policy: HO3-448812") that end without a full stop.
 */
export function splitSentences(text: string, options: SplitOptions = {}): Sentence[] {
  const known = new Set((options.headings ?? []).map(normaliseHeading).filter(Boolean));
  const sentences: Sentence[] = [];
  const lines: { start: number; end: number }[] = [];
  for (let start = 0; start <= text.length; ) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    lines.push({ start, end });
    start = end + 1;
  }
  let regionStart = 0;
  for (const [i, line] of lines.entries()) {
    const content = text.slice(line.start, line.end);
    const previous =
      i > 0 ? text.slice((lines[i - 1] as { start: number }).start, (lines[i - 1] as { end: number }).end) : undefined;
    const nextLine = lines[i + 1];
    const next = nextLine ? text.slice(nextLine.start, nextLine.end) : undefined;
    if (isHeadingLine(content, previous, next, known)) {
      splitProse(text, regionStart, line.start, sentences);
      pushSegment(text, line.start, line.end, true, sentences);
      regionStart = line.end;
    } else if (next !== undefined && (isOpenFieldLine(content, previous, next) || isListLine(content, next))) {
      // "Insured: Dana Whitfield\nPolicy: HO3-448812", "WD01 Water damage\nWD02 Appliance failure": one item per
      // line, not one run-on sentence.
      splitProse(text, regionStart, line.end, sentences);
      regionStart = line.end;
    }
  }
  splitProse(text, regionStart, text.length, sentences);
  // A run-in heading leads into more text of its paragraph ("Wind and hail deductible. Loss caused by …").
  return sentences.map((sentence, i) => {
    const next = sentences[i + 1];
    const leadsIn = next !== undefined && !/\n\s*\n/.test(text.slice(sentence.end, next.start));
    return sentence.heading || !leadsIn || !isRunInHeading(sentence.text) ? sentence : { ...sentence, heading: true };
  });
}

/** The sentence splitter proper, over `text.slice(from, to)`, appending to `out`. */
function splitProse(text: string, from: number, to: number, out: Sentence[]): void {
  const boundary = /([.!?])(?=\s+["'([]?[\p{Lu}\p{N}$€£])|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)/gu;
  const region = text.slice(from, to);
  let start = 0;
  for (const match of region.matchAll(boundary)) {
    const end = match.index + (match[1] ? 1 : 0);
    if (match[1] === '.' && abbreviation.test(region.slice(Math.max(0, end - 6), end))) continue;
    // An initial after a label or a comma ("Adjuster: R. Okafor"), unlike "… of Coverage A. Flood …".
    if (match[1] === '.' && initial.test(region.slice(Math.max(0, end - 4), end))) continue;
    pushSegment(text, from + start, from + end, false, out);
    start = match.index + match[0].length;
  }
  pushSegment(text, from + start, to, false, out);
}

function pushSegment(text: string, start: number, end: number, heading: boolean, out: Sentence[]): void {
  const slice = text.slice(start, end);
  const trimmedStart = start + (slice.length - slice.trimStart().length);
  const body = text.slice(trimmedStart, end).trimEnd();
  if (/[\p{L}\p{N}]/u.test(body))
    out.push({ text: body.replace(/\s+/g, ' '), start: trimmedStart, end: trimmedStart + body.length, heading });
}

/** Lower-cased, `#` and whitespace folded: how headings are compared. */
function normaliseHeading(text: string): string {
  return text
    .replace(/^#+\s*/, '')
    .replace(/\s+/g, ' ')
    .replace(/[\s.:]+$/, '')
    .trim()
    .toLowerCase();
}

// Words that make a short line a sentence rather than a title: auxiliaries, modals, negations, common verbs.
const verbs = new Set(
  (
    'is are was were be been being am has have had do does did can cannot could may might must shall should will would ' +
    'not no never apply applies cover covers pay pays include includes mean means require requires exclude excludes ' +
    'refer refers need needs get gets make makes take takes give gives provide provides list lists contact call send'
  ).split(' '),
);
// A line ending in one of these runs on into the next line (wrapped prose), so it is not a heading.
const joiningWords = new Set(
  'a an the of to for and or in on with by under from at as is are that which per than into onto over after before'.split(' '),
);
const terminal = /[.!?;,:]["')\]]*$/;
const bullet = /^(?:[-*•]|\d+[.)])\s/;

/** "Claim number: CL-2026-0142", "Adjuster: R. Okafor, field adjuster": a label, then a value with a digit or several words. */
function isFieldLine(line: string): boolean {
  const match = /^[\p{Lu}][\p{L}\p{N} ()/'&-]{0,40}:\s+(\S.*)$/u.exec(line.trim());
  if (!match) return false;
  const value = match[1] ?? '';
  return /\d/.test(value) || value.split(/\s+/).length >= 3;
}

/** A field line without a full stop, at the start of a line of its own. */
function isOpenFieldLine(line: string, previous: string | undefined, next: string): boolean {
  const trimmed = line.trim();
  if (!isFieldLine(trimmed) || /[.!?]["')\]]*$/.test(trimmed)) return false;
  // "Cause of loss: failed supply line under the\nupstairs bathroom sink." is one wrapped sentence.
  if (!/^\s*[\p{Lu}\p{N}]/u.test(next) || joiningWords.has(words(trimmed).at(-1) ?? '')) return false;
  return previous === undefined || previous.trim() === '' || terminal.test(previous.trim()) || isFieldLine(previous);
}

/** Two short lines in a row without full stops, the second capitalised: items of a list without bullets. */
function isListLine(line: string, next: string): boolean {
  const a = line.trim();
  const b = next.trim();
  if (a === '' || b === '' || terminal.test(a) || /[.!?]["')\]]*$/.test(b) || !/^[\p{Lu}\p{N}]/u.test(b)) return false;
  if (lineWords(a).length > 12 || lineWords(b).length > 12) return false;
  return !joiningWords.has(words(a).at(-1) ?? '');
}

function lineWords(line: string): string[] {
  return line.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
}

function hasVerb(line: string): boolean {
  return words(line).some((w) => verbs.has(w));
}

/** Is this line (of a passage) a heading? See `Sentence.heading`. */
function isHeadingLine(
  line: string,
  previous: string | undefined,
  next: string | undefined,
  known: ReadonlySet<string>,
): boolean {
  const trimmed = line.trim();
  if (trimmed === '' || !/[\p{L}]/u.test(trimmed)) return false;
  if (/^#{1,6}\s+\S/.test(trimmed)) return true;
  if (bullet.test(trimmed) || trimmed.startsWith('|')) return false;
  const path = trimmed.split(' › ');
  if (known.size > 0 && path.every((part) => known.has(normaliseHeading(part)))) return true;
  if (terminal.test(trimmed) || isFieldLine(trimmed)) return false;
  const count = lineWords(trimmed).length;
  if (path.length === 1 && count > 12) return false;
  const last = words(trimmed).at(-1) ?? '';
  if (joiningWords.has(last) || !/^[\p{Lu}\p{N}"'(]/u.test(trimmed)) return false;
  // Mid-paragraph lines of wrapped text follow a line that did not end a sentence.
  const previousEnds = previous === undefined || previous.trim() === '' || /[.!?:]["')\]]*$/.test(previous.trim());
  if (!previousEnds) return false;
  const allCaps = /\p{Lu}.*\p{Lu}/u.test(trimmed) && !/\p{Ll}/u.test(trimmed);
  if (allCaps || path.length > 1) return true;
  const nextTrimmed = next?.trim() ?? '';
  // A line standing alone (a paragraph of one line without a full stop): a title unless it has a verb.
  if (nextTrimmed === '') return (previous === undefined || previous.trim() === '') && !hasVerb(trimmed);
  // A short line above a paragraph, a list or fields.
  return (
    /^[\p{Lu}\p{N}"'(]|^(?:[-*•]|\d+[.)])\s/u.test(nextTrimmed) &&
    (bullet.test(nextTrimmed) || /[.!?]/.test(nextTrimmed) || isFieldLine(nextTrimmed) || lineWords(nextTrimmed).length > 12)
  );
}

// Pronouns and politeness make a short sentence a sentence ("Please read it carefully."), not a heading.
const sentenceWords = new Set('please it its we us our you your they them their he she his her this these those i'.split(' '));

/** "Wind and hail deductible." in front of its paragraph: short, no number, no verb. */
function isRunInHeading(sentence: string): boolean {
  if (!/^[\p{Lu}]/u.test(sentence) || !/\.$/.test(sentence) || bullet.test(sentence) || /\d/.test(sentence)) return false;
  const list = words(sentence);
  return list.length <= 6 && !list.some((w) => verbs.has(w) || sentenceWords.has(w) || (w.length > 4 && w.endsWith('ed')));
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
