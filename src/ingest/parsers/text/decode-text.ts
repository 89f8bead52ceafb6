import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import jschardet from 'jschardet';
import type { ParseWarning } from '../parser.ts';
import type { TextBudget } from '../text-budget.ts';

/** Text decoded from bytes, with how sure we are of the encoding. */
export interface DecodedText {
  readonly text: string;
  /** Canonical lower-case name: `utf-8`, `utf-16le`, `windows-1252`, `shift_jis`, … */
  readonly encoding: string;
  /** 0..1. 1 for a BOM or valid UTF-8; a guess below `warnBelowConfidence` also yields a warning. */
  readonly confidence: number;
  /**
   * `encoding.guessed` when a legacy encoding was not certain; `encoding.invalid_bytes` when UTF-8 with a few
   * damaged bytes was decoded with replacement characters (U+FFFD).
   */
  readonly warnings: readonly ParseWarning[];
}

export interface DecodeTextOptions {
  /** Encoding the container declares (HTML `<meta charset>`, MIME `charset=`); a strong hint, not the truth. */
  readonly declaredEncoding?: string;
  /**
   * Counts the text while it is decoded and stops (throws `ingest.too_large`) once it is over: a huge file is
   * refused after decoding a bounded part of it.
   */
  readonly budget?: TextBudget;
}

/** Guesses below this confidence carry an `encoding.guessed` warning. */
export const warnBelowConfidence = 0.8;

/** Bytes of the sample used to choose among legacy encodings (the whole text is then decoded with the winner). */
const sampleBytes = 16 * 1024;

/** Bytes decoded at a time: large files are decoded (and counted against the budget) slice by slice. */
const sliceBytes = 1024 * 1024;

/**
 * UTF-8 with at most one invalid sequence per this many valid multi-byte characters is read as UTF-8 with
 * replacement characters. Legacy 8-bit text almost never forms valid multi-byte UTF-8 sequences (a lead byte
 * 0xC2–0xF4 must be followed by the right number of bytes 0x80–0xBF), so its invalid sequences outnumber its
 * valid ones many times over; UTF-8 damaged by a stray byte or a cut-and-paste from a legacy file is the
 * other way round.
 */
const validPerInvalid = 2;

/** How the bytes are to be decoded, chosen before decoding them. */
interface EncodingChoice {
  readonly encoding: string;
  readonly confidence: number;
  /** Bytes to skip (a byte-order mark). */
  readonly skip: number;
  readonly warnings: readonly ParseWarning[];
}

/**
 * Decodes text of unknown encoding without silently producing mojibake.
 *
 * Order: byte-order mark (UTF-8/16LE/16BE) → UTF-16 without BOM (NUL-byte pattern) → valid UTF-8 → mostly
 * valid UTF-8 (a few damaged bytes: replacement characters and an `encoding.invalid_bytes` warning, never a
 * legacy code page that turns every other character into mojibake) → legacy encodings. For the last step
 * jschardet proposes candidates, which are not reliable on short or Western European samples (Windows-1252
 * ties with ISO-8859-1/15 at ~0.1, and a 40-byte sample came back as MacCyrillic), so every candidate decoding
 * is scored for plausibility — letters inside words of one script are good; control characters, C1 controls
 * (which mean Windows-1252, not Latin-1), replacement characters, symbols inside words, mixed Latin/Cyrillic
 * words and stray capitals are bad — and the most plausible wins.
 *
 * The encoding is chosen on evidence that costs no decoding of the whole file (a native UTF-8 check, a byte
 * scan, a 16 KiB sample); the text is then decoded slice by slice, counted against `options.budget`.
 *
 * @throws GroundworkError `ingest.too_large` when the text runs over `options.budget`.
 */
export function decodeText(bytes: Uint8Array, options: DecodeTextOptions = {}): DecodedText {
  const choice = chooseEncoding(bytes, options.declaredEncoding);
  const text = decodeSlices(bytes.subarray(choice.skip), choice.encoding, options.budget);
  return { text, encoding: choice.encoding, confidence: choice.confidence, warnings: choice.warnings };
}

