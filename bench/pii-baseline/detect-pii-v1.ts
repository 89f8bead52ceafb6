import { GroundworkError } from '../../src/core/index.ts';
import { hasKnownCardPrefix, ibanLengths, isIbanChecksumValid, isLuhnValid, isValidSsn } from './checksums-v1.ts';

/**
 * PII detection: where personal data is in a text, never what it is.
 *
 * Detectors favour precision: a span is reported only when a checksum (cards, IBAN), a structural rule (SSN,
 * phone shapes) or a nearby keyword (dates of birth) supports it. Every chunk goes through here, so each
 * detector is a single linear scan with a cheap pre-filter. Spans are offsets into the input in UTF-16 code
 * units (JavaScript string indices); the values themselves are never returned or stored.
 */

export const builtInPiiTypes = ['email', 'phone', 'ssn', 'credit_card', 'iban', 'date_of_birth'] as const;
export type BuiltInPiiType = (typeof builtInPiiTypes)[number];

/** One detected item: `text.slice(start, end)` is the value. `type` is a built-in type or a custom pattern name. */
export interface PiiSpan {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

/** Custom patterns compiled once (config `ingest.piiPatterns`: name → regular expression source). */
export interface CompiledPiiPatterns {
  readonly patterns: readonly { readonly type: string; readonly regex: RegExp }[];
}

export interface DetectPiiOptions {
  /** Extra detectors: name → regular-expression source (JavaScript syntax), or compiled by `compilePiiPatterns`. */
  readonly customPatterns?: Readonly<Record<string, string>> | CompiledPiiPatterns | undefined;
}

const customNamePattern = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * Compiles custom PII patterns. Names become span types (lower-cased), e.g. `policy_number`.
 * @throws GroundworkError `protect.invalid_pii_pattern` (usage) listing every bad name or expression.
 */
export function compilePiiPatterns(patterns: Readonly<Record<string, string>>): CompiledPiiPatterns {
  const compiled: { type: string; regex: RegExp }[] = [];
  const problems: string[] = [];
  for (const [name, source] of Object.entries(patterns)) {
    if (!customNamePattern.test(name)) {
      problems.push(
        `ingest.piiPatterns.${name}: the name must be letters, digits and underscores, starting with a letter (it becomes the type and the placeholder, e.g. [POLICY_NUMBER_1]).`,
      );
      continue;
    }
    try {
      const regex = new RegExp(source, 'g');
      if (regex.test('')) {
        problems.push(
          `ingest.piiPatterns.${name} = ${JSON.stringify(source)}: matches the empty string. Fix: require at least one character.`,
        );
        continue;
      }
      regex.lastIndex = 0;
      compiled.push({ type: name.toLowerCase(), regex });
    } catch (error) {
      problems.push(
        `ingest.piiPatterns.${name} = ${JSON.stringify(source)}: is not a valid regular expression (${(error as Error).message}). Fix: write JavaScript regular-expression syntax, escaping backslashes in JSON/YAML strings ("HO3-\\\\d{6}").`,
      );
    }
  }
  if (problems.length > 0) {
    throw new GroundworkError(
      'protect.invalid_pii_pattern',
      `${problems.length} invalid PII pattern${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      {
        category: 'usage',
        fix: 'Correct each pattern listed above under ingest.piiPatterns in the configuration.',
        details: { problems },
      },
    );
  }
  return { patterns: compiled };
}

const compiledCache = new WeakMap<object, CompiledPiiPatterns>();

function resolveCustomPatterns(custom: DetectPiiOptions['customPatterns']): CompiledPiiPatterns | undefined {
  if (!custom) return undefined;
  if ('patterns' in custom && Array.isArray(custom.patterns)) return custom as CompiledPiiPatterns;
  let compiled = compiledCache.get(custom);
  if (!compiled) {
    compiled = compilePiiPatterns(custom as Record<string, string>);
    compiledCache.set(custom, compiled);
  }
  return compiled;
}

/**
 * Finds PII in `text`. Overlapping candidates are resolved so that spans never overlap: the longest wins,
 * and on equal length the more specific detector (custom pattern > checksum-validated > keyword/shape).
 * Returns spans sorted by `start`.
 * @throws GroundworkError `protect.invalid_pii_pattern` when `customPatterns` does not compile.
 */
export function detectPii(text: string, options: DetectPiiOptions = {}): PiiSpan[] {
  const candidates: Candidate[] = [];
  findEmails(text, candidates);
  if (hasDigit(text)) {
    findIbans(text, candidates);
    findCards(text, candidates);
    findSsns(text, candidates);
    findPhones(text, candidates);
    findDatesOfBirth(text, candidates);
  }
  const custom = resolveCustomPatterns(options.customPatterns);
  if (custom) findCustom(text, custom, candidates);
  return resolveOverlaps(candidates);
}

/** Counts spans by type: `{ email: 2, ssn: 1 }` (stored as the document's `pii_summary`). */
export function countPii(spans: readonly PiiSpan[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const span of spans) counts[span.type] = (counts[span.type] ?? 0) + 1;
  return counts;
}

interface Candidate {
  type: string;
  start: number;
  end: number;
  /** Higher wins a tie in length. */
  priority: number;
}

const priority = { custom: 5, checksum: 4, email: 3, date_of_birth: 2, phone: 1 } as const;

function hasDigit(text: string): boolean {
  return /\d/.test(text);
}

// ---------------------------------------------------------------------------------------------------------
// E-mail: found from each "@" outwards, which is much faster than a regex trying every word start.

const localChar = /[A-Za-z0-9._%+'-]/;
// Message-IDs look like addresses but name a message, not a person (raw .eml headers, mail exports).
const messageIdHeader = /(?:^|\n)(?:message-id|in-reply-to|references|content-id|x-message-id)\s*:[^\n]*<\s*$/i;
const domainChar = /[A-Za-z0-9.-]/;

function findEmails(text: string, out: Candidate[]): void {
  let at = text.indexOf('@');
  while (at !== -1) {
    let start = at;
    while (start > 0 && start > at - 64 && localChar.test(text.charAt(start - 1))) start--;
    // A local part starts with a letter or digit (not a dot or quote picked up from the surrounding prose).
    while (start < at && !/[A-Za-z0-9]/.test(text.charAt(start))) start++;
    let end = at + 1;
    while (end < text.length && end < at + 256 && domainChar.test(text.charAt(end))) end++;
    // The domain ends with a label of letters: trim trailing dots/hyphens ("… at bob@example.com.").
    while (end > at + 1 && /[.-]/.test(text.charAt(end - 1))) end--;
    const domain = text.slice(at + 1, end);
    if (
      start < at &&
      /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$/.test(domain) &&
      !messageIdHeader.test(text.slice(Math.max(0, start - 40), start))
    ) {
      out.push({ type: 'email', start, end, priority: priority.email });
    }
    at = text.indexOf('@', at + 1);
  }
}

// ---------------------------------------------------------------------------------------------------------
// IBAN: country code, check digits, then 10–30 alphanumerics in optional groups of four; the country's
// registered length decides where it ends (a following upper-case word is not swallowed), mod-97 decides.

const ibanPattern = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,32}/g;

function findIbans(text: string, out: Candidate[]): void {
  const regex = new RegExp(ibanPattern.source, ibanPattern.flags);
  let match = regex.exec(text);
  while (match !== null) {
    const end = ibanEnd(text, match[0], match.index);
    // The pattern is greedy: resume right after an accepted IBAN (a second one may follow after a space).
    regex.lastIndex = end === undefined ? match.index + 1 : end;
    if (end !== undefined) out.push({ type: 'iban', start: match.index, end, priority: priority.checksum });
    match = regex.exec(text);
  }
}

/** Where the IBAN starting the run ends (by its country's length), if it is one. */
function ibanEnd(text: string, raw: string, start: number): number | undefined {
  const expected = ibanLengths[raw.slice(0, 2)];
  if (expected === undefined) return undefined;
  let count = 0;
  let endInRaw = -1;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== ' ') count++;
    if (count === expected) {
      endInRaw = i + 1;
      break;
    }
  }
  if (endInRaw === -1) return undefined;
  const end = start + endInRaw;
  if (/[A-Za-z0-9]/.test(text.charAt(end))) return undefined;
  return isIbanChecksumValid(raw.slice(0, endInRaw).replaceAll(' ', '')) ? end : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Payment cards: 13–19 digits, optionally grouped by one kind of separator, known issuer prefix, Luhn-valid.

const cardPattern = /(?<![\d.,/-])\d(?:[ -]?\d){11,18}(?![\d]|[.,/-]\d)/g;

function findCards(text: string, out: Candidate[]): void {
  scanRuns(
    text,
    cardPattern,
    (raw, start) => {
      const separators = raw.replace(/\d/g, '');
      if (separators.length > 0) {
        // One separator kind, and the first group is four digits (4-4-4-4, 4-6-5, 4-4-4-4-3 …).
        if (new Set(separators).size > 1 || !/^\d{4}[ -]/.test(raw)) return undefined;
      }
      const digits = raw.replace(/\D/g, '');
      if (digits.length < 13 || digits.length > 19) return undefined;
      if (!hasKnownCardPrefix(digits) || !isLuhnValid(digits)) return undefined;
      out.push({ type: 'credit_card', start, end: start + raw.length, priority: priority.checksum });
      return start + raw.length;
    },
    afterFirstSeparator,
  );
}

/**
 * Runs a greedy "digits and separators" pattern; when a run is rejected, scanning resumes inside it where
 * `restartAt` says (an index into the run, or -1 to move on), so "Visa 13 4222222222222" still finds the card.
 * `accept` returns the end of what it accepted, or undefined.
 */
function scanRuns(
  text: string,
  pattern: RegExp,
  accept: (raw: string, start: number) => number | undefined,
  restartAt: (raw: string) => number,
): void {
  const regex = new RegExp(pattern.source, pattern.flags);
  let match = regex.exec(text);
  while (match !== null) {
    const raw = match[0];
    const acceptedEnd = accept(raw, match.index);
    if (acceptedEnd !== undefined) {
      // The accepted value may be shorter than the run: what follows it is scanned again.
      regex.lastIndex = acceptedEnd;
    } else {
      const restart = restartAt(raw);
      if (restart > 0) regex.lastIndex = match.index + restart;
    }
    match = regex.exec(text);
  }
}

/** After the first separator: a card can follow any short number ("Visa 13 4222 …"). */
function afterFirstSeparator(raw: string): number {
  const separator = raw.slice(1).search(/[^\d]/);
  return separator === -1 ? -1 : separator + 2;
}

// ---------------------------------------------------------------------------------------------------------
// US SSN: 123-45-6789 or 123 45 6789 (same separator twice), or nine bare digits right after "SSN".

const ssnPattern = /(?<![\d.,/-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d]|[.,/-]\d)/g;
const ssnKeywordPattern = /\b(?:SSN|SS#|social\s+security(?:\s+(?:number|no\.?|#))?)[\s:#.=-]{0,4}(\d{9})(?!\d)/dgi;

function findSsns(text: string, out: Candidate[]): void {
  for (const match of text.matchAll(ssnPattern)) {
    const [raw, area = '', , group = '', serial = ''] = match;
    if (isValidSsn(area, group, serial))
      out.push({ type: 'ssn', start: match.index, end: match.index + raw.length, priority: priority.checksum });
  }
  if (!/ss|social/i.test(text)) return;
  for (const match of text.matchAll(ssnKeywordPattern)) {
    const digits = match[1] ?? '';
    const indices = match.indices?.[1];
    if (!indices) continue;
    if (isValidSsn(digits.slice(0, 3), digits.slice(3, 5), digits.slice(5)))
      out.push({ type: 'ssn', start: indices[0], end: indices[1], priority: priority.checksum });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Phone numbers: a run of digits and phone punctuation, then accepted only in a known shape:
//  - international: "+" or "00", then 8–15 digits (E.164), optional "(0)" trunk;
//  - North American (NANP): (NXX) NXX-XXXX, NXX-NXX-XXXX, NXX.NXX.XXXX, with an optional leading 1;
//  - European national: a leading trunk 0, 9–12 digits in at least two groups (030 1234567, 06 12 34 56 78).
// Dates, times, amounts and identifiers glued to letters ("HO3-448812", "CL-2026-0142") are not in any shape.

const phoneRunPattern = /(?<![\w.+/-])(?:\+|\(\+?)?\d[\d ()./-]{5,24}\d(?![\w]|[-./,]\d)/g;
const nanpPattern = /^(?:1[ .-]?)?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}([ .-]))[2-9]\d{2}[ .-]\d{4}$/;
const datePattern = /\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./](?:19|20)\d{2}(?!\d)/;

function findPhones(text: string, out: Candidate[]): void {
  scanRuns(
    text,
    phoneRunPattern,
    (raw, start) => {
      // The run may have swallowed what follows a space ("030 2265243 - 5.69"): try it whole, then cut at
      // each space from the right. Never at "-", "." or "/": "555-201-7788-99" is an identifier.
      for (let end = raw.length; end > 0; end = raw.lastIndexOf(' ', end - 1)) {
        // Before a cut, a trailing ". " or "- " is the sentence's punctuation, not the number's.
        let candidate = end === raw.length ? raw : raw.slice(0, end).replace(/[\s./-]+$/, '');
        let candidateStart = start;
        // "(+1 415 555 0100, …)": an opening parenthesis of the prose, not of the number.
        while (candidate.startsWith('(') && !parenthesesBalanced(candidate)) {
          candidate = candidate.slice(1);
          candidateStart++;
        }
        if (candidate.length < 7) break;
        if (!/\d$/.test(candidate) || !isPhoneShape(candidate)) continue;
        out.push({ type: 'phone', start: candidateStart, end: candidateStart + candidate.length, priority: priority.phone });
        return candidateStart + candidate.length;
      }
      return undefined;
    },
    phoneRestart,
  );
}

/**
 * Where a number can start inside a rejected run: after a space before "(" or "+" (unambiguous openers:
 * "Unit 4 (555) 201-7788") or after a full stop ("… 1111. 030 1234567"); never after a plain space between
 * digits ("DE89 3704 0044 0532 …" holds no "0044 …" number).
 */
function phoneRestart(raw: string): number {
  const match = /(?: (?=[(+])|\. +(?=[\d(+]))/.exec(raw.slice(1));
  return match ? match.index + 1 + match[0].length : -1;
}

/** Cheap first test: every accepted shape starts like this (keeps rescans of digit soup linear and fast). */
const phonePrefix = /^(?:\+|\(|00|0\d|1[ .-]?\(?[2-9]\d\d|[2-9]\d\d[ .)-])/;

function isPhoneShape(raw: string): boolean {
  if (!phonePrefix.test(raw)) return false;
  if (!parenthesesBalanced(raw) || /[ ./-]{2,}/.test(raw.replaceAll(') ', ')'))) return false;
  if (datePattern.test(raw) || /^\d{3}-\d{2}-\d{4}$/.test(raw)) return false; // dates; the SSN shape
  // Dots separate the groups of a whole number (555.201.7788, 06.12.34.56.78) or none: with spaces or
  // dashes they are decimals or dates next to a number ("+44 20 7946 4080 9.66%").
  if (raw.includes('.') && /[ -]/.test(raw.replace(/^\+?\d{1,3} /, ''))) return false;
  const groups = raw.split(/[ ./()-]+/).filter((group) => group.length > 0);
  if (groups.length === 3 && /^\d{1,2}[./-]\d{1,2}[./-]\d{2}$/.test(raw)) return false; // 12/05/80
  if (raw.startsWith('+') || raw.startsWith('(+') || raw.startsWith('00')) {
    const digits = raw.replace('(0)', '').replace(/\D/g, '').replace(/^00/, '');
    return digits.length >= 8 && digits.length <= 15 && digits[0] !== '0';
  }
  if (nanpPattern.test(raw)) return true;
  if (raw.startsWith('0') || raw.startsWith('(0')) {
    const digits = raw.replace(/\D/g, '');
    if (digits.length < 9 || digits.length > 12 || groups.length < 2) return false;
    // An area code after the trunk 0, then subscriber groups; one-digit groups are ISBNs and list numbers.
    if (groups.some((group) => group.length > 8 || group.length < 2)) return false;
    // Dots separate two-digit pairs in French numbers (06.12.34.56.78); elsewhere they mean decimals or dates.
    if (raw.includes('.') && groups.some((group) => group.length > 3)) return false;
    return true;
  }
  return false;
}

function parenthesesBalanced(raw: string): boolean {
  let depth = 0;
  for (const char of raw) {
    if (char === '(') depth++;
    else if (char === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

// ---------------------------------------------------------------------------------------------------------
// Dates of birth: a date right after a birth keyword (English, German, French). Other dates are not PII here.

const monthNames =
  'Jan(?:uary|uar)?|Feb(?:ruary|ruar)?|Mar(?:ch)?|März|Apr(?:il)?|May|Mai|June?|Juni|July?|Juli|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Okt(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|Dez(?:ember)?|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre';
const birthDate = `(\\d{4}-\\d{1,2}-\\d{1,2}|\\d{1,2}[./-]\\d{1,2}[./-](?:\\d{4}|\\d{2})(?!\\d)|(?:\\d{1,2}(?:st|nd|rd|th|\\.)?\\s+)?(?:${monthNames})\\.?\\s+(?:\\d{1,2}(?:st|nd|rd|th)?,?\\s+)?\\d{4})`;
const dobPattern = new RegExp(
  `(?:\\bDOB\\b|\\bD\\.O\\.B\\.?|\\bdate\\s+of\\s+birth\\b|\\bbirth\\s*date\\b|\\bbirthday\\b|\\bborn(?:\\s+on)?\\b|\\bgeb\\.|\\bgeboren(?:\\s+am)?\\b|\\bGeburtsdatum\\b|\\bdate\\s+de\\s+naissance\\b|\\bnée?\\s+le\\b)[\\s:=#,(-]{0,4}${birthDate}`,
  'dgiu',
);
const dobKeywordPrefilter = /dob|d\.o\.b|birth|born|geb|naissance|n[ée]e? le/i;

function findDatesOfBirth(text: string, out: Candidate[]): void {
  if (!dobKeywordPrefilter.test(text)) return;
  for (const match of text.matchAll(dobPattern)) {
    const indices = match.indices?.[1];
    if (indices) out.push({ type: 'date_of_birth', start: indices[0], end: indices[1], priority: priority.date_of_birth });
  }
}

// ---------------------------------------------------------------------------------------------------------

function findCustom(text: string, compiled: CompiledPiiPatterns, out: Candidate[]): void {
  for (const { type, regex } of compiled.patterns) {
    // A fresh copy keeps the shared compiled RegExp stateless (lastIndex) across concurrent callers.
    for (const match of text.matchAll(new RegExp(regex.source, regex.flags))) {
      if (match[0].length === 0) continue;
      out.push({ type, start: match.index, end: match.index + match[0].length, priority: priority.custom });
    }
  }
}

/** Longest first, then most specific; a candidate overlapping an accepted span is dropped. */
function resolveOverlaps(candidates: Candidate[]): PiiSpan[] {
  if (candidates.length === 0) return [];
  candidates.sort((a, b) => b.end - b.start - (a.end - a.start) || b.priority - a.priority || a.start - b.start);
  const accepted: Candidate[] = []; // kept sorted by start
  for (const candidate of candidates) {
    let low = 0;
    let high = accepted.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((accepted[mid] as Candidate).start < candidate.start) low = mid + 1;
      else high = mid;
    }
    const before = accepted[low - 1];
    const after = accepted[low];
    if (before && before.end > candidate.start) continue;
    if (after && after.start < candidate.end) continue;
    accepted.splice(low, 0, candidate);
  }
  return accepted.map(({ type, start, end }) => ({ type, start, end }));
}
