/**
 * Approximate token counts without a tokenizer model.
 *
 * Chunk sizes only need to be roughly right and stable, and no tokenizer files may be downloaded, so tokens
 * are estimated from words and punctuation, calibrated on how GPT-style BPE tokenizers (cl100k/o200k)
 * behave on English and German prose:
 *  - a word of up to 12 letters ≈ 1.3 tokens (common words are 1, rarer ones split into 2–3 pieces);
 *    each further 4 letters adds 1 (long compounds, identifiers, base64 noise);
 *  - a run of digits ≈ 1 token per 3 digits (BPE vocabularies hold numbers in groups of up to three);
 *  - each punctuation or symbol character ≈ 1 token;
 *  - Chinese, Japanese and Korean characters ≈ 1 token each.
 * Whitespace is free. The estimate is additive over whitespace-separated pieces, so the size of a chunk is
 * (within rounding) the sum of the sizes of its sentences.
 */

const piecePattern = /[\p{L}\p{M}\p{N}_]+|[^\s\p{L}\p{M}\p{N}_]/gu;
const digitsOnly = /^\p{N}+$/u;
const cjk = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** Estimated tokens in tenths (integer arithmetic keeps sums exact). */
export function estimateTokenTenths(text: string): number {
  let tenths = 0;
  for (const match of text.matchAll(piecePattern)) {
    const piece = match[0];
    const length = piece.length;
    if (length === 1 && !/[\p{L}\p{M}\p{N}_]/u.test(piece)) tenths += 10;
    else if (digitsOnly.test(piece)) tenths += Math.ceil(length / 3) * 10;
    else if (cjk.test(piece)) tenths += [...piece].length * 10;
    else tenths += 13 + (length > 12 ? Math.ceil((length - 12) / 4) * 10 : 0);
  }
  return tenths;
}

/** Estimated number of LLM tokens in `text` (see the module comment for the approximation). */
export function estimateTokens(text: string): number {
  return Math.ceil(estimateTokenTenths(text) / 10);
}
