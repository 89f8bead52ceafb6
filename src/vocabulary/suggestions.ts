import { type Caller, GroundworkError } from '../core/index.ts';
import { authorize, hasScope } from '../govern/index.ts';
import { unansweredQuestions } from '../observe/index.ts';
import { readableChunkTexts } from '../retrieve/index.ts';
import type { Queryable } from '../store/index.ts';
import { normaliseTerm, vocabularySynonyms } from './vocabulary.ts';

/**
 * Vocabulary suggestions (docs/vocabulary.md): (1) acronyms with their expansions found in the text the caller
 * may read — "first notice of loss (FNOL)" and "FNOL (first notice of loss)" — counted, with example document
 * ids; (2) questions that found nothing or were refused (observe's traces), clustered by their words. Terms
 * already in the vocabulary are left out.
 */

export interface AcronymSuggestion {
  readonly term: string;
  readonly expansion: string;
  readonly count: number;
  /** Up to 3 documents the caller may read where the pair occurs. */
  readonly exampleDocumentIds: readonly string[];
}

export interface QueryCluster {
  /** The words the cluster's questions share (the candidate terms to add). */
  readonly terms: readonly string[];
  /** How often these questions were asked without a result. */
  readonly count: number;
  readonly examples: readonly string[];
}

export interface VocabularySuggestions {
  readonly acronyms: readonly AcronymSuggestion[];
  /** null when the caller may not read other people's questions (`traces:read:all`). */
  readonly queries: readonly QueryCluster[] | null;
  readonly scannedChunks: number;
}

const skipWords = new Set(['of', 'the', 'and', 'for', 'to', 'in', 'on', 'a', 'an', '&', 'de', 'la', 'du', 'des', 'und', 'der']);

/**
 * The words of a long form whose initials spell `acronym` (the shortest such tail), or undefined. Initials are
 * read with and without small words ("first notice of loss" → FNOL, "bill of materials" → BOM) and with
 * hyphenated parts ("non-conformance report" → NCR).
 */
export function matchLongForm(acronym: string, words: readonly string[]): string | undefined {
  const letters = acronym.toLowerCase().replace(/[^a-z0-9]/g, '');
  const initial = (w: string) =>
    w
      .replace(/[^\p{L}\p{N}]/gu, '')
      .charAt(0)
      .toLowerCase();
  for (let start = words.length - 1; start >= 0 && words.length - start <= letters.length + 3; start--) {
    const tail = words.slice(start);
    if (skipWords.has((tail[0] ?? '').toLowerCase())) continue;
    const content = tail.filter((w) => !skipWords.has(w.toLowerCase()));
    const parts = (list: readonly string[]) => list.flatMap((w) => w.split('-').filter(Boolean));
    const readings = [tail, content, parts(tail), parts(content)].map((list) => list.map(initial).join(''));
    if (readings.includes(letters)) return tail.join(' ');
  }
  return undefined;
}

