/**
 * Domain vocabulary: synonym and acronym expansion applied to the query before analysis.
 *
 * Each entry `term: [equivalents…]` defines one equivalence group (the key and its values, symmetric):
 * `FNOL: ['first notice of loss']` expands a query containing "FNOL" with "first notice of loss" and a query
 * containing the phrase "first notice of loss" with "FNOL". Matching is case-insensitive on whole words;
 * a multi-word member matches only as the exact word sequence. Expansions are appended to the query text,
 * so both BM25 engines and the embedder see the same expanded query.
 */

export type SynonymMap = Readonly<Record<string, readonly string[]>>;

export interface ExpandedQuery {
  /** The query text with expansions appended (unchanged when nothing matched). */
  readonly text: string;
  /** Members added, in group order (as written in the configuration). */
  readonly added: readonly string[];
}

const wordPattern = /[\p{L}\p{N}]+/gu;

/** Lower-cased words of a text, in order. */
export function words(text: string): string[] {
  return Array.from(text.toLowerCase().matchAll(wordPattern), (match) => match[0]);
}

function containsSequence(haystack: readonly string[], needle: readonly string[]): boolean {
  if (needle.length === 0 || needle.length > haystack.length) return false;
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Merges synonym maps (later maps add members to the same key; nothing is removed). */
export function mergeSynonyms(...maps: ReadonlyArray<SynonymMap | undefined>): SynonymMap {
  const merged: Record<string, string[]> = {};
  for (const map of maps) {
    if (!map) continue;
    for (const [key, values] of Object.entries(map)) {
      const list = merged[key] ?? [];
      merged[key] = list;
      for (const value of values) if (!list.includes(value)) list.push(value);
    }
  }
  return merged;
}

/** Expands `query` with every equivalence-group member not already present, for groups that match. */
export function expandQuery(query: string, synonyms: SynonymMap): ExpandedQuery {
  const queryWords = words(query);
  const added: string[] = [];
  const addedWords: string[][] = [];
  for (const [key, values] of Object.entries(synonyms)) {
    const group = [key, ...values].map((member) => ({ member, tokens: words(member) })).filter((m) => m.tokens.length > 0);
    if (!group.some((m) => containsSequence(queryWords, m.tokens))) continue;
    for (const m of group) {
      if (containsSequence(queryWords, m.tokens)) continue;
      if (addedWords.some((tokens) => tokens.join(' ') === m.tokens.join(' '))) continue;
      added.push(m.member);
      addedWords.push(m.tokens);
    }
  }
  return { text: added.length > 0 ? `${query} ${added.join(' ')}` : query, added };
}
