import type { Citation, Passage } from './types.ts';

/**
 * Citations in answer text: `[1]`, `[1, 2]`, `[1][2]`. Numbers that point at no passage are removed from the
 * text (a whole bracket when none of its numbers is valid) and counted, so a reader never follows a dead link.
 * What the reader sees is then numbered 1..n in order of first use (`renumberCitations`): an answer citing
 * passages 3 and 5 shows [1] and [2], and the citations list has exactly those numbers.
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

/**
 * Rewrites passage numbers as reader numbers: the i-th distinct number of `used` (valid numbers in order of
 * first use, from `cleanCitations`) becomes i + 1; within one bracket they are sorted (`[3, 1]` → `[1, 2]`).
 */
export function renumberCitations(text: string, used: readonly number[]): string {
  return renumberWith(text, new Map(used.map((n, i) => [n, i + 1])));
}

function renumberWith(text: string, readerNumber: ReadonlyMap<number, number>): string {
  return text.replace(/\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]/g, (whole, list: string) => {
    const numbers = list
      .split(/[,;]/)
      .map((part) => readerNumber.get(Number(part.trim())))
      .filter((n): n is number => n !== undefined);
    return numbers.length === 0 ? whole : `[${[...new Set(numbers)].sort((a, b) => a - b).join(', ')}]`;
  });
}

/**
 * Resolves used passage numbers (in order of first use) to citations numbered 1..n in that order, matching
 * `renumberCitations` of the same `used`: chunk, document, title, uri, page, snippet.
 */
export function resolveCitations(used: readonly number[], passages: readonly Passage[]): Citation[] {
  const byN = new Map(passages.map((p) => [p.n, p]));
  const out: Citation[] = [];
  for (const n of used) {
    const passage = byN.get(n);
    if (!passage) continue;
    const { hit } = passage;
    out.push({
      n: out.length + 1,
      chunkId: hit.chunkId,
      documentId: hit.documentId,
      title: hit.title,
      uri: hit.uri,
      page: hit.pageStart,
      snippet: hit.snippet || hit.text.slice(0, 240),
    });
  }
  return out;
}

/**
 * Raw model text → what the caller reads, while it streams: dead citations removed, the rest numbered 1..n in
 * order of first use, placeholders restored (`restore`). Only text that more input cannot change is emitted:
 * it is cut between two letters or digits outside brackets, where neither a citation, a placeholder nor the
 * tidying of spaces around a removed citation can reach across — so the streamed text is a prefix of the
 * final text, a client that only concatenates tokens (an OpenAI SDK) ends up with the numbers of the citations
 * list, and each character is processed once.
 */
export function createCitationStream(
  valid: (n: number) => boolean,
  restore: (text: string) => string,
): { push(delta: string): string; flush(): string; readonly raw: string } {
  let raw = '';
  let done = 0;
  let started = false;
  const readerNumber = new Map<number, number>();
  const render = (segment: string) => {
    const cleaned = cleanCitations(segment, valid);
    for (const n of cleaned.used) if (!readerNumber.has(n)) readerNumber.set(n, readerNumber.size + 1);
    let out = restore(renumberWith(cleaned.text, readerNumber));
    if (!started) {
      out = out.trimStart();
      started = out !== '';
    }
    return out;
  };
  const word = /[\p{L}\p{N}]/u;
  return {
    push(delta) {
      raw += delta;
      // The last cut point: between two word characters, with every bracket before it closed.
      let cut = -1;
      let depth = 0;
      for (let i = done; i < raw.length; i++) {
        const char = raw.charAt(i);
        if (char === '[') depth++;
        else if (char === ']') depth = Math.max(0, depth - 1);
        else if (depth === 0 && i > done && word.test(char) && word.test(raw.charAt(i - 1))) cut = i;
      }
      if (cut < 0) return '';
      const segment = raw.slice(done, cut);
      done = cut;
      return render(segment);
    },
    flush() {
      const segment = raw.slice(done).trimEnd();
      done = raw.length;
      return render(segment);
    },
    get raw() {
      return raw;
    },
  };
}