function chooseEncoding(bytes: Uint8Array, declaredEncoding: string | undefined): EncodingChoice {
  const certain = (encoding: string, skip = 0): EncodingChoice => ({ encoding, confidence: 1, skip, warnings: [] });
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return certain('utf-8', 3);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return certain('utf-16le', 2);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return certain('utf-16be', 2);
  if (bytes.length === 0) return certain('utf-8');

  const utf16 = utf16ByNulPattern(bytes.subarray(0, Math.min(bytes.length, 4096)));
  if (utf16) return { encoding: utf16, confidence: 0.95, skip: 0, warnings: [] };

  if (isUtf8(bytes)) return certain('utf-8');

  const evidence = utf8Evidence(bytes);
  if (evidence.valid > 0 && evidence.valid >= validPerInvalid * evidence.invalid) {
    const confidence = Math.round((evidence.valid / (evidence.valid + evidence.invalid)) * 100) / 100;
    const plural = evidence.invalid === 1 ? 'sequence is' : 'sequences are';
    return {
      encoding: 'utf-8',
      confidence,
      skip: 0,
      warnings: [
        {
          code: 'encoding.invalid_bytes',
          message: `The text is UTF-8, but ${evidence.invalid} byte ${plural} not valid UTF-8 and were replaced by "\ufffd" (U+FFFD), next to ${evidence.valid} valid multi-byte characters; re-save the file as UTF-8 from its application, or correct the damaged characters.`,
          confidence,
        },
      ],
    };
  }

  return chooseLegacy(bytes, declaredEncoding);
}

/** Encodings the WHATWG TextDecoder decodes natively (and faster than iconv-lite). */
const nativeEncodings = new Set(['utf-8', 'utf-16le', 'utf-16be']);

/** Decodes in slices of `sliceBytes`, counting each against the budget before decoding the next. */
function decodeSlices(bytes: Uint8Array, encoding: string, budget: TextBudget | undefined): string {
  const parts: string[] = [];
  const take = (piece: string) => {
    if (piece.length === 0) return;
    budget?.add(piece);
    parts.push(piece);
  };
  if (nativeEncodings.has(encoding)) {
    // Not fatal: UTF-8 chosen despite a few invalid bytes gets replacement characters for them.
    const decoder = new TextDecoder(encoding);
    for (let offset = 0; offset < bytes.length; offset += sliceBytes) {
      take(decoder.decode(bytes.subarray(offset, offset + sliceBytes), { stream: true }));
    }
    take(decoder.decode());
  } else {
    const decoder = iconv.getDecoder(encoding);
    for (let offset = 0; offset < bytes.length; offset += sliceBytes) {
      const slice = bytes.subarray(offset, offset + sliceBytes);
      take(decoder.write(Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength)));
    }
    take(decoder.end() ?? '');
  }
  return parts.join('');
}

/** Mostly-ASCII UTF-16 has a NUL in every other byte: odd positions for little endian, even for big endian. */
function utf16ByNulPattern(sample: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  const pairs = Math.floor(sample.length / 2);
  if (pairs < 2) return undefined;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i + 1 < sample.length; i += 2) {
    if (sample[i] === 0) evenNul++;
    if (sample[i + 1] === 0) oddNul++;
  }
  if (oddNul / pairs > 0.3 && evenNul / pairs < 0.05) return 'utf-16le';
  if (evenNul / pairs > 0.3 && oddNul / pairs < 0.05) return 'utf-16be';
  return undefined;
}

/**
 * Valid multi-byte UTF-8 sequences and invalid sequences in `bytes`, counted the way the WHATWG decoder
 * replaces them: each maximal ill-formed subpart is one invalid sequence, i.e. one U+FFFD when decoded.
 */
