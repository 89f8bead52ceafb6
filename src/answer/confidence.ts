import { injectionOf } from './assemble-context.ts';
import { citationsIn, stripCitations } from './citations.ts';
import { passageCoverage, type QuestionProfile } from './evidence.ts';
import { refusalText } from './prompt.ts';
import { contentTerms, numbersIn, splitSentences, words } from './text.ts';
import type { AnswerWarning, ConfidenceParts, Passage } from './types.ts';

/**
 * Confidence in 0..1 (docs/answers.md, "Confidence"):
 *
 *   confidence = R × (0.4 + 0.1·A + 0.2·C + 0.3·G) × (1 − 0.5·U)
 *
 * R (retrieval): the best idf-weighted question coverage among the top 3 passages — the evidence gate: if the
 *   passages do not talk about what was asked, nothing else matters.
 * A (agreement): share of the other top-3 passages covering at least half of the question.
 * C (citation coverage): share of answer sentences with at least one valid citation.
 * G (groundedness): share of answer sentences supported by their cited passages — at least half of the
 *   sentence's content terms appear there, every number in the sentence appears there, and the cited sentence
 *   closest to it has the same polarity (negation).
 * U (untrusted evidence): share of the evidence — the top 3 passages and the cited ones — in which suspected
 *   prompt injection was found: an answer resting on a document that tries to steer AI readers is worth less.
 */

export interface GroundednessResult {
  readonly citationCoverage: number;
  readonly groundedness: number;
  /** Per answer sentence: cited, supported. */
  readonly sentences: ReadonlyArray<{
    text: string;
    cited: boolean;
    supported: boolean;
    numbersOk: boolean;
    citedNumbers: number[];
  }>;
}

/** Offline sentence-level support of an answer by its cited passages (lexical and numeric overlap). */
export function checkGroundedness(answer: string, passages: readonly Passage[]): GroundednessResult {
  const byN = new Map(passages.map((p) => [p.n, p]));
  const sentences = splitSentences(answer)
    .map((s) => s.text.replace(/^[-*•]\s+/, ''))
    .filter((s) => stripCitations(s).trim().length > 0 && !/^\s*\[[\d,\s]+\]\s*[.]?$/.test(s));
  // Trailing citation-only fragments ("… damage. [1]") belong to the previous sentence; the splitter keeps them
  // attached because "[" is not a sentence start.
  const results = sentences.map((text) => {
    const cited = citationsIn(text).filter((n) => byN.has(n));
    if (cited.length === 0) return { text, cited: false, supported: false, numbersOk: false, citedNumbers: [] };
    const source = cited.map((n) => byN.get(n)?.text ?? '').join('\n');
    const sourceTerms = new Set(contentTerms(source));
    const sourceNumbers = new Set(numbersIn(source));
    const body = stripCitations(text);
    const terms = contentTerms(body).filter((t) => !/^\d/.test(t));
    const termShare = terms.length === 0 ? 1 : terms.filter((t) => sourceTerms.has(t)).length / terms.length;
    const numbersOk = numbersIn(body).every((n) => sourceNumbers.has(n));
    const polarityOk = samePolarity(body, terms, source);
    return { text, cited: true, supported: termShare >= 0.5 && numbersOk && polarityOk, numbersOk, citedNumbers: cited };
  });
  const total = results.length;
  return {
    citationCoverage: total === 0 ? 0 : results.filter((r) => r.cited).length / total,
    groundedness: total === 0 ? 0 : results.filter((r) => r.supported).length / total,
    sentences: results,
  };
}

const negations = new Set(['not', 'no', 'never', 'none', 'nor', 'cannot', 'neither', 'without']);

function negated(text: string): boolean {
  return words(text.replace(/n't\b/gi, ' not')).some((w) => negations.has(w));
}

/**
 * Negation agreement: the cited sentence that shares most of the claim's terms must have the same polarity
 * ("is covered" cited to "is not covered" is unsupported, though every word matches).
 */
function samePolarity(claim: string, claimTerms: readonly string[], source: string): boolean {
  let best: { share: number; text: string } | undefined;
  for (const sentence of splitSentences(source)) {
    const terms = new Set(contentTerms(sentence.text));
    const share = claimTerms.length === 0 ? 0 : claimTerms.filter((t) => terms.has(t)).length / claimTerms.length;
    if (!best || share > best.share) best = { share, text: sentence.text };
  }
  return !best || negated(best.text) === negated(claim);
}

/** Retrieval strength and agreement over the top passages. */
export function retrievalEvidence(
  profile: QuestionProfile,
  passages: readonly Passage[],
): { retrieval: number; agreement: number } {
  const top = passages.slice(0, 3).map((p) => passageCoverage(profile, p));
  if (top.length === 0) return { retrieval: 0, agreement: 0 };
  const best = Math.max(...top);
  const others = top.length - 1;
  const agreeing = top.filter((c) => c >= 0.5).length - (best >= 0.5 ? 1 : 0);
  return { retrieval: best, agreement: others === 0 ? 0 : agreeing / others };
}

/** The passages an answer rests on: the top 3 (retrieval strength and agreement) and the cited ones. */
export function evidencePassages(passages: readonly Passage[], cited: readonly number[]): Passage[] {
  return passages.filter((p, i) => i < 3 || cited.includes(p.n));
}

/** U: share of `evidence` with suspected prompt injection (0 without evidence). */
export function untrustedEvidence(evidence: readonly Passage[]): number {
  if (evidence.length === 0) return 0;
  return evidence.filter((p) => injectionOf(p).length > 0).length / evidence.length;
}

/** One `answer.injection_suspected` warning per document of `passages` with suspected prompt injection. */
export function injectionWarnings(passages: readonly Passage[]): AnswerWarning[] {
  const out: AnswerWarning[] = [];
  for (const passage of passages) {
    if (injectionOf(passage).length === 0 || out.some((w) => w.documentId === passage.hit.documentId)) continue;
    out.push({
      code: 'answer.injection_suspected',
      documentId: passage.hit.documentId,
      message: `"${passage.hit.title}" contains text that looks like instructions to an AI (suspected prompt injection). It was never quoted and was treated as data only; check the document before relying on it.`,
    });
  }
  return out;
}

export function combineConfidence(parts: ConfidenceParts): number {
  const value =
    parts.retrieval *
    (0.4 + 0.1 * parts.agreement + 0.2 * parts.citationCoverage + 0.3 * parts.groundedness) *
    (1 - 0.5 * parts.untrustedEvidence);
  return Math.round(Math.min(1, Math.max(0, value)) * 1000) / 1000;
}

/** Did the model decline (our refusal sentence or a close paraphrase)? */
export function isModelRefusal(answer: string): boolean {
  const normalised = answer.trim().toLowerCase();
  return (
    normalised.startsWith(refusalText.toLowerCase().slice(0, 30)) ||
    /^(i (could|can)( ?not|'t) find|the (provided )?documents do not (contain|say|mention)|there is no information)/.test(
      normalised,
    )
  );
}
