import type { Citation, Passage } from './types.ts';

/**
 * Citations in answer text: `[1]`, `[1, 2]`, `[1][2]`. Numbers that point at no passage are removed from the
 * text (a whole bracket when none of its numbers is valid) and counted, so a reader never follows a dead link.
 */

const citationGroup = /\s?\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]/g;

export interface ParsedCitations {
  /** The text with invalid citation numbers removed. */
  readonly text: string;
  /** Valid citation numbers in order of first use. */
  readonly used: readonly number[];
  /** Citation numbers removed because they point at no passage. */
  readonly removed: number;
}

/** Keeps `[n]` with `valid(n)`, drops the rest. */
export function cleanCitations(text: string, valid: (n: number) => boolean): ParsedCitations {
  const used: number[] = [];
  let removed = 0;
  const cleaned = text.replace(citationGroup, (whole, list: string) => {
    const numbers = list.split(/[,;]/).map((s) => Number(s.trim()));
    const kept = numbers.filter((n) => valid(n));
    removed += numbers.length - kept.length;
    for (const n of kept) if (!used.includes(n)) used.push(n);
    if (kept.length === 0) return '';
    const leading = whole.startsWith(' ') || whole.startsWith('\t') || whole.startsWith('\n') ? whole[0] : '';
    return `${leading}[${[...new Set(kept)].join(', ')}]`;
  });
  // Removing " [8]" from " [8][3]" leaves "[3]" glued to the word before it; put the space back.
  const tidy = cleaned.replace(/ +([.,;:!?])/g, '$1').replace(/([^\s[\]])\[(\d)/g, '$1 [$2');
  return { text: tidy, used, removed };
}

/** Citation numbers inside one sentence. */
export function citationsIn(sentence: string): number[] {
  const out: number[] = [];
  for (const match of sentence.matchAll(citationGroup)) {
    for (const part of (match[1] ?? '').split(/[,;]/)) out.push(Number(part.trim()));
  }
  return out;
}

/** Removes citation markers (for comparing a sentence's words with its sources). */
export function stripCitations(sentence: string): string {
  return sentence.replace(citationGroup, '');
}

/** Resolves used numbers to citations (chunk, document, title, uri, page, snippet). */
export function resolveCitations(used: readonly number[], passages: readonly Passage[]): Citation[] {
  const byN = new Map(passages.map((p) => [p.n, p]));
  const out: Citation[] = [];
  for (const n of used) {
    const passage = byN.get(n);
    if (!passage) continue;
    const { hit } = passage;
    out.push({
      n,
      chunkId: hit.chunkId,
      documentId: hit.documentId,
      title: hit.title,
      uri: hit.uri,
      page: hit.pageStart,
      snippet: hit.snippet || hit.text.slice(0, 240),
    });
  }
  return out.sort((a, b) => a.n - b.n);
}