export function utf8Evidence(bytes: Uint8Array): { valid: number; invalid: number } {
  let valid = 0;
  let invalid = 0;
  let index = 0;
  const length = bytes.length;
  while (index < length) {
    const lead = bytes[index] as number;
    if (lead < 0x80) {
      index++;
      continue;
    }
    let needed: number;
    let lower = 0x80;
    let upper = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) needed = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      needed = 2;
      if (lead === 0xe0) lower = 0xa0;
      if (lead === 0xed) upper = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      needed = 3;
      if (lead === 0xf0) lower = 0x90;
      if (lead === 0xf4) upper = 0x8f;
    } else {
      invalid++;
      index++;
      continue;
    }
    let next = index + 1;
    let ok = true;
    for (let k = 0; k < needed; k++, next++) {
      const byte = next < length ? (bytes[next] as number) : -1;
      const min = k === 0 ? lower : 0x80;
      const max = k === 0 ? upper : 0xbf;
      if (byte < min || byte > max) {
        ok = false;
        break;
      }
    }
    if (ok) valid++;
    else invalid++; // the bytes consumed so far are one replacement; the offending byte is read again
    index = next;
  }
  return { valid, invalid };
}

interface Candidate {
  readonly encoding: string;
  readonly detectorConfidence: number;
  readonly declared: boolean;
}

interface ScoredCandidate extends Candidate {
  readonly sampleText: string;
  readonly total: number;
  readonly nonAscii: number;
}

/** Encodings that are plausible for files an enterprise has lying around get a small head start. */
const priors: Readonly<Record<string, number>> = {
  'windows-1252': 0.15,
  'iso-8859-1': 0.1,
  'iso-8859-15': 0.08,
  'windows-1250': 0.05,
  'iso-8859-2': 0.05,
  shift_jis: 0.05,
  cp932: 0.05,
};

/** Encodings that jschardet proposes for short Latin samples although nobody uses them for such text. */
function isSuspicious(encoding: string): boolean {
  return /^(mac|cp|ibm|hp-|koi8-t|kz|ptcp|johab)/.test(encoding);
}

function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  const aliases: Record<string, string> = {
    'iso8859-1': 'iso-8859-1',
    'iso8859-15': 'iso-8859-15',
    latin1: 'iso-8859-1',
    sjis: 'shift_jis',
    'shift-jis': 'shift_jis',
    'x-sjis': 'shift_jis',
    ascii: 'windows-1252',
    'us-ascii': 'windows-1252',
  };
  const alias = aliases[lower];
  if (alias) return alias;
  const iso = /^iso-?8859-?(\d+)$/.exec(lower);
  if (iso) return `iso-8859-${iso[1]}`;
  return lower;
}

/**
 * The lines that contain non-ASCII bytes, up to `sampleBytes`: ASCII decodes the same in every candidate, so
 * only these lines are evidence, and a small sample keeps detection cheap on large files. Line feeds are
 * safe cut points in every candidate encoding (no multi-byte encoding here uses 0x0A inside a character).
 */
function evidenceSample(bytes: Uint8Array): Uint8Array {
  if (bytes.length <= sampleBytes) return bytes;
  const parts: Uint8Array[] = [];
  let size = 0;
  let start = 0;
  while (start < bytes.length && size < sampleBytes) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const line = bytes.subarray(start, Math.min(end + 1, start + sampleBytes));
    if (line.some((byte) => byte >= 0x80)) {
      parts.push(line);
      size += line.length;
    }
    start = end + 1;
  }
  const sample = new Uint8Array(Math.min(size, sampleBytes));
  let offset = 0;
  for (const part of parts) {
    const take = Math.min(part.length, sample.length - offset);
    sample.set(part.subarray(0, take), offset);
    offset += take;
    if (offset >= sample.length) break;
  }
  return sample;
}

