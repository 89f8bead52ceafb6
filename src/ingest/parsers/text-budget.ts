import { tooMuchTextError } from './parse-errors.ts';

/**
 * Counts text as it is decoded or produced and fails with `ingest.too_large` the moment it holds more
 * visible characters than `ingest.maxChunksPerDocument` chunks can (`ParseLimits.maxTextChars`), so a huge
 * text file is refused after reading a bounded part of it instead of being decoded, normalised and chunked
 * whole.
 */
export interface TextBudget {
  /** Adds the visible characters of `text`; throws `ingest.too_large` once over the budget. */
  add(text: string): void;
}

export interface TextBudgetOptions {
  /**
   * Multiplies the limit for formats whose decoded text is more than their content (Markdown syntax and link
   * targets, CSV delimiters and quotes, HTML entities and boilerplate): the early stop must never refuse a
   * document that would fit; the exact check runs on the parsed sections afterwards (`parseDocument`).
   */
  readonly allowance?: number;
  /** Do not count characters inside `<…>` (HTML tags, inline base64 images in attributes). */
  readonly skipTags?: boolean;
}

export function createTextBudget(fileName: string, maxTextChars: number, options: TextBudgetOptions = {}): TextBudget {
  const limit = maxTextChars * (options.allowance ?? 1);
  let used = 0;
  let inTag = false;
  return {
    add(text) {
      if (options.skipTags) {
        for (let index = 0; index < text.length; index++) {
          const code = text.charCodeAt(index);
          if (code === 0x3c) inTag = true;
          else if (code === 0x3e) inTag = false;
          else if (!inTag && isVisible(code)) used++;
        }
      } else {
        used += countVisibleCharacters(text);
      }
      if (used > limit) throw tooMuchTextError(fileName, maxTextChars);
    },
  };
}

/**
 * Characters that are not whitespace, controls or invisible format marks (UTF-16 code units, as the token
 * estimate counts them). Whitespace is free in the token estimate, so only these bound the chunks a text needs.
 */
export function countVisibleCharacters(text: string): number {
  let count = 0;
  for (let index = 0; index < text.length; index++) if (isVisible(text.charCodeAt(index))) count++;
  return count;
}

function isVisible(code: number): boolean {
  if (code <= 0x20 || code === 0x7f) return false;
  if (code < 0x80) return true;
  if (code <= 0xa0 || code === 0xad || code === 0x1680 || code === 0xfeff) return false; // C1 controls, NBSP, soft hyphen, BOM
  if (code >= 0x2000 && code <= 0x200f) return false; // spaces of every width, zero-width marks
  return !(code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000);
}
