import { isIP } from 'node:net';
import { GroundworkError } from '../../core/index.ts';
import {
  hasKnownCardPrefix,
  ibanLengths,
  isIbanChecksumValid,
  isLuhnValid,
  isValidDutchBsn,
  isValidFrenchNir,
  isValidItalianFiscalCode,
  isValidSpanishId,
  isValidSsn,
  isValidSteuerId,
  isValidUkNino,
} from './checksums.ts';
import { type EntityCandidate, findEntities, findLowercaseNames } from './detect-entities.ts';

/**
 * PII detection: where personal data is in a text, never what it is.
 *
 * Identifiers are reported when a checksum (cards, IBAN, national ids), a structural rule (SSN, phone and
 * address shapes) or a nearby keyword (dates of birth, ages, passport and licence numbers) supports them.
 * Names, places and organisations come from capitalised word runs scored by gazetteers and context
 * (detect-entities.ts). Every span carries a score in 0..1; spans under `minScore` are dropped. Every chunk goes
 * through here, so each detector is a linear scan with a cheap pre-filter. Spans are offsets into the input in
 * UTF-16 code units (JavaScript string indices); the values themselves are never returned or stored.
 */

export const builtInPiiTypes = [
  'email',
  'phone',
  'ssn',
  'credit_card',
  'iban',
  'date_of_birth',
  'person',
  'street_address',
  'postal_code',
  'location',
  'organization',
  'age',
  'ip_address',
  'url',
  'drivers_license',
  'passport_number',
  'national_id',
  'title',
  'nrp',
  'date',
] as const;
export type BuiltInPiiType = (typeof builtInPiiTypes)[number];

/**
 * One detected item: `text.slice(start, end)` is the value. `type` is a built-in type or a custom pattern name.
 * `score` (0..1) says how sure the detector is; spans stored by older versions have none.
 */
export interface PiiSpan {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly score?: number;
}

/** A span as `detectPii` returns it: always scored. */
export interface DetectedPiiSpan extends PiiSpan {
  readonly score: number;
}

/** Spans scored below this are not reported unless the caller asks for a different threshold. */
export const defaultMinPiiScore = 0.5;

/** Custom patterns compiled once (config `ingest.piiPatterns`: name → regular expression source). */
export interface CompiledPiiPatterns {
  readonly patterns: readonly { readonly type: string; readonly regex: RegExp }[];
}

export interface DetectPiiOptions {
  /** Extra detectors: name → regular-expression source (JavaScript syntax), or compiled by `compilePiiPatterns`. */
  readonly customPatterns?: Readonly<Record<string, string>> | CompiledPiiPatterns | undefined;
  /** Report only spans scored at least this (default `defaultMinPiiScore`, 0.5). */
  readonly minScore?: number | undefined;
  /**
   * Also report other dates and times as `date` (off by default): loss dates and policy periods are the
   * substance of insurance documents, not personal data, and redacting them would make answers useless. For
   * evaluations against sets that label every date (presidio-research's DATE_TIME); dates of birth are
   * always reported as `date_of_birth`.
   */
  readonly dates?: boolean | undefined;
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
export function detectPii(text: string, options: DetectPiiOptions = {}): DetectedPiiSpan[] {
  const candidates: Candidate[] = [];
  findEmails(text, candidates);
  findUrls(text, candidates);
  if (hasDigit(text)) {
    findIbans(text, candidates);
    findCards(text, candidates);
    findSsns(text, candidates);
    findPhones(text, candidates);
    findDatesOfBirth(text, candidates);
    findIpAddresses(text, candidates);
    // UK and Canadian postcodes, Spanish and Italian ids all hold a digit right before a capital letter ("1AA",
    // "0B1", "5678Z", "5678-Z", "85T"): text without one skips their patterns.
    const digitBeforeCapital = digitBeforeCapitalPattern.test(text);
    if (digitBeforeCapital) findPostalCodes(text, candidates);
    findNationalIds(text, candidates, digitBeforeCapital);
  }
  findKeyed(text, candidates);
  const entityStart = candidates.length;
  findEntities(text, candidates as EntityCandidate[]);
  // The entity detector does not know priorities: its candidates get the lowest, in place, except whole
  // address blocks, which compete with the keyed and shape detectors (a postcode inside one is part of it).
  for (let i = entityStart; i < candidates.length; i++) {
    const candidate = candidates[i] as Candidate & EntityCandidate;
    candidate.priority = candidate.block ? priority.context : priority.entity;
  }
  if (options.dates && hasDigitOrDay(text)) findDates(text, candidates);
  const custom = resolveCustomPatterns(options.customPatterns);
  if (custom) findCustom(text, custom, candidates);
  const minScore = options.minScore ?? defaultMinPiiScore;
  return resolveOverlaps(candidates.filter((candidate) => candidate.score >= minScore));
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
  score: number;
  /** Higher wins a tie in length. */
  priority: number;
}

/**
 * Overlaps: pattern and checksum detectors win over word-run entities whatever their length (a card number
 * is not part of a street), then the longest span, then this order.
 */
const priority = { custom: 6, checksum: 5, email: 4, date_of_birth: 3, context: 2, phone: 1, entity: 0 } as const;

/** Scores by kind of evidence (see docs/sensitivity-and-pii.md). */
const scores = {
  checksum: 1,
  email: 0.95,
  shape: 0.85,
  keyword: 0.9,
  phone: 0.85,
  contextPhone: 0.7,
} as const;

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
      out.push({ type: 'email', start, end, score: scores.email, priority: priority.email });
    }
    at = text.indexOf('@', at + 1);
  }
}

