import { overlapsInjection } from '../protect/index.ts';
import { injectionOf } from './assemble-context.ts';
import { contextTerms, coverage, identifierFactor, phraseMatch, type QuestionProfile, wordCount } from './evidence.ts';
import { contentTerms, numbersIn, shingleSimilarity, splitSentences } from './text.ts';
import type { AnswerStyle, Passage } from './types.ts';

/**
 * Extractive answers: no language model. The best-matching sentences of the top passages are quoted, each
 * with its citation, so the answer works offline out of the box and never says anything the documents do not.
 *
 * Sentence score = coverage of the question's terms (idf-weighted over the passages' sentences; the
 * passage's title and section path count half) + 0.3 × phrase match (question bigrams such as "water damage")
 * + 0.15 when the question asks for an amount/duration and the sentence states a number + a small rank prior
 * (0.05 / citation number) − a length penalty for sentences over 60 words (they are paragraphs, not answers).
 *
 * Headings (the passage's heading line, section headings inside it, run-in headings such as "Wind and hail
 * deductible.") are never quoted: they are context for the sentences under them, counted like the title.
 * Sentences with suspected prompt injection are never quoted either.
 */

export const extractiveLabel = 'Extractive answer: sentences quoted from your documents (no language model configured).';

export interface ScoredSentence {
  readonly text: string;
  readonly n: number;
  readonly score: number;
  /** Question coverage of the sentence (with its passage's context). */
  readonly coverage: number;
}

export interface ExtractiveResult {
  /** The answer text with `[n]` after each sentence (empty when nothing matched). */
  readonly text: string;
  readonly sentences: readonly ScoredSentence[];
}

/** How many sentences, and how close to the best one further sentences must score (share of best, coverage). */
const selection: Record<AnswerStyle, { max: number; relative: number; coverage: number }> = {
  concise: { max: 2, relative: 0.8, coverage: 0.5 },
  detailed: { max: 4, relative: 0.6, coverage: 0.4 },
  bullets: { max: 4, relative: 0.6, coverage: 0.4 },
};

/** All candidate sentences, best first. */
export function scoreSentences(profile: QuestionProfile, passages: readonly Passage[]): ScoredSentence[] {
  const scored: ScoredSentence[] = [];
  for (const passage of passages) {
    const passageContext = contextTerms(passage);
    const injection = injectionOf(passage);
    // The headings above a sentence (its section's line heading, then a run-in heading) are its context.
    let lineHeading: readonly string[] = [];
    let runInHeading: readonly string[] = [];
    for (const sentence of splitSentences(passage.text, { headings: [passage.hit.title, ...passage.hit.sectionPath] })) {
      if (sentence.heading) {
        const terms = contentTerms(sentence.text);
        if (/[.]$/.test(sentence.text)) runInHeading = terms;
        else {
          lineHeading = terms;
          runInHeading = [];
        }
        continue;
      }
      // Instruction-like text (suspected prompt injection) is never quoted as an answer.
      if (overlapsInjection(injection, sentence.start, sentence.end)) continue;
      const length = wordCount(sentence.text);
      if (length < 3) continue;
      const context = new Set([...passageContext, ...lineHeading, ...runInHeading]);
      const terms = new Set(contentTerms(sentence.text));
      const cov = coverage(profile, terms, context) * identifierFactor(profile, terms, context);
      if (cov === 0) continue;
      const quantity = profile.wantsQuantity && numbersIn(sentence.text).length > 0 ? 0.15 : 0;
      const lengthPenalty = length > 60 ? Math.min(0.3, (length - 60) / 200) : 0;
      const score = cov + 0.3 * phraseMatch(profile, sentence.text) + quantity + 0.05 / passage.n - lengthPenalty;
      scored.push({ text: sentence.text, n: passage.n, score, coverage: cov });
    }
  }
  return scored.sort((a, b) => b.score - a.score);
}

/**
 * Composes the answer: the best sentence, then further sentences scoring at least 80% (concise) / 60% of it and
 * covering at least 50% / 40% of the question, skipping near-duplicates; at most 2 (concise) or 4 sentences.
 * A sentence (with its passage's title and sections) missing an identifier of the question (`HO-3`) scores half.
 */
export function extractiveAnswer(profile: QuestionProfile, passages: readonly Passage[], style: AnswerStyle): ExtractiveResult {
  const candidates = scoreSentences(profile, passages);
  const best = candidates[0];
  if (!best) return { text: '', sentences: [] };
  const chosen: ScoredSentence[] = [];
  for (const candidate of candidates) {
    const rule = selection[style];
    if (chosen.length >= rule.max) break;
    if (chosen.length > 0 && (candidate.score < rule.relative * best.score || candidate.coverage < rule.coverage)) continue;
    if (chosen.some((c) => shingleSimilarity(c.text, candidate.text) >= 0.6)) continue;
    chosen.push(candidate);
  }
  // The citation goes before the closing punctuation: "… is $1,000 [1]." A list item's bullet is dropped
  // (bullets style adds its own).
  const cite = (s: ScoredSentence) => {
    const body = s.text.replace(/^(?:[-*•]|\d+[.)])\s+/, '').replace(/[\s:;,]+$/, '');
    const end = /[.!?]$/.exec(body)?.[0] ?? '.';
    return `${body.replace(/[.!?]$/, '')} [${s.n}]${end}`;
  };
  const text = style === 'bullets' ? chosen.map((s) => `- ${cite(s)}`).join('\n') : chosen.map(cite).join(' ');
  return { text, sentences: chosen };
}