const longThenShort = /((?:[\p{L}][\p{L}\p{N}'-]*[\s]+){1,10})\(([A-Z][A-Z0-9&]{1,9})\)/gu;
const shortThenLong = /\b([A-Z][A-Z0-9&]{1,9})\s*\(([^()\n]{3,100})\)/gu;

/** Acronym/expansion pairs in one text. */
export function findAcronymPairs(text: string): Array<{ term: string; expansion: string }> {
  const pairs: Array<{ term: string; expansion: string }> = [];
  for (const match of text.matchAll(longThenShort)) {
    const words = (match[1] ?? '').trim().split(/\s+/);
    const long = matchLongForm(match[2] as string, words);
    if (long) pairs.push({ term: match[2] as string, expansion: long.toLowerCase() });
  }
  for (const match of text.matchAll(shortThenLong)) {
    const words = (match[2] ?? '').trim().split(/\s+/);
    const long = matchLongForm(match[1] as string, words);
    // The long form must be the whole parenthesis (its words in order from the start).
    if (long && long.split(' ').length === words.length) pairs.push({ term: match[1] as string, expansion: long.toLowerCase() });
  }
  return pairs;
}

const stopWords = new Set([
  ...skipWords,
  'what',
  'is',
  'are',
  'how',
  'do',
  'does',
  'i',
  'my',
  'we',
  'our',
  'can',
  'when',
  'where',
  'which',
  'who',
  'why',
  'with',
  'about',
  'it',
  'be',
  'there',
  'any',
  'should',
  'me',
  'you',
]);

function contentWords(text: string): string[] {
  return [...new Set((text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 1 && !stopWords.has(w)))];
}

/** Greedy single-link clustering by Jaccard similarity of content words (≥ 0.5), biggest clusters first. */
export function clusterQuestions(questions: ReadonlyArray<{ question: string; count: number }>): QueryCluster[] {
  type Cluster = { words: Map<string, number>; count: number; examples: string[]; sets: Set<string>[] };
  const clusters: Cluster[] = [];
  for (const { question, count } of questions) {
    const words = new Set(contentWords(question));
    if (words.size === 0) continue;
    const home = clusters.find((c) =>
      c.sets.some((s) => {
        const shared = [...words].filter((w) => s.has(w)).length;
        return shared / (words.size + s.size - shared) >= 0.5;
      }),
    );
    const target: Cluster = home ?? { words: new Map(), count: 0, examples: [], sets: [] };
    if (!home) clusters.push(target);
    target.sets.push(words);
    target.count += count;
    if (target.examples.length < 3) target.examples.push(question);
    for (const w of words) target.words.set(w, (target.words.get(w) ?? 0) + count);
  }
  return clusters
    .map((c) => ({
      terms: [...c.words.entries()]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, 5)
        .map(([w]) => w),
      count: c.count,
      examples: c.examples,
    }))
    .sort((a, b) => b.count - a.count || (a.terms[0] ?? '').localeCompare(b.terms[0] ?? ''));
}

/**
 * Suggestions for the caller (`vocabulary:read`): acronyms found in at most `maxChunks` chunks the caller may
 * read now, and (with `traces:read:all`) clusters of questions that found nothing.
 */
export async function suggestVocabulary(
  db: Queryable,
  caller: Caller,
  options: { readonly useCase?: string; readonly minCount?: number; readonly maxChunks?: number; readonly limit?: number } = {},
): Promise<VocabularySuggestions> {
  authorize(caller, 'vocabulary:read');
  const minCount = options.minCount ?? 1;
  if (!Number.isInteger(minCount) || minCount < 1) {
    throw new GroundworkError('vocabulary.invalid_option', `--min-count must be a positive integer (got ${options.minCount}).`, {
      category: 'usage',
      fix: 'e.g. --min-count 2 (only pairs found at least twice).',
    });
  }
  const known = await vocabularySynonyms(db, options.useCase);
  const knownTerms = new Set(Object.keys(known).map(normaliseTerm));
  const found = new Map<string, { term: string; expansion: string; count: number; docs: string[] }>();
  let scanned = 0;
  for await (const chunk of readableChunkTexts(db, caller, { limit: options.maxChunks ?? 20_000 })) {
    scanned += 1;
    for (const pair of findAcronymPairs(chunk.text)) {
      if (knownTerms.has(normaliseTerm(pair.term))) continue;
      const key = `${pair.term}\u0000${pair.expansion}`;
      const entry = found.get(key) ?? { ...pair, count: 0, docs: [] };
      entry.count += 1;
      if (entry.docs.length < 3 && !entry.docs.includes(chunk.documentId)) entry.docs.push(chunk.documentId);
      found.set(key, entry);
    }
  }
  const acronyms = [...found.values()]
    .filter((e) => e.count >= minCount)
    .sort((a, b) => b.count - a.count || a.term.localeCompare(b.term))
    .slice(0, options.limit ?? 100)
    .map((e) => ({ term: e.term, expansion: e.expansion, count: e.count, exampleDocumentIds: e.docs }));
  // Other people's questions are traces: only callers who may read every trace see them.
  const queries = hasScope(caller, 'traces:read:all')
    ? clusterQuestions(await unansweredQuestions(db, options.useCase ? { useCase: options.useCase } : {})).slice(
        0,
        options.limit ?? 100,
      )
    : null;
  return { acronyms, queries, scannedChunks: scanned };
}