// ---------------------------------------------------------------------------------------------------------
// IBAN: country code, check digits, then 10–30 alphanumerics in optional groups of four; the country's
// registered length decides where it ends (a following upper-case word is not swallowed), mod-97 decides.

const ibanPattern = /\b(?:[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,32}|[a-z]{2}\d{2}(?: ?[a-z0-9]){10,32})/g;

function findIbans(text: string, out: Candidate[]): void {
  const regex = new RegExp(ibanPattern.source, ibanPattern.flags);
  let match = regex.exec(text);
  while (match !== null) {
    const end = ibanEnd(text, match[0], match.index);
    // The pattern is greedy: resume right after an accepted IBAN (a second one may follow after a space).
    regex.lastIndex = end === undefined ? match.index + 1 : end;
    if (end !== undefined)
      out.push({ type: 'iban', start: match.index, end, score: scores.checksum, priority: priority.checksum });
    match = regex.exec(text);
  }
}

/** Where the IBAN starting the run ends (by its country's length), if it is one. */
function ibanEnd(text: string, raw: string, start: number): number | undefined {
  const expected = ibanLengths[raw.slice(0, 2).toUpperCase()];
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
  return isIbanChecksumValid(raw.slice(0, endInRaw).replaceAll(' ', '').toUpperCase()) ? end : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Payment cards: 13–19 digits, optionally grouped by one kind of separator, known issuer prefix, Luhn-valid.

const cardPattern = /(?<![\d.,/-])\d(?:[ -]?\d){11,18}(?![\d]|[.,/-]\d)/g;

function findCards(text: string, out: Candidate[]): void {
  scanRuns(
    text,
    cardPattern,
    (raw, start) => {
      // One separator kind, and the first group is four digits (4-4-4-4, 4-6-5, 4-4-4-4-3 …); counted in one
      // pass (this runs on every long digit run: dates with times, ISBNs, account numbers).
      let separator = 0;
      let firstSeparatorAt = -1;
      let digitCount = 0;
      for (let i = 0; i < raw.length; i++) {
        const code = raw.charCodeAt(i);
        if (code >= 48 && code <= 57) {
          digitCount++;
          continue;
        }
        if (separator === 0) {
          separator = code;
          firstSeparatorAt = i;
        } else if (code !== separator) return undefined;
      }
      if (separator !== 0 && firstSeparatorAt !== 4) return undefined;
      if (digitCount < 12 || digitCount > 19) return undefined;
      const digits = separator === 0 ? raw : raw.replaceAll(String.fromCharCode(separator), '');
      if (!hasKnownCardPrefix(digits) || !isLuhnValid(digits)) return undefined;
      out.push({ type: 'credit_card', start, end: start + raw.length, score: scores.checksum, priority: priority.checksum });
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
  ssnPattern.lastIndex = 0;
  for (let match = ssnPattern.exec(text); match !== null; match = ssnPattern.exec(text)) {
    const [raw, area = '', , group = '', serial = ''] = match;
    if (isValidSsn(area, group, serial))
      out.push({
        type: 'ssn',
        start: match.index,
        end: match.index + raw.length,
        score: scores.shape,
        priority: priority.checksum,
      });
  }
  if (!/ss|social/i.test(text)) return;
  ssnKeywordPattern.lastIndex = 0;
  for (let match = ssnKeywordPattern.exec(text); match !== null; match = ssnKeywordPattern.exec(text)) {
    const digits = match[1] ?? '';
    const indices = match.indices?.[1];
    if (!indices) continue;
    if (isValidSsn(digits.slice(0, 3), digits.slice(3, 5), digits.slice(5)))
      out.push({ type: 'ssn', start: indices[0], end: indices[1], score: scores.keyword, priority: priority.checksum });
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
      // Every cut below starts like the run and holds at most its digits: when no accepted shape starts so, or
      // the run has fewer digits than any shape (8), none of them can be one.
      if (!phonePrefix.test(raw) && raw.charCodeAt(0) !== 40) return undefined;
      let digitCount = 0;
      for (let i = 0; i < raw.length && digitCount < 8; i++) if (isDigitCode(raw.charCodeAt(i))) digitCount++;
      if (digitCount < 8) return undefined;
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
        const phoneEnd = withExtension(text, candidateStart + candidate.length);
        out.push({ type: 'phone', start: candidateStart, end: phoneEnd, score: scores.phone, priority: priority.phone });
        return phoneEnd;
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
  // Every accepted shape holds 8 to 18 digits (15 of E.164, a "00" and a "(0)"): counted before any pattern.
  let digitCount = 0;
  for (let i = 0; i < raw.length; i++) if (isDigitCode(raw.charCodeAt(i))) digitCount++;
  if (digitCount < 8 || digitCount > 18) return false;
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
  // A parenthesised area code without the trunk 0: "(71) 4233-6306", "(37) 788-063".
  if (/^\(\d{2,4}\) ?\d{3,5}[ -]\d{3,4}$/.test(raw)) return true;
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

/** "+1 415 555 0100 x565", "… ext. 12": the extension belongs to the number. */
function withExtension(text: string, end: number): number {
  const match = /^ ?(?:x|ext\.?|extension) ?\d{1,5}\b/i.exec(text.slice(end, end + 16));
  return match ? end + match[0].length : end;
}

// National and local numbers without a trunk prefix ("699 956 915", "467 3395", "60-56-85-91") look like any
// other grouped number; they count only next to a phone word before ("Phone:", "call me at") or a label after
// ("416 60 039 office").
const phoneContextBefore =
  /(?:\b(?:phone|telephone|tel|mobile|cell|cellphone|fax|landline|whatsapp|sms|ph|call(?: me| us)?(?: at| on)?|ring(?: me| us)?(?: at| on)?|reach(?: me| us)? (?:at|on)|answering at|messages to|text(?: me| us)? (?:at|on)|contact (?:me |us )?(?:at|on)|number is|phone number is)\b\.?|\btel\.|\bno\.)[\s:#.=-]{0,4}(?:\r?\n)?[\s]*$/i;
const phoneLabelAfter = /^[\s-]{0,2}\(?(?:office|fax|mobile|cell|landline)\b/i;
const localPhonePattern = /(?<![\w.+/-])\(?\d[\d ().-]{4,16}\d(?![\w]|[-./,]\d)/g;

function acceptContextPhone(text: string, found: string, foundAt: number, out: Candidate[], known: ReadonlySet<number>): void {
  // Most numbers near a phone word were already found by their shape.
  if (known.has(foundAt) || known.has(foundAt + 1)) return;
  let raw = found;
  let start = foundAt;
  while (raw.startsWith('(') && !parenthesesBalanced(raw)) {
    raw = raw.slice(1);
    start++;
  }
  if (!parenthesesBalanced(raw)) return;
  const digits = raw.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 12) return;
  const groups = raw.split(/[ ./()-]+/).filter((group) => group.length > 0);
  if (groups.some((group) => group.length > 5) && groups.length > 1) return;
  if (datePattern.test(raw) || /^\d{3}-\d{2}-\d{4}$/.test(raw) || /[ ./-]{2,}/.test(raw.replaceAll(') ', ')'))) return;
  if (/^\d+[.,]\d{1,2}$/.test(raw)) return; // an amount
  // The window may have cut a longer number: only whole runs count.
  if (/[\d]/.test(text.charAt(start - 1)) || /\d/.test(text.charAt(start + raw.length))) return;
  const before = text.slice(Math.max(0, start - 40), start);
  const after = text.slice(start + raw.length, start + raw.length + 20);
  if (!phoneContextBefore.test(before) && !phoneLabelAfter.test(after)) return;
  const end = withExtension(text, start + raw.length);
  out.push({ type: 'phone', start, end, score: scores.contextPhone, priority: priority.phone });
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
  `(?:\\bDOB\\b|\\bD\\.O\\.B\\.?|\\bdate\\s+of\\s+birth\\b|\\bbirth\\s*date\\b|\\bbirthday\\b|\\bborn(?:\\s+on)?\\b|\\bgeb\\.|\\bgeboren(?:\\s+am)?\\b|\\bGeburtsdatum\\b|\\bdate\\s+de\\s+naissance\\b|\\bnée?\\s+le\\b)(?:[\\s:=#,.(-]|\\bis\\b|\\bwas\\b|\\bon\\b|\\bit['’]s\\b|\\bit\\s+is\\b){0,8}${birthDate}`,
  'dgiu',
);
const dobKeywordPrefilter = /dob|d\.o\.b|birth|born|geb|naissance|n[ée]e? le/i;

function findDatesOfBirth(text: string, out: Candidate[]): void {
  if (!dobKeywordPrefilter.test(text)) return;
  dobPattern.lastIndex = 0;
  for (let match = dobPattern.exec(text); match !== null; match = dobPattern.exec(text)) {
    const indices = match.indices?.[1];
    if (indices)
      out.push({
        type: 'date_of_birth',
        start: indices[0],
        end: indices[1],
        score: scores.keyword,
        priority: priority.date_of_birth,
      });
  }
}

// ---------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------
// URLs and domain names: a scheme or "www.", or a bare host name under a well-known top-level domain.

const urlPattern = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;
// Country and generic TLDs; those that are also common file extensions (md, sh, py, rs, pl, ps, so, ai, cc …)
// are left out of bare domains (README.md, run.sh), though they are found after a scheme or "www.".
const topLevelDomains =
  'com|org|net|edu|gov|mil|int|info|biz|io|co|uk|de|fr|it|es|nl|be|ch|at|se|no|dk|fi|ie|pt|gr|cz|sk|hu|ro|bg|hr|si|ee|lv|lt|lu|us|ca|au|nz|jp|cn|kr|in|br|ar|mx|cl|uy|za|ru|ua|tr|il|sg|hk|tw|eu|online|site|shop|app|dev|cloud|insurance|bank';
// Found from the top-level domain backwards: a scan for "." + TLD is much cheaper than trying a host-name
// pattern at every position.
const tldPattern = new RegExp(`\\.(?:${topLevelDomains})(?![\\w-]|\\.[a-z0-9])`, 'gi');
const hostPattern = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]+$/i;

function findUrls(text: string, out: Candidate[]): void {
  if (!text.includes('.')) return;
  urlPattern.lastIndex = 0;
  for (let match = urlPattern.exec(text); match !== null; match = urlPattern.exec(text)) {
    // Sentence punctuation and closing brackets after a URL are the prose's.
    const value = match[0].replace(/[.,;:!?)\]}]+$/, (tail) => (tail.startsWith('/') ? tail : ''));
    if (!/\.[a-z]{2,}/i.test(value)) continue;
    out.push({
      type: 'url',
      start: match.index,
      end: match.index + value.length,
      score: scores.shape,
      priority: priority.context,
    });
  }
  tldPattern.lastIndex = 0;
  for (let match = tldPattern.exec(text); match !== null; match = tldPattern.exec(text)) {
    const end = match.index + match[0].length;
    let start = match.index;
    while (start > 0 && /[A-Za-z0-9.-]/.test(text.charAt(start - 1))) start--;
    while (start < match.index && /[.-]/.test(text.charAt(start))) start++;
    // Part of an e-mail address or a URL already found: those detectors own it.
    if (start === match.index || /[@/\\:]/.test(text.charAt(start - 1))) continue;
    const host = text.slice(start, end);
    if (!hostPattern.test(host) || !/[a-z]/i.test(host.split('.')[0] ?? '')) continue;
    out.push({ type: 'url', start, end, score: 0.7, priority: priority.context });
  }
}

// ---------------------------------------------------------------------------------------------------------
// IP addresses: IPv4 dotted quads and IPv6, validated by node:net; "version 10.2.3.4" is a version.

// The first digit before the look-behind: measured ~1.6× faster than the look-behind first.
const ipv4Pattern = /\d(?<![\d.]\d)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3}(?![\d]|\.\d)/g;
// Every IPv6 address has two colons at most four hex digits apart; the anchor starts only at a colon.
const ipv6Anchor = /:[0-9a-f]{0,4}:/i;
const ipv6AnchorGlobal = /:[0-9a-f]{0,4}:/gi;

function isHexOrColon(code: number): boolean {
  return (code >= 48 && code <= 58) || (code >= 97 && code <= 102) || (code >= 65 && code <= 70);
}

function findIpAddresses(text: string, out: Candidate[]): void {
  if (text.includes('.')) {
    ipv4Pattern.lastIndex = 0;
    for (let match = ipv4Pattern.exec(text); match !== null; match = ipv4Pattern.exec(text)) {
      if (isIP(match[0]) !== 4) continue;
      if (/\b(?:v|ver|version|release|build|firmware|rev)\.?\s*$/i.test(text.slice(Math.max(0, match.index - 12), match.index)))
        continue;
      out.push({
        type: 'ip_address',
        start: match.index,
        end: match.index + match[0].length,
        score: scores.shape,
        priority: priority.context,
      });
    }
  }
  if (!ipv6Anchor.test(text)) return;
  let searchedTo = 0;
  ipv6AnchorGlobal.lastIndex = 0;
  for (let anchor = ipv6AnchorGlobal.exec(text); anchor !== null; anchor = ipv6AnchorGlobal.exec(text)) {
    if (anchor.index < searchedTo) continue;
    let start = anchor.index;
    let end = anchor.index + anchor[0].length;
    while (start > 0 && isHexOrColon(text.charCodeAt(start - 1))) start--;
    while (end < text.length && isHexOrColon(text.charCodeAt(end))) end++;
    searchedTo = end;
    const value = text.slice(start, end);
    if (/[\w]/.test(text.charAt(start - 1)) || /\w/.test(text.charAt(end))) continue;
    // Times ("10:32:15") are not addresses: an IPv6 address has a hex letter, "::" or eight groups (tested
    // first: it is cheaper than parsing).
    if (!(/[a-f]/i.test(value) || value.includes('::') || value.split(':').length === 8) || isIP(value) !== 6) continue;
    out.push({ type: 'ip_address', start, end, score: scores.shape, priority: priority.context });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Ages: a number with "years old", "aged", "age:", "y/o", or "turned"/"turn" (0–120).

const agePatterns = [
  /\b(\d{1,3})(?:[- ](?:years?|yrs?)(?:[- ]old)?(?=[- ](?:old|male|female|man|woman|boy|girl|patient|driver|claimant|insured|son|daughter))|[- ](?:years?|yrs?)[- ]old\b|\s?y\/?o\b|\s?yo\b)/dgi,
  /\b(?:aged?|age of|age\s*[:=]|turned|turns|turning|I['’]ll turn|will turn|I am|I['’]m)\s+(\d{1,3})\b(?![.,]\d|\s*(?:%|percent|pages?|times|degrees|minutes|hours|days|weeks|months|years? ago|kg|km|miles|dollars|euros|usd|eur|am|pm|o['’]clock))/dgi,
];

function findAges(text: string, from: number, to: number, out: Candidate[]): void {
  for (const pattern of agePatterns) {
    eachMatch(pattern, text, from, to, (match, offset) => {
      const indices = match.indices?.[1];
      if (!indices || Number(match[1]) > 120) return;
      out.push({ type: 'age', start: offset + indices[0], end: offset + indices[1], score: 0.75, priority: priority.context });
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Postal codes: after "ZIP", "postcode", "PLZ" …, or in the unambiguous UK and Canadian shapes.

const postalKeywordPattern =
  /\b(?:zip(?:\s*code)?|post(?:al)?\s*code|postcode|PLZ|code postal|CAP|Postleitzahl)\b(?:\s*(?:is|:|#|=|-))*\s*([A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|[A-Z]\d[A-Z] ?\d[A-Z]\d|\d{5}-\d{4}|\d{3,5}(?: \d{2,3})?)(?![\w-])/dgi;
// UK ("SW1A 1AA", "M1 1AE") and Canadian ("K1A 0B1") shapes; two simple patterns beat one alternation.
const ukPostcodePattern = /(?<![\w-])[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}(?![\w-])/g;
const canadianPostcodePattern = /(?<![\w-])[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] \d[ABCEGHJ-NPRSTV-Z]\d(?![\w-])/g;

function findKeyedPostalCodes(text: string, from: number, to: number, out: Candidate[]): void {
  eachMatch(postalKeywordPattern, text, from, to, (match, offset) => {
    const indices = match.indices?.[1];
    if (indices)
      out.push({
        type: 'postal_code',
        start: offset + indices[0],
        end: offset + indices[1],
        score: scores.keyword,
        priority: priority.context,
      });
  });
}

function findPostalCodes(text: string, out: Candidate[]): void {
  for (const pattern of [ukPostcodePattern, canadianPostcodePattern]) {
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text))
      out.push({
        type: 'postal_code',
        start: match.index,
        end: match.index + match[0].length,
        score: 0.8,
        priority: priority.context,
      });
  }
}

// ---------------------------------------------------------------------------------------------------------
// National identifiers beyond the US SSN: UK National Insurance number, German tax id, Spanish DNI/NIE,
// French NIR, Italian codice fiscale, Dutch BSN. Checksums where the scheme has one; the BSN and the
// Steuer-ID (plain digit runs) also need their name nearby.

const ninoPattern = /(?<![\w-])[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![\w-])/g;
const spanishIdPattern = /(?<![\w-])[XYZ]?\d{7,8}-?[A-Z](?![\w-])/g;
const frenchNirPattern = /(?<![\w-])[12] ?\d{2} ?\d{2} ?(?:\d{2}|2A|2B) ?\d{3} ?\d{3} ?\d{2}(?![\w-])/g;
const italianFiscalPattern = /(?<![\w-])[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z](?![\w-])/g;
const keyedNumberPattern =
  /\b(?:steuer-?id(?:entifikationsnummer)?|steuerliche identifikationsnummer|identifikationsnummer|IdNr\.?|tax id(?:entification number)?|TIN|BSN|burgerservicenummer|citizen service number|sofinummer)\b[\s:#.=-]{0,4}(?:is\s+)?(\d{2,3}(?: ?\d{3}){2} ?\d{2,3}|\d{9,11})(?![\w-])/dgi;

const digitBeforeCapitalPattern = /\d-?[A-Z]/;

function findNationalIds(text: string, out: Candidate[], digitBeforeCapital: boolean): void {
  const push = (start: number, end: number, score: number) =>
    out.push({ type: 'national_id', start, end, score, priority: priority.checksum });
  // Four simple patterns are much faster than one alternation of them.
  frenchNirPattern.lastIndex = 0;
  for (let match = frenchNirPattern.exec(text); match !== null; match = frenchNirPattern.exec(text))
    if (isValidFrenchNir(match[0].replaceAll(' ', ''))) push(match.index, match.index + match[0].length, scores.checksum);
  ninoPattern.lastIndex = 0;
  for (let match = ninoPattern.exec(text); match !== null; match = ninoPattern.exec(text))
    if (isValidUkNino(match[0].replaceAll(' ', ''))) push(match.index, match.index + match[0].length, scores.shape);
  if (!digitBeforeCapital) return;
  spanishIdPattern.lastIndex = 0;
  for (let match = spanishIdPattern.exec(text); match !== null; match = spanishIdPattern.exec(text))
    if (isValidSpanishId(match[0].replace('-', ''))) push(match.index, match.index + match[0].length, scores.checksum);
  italianFiscalPattern.lastIndex = 0;
  for (let match = italianFiscalPattern.exec(text); match !== null; match = italianFiscalPattern.exec(text))
    if (isValidItalianFiscalCode(match[0])) push(match.index, match.index + match[0].length, scores.checksum);
}

function findKeyedNationalIds(text: string, from: number, to: number, out: Candidate[]): void {
  eachMatch(keyedNumberPattern, text, from, to, (match, offset) => {
    const indices = match.indices?.[1];
    if (!indices) return;
    const digits = (match[1] ?? '').replaceAll(' ', '');
    if (isValidSteuerId(digits) || isValidDutchBsn(digits))
      out.push({
        type: 'national_id',
        start: offset + indices[0],
        end: offset + indices[1],
        score: scores.checksum,
        priority: priority.checksum,
      });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Passport and driver's licence numbers: formats differ by country, so only a number right after its name.

const documentNumberPattern =
  /\b(?:(passport|reisepass|passeport|pasaporte)|(driver['’]?s?\s+licen[cs]e|driving\s+licen[cs]e|DL|DLN|licen[cs]e|F(?:ü|ue)hrerschein|permis de conduire))(?:\s+(?:number|no\.?|num\.?|#|nummer|numéro|id))?(?:\s*(?:is|:|#|=|-))*\s*([A-Z0-9](?:[A-Z0-9]|[ -](?=[A-Z0-9])){4,17})(?![\w-])/dgi;

function findDocumentNumbers(text: string, from: number, to: number, out: Candidate[]): void {
  eachMatch(documentNumberPattern, text, from, to, (match, offset) => {
    const indices = match.indices?.[3];
    const value = match[3] ?? '';
    // A document number holds digits (and is not a plain word or a year).
    if (!indices || (value.match(/\d/g)?.length ?? 0) < 4 || /^(?:19|20)\d{2}$/.test(value)) return;
    const type = match[1] ? 'passport_number' : 'drivers_license';
    out.push({ type, start: offset + indices[0], end: offset + indices[1], score: 0.85, priority: priority.checksum });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Other dates and times (only when asked for: `dates: true`): full dates and timestamps, a month and year,
// weekdays, times of day, and a year after a preposition ("in 1977", "since 2014").

const fullDatePattern = new RegExp(
  `(?<![\\w./-])(?:\\d{4}-\\d{1,2}-\\d{1,2}(?:[ T]\\d{1,2}:\\d{2}(?::\\d{2})?)?|\\d{1,2}[./-]\\d{1,2}[./-](?:\\d{4}|\\d{2})|(?:\\d{1,2}(?:st|nd|rd|th|\\.)?\\s+)?(?:${monthNames})\\.?\\s+(?:\\d{1,2}(?:st|nd|rd|th)?,?\\s+)?\\d{4})(?![\\w/-]|[.]\\d)`,
  'gu',
);
const timePattern = /(?<![\w:.])\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?m\.?)?(?![\w:]|\.\d)/gi;
const yearPattern =
  /\b(?:in|since|during|until|till|from|of|by|before|after|around|circa|year) ((?:19|20)\d{2})(?![\w/-]|[.,]\d)/dgi;
const weekdayPattern = /\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)s?\b/g;
const dayPrefilter = /day\b/;

function hasDigitOrDay(text: string): boolean {
  return hasDigit(text) || dayPrefilter.test(text);
}

function findDates(text: string, out: Candidate[]): void {
  const push = (start: number, end: number, score: number) =>
    out.push({ type: 'date', start, end, score, priority: priority.entity });
  for (const pattern of [fullDatePattern, timePattern, weekdayPattern]) {
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text))
      push(match.index, match.index + match[0].length, 0.6);
  }
  yearPattern.lastIndex = 0;
  for (let match = yearPattern.exec(text); match !== null; match = yearPattern.exec(text)) {
    const indices = match.indices?.[1];
    if (indices) push(indices[0], indices[1], 0.55);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Keyed detectors (ages, postcodes after "ZIP", passport and licence numbers, tax ids, local phone numbers)
// only look near their words. One scan finds every such word; each detector then runs on the merged windows
// around them, not on the whole text.

// One plain alternation finds every keyword (alternations with named groups are several times slower in
// V8); the matched word's kind says which detector gets a window around it.
type KeyedKind = 'age' | 'postal' | 'document' | 'taxId' | 'phone' | 'name';
const keywordKinds: Record<KeyedKind, string> = {
  age: String.raw`years?|yrs?|y\/?o|yo|aged?|turn(?:ed|s|ing)?|I['’]m|I am|I['’]ll`,
  postal: 'zip|post(?:al)?|postcode|plz|code|cap|postleitzahl',
  document: 'passport|reisepass|passeport|pasaporte|licen[cs]e|DLN?|f(?:ü|ue)hrerschein|permis',
  // No leading \w*: it makes the whole alternation try every word start character by character (3× slower).
  // "Steueridentifikationsnummer" is found by its first alternative, "steuerliche Identifikationsnummer" by
  // its last word.
  taxId: String.raw`steuer-?id\w*|idnr|identifikationsnummer|tax|TIN|BSN|burgerservicenummer|citizen|sofinummer`,
  phone:
    'phone|telephone|tel|mobile|cell(?:phone)?|fax|landline|whatsapp|sms|ph|call(?:ed)?|ring|answering|messages|contact|reach|number|office',
  name: "name|dear|i am|i['’]m|this is|mrs?|ms|miss|dr",
};
const keyword = new RegExp(String.raw`\b(?:${Object.values(keywordKinds).join('|')})\b`, 'gi');
const kindMatchers = (Object.entries(keywordKinds) as [KeyedKind, string][]).map(
  ([kind, source]) => [kind, new RegExp(`^(?:${source})$`, 'i')] as const,
);
const kindCache = new Map<string, KeyedKind[]>();

/** The kinds a matched keyword opens windows for ("I'm" is both an age and a name cue). */
function kindsOf(word: string): KeyedKind[] {
  const lower = word.toLowerCase();
  let kinds = kindCache.get(lower);
  if (!kinds) {
    kinds = kindMatchers.filter(([, matcher]) => matcher.test(lower)).map(([kind]) => kind);
    if (kindCache.size < 1000) kindCache.set(lower, kinds);
  }
  return kinds;
}

function findKeyed(text: string, out: Candidate[]): void {
  const windows = new Map<KeyedKind, [number, number][]>();
  keyword.lastIndex = 0;
  for (let match = keyword.exec(text); match !== null; match = keyword.exec(text)) {
    // A window starts between words, so that a pattern's \b or look-behind is not fooled by the cut.
    let start = Math.max(0, match.index - 40);
    while (start > 0 && start > match.index - 70 && isWindowWordChar(text.charCodeAt(start - 1))) start--;
    const end = Math.min(text.length, match.index + match[0].length + 60);
    for (const kind of kindsOf(match[0])) {
      let list = windows.get(kind);
      if (!list) {
        list = [];
        windows.set(kind, list);
      }
      const previous = list.at(-1);
      if (previous && start <= previous[1]) previous[1] = Math.max(previous[1], end);
      else list.push([start, end]);
    }
  }
  const names: { type: string; start: number; end: number; score: number }[] = [];
  let knownPhones: Set<number> | undefined;
  for (const [kind, list] of windows) {
    for (const [start, end] of list) {
      if (kind === 'name') {
        findLowercaseNames(text, start, end, names);
        continue;
      }
      // Every keyed detector but names needs a digit in its window.
      let digitAt = start;
      while (digitAt < end && !isDigitCode(text.charCodeAt(digitAt))) digitAt++;
      if (digitAt >= end) continue;
      if (kind === 'age') findAges(text, start, end, out);
      else if (kind === 'postal') findKeyedPostalCodes(text, start, end, out);
      else if (kind === 'taxId') findKeyedNationalIds(text, start, end, out);
      else if (kind === 'document') findDocumentNumbers(text, start, end, out);
      else {
        knownPhones ??= new Set(out.filter((candidate) => candidate.type === 'phone').map((candidate) => candidate.start));
        const known = knownPhones;
        eachMatch(localPhonePattern, text, start, end, (match, offset) =>
          acceptContextPhone(text, match[0], offset + match.index, out, known),
        );
      }
    }
  }
  for (const name of names) out.push({ ...name, priority: priority.entity });
}

const isDigitCode = (code: number) => code >= 48 && code <= 57;

/** `[\w.+/-]` without a regular expression: letters, digits, "_", ".", "+", "/", "-". */
function isWindowWordChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) ||
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    code === 95 ||
    code === 46 ||
    code === 43 ||
    code === 47 ||
    code === 45
  );
}

/**
 * Visits the matches of a global pattern in text[from, to), with the offset to add to their indices (no clone
 * of the pattern: the shared instance's lastIndex is set and read synchronously).
 */
function eachMatch(
  pattern: RegExp,
  text: string,
  from: number,
  to: number,
  visit: (match: RegExpExecArray, offset: number) => void,
): void {
  // On a slice: on the whole text, a pattern with no match in the window would scan on to the end of it,
  // once per window (quadratic on long documents).
  const window = text.slice(from, to);
  pattern.lastIndex = 0;
  for (let match = pattern.exec(window); match !== null; match = pattern.exec(window)) {
    visit(match, from);
    if (match[0].length === 0) pattern.lastIndex++;
  }
  pattern.lastIndex = 0;
}

// ---------------------------------------------------------------------------------------------------------

function findCustom(text: string, compiled: CompiledPiiPatterns, out: Candidate[]): void {
  for (const { type, regex } of compiled.patterns) {
    // A fresh copy keeps the shared compiled RegExp stateless (lastIndex) across concurrent callers.
    for (const match of text.matchAll(new RegExp(regex.source, regex.flags))) {
      if (match[0].length === 0) continue;
      out.push({ type, start: match.index, end: match.index + match[0].length, score: 1, priority: priority.custom });
    }
  }
}

/** Longest first, then most specific; a candidate overlapping an accepted span is dropped. */
function resolveOverlaps(candidates: Candidate[]): DetectedPiiSpan[] {
  if (candidates.length === 0) return [];
  const isEntity = (candidate: Candidate) => (candidate.priority === priority.entity ? 1 : 0);
  candidates.sort(
    (a, b) =>
      isEntity(a) - isEntity(b) ||
      b.end - b.start - (a.end - a.start) ||
      b.priority - a.priority ||
      b.score - a.score ||
      a.start - b.start,
  );
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
  return accepted.map(({ type, start, end, score }) => ({ type, start, end, score: Math.round(score * 100) / 100 }));
}
