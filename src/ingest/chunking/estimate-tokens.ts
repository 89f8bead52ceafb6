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

const nonAsciiWordCharacter = /[\p{L}\p{M}\p{N}]/u;
const nonAsciiDigit = /\p{N}/u;
const nonAsciiSpace = /\s/u;

const kinds = { space: 0, word: 1, digit: 2, cjk: 3, symbol: 4 } as const;

/** Character class by code unit; a hand-written scanner is ~5× faster than a Unicode regex here. */
function classify(text: string, index: number): number {
  const code = text.charCodeAt(index);
  if (code < 128) {
    if (code <= 32 || code === 127) return kinds.space;
    if (code >= 48 && code <= 57) return kinds.digit;
    if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95) return kinds.word;
    return kinds.symbol;
  }
  if ((code >= 0x3040 && code <= 0x30ff) || (code >= 0x3400 && code <= 0x9fff) || (code >= 0xac00 && code <= 0xd7af))
    return kinds.cjk;
  const char = text.charAt(index);
  if (nonAsciiSpace.test(char)) return kinds.space;
  if (nonAsciiDigit.test(char)) return kinds.digit;
  // Surrogate pairs (rare scripts, emoji) count as word characters: close enough for an estimate.
  if (nonAsciiWordCharacter.test(char) || (code >= 0xd800 && code <= 0xdfff)) return kinds.word;
  return kinds.symbol;
}

/** Estimated tokens in hundredths (integer arithmetic keeps sums exact). */
export function estimateTokenHundredths(text: string): number {
  let hundredths = 0;
  let letters = 0; // length of the current word piece
  let digits = 0; // digits in the current piece (a piece of only digits is a number)
  const endPiece = () => {
    if (letters === 0) return;
    hundredths += digits === letters ? Math.ceil(digits / 3) * 100 : 105 + (letters > 7 ? (letters - 7) * 25 : 0);
    letters = 0;
    digits = 0;
  };
  for (let i = 0; i < text.length; i++) {
    const kind = classify(text, i);
    if (kind === kinds.word || kind === kinds.digit) {
      letters++;
      if (kind === kinds.digit) digits++;
    } else {
      endPiece();
      if (kind === kinds.symbol || kind === kinds.cjk) hundredths += 100;
    }
  }
  endPiece();
  return hundredths;
}

/** Estimated number of LLM tokens in `text` (see the module comment for the approximation). */
export function estimateTokens(text: string): number {
  return Math.ceil(estimateTokenHundredths(text) / 100);
}