function chooseLegacy(bytes: Uint8Array, declaredEncoding: string | undefined): EncodingChoice {
  const sample = evidenceSample(bytes);
  const buffer = Buffer.from(sample.buffer, sample.byteOffset, sample.byteLength);
  const candidates = new Map<string, Candidate>();
  const add = (name: string, detectorConfidence: number, declared = false) => {
    const encoding = canonicalName(name);
    if (encoding === 'utf-8' || encoding.startsWith('utf-16') || !iconv.encodingExists(encoding)) return;
    const existing = candidates.get(encoding);
    candidates.set(encoding, {
      encoding,
      detectorConfidence: Math.max(detectorConfidence, existing?.detectorConfidence ?? 0),
      declared: declared || (existing?.declared ?? false),
    });
  };
  let detected: { encoding: string; confidence: number }[] = [];
  try {
    detected = (jschardet.detectAll(buffer) ?? []).flatMap((entry) =>
      entry.encoding ? [{ encoding: entry.encoding, confidence: entry.confidence }] : [],
    );
  } catch {
    detected = [];
  }
  for (const entry of detected.slice(0, 8)) add(entry.encoding, entry.confidence);
  if (declaredEncoding) add(declaredEncoding, 0, true);
  for (const fallback of ['windows-1252', 'iso-8859-2', 'windows-1251', 'shift_jis']) add(fallback, 0);

  const scored: ScoredCandidate[] = [];
  for (const candidate of candidates.values()) {
    const sampleText = iconv.decode(buffer, candidate.encoding);
    const { plausibility, nonAscii } = scorePlausibility(sampleText);
    const short = nonAscii < 16;
    const total =
      plausibility +
      0.6 * candidate.detectorConfidence +
      (priors[candidate.encoding] ?? 0) +
      (candidate.declared ? 0.3 : 0) -
      (short && isSuspicious(candidate.encoding) ? 0.2 : 0);
    scored.push({ ...candidate, sampleText, total, nonAscii });
  }
  scored.sort((a, b) => b.total - a.total);
  const best = scored[0];
  if (!best) return { encoding: 'windows-1252', confidence: 1, skip: 0, warnings: [] };
  // Candidates that decode the sample to the same text are not rivals (Windows-1252 vs ISO-8859-15 on text without €).
  const rival = scored.find((entry) => entry.sampleText !== best.sampleText);
  const margin = rival ? best.total - rival.total : 1;
  let confidence = Math.min(0.99, Math.max(0.05, 0.35 + margin * 0.6 + best.detectorConfidence * 0.3));
  if (best.detectorConfidence >= 0.8 && detectedTop(detected) === best.encoding) {
    confidence = Math.max(confidence, best.detectorConfidence);
  }
  // A handful of non-ASCII characters cannot prove an encoding, whatever the scores say.
  if (best.nonAscii < 8) confidence = Math.min(confidence, 0.6);
  confidence = Math.round(confidence * 100) / 100;

  const warnings: ParseWarning[] =
    confidence < warnBelowConfidence
      ? [
          {
            code: 'encoding.guessed',
            message: `Text encoding guessed as ${best.encoding} (confidence ${confidence.toFixed(2)}); if characters look wrong, re-save the file as UTF-8.`,
            confidence,
          },
        ]
      : [];
  return { encoding: best.encoding, confidence, skip: 0, warnings };
}

function detectedTop(detected: readonly { encoding: string }[]): string | undefined {
  const top = detected[0];
  return top ? canonicalName(top.encoding) : undefined;
}

type Script = 'latin' | 'cyrillic' | 'greek' | 'cjk' | 'hangul' | 'arabic' | 'hebrew' | 'thai' | 'other';

function scriptOf(char: string): Script {
  if (/\p{Script=Latin}/u.test(char)) return 'latin';
  if (/\p{Script=Cyrillic}/u.test(char)) return 'cyrillic';
  if (/\p{Script=Greek}/u.test(char)) return 'greek';
  if (/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u30fc]/u.test(char)) return 'cjk';
  if (/\p{Script=Hangul}/u.test(char)) return 'hangul';
  if (/\p{Script=Arabic}/u.test(char)) return 'arabic';
  if (/\p{Script=Hebrew}/u.test(char)) return 'hebrew';
  if (/\p{Script=Thai}/u.test(char)) return 'thai';
  return 'other';
}

