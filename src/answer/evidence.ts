import { contentTerms, isIdentifier, splitSentences, words } from './text.ts';
import type { Passage } from './types.ts';

/**
 * How well text covers a question, with IDF-like weights computed over the retrieved passages' sentences:
 * a question term that is rare among them (or absent from all of them) weighs most. So "earthquake" in
 * "deductible for earthquake damage under HO-3" dominates when the passages talk about HO-3 deductibles but
 * never about earthquakes — exactly the signal that the answer is not there.
 */

export interface QuestionProfile {
  /** Distinct content terms of the question. */
  readonly terms: readonly string[];
  readonly weights: ReadonlyMap<string, number>;
  readonly totalWeight: number;
  /** Adjacent content-word pairs of the question ("water damage"), matched as phrases. */
  readonly bigrams: readonly string[];
  /** The question asks for an amount, count, date or duration. */
  readonly wantsQuantity: boolean;
  /** Identifier-like terms (`ho-3`): text that lacks one is about something else (HO-5), whatever else matches. */
  readonly identifiers: readonly string[];
}

const quantityCue =
  /\b(how (much|many|long|often|soon)|what (is|are) the (amount|limit|deductible|fee|rate|premium|maximum|minimum|percentage|period)|deductible|limit|amount|premium|rate|percent|percentage|days?|hours?|months?|years?|within|deadline|when|cost|price|fee|maximum|minimum|threshold|sum|age)\b/i;

export function profileQuestion(question: string, passages: readonly Passage[]): QuestionProfile {
  const terms = [...new Set(contentTerms(question))];
  const sentences = passages.flatMap((p) => splitSentences(p.text).map((s) => new Set(contentTerms(s.text))));
  const n = Math.max(1, sentences.length);
  const weights = new Map<string, number>();
  for (const term of terms) {
    let df = 0;
    for (const s of sentences) if (s.has(term)) df++;
    weights.set(term, Math.log(1 + (n + 1) / (df + 0.5)));
  }
  const totalWeight = [...weights.values()].reduce((a, b) => a + b, 0);
  const stems = contentTerms(question);
  const bigrams: string[] = [];
  for (let i = 0; i + 1 < stems.length; i++) bigrams.push(`${stems[i]} ${stems[i + 1]}`);
  return {
    terms,
    weights,
    totalWeight,
    bigrams,
    wantsQuantity: quantityCue.test(question),
    identifiers: terms.filter(isIdentifier),
  };
}

/** Idf-weighted share of the question's terms present in `terms` (0..1); `context` terms count half. */
export function coverage(profile: QuestionProfile, terms: ReadonlySet<string>, context: ReadonlySet<string> = new Set()): number {
  if (profile.totalWeight === 0) return 0;
  let covered = 0;
  for (const [term, weight] of profile.weights) {
    if (terms.has(term)) covered += weight;
    else if (context.has(term)) covered += weight / 2;
  }
  return covered / profile.totalWeight;
}

/** Share of the question's bigrams that appear as adjacent content words in `text` (0..1). */
export function phraseMatch(profile: QuestionProfile, text: string): number {
  if (profile.bigrams.length === 0) return 0;
  const stems = contentTerms(text);
  const pairs = new Set<string>();
  for (let i = 0; i + 1 < stems.length; i++) pairs.add(`${stems[i]} ${stems[i + 1]}`);
  return profile.bigrams.filter((b) => pairs.has(b)).length / profile.bigrams.length;
}

/** Content terms of a passage's title and section path: context for its sentences. */
export function contextTerms(passage: Passage): Set<string> {
  return new Set(contentTerms(`${passage.hit.title} ${passage.hit.sectionPath.join(' ')}`));
}

/** Identifier penalty: 1 when `terms` (with context) hold every identifier of the question, else 0.5. */
export function identifierFactor(profile: QuestionProfile, terms: ReadonlySet<string>, context: ReadonlySet<string>): number {
  return profile.identifiers.every((id) => terms.has(id) || context.has(id)) ? 1 : 0.5;
}

/** Coverage of the question by a whole passage (text, with title and sections as context), identifier-checked. */
export function passageCoverage(profile: QuestionProfile, passage: Passage): number {
  const terms = new Set(contentTerms(passage.text));
  const context = contextTerms(passage);
  return coverage(profile, terms, context) * identifierFactor(profile, terms, context);
}

/** Word count, for length normalisation. */
export function wordCount(text: string): number {
  return words(text).length;
}
