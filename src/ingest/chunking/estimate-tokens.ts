/**
 * Approximate token counts without a tokenizer model.
 *
 * Chunk sizes only need to be roughly right and stable, and no tokenizer files are loaded at run time, so
 * tokens are estimated from words and punctuation. The weights were fitted against real BPE counts
 * (o200k_base and cl100k_base via gpt-tokenizer, `npm run bench:tokens`, numbers in docs/benchmarks.md):
 *  - a word of up to 7 letters ≈ 1.05 tokens; each letter beyond 7 adds 0.25 (long words, compounds and
 *    identifiers split into pieces of about four letters);
 *  - a run of digits ≈ 1 token per 3 digits (BPE vocabularies hold numbers in groups of up to three);
 *  - each punctuation or symbol character ≈ 1 token;
 *  - Chinese, Japanese and Korean characters ≈ 1 token each.
 * Whitespace is free. The estimate is additive over whitespace-separated pieces (up to rounding), so the
 * size of a chunk is the sum of the sizes of its sentences.
 */

const piecePattern = /[\p{L}\p{M}\p{N}_]+|[^\s\p{L}\p{M}\p{N}_]/gu;
const digitsOnly = /^\p{N}+$/u;
const wordCharacter = /[\p{L}\p{M}\p{N}_]/u;
const cjk = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** Estimated tokens in hundredths (integer arithmetic keeps sums exact). */
export function estimateTokenHundredths(text: string): number {
  let hundredths = 0;
  for (const match of text.matchAll(piecePattern)) {
    const piece = match[0];
    const length = piece.length;
    if (length === 1 && !wordCharacter.test(piece)) hundredths += 100;
    else if (digitsOnly.test(piece)) hundredths += Math.ceil(length / 3) * 100;
    else if (cjk.test(piece)) hundredths += [...piece].length * 100;
    else hundredths += 105 + (length > 7 ? (length - 7) * 25 : 0);
  }
  return hundredths;
}

/** Estimated number of LLM tokens in `text` (see the module comment for the approximation). */
export function estimateTokens(text: string): number {
  return Math.ceil(estimateTokenHundredths(text) / 100);
}