/** Symbols that real text uses; anything else outside ASCII that is not a letter is suspect. */
const commonSymbols = new Set('€£¥¢©®™°§¶–—‘’‚“”„•…«»×÷½¼¾±µ·¿¡‰†№、。「」『』・！？（）：；，．〜ー'.split(''));
/** Symbols that legacy decodings of other encodings produce far more often than writers do. */
const rareSymbols = new Set('¤¦¨¯´¸¬ª º¹²³ƒˆ˜‹›¨¯˘˙˚˛˝ˇ'.split(''));
/** Punctuation that may sit between two letters of one word. */
const inWordPunctuation = new Set(['’', 'ʼ', '·', '‧', '‐', '‑', '-', "'"]);

/**
 * Plausibility of decoded text, about -5 (garbage) to 1 (clean), averaged over its non-ASCII characters
 * (ASCII decodes the same in every candidate, so it carries no evidence).
 */
export function scorePlausibility(text: string): { plausibility: number; nonAscii: number } {
  let sum = 0;
  let nonAscii = 0;
  // Control characters count wherever they are: they are never in text (except tab, line feed, carriage return, form feed).
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0c && code !== 0x0d) || code === 0x7f) {
      sum -= 5;
      nonAscii++;
    }
  }
  const chars = Array.from(text);
  const isLetter = (char: string | undefined) => char !== undefined && /[\p{L}\p{M}]/u.test(char);
  for (const word of text.matchAll(/[\p{L}\p{M}]+/gu)) {
    const letters = Array.from(word[0]);
    const hasNonAscii = letters.some((char) => char.charCodeAt(0) > 0x7f);
    if (!hasNonAscii) continue;
    const scripts = new Set(letters.filter((char) => /\p{L}/u.test(char)).map(scriptOf));
    const mixed = scripts.size > 1;
    letters.forEach((char, index) => {
      if (char.charCodeAt(0) <= 0x7f) return;
      nonAscii++;
      if (mixed) {
        sum -= 3;
        return;
      }
      const previous = letters[index - 1];
      // "cafÈ", "naÔve": a capital after a small letter inside a word is what a wrong code page looks like.
      if (previous && /\p{Ll}/u.test(previous) && /\p{Lu}/u.test(char)) sum -= 2;
      else sum += 1;
    });
  }
  chars.forEach((char, index) => {
    const code = char.codePointAt(0) ?? 0;
    if (code <= 0x7f || isLetter(char)) return;
    nonAscii++;
    if (code >= 0x80 && code <= 0x9f) sum -= 5;
    else if (char === '\ufffd') sum -= 5;
    else if ((code >= 0x2500 && code <= 0x259f) || (code >= 0xe000 && code <= 0xf8ff)) sum -= 2;
    else if (isLetter(chars[index - 1]) && isLetter(chars[index + 1]) && !inWordPunctuation.has(char)) sum -= 2;
    else if (rareSymbols.has(char)) sum -= 1;
    else if (commonSymbols.has(char) || /\s/u.test(char)) sum += 0.5;
    else if (/\p{N}/u.test(char)) sum += 0.2;
    else sum -= 0.5;
  });
  return { plausibility: nonAscii === 0 ? 1 : sum / nonAscii, nonAscii };
}

/** Extracts a `charset` declared in the first bytes of an HTML/XML document (`<meta charset>`, `encoding="…"`). */
export function sniffDeclaredCharset(bytes: Uint8Array): string | undefined {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 2048)));
  const match =
    /<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)/i.exec(head) ??
    /<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_:.-]+)/i.exec(head);
  return match?.[1];
}
