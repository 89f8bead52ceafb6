import { beliefWords, nationalityWords, occupationNouns, thingNouns } from './descriptors.ts';
import { gazetteers } from './gazetteers.ts';

/**
 * Names, places, organisations and postal addresses, without a model: capitalised word runs scored by
 * gazetteers (given and family names, countries, regions, cities, street suffixes, legal entity types),
 * common-word lists, the shape of the run and the words around it ("Mr.", "my name is", "lives in", ", the
 * adjuster"). Each run gets evidence points per cue; the score is a logistic of the points, and spans under
 * the caller's minimum score are dropped. The cues are general (honorifics, introductions, prepositions,
 * street and company suffixes), never phrases of a particular data set.
 *
 * Addresses are reported by component, as most labelled sets and redaction readers expect: the street line
 * (number, street, unit) is a `street_address`, a city, region or country a `location`, a postcode a
 * `postal_code`.
 */

export interface EntityCandidate {
  type: string;
  start: number;
  end: number;
  score: number;
  /** A whole address block: it wins over the postcodes and places inside it (detect-pii.ts). */
  block?: boolean;
}

interface Token {
  start: number;
  end: number;
  text: string;
  lower: string;
  shape: 'title' | 'upper' | 'initial';
  /** Whether a "." follows immediately ("J.", "Dr.", "St."). */
  dot: boolean;
  /** Whether "'s" followed (and was cut off). */
  possessive: boolean;
  /** What the word lists say about the word (`flag.*` bits), looked up once per token. */
  flags: number;
}

/** Bits of `Token.flags`. */
const flag = {
  honorific: 1,
  /** Function word or month name. */
  function: 2,
  /** Common English word (SCOWL ≤ 20) or function word. */
  common: 4,
  /** Common, or a known English word (SCOWL ≤ 35) that no name list holds. */
  ordinary: 8,
  name: 16,
  place: 32,
  /** First word of a multi-word place name. */
  placeHead: 64,
  unit: 128,
  orgSuffix: 256,
  /** A role that introduces a person ("Adjuster", "Claimant", "Producer"). */
  role: 512,
  /** A nationality or ethnic group ("Russian", "Kurdish"). */
  nationality: 1024,
  /** A religion, denomination or political group ("Catholic", "Democrat"). */
  belief: 2048,
  /** A street type that starts a street name ("Rue", "Via", "Calle"). */
  streetPrefix: 4096,
} as const;

const roleWords = new Set(
  'adjuster insured claimant policyholder applicant beneficiary agent broker underwriter inspector surveyor assessor witness driver owner tenant landlord manager director producer engineer contractor plumber roofer doctor nurse officer attorney lawyer solicitor counsel examiner handler investigator'.split(
    ' ',
  ),
);

function flagsOf(lower: string, words: Words): number {
  let bits = 0;
  if (honorifics.has(lower)) bits |= flag.honorific;
  if (functionWords.has(lower) || months.has(lower)) bits |= flag.function;
  const common = words.commonWords.has(lower) || functionWords.has(lower);
  if (common) bits |= flag.common;
  const name = isNamePart(lower, words);
  if (name) bits |= flag.name;
  if (common || (!name && words.knownWords.has(lower))) bits |= flag.ordinary;
  if (isPlace(lower)) bits |= flag.place;
  if (words.placesByFirstWord.has(lower)) bits |= flag.placeHead;
  if (unitWords.has(lower)) bits |= flag.unit;
  if (orgSuffixes.has(lower) || words.legalEntityTypes.has(lower)) bits |= flag.orgSuffix;
  if (roleWords.has(lower)) bits |= flag.role;
  if (nationalityWords.has(lower)) bits |= flag.nationality;
  if (beliefWords.has(lower)) bits |= flag.belief;
  if (streetPrefixWords.has(lower)) bits |= flag.streetPrefix;
  return bits;
}

const upperStart = /^\p{Lu}/u;
const hasLower = /\p{Ll}/u;

// Irregexp's native scan beats a JavaScript character loop here (measured: ~5 vs ~7 ms per MB).
const capitalisedWordPattern = /(?<![\p{L}\p{M}\d])\p{Lu}[\p{L}\p{M}]*(?:['’][\p{L}\p{M}]+|-[\p{L}\p{M}]+)*/gu;

/**
 * The capitalised words (the only ones a run can hold; particles between them are matched in the gaps).
 * Lower-case words get no object, which is most of the cost saved.
 */
function tokenize(text: string, words: Words): Token[] {
  const tokens: Token[] = [];
  capitalisedWordPattern.lastIndex = 0;
  for (let match = capitalisedWordPattern.exec(text); match !== null; match = capitalisedWordPattern.exec(text)) {
    const value = match[0];
    let info = wordInfo.get(value);
    if (info === undefined) {
      // "Maclean's": the possessive is not part of the name, and ends the run.
      const apostrophe = value.length > 3 ? value.charCodeAt(value.length - 2) : 0;
      const possessive = (apostrophe === 39 || apostrophe === 8217) && (value.endsWith('s') || value.endsWith('S'));
      const word = possessive ? value.slice(0, -2) : value;
      const lower = word.toLowerCase();
      const shape: Token['shape'] = value.length === 1 ? 'initial' : hasLower.test(value) ? 'title' : 'upper';
      info = { word, lower, shape, possessive, flags: flagsOf(lower, words) };
      if (wordInfo.size >= maxCachedWords) wordInfo.clear();
      wordInfo.set(value, info);
    }
    const end = match.index + info.word.length;
    tokens.push({
      start: match.index,
      end,
      text: info.word,
      lower: info.lower,
      shape: info.shape,
      dot: text.charCodeAt(end) === 46,
      possessive: info.possessive,
      flags: info.flags,
    });
  }
  return tokens;
}

/**
 * What the word lists say about each capitalised word, by its spelling: the same words recur in every chunk
 * ("Coverage", "The", "Policy"), and a dozen set lookups per occurrence were a tenth of the detector's time.
 * Bounded; cleared when full.
 */
const wordInfo = new Map<string, { word: string; lower: string; shape: Token['shape']; possessive: boolean; flags: number }>();
const maxCachedWords = 50_000;

const honorifics = new Set([
  'mr',
  'mrs',
  'ms',
  'miss',
  'mx',
  'dr',
  'prof',
  'professor',
  'sir',
  'dame',
  'lady',
  'lord',
  'herr',
  'frau',
  'mme',
  'mlle',
  'monsieur',
  'madame',
  'señor',
  'señora',
  'sr',
  'sra',
  'signor',
  'signora',
  'mister',
  'madam',
  'rev',
]);
const particles = new Set([
  'van',
  'von',
  'de',
  'der',
  'den',
  'del',
  'della',
  'di',
  'da',
  'do',
  'dos',
  'das',
  'du',
  'la',
  'le',
  'ten',
  'ter',
  'bin',
  'ibn',
  'al',
  'el',
  'y',
]);
const months = new Set(
  'january february march april may june july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur fri sat sun'.split(
    ' ',
  ),
);
/** Words that start sentences or headings and are never a name on their own. */
const functionWords = new Set(
  "i i'm i’m it's it’s what's what’s here's here’s let's that's there's the a an this that these those my your our his her their its what when where which who whom whose why how if then than but and or nor so yet for with from into onto upon about above after before below between during under over through to in on at by of off out up down as is are was were be been being have has had do does did can could will would shall should may might must not no yes please thanks thank hello hi dear regards sincerely best kind here there also just only even still maybe perhaps per re subject date note notes page section table figure total amount policy claim claims number name address phone email e-mail tel fax mobile ref".split(
    ' ',
  ),
);
const orgSuffixes = new Set(
  'inc incorporated ltd limited llc llp lp plc gmbh ag kg sa sarl sas srl spa bv nv oy oyj ab asa aps kft zrt nyrt corp corporation company co group holdings holding bank bancorp insurance assurance reinsurance mutual underwriters brokers partners associates technologies technology solutions systems services capital investments consulting foundation trust agency labs laboratories industries international global enterprises ventures brothers sons university college institute hospital clinic society association federation council financial logistics networks software media motors airlines pharmaceuticals energy realty properties'.split(
    ' ',
  ),
);
/** Legal entity types: enough on their own to make a capitalised run a company ("Aunt Bertha Inc"). */
const hardOrgSuffixes = new Set(
  'inc incorporated ltd limited llc llp plc gmbh ag kg sa sarl sas srl spa bv nv oy oyj ab asa aps kft zrt nyrt corp corporation'.split(
    ' ',
  ),
);
const streetWords = new Set(
  'street st road rd avenue ave av boulevard blvd lane ln drive dr court ct place pl square sq terrace terr way crescent close parkway pkwy highway hwy circle cir row walk mews grove gardens park hill alley loop trail straße strasse str weg gasse allee platz ring damm ufer chaussee gatan gata vägen väg vej vejen gade gate veien vegen katu tie kuja polku straat laan plein gracht kade singel rue chemin allée quai calle avenida rua travessa paseo plaza camino via viale piazza corso vicolo ulica ul ulice náměstí utca u út tér körút terrasse stræti stræde'.split(
    ' ',
  ),
);
/** Street suffixes that end compound street names ("Søndergade", "Kiannonkatu", "Magasinsgatan"). */
const compoundStreetSuffixes = [
  'straße',
  'strasse',
  'weg',
  'gasse',
  'allee',
  'platz',
  'ring',
  'damm',
  'gatan',
  'vägen',
  'vej',
  'vejen',
  'gade',
  'veien',
  'vegen',
  'gata',
  'katu',
  'kuja',
  'polku',
  'tie',
  'straat',
  'laan',
  'plein',
  'gracht',
  'stræti',
  'straeti',
  'stræde',
  'vænget',
  'torget',
  'stien',
];
const unitWord = '(?:Apt\\.?|Apartment|Suite|Ste\\.?|Unit|Flat|Floor|Fl\\.|Room|Rm\\.?)';

const usStates = new Set(
  'AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR AA AE AP AB BC MB NB NL NS NT NU ON PE QC SK YT'.split(
    ' ',
  ),
);

const logistic = (points: number) => 1 / (1 + Math.exp(-(points - 2.5) * 1.2));

/** Finds person, location, organisation, street address and postal code candidates in `text`. */
export function findEntities(text: string, out: EntityCandidate[]): void {
  if (!/\p{L}/u.test(text)) return;
  const tokens = tokenize(text, gazetteers());
  const taken: EntityCandidate[] = [];
  if (/\d/.test(text)) findAddresses(text, tokens, taken);
  findRuns(text, tokens, taken);
  findDescriptors(text, tokens, taken);
  out.push(...taken);
}

// ---------------------------------------------------------------------------------------------------------
// Addresses: street lines by shape, then the lines or comma-separated segments that follow them.

interface Word {
  start: number;
  end: number;
  text: string;
  lower: string;
}

const streetPrefixWords = new Set(
  'rue via viale vicolo piazza corso calle avenida rua travessa paseo plaza camino avenue boulevard chemin allée place quai ul ul. ulica'.split(
    ' ',
  ),
);
const unitAfter = new RegExp(`^(?:,? ${unitWord} ?#?\\d{1,5}[A-Za-z]?(?![\\p{L}\\d])){1,2}`, 'u');
const unitPattern = new RegExp(`\\b${unitWord} ?#?\\d{1,5}[A-Za-z]?(?![\\p{L}\\d])`, 'gu');
// Case variants spelled out: a case-insensitive alternation is several times slower to scan with.
const poBoxPattern =
  /\b(?:[Pp]\.? ?[Oo]\.? ?(?:Box|BOX|box)|P\.O\. Box|Post ?[Bb]ox|Post Office Box|Postfach|(?:PSC|Unit|CMR) \d{3,5},? Box) \d{1,6}(?:\s*\n?\s*[AFD]PO (?:AA|AE|AP) \d{5})?\b/g;
// Where a street line can be: a house number before a capitalised word, or a number after a word. The
// characters before are checked in code: a leading look-behind makes the scan try it at every position.
// The number's first digit is matched after a non-digit: without it the scan restarts at every digit of every
// long number (twice as slow on tables of amounts and dates).
const numberBeforeWord = /(?:^|[^\d])\d{1,5}[A-Za-z]?,? (?=\p{Lu})/gu;
const numberAfterWord = / \d{1,5}[A-Za-z]?(?![\p{L}\d]|[.,/-]\d)/gu;
const wordAt = /[\p{L}\p{M}][\p{L}\p{M}'’-]*\.?/uy;

/** Up to `max` words from `position`, separated by single spaces on one line. */
function wordsAfter(text: string, position: number, max: number): Word[] {
  const words: Word[] = [];
  let cursor = position;
  while (words.length < max) {
    wordAt.lastIndex = cursor;
    const match = wordAt.exec(text);
    if (!match) break;
    const value = match[0];
    words.push({ start: cursor, end: cursor + value.length, text: value, lower: value.toLowerCase().replace(/\.$/, '') });
    cursor += value.length;
    if (text.charAt(cursor) !== ' ') break;
    cursor++;
  }
  return words;
}

/** Letters, marks, apostrophes, dots and hyphens (ASCII decided without a regular expression). */
function isStreetNameChar(code: number): boolean {
  if ((code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 39 || code === 46 || code === 45) return true;
  return code >= 0xc0 && (code === 8217 || /[\p{L}\p{M}]/u.test(String.fromCharCode(code)));
}

/** Up to `max` words ending at `position` (exclusive), separated by single spaces, nearest last. */
function wordsBefore(text: string, position: number, max: number): Word[] {
  const words: Word[] = [];
  let end = position;
  while (words.length < max && end > 0) {
    let start = end;
    while (start > 0 && isStreetNameChar(text.charCodeAt(start - 1))) start--;
    if (start === end) break;
    const value = text.slice(start, end);
    words.unshift({ start, end, text: value, lower: value.toLowerCase().replace(/\.$/, '') });
    if (start < 2 || text.charAt(start - 1) !== ' ' || !/[\p{L}.]/u.test(text.charAt(start - 2))) break;
    end = start - 1;
  }
  return words;
}

const isCapitalised = (word: Word) => upperStart.test(word.text);
const isStreetWord = (word: Word) => streetWords.has(word.lower);
const endsWithStreetSuffix = (word: Word) =>
  compoundStreetSuffixes.some((suffix) => word.lower.length >= suffix.length + 3 && word.lower.endsWith(suffix));

function findStreets(
  text: string,
  tokens: readonly Token[],
  push: (start: number, end: number, score: number, numberLast: boolean) => void,
): void {
  // Where a street type opens a name ("Rue …", "Via …"): a number after a word needs one of these within a
  // few words, or a street word right before it; most numbers after words are neither ("page 2", "USD 12").
  const prefixes = tokens.filter((token) => token.flags & flag.streetPrefix).map((token) => token.start);
  let prefix = 0;
  // Number first: "14 Crown Street", "1668 Glyn St", "31 Rue Al Imam Al Bakri", "3911 Fourth Avenue".
  numberBeforeWord.lastIndex = 0;
  for (let match = numberBeforeWord.exec(text); match !== null; match = numberBeforeWord.exec(text)) {
    const index = isDigitCode(text.charCodeAt(match.index)) ? match.index : match.index + 1;
    // Not the tail of a longer number or word ("HO3 …", "12,345 USD" is still a number before a word).
    if (index > 0 && /[\p{L}.,/-]/u.test(text.charAt(index - 1))) continue;
    const words = wordsAfter(text, match.index + match[0].length, 6);
    const first = words[0];
    if (!first) continue;
    let last: Word | undefined;
    if (streetPrefixWords.has(first.lower) && isCapitalised(first)) {
      for (const word of words.slice(1, 6)) {
        if ((!isCapitalised(word) && !particles.has(word.lower)) || unitWords.has(word.lower)) break;
        if (isCapitalised(word)) last = word;
      }
    } else if (isCapitalised(first)) {
      for (let k = 1; k < words.length && k <= 4; k++) {
        const word = words[k] as Word;
        if (isStreetWord(word)) {
          last = word;
          break;
        }
        if (!isCapitalised(word)) break;
      }
    }
    if (last) push(index, last.end, 0.8, false);
  }
  // Name first: "Søndergade 52", "Villacher Strasse 89", "Erzsébet tér 19.", "Via Franscini 71".
  numberAfterWord.lastIndex = 0;
  for (let match = numberAfterWord.exec(text); match !== null; match = numberAfterWord.exec(text)) {
    if (match.index === 0 || !/[\p{L}.]/u.test(text.charAt(match.index - 1))) continue;
    while (prefix < prefixes.length && (prefixes[prefix] as number) < match.index - 80) prefix++;
    const prefixNear = prefix < prefixes.length && (prefixes[prefix] as number) < match.index;
    if (!prefixNear) {
      const [only] = wordsBefore(text, match.index, 1);
      if (!only || !(isStreetWord(only) || endsWithStreetSuffix(only))) continue;
    }
    const numberEnd = match.index + match[0].length;
    const words = wordsBefore(text, match.index, 5);
    const last = words.at(-1);
    if (!last) continue;
    let start: number | undefined;
    const prefixAt = words.findIndex((word) => streetPrefixWords.has(word.lower) && isCapitalised(word));
    // "Rue Gafsa Apt. 981": the number is the unit's, not the street's.
    if (unitWords.has(last.lower)) continue;
    if (prefixAt !== -1 && words.slice(prefixAt + 1).every((word) => isCapitalised(word) || particles.has(word.lower))) {
      start = (words[prefixAt] as Word).start;
    } else if (endsWithStreetSuffix(last)) {
      start = last.start;
      // "Brucker Bundesstrasse", "Wiener Straße": a town's adjective before a German street name is part of it.
      const adjective = words.at(-2);
      if (adjective && isCapitalised(adjective) && adjective.lower.endsWith('er') && adjective.text.length > 3)
        start = adjective.start;
    } else if (isStreetWord(last) && words.length >= 2) {
      let first = words.length - 1;
      while (first > 0 && first > words.length - 4 && isCapitalised(words[first - 1] as Word)) first--;
      if (first < words.length - 1) start = (words[first] as Word).start;
    }
    if (start === undefined || !streetNameLooksReal(text.slice(start, match.index))) continue;
    push(start, numberEnd, 0.8, true);
  }
}

interface StreetLine {
  start: number;
  /** Where the street line ends, with a unit on the same line ("14 Crown Street Suite 5"). */
  end: number;
  /** Where it ends without that unit. */
  lineEnd: number;
  score: number;
  /** The house number ends the line ("Søndergade 52", "P.O. Box 287"); a number before it is not its own. */
  numberLast: boolean;
  /** Only a unit ("Suite 5"), found on its own. */
  unitOnly: boolean;
  /** Found only from a unit after it ("Kesk 53\n Suite 343"): gives way to any street line of a known shape. */
  weak?: boolean;
}

/** A part of an address after its street line: a unit, postcode, region code or place. */
interface AddressPart {
  kind: 'unit' | 'postcode' | 'code' | 'place';
  start: number;
  end: number;
  /** A place run that ends with a country or region ("Coalville South Africa"): where the second place starts. */
  split?: number;
}

function findAddresses(text: string, tokens: readonly Token[], out: EntityCandidate[]): void {
  const streets: StreetLine[] = [];
  const weakLines: [number, number][] = [];
  const push = (start: number, end: number, score: number, numberLast: boolean) => {
    let lineEnd = end;
    // "St." and "u." keep their abbreviation dot; "tér 19." keeps it before a line break or a unit (Hungarian).
    if (text.charAt(lineEnd) === '.' && /(?:\b(?:u|St|Str|Ave|Rd|Dr|Blvd))$/.test(text.slice(start, lineEnd))) lineEnd++;
    else if (
      text.charAt(lineEnd) === '.' &&
      /\d$/.test(text.slice(start, lineEnd)) &&
      hungarianDotFollows.test(text.slice(lineEnd + 1, lineEnd + 12))
    )
      lineEnd++;
    let withUnit = lineEnd;
    const unit = unitAfter.exec(text.slice(lineEnd, lineEnd + 30));
    if (unit) withUnit += unit[0].length;
    streets.push({ start, end: withUnit, lineEnd, score, numberLast, unitOnly: false });
  };
  poBoxPattern.lastIndex = 0;
  for (let match = poBoxPattern.exec(text); match !== null; match = poBoxPattern.exec(text))
    push(match.index, match.index + match[0].length, 0.85, true);
  findStreets(text, tokens, push);
  unitPattern.lastIndex = 0;
  for (let match = unitPattern.exec(text); match !== null; match = unitPattern.exec(text)) {
    const end = match.index + match[0].length;
    streets.push({ start: match.index, end, lineEnd: end, score: 0.6, numberLast: false, unitOnly: true });
    // "Kesk 53\n Suite 343", "Dalmatinova 43 Apt. 678": a name and a number before a unit are a street line.
    const before = streetBeforeUnit.exec(text.slice(Math.max(0, match.index - 60), match.index));
    if (before?.[1] && !/^\d/.test(before[1])) {
      const start = match.index - before[0].length;
      if (
        streetNameLooksReal(before[1]) &&
        !before[1].split(' ').some((word) => unitWords.has(word.toLowerCase().replace(/\.$/, '')))
      )
        weakLines.push([start, start + before[1].length]);
    }
  }
  for (const [start, end] of weakLines) {
    push(start, end, 0.75, true);
    (streets.at(-1) as StreetLine).weak = true;
  }
  const lines = resolveStreetLines(streets);
  const limits = lines.filter((line) => !line.unitOnly);
  let cursor = 0;
  let nextLimit = 0;
  for (const street of lines) {
    // A line inside the previous address (a unit line of its block) was read with it.
    if (street.start < cursor) continue;
    while (nextLimit < limits.length && (limits[nextLimit] as StreetLine).start < street.end) nextLimit++;
    const next = limits[nextLimit];
    const start = leadingNumberStart(text, street.start);
    const parts = addressParts(text, street.end, next ? leadingNumberStart(text, next.start) : text.length);
    cursor = parts.at(-1)?.end ?? street.end;
    // "Room 3", "Floor 2", "Unit 4" alone are places in a building or a text, not an address.
    if (street.unitOnly && parts.length === 0 && !/^(?:Apt|Apartment|Suite|Ste|Flat)/.test(text.slice(street.start, street.end)))
      continue;
    const places = parts.reduce((n, part) => n + (part.kind === 'unit' ? 0 : part.split === undefined ? 1 : 2), 0);
    const introduced = isIntroduced(text, start);
    // In running text ("… send it to 14 Crown Street, London, United Kingdom 75419?") an address is one span,
    // from a house number before the street line to its last part. A label laid out line by line (a letter
    // head, an address under a name) is reported by line: each line is a field of its own there.
    if (introduced && places >= 2) {
      out.push({ type: 'street_address', start, end: cursor, score: 0.85, block: true });
      continue;
    }
    if (introduced || street.lineEnd === street.end) {
      out.push({ type: 'street_address', start: street.start, end: street.end, score: street.score });
    } else {
      out.push({ type: 'street_address', start: street.start, end: street.lineEnd, score: street.score });
      unitPattern.lastIndex = 0;
      const units = text.slice(street.lineEnd, street.end);
      for (let match = unitPattern.exec(units); match !== null; match = unitPattern.exec(units)) {
        const unitStart = street.lineEnd + match.index;
        out.push({ type: 'street_address', start: unitStart, end: unitStart + match[0].length, score: 0.7 });
      }
      unitPattern.lastIndex = 0;
    }
    for (const part of parts) {
      if (part.kind === 'unit') out.push({ type: 'street_address', start: part.start, end: part.end, score: 0.7 });
      else if (part.kind === 'postcode') out.push({ type: 'postal_code', start: part.start, end: part.end, score: 0.75 });
      else if (part.kind === 'code') out.push({ type: 'location', start: part.start, end: part.end, score: 0.6 });
      else if (part.split === undefined) out.push({ type: 'location', start: part.start, end: part.end, score: 0.75 });
      else {
        const firstEnd = text.slice(part.start, part.split).trimEnd().length + part.start;
        out.push({ type: 'location', start: part.start, end: firstEnd, score: 0.75 });
        out.push({ type: 'location', start: part.split, end: part.end, score: 0.75 });
      }
    }
  }
  findCityStateZip(text, out);
  if (text.includes('corner of ')) findIntersections(text, out);
}

// "the corner of Csabai kapu 39. and Mathias Pass": a street corner is one address.
const cornerPattern = /\b(?:[Tt]he )?corner of /g;
const streetAbbreviation = /(?:^|[ ])(?:St|Str|str|u|Rd|Ave|Dr|Blvd)\.$/;
const cornerWord = /(?:\p{Lu}[\p{L}\p{M}'’-]*\.?|\d{1,5}(?:st|nd|rd|th|[A-Za-z])?\.?|\p{Ll}{1,4}\.?)(?= |$|[,.;!?])/uy;

function findIntersections(text: string, out: EntityCandidate[]): void {
  cornerPattern.lastIndex = 0;
  for (let match = cornerPattern.exec(text); match !== null; match = cornerPattern.exec(text)) {
    const first = cornerStreet(text, match.index + match[0].length, 6, false);
    if (first === undefined || !text.startsWith(' and ', first)) continue;
    const second = cornerStreet(text, first + 5, 4, true);
    if (second === undefined) continue;
    out.push({ type: 'street_address', start: match.index, end: second, score: 0.8, block: true });
  }
}

/** The end of a street name of up to `max` words (at least one capitalised, a lower-case word only after one). */
function cornerStreet(text: string, from: number, max: number, last: boolean): number | undefined {
  let cursor = from;
  let end: number | undefined;
  let capitalised = false;
  for (let k = 0; k < max; k++) {
    cornerWord.lastIndex = cursor;
    const word = cornerWord.exec(text)?.[0];
    if (!word || word === 'and') break;
    const capital = upperStart.test(word);
    const number = isDigitCode(word.charCodeAt(0));
    if (!capital && !number && (end === undefined || functionWords.has(word.replace(/\.$/, '')))) break;
    capitalised ||= capital;
    end = cursor + word.length;
    // A full stop ends the street name unless it ends an abbreviation or a house number ("St.", "u.", "39.").
    if (text.charCodeAt(end) !== 32 || (word.endsWith('.') && !number && !streetAbbreviation.test(word))) break;
    cursor = end + 1;
  }
  if (!capitalised || end === undefined) return undefined;
  // A sentence's full stop is not part of the name; an abbreviation's is ("Herceg Gateway St.").
  if (last && text.charCodeAt(end - 1) === 46 && !streetAbbreviation.test(text.slice(Math.max(from, end - 6), end))) end--;
  return end;
}

/** "tér 19.\n", "u. 94. Suite 741": a house number's dot, not a sentence's end. */
const hungarianDotFollows = new RegExp(`^(?:$|[ \\t]*\\r?\\n| ${unitWord})`);

/** A number right before a street line (a building or house number) belongs to the address: "4 Søndergade 52". */
function leadingNumberStart(text: string, start: number): number {
  const i = start - 1;
  if (text.charCodeAt(i) !== 32) return start;
  let digits = i;
  while (digits > 0 && digits > i - 7 && isDigitCode(text.charCodeAt(digits - 1))) digits--;
  if (digits === i || digits < i - 6) return start;
  if (digits > 0 && /[\p{L}\p{M}\d.,/-]/u.test(text.charAt(digits - 1))) return start;
  return digits;
}

const isDigitCode = (code: number) => code >= 48 && code <= 57;

/**
 * Whether an address starting at `start` is introduced by running text: after a lower-case word or a colon on
 * its line ("lives at …", "Address: …"), or on the line after one that ends with a colon ("Address:\n…").
 * A block after a name line or at the start of the text is a label.
 */
function isIntroduced(text: string, start: number): boolean {
  let i = start - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  if (i < 0) return false;
  if (text[i] === '\n' || text[i] === '\r' || text[i] === '>') {
    // Only blank lines and quote markers since the line before.
    while (i >= 0 && ' \t\r\n>'.includes(text[i] as string)) i--;
    return i >= 0 && text[i] === ':';
  }
  if (text[i] === ':') return true;
  let wordStart = i;
  while (wordStart > 0 && isWordChar(text.charCodeAt(wordStart - 1))) wordStart--;
  return wordStart <= i && /^\p{Ll}/u.test(text.charAt(wordStart));
}

/**
 * Overlapping street lines: the one that ends with its house number wins ("Piroska u. 97." over
 * "6076 Piroska u."; the number before it is a separate one), else the longest.
 */
function resolveStreetLines(lines: StreetLine[]): StreetLine[] {
  lines.sort(
    (a, b) =>
      Number(a.unitOnly) - Number(b.unitOnly) ||
      Number(a.weak ?? false) - Number(b.weak ?? false) ||
      Number(b.numberLast) - Number(a.numberLast) ||
      b.end - b.start - (a.end - a.start) ||
      a.start - b.start,
  );
  return keepDisjoint(lines);
}

/** The union of spans as disjoint spans sorted by start. */
function coverage(spans: readonly { start: number; end: number }[]): { start: number; end: number }[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number }[] = [];
  for (const { start, end } of sorted) {
    const last = merged.at(-1);
    if (last && start < last.end) last.end = Math.max(last.end, end);
    else merged.push({ start, end });
  }
  return merged;
}

/** The spans, in order of preference, that overlap none preferred before them; sorted by start. */
function keepDisjoint<T extends { start: number; end: number }>(preferred: readonly T[]): T[] {
  const kept: T[] = [];
  for (const span of preferred) {
    const at = firstEndingAfter(kept, span.start);
    const next = kept[at];
    if (next !== undefined && next.start < span.end) continue;
    kept.splice(at, 0, span);
  }
  return kept;
}

/** In disjoint spans sorted by start, the index of the first one that ends after `position`. */
function firstEndingAfter(spans: readonly { start: number; end: number }[], position: number): number {
  let low = 0;
  let high = spans.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((spans[mid] as { end: number }).end <= position) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** A street name and house number at the end of the text before a unit: "Kesk 53\n ", "Dalmatinova 43 ". */
const streetBeforeUnit =
  /(?<![\p{L}\p{M}])(\p{Lu}[\p{L}\p{M}'’-]+(?: \p{Lu}[\p{L}\p{M}'’.-]*){0,2} \d{1,5}[A-Za-z]?)\.?(?:,? |[ \t]*\r?\n[ \t>]*)$/u;

const partSeparator = /[ \t]*(?:,[ \t]*)?(?:\r?\n[ \t>]*){0,2}[ \t]*(?:,[ \t]*)?/y;
const unitPart = new RegExp(`${unitWord} ?#?\\d{1,5}[A-Za-z]?(?![\\p{L}\\d])`, 'uy');
// Digits (US ZIP+4, Swedish "123 45", 4–6 digits), or the UK and Canadian shapes ("PO1 3AB", "K1A 0B1").
const postcodePart =
  /(?:\d{5}-\d{4}|\d{3} \d{2}(?! ?\d)|\d{4,6}|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|[A-Z]\d[A-Z] ?\d[A-Z]\d)(?![\p{L}\p{M}\d]|[.,/-]\d| \d)/uy;
const codePart = /(?:\p{L}{2,3}|\d{1,2})(?![\p{L}\p{M}\d'’-])/uy;
const placeWordPart = /\p{Lu}[\p{L}\p{M}'’-]*/uy;
const lowerWordPart = /\p{Ll}+/uy;

/**
 * The parts after a street line, up to `limit` (where the next street line starts): units, postcodes, region
 * codes and places, separated by commas, line breaks or spaces. Stops at anything else — a sentence's end,
 * a lower-case word, a long run of capitalised words.
 */
function addressParts(text: string, from: number, limit: number): AddressPart[] {
  const words = gazetteers();
  const parts: AddressPart[] = [];
  let cursor = from;
  while (parts.length < 8) {
    partSeparator.lastIndex = cursor;
    const separator = partSeparator.exec(text)?.[0] ?? '';
    if (separator.length === 0) break;
    const hard = separator.includes(',') || separator.includes('\n');
    const at = cursor + separator.length;
    if (at >= limit) break;
    const previous = parts.at(-1);
    let part = sticky(unitPart, text, at, 'unit') ?? sticky(postcodePart, text, at, 'postcode');
    if (!part && (hard || previous?.kind === 'place')) {
      part = sticky(codePart, text, at, 'code');
      // A region in digits or lower case ("Cite Essanaouber\n, 32\n 60810", "delmas, mp 35739") only before a
      // postcode; never a function word ("… Springfield, and …").
      if (part && !/^\p{Lu}{2,3}$/u.test(text.slice(at, part.end))) {
        partSeparator.lastIndex = part.end;
        const gap = partSeparator.exec(text)?.[0] ?? '';
        const value = text.slice(at, part.end);
        if (
          !/^(?:\p{Ll}+|\d+)$/u.test(value) ||
          functionWords.has(value) ||
          !sticky(postcodePart, text, part.end + gap.length, 'postcode')
        )
          part = undefined;
      }
    }
    part ??= placeAt(text, at, words);
    if (!part || part.end > limit) break;
    parts.push(part);
    cursor = part.end;
    if (part.kind === 'place' && text.charCodeAt(part.end) === 32 && /\p{Ll}/u.test(text.charAt(part.end + 1))) break;
  }
  return parts;
}

function sticky(pattern: RegExp, text: string, at: number, kind: AddressPart['kind']): AddressPart | undefined {
  pattern.lastIndex = at;
  const match = pattern.exec(text);
  return match ? { kind, start: at, end: at + match[0].length } : undefined;
}

/** A place: up to four capitalised words (particles between them), not all common words unless a place. */
function placeAt(text: string, at: number, words: Words): AddressPart | undefined {
  const found: { start: number; end: number; lower: string; upper: boolean }[] = [];
  let cursor = at;
  while (found.length < 5) {
    placeWordPart.lastIndex = cursor;
    const match = placeWordPart.exec(text);
    // "PO1 3AB" is a postcode, not a place.
    if (!match || isDigitCode(text.charCodeAt(cursor + match[0].length))) break;
    const value = match[0];
    found.push({ start: cursor, end: cursor + value.length, lower: value.toLowerCase(), upper: !hasLower.test(value) });
    cursor += value.length;
    if (text.charCodeAt(cursor) !== 32) break;
    // "Mora de Rubielos": particles between capitalised words.
    let next = cursor + 1;
    lowerWordPart.lastIndex = next;
    const particle = lowerWordPart.exec(text)?.[0];
    if (particle && particles.has(particle) && text.charCodeAt(next + particle.length) === 32) next += particle.length + 1;
    placeWordPart.lastIndex = next;
    if (!placeWordPart.test(text)) break;
    cursor = next;
  }
  if (found.length === 0 || found.length > 4) return undefined;
  const all = found.map((word) => word.lower);
  const phrase = text.slice(at, (found.at(-1) as (typeof found)[number]).end).toLowerCase();
  if (!isPlace(phrase) && all.every((word) => words.commonWords.has(word) || functionWords.has(word))) return undefined;
  // "Magasinsgatan 7 St.": a street word after the number is the street's, not a town.
  if (
    found.length === 1 &&
    (streetWords.has(all[0] as string) || (!(found[0] as (typeof found)[number]).upper && (all[0] as string).length <= 2))
  )
    return undefined;
  const end = (found.at(-1) as (typeof found)[number]).end;
  // "Coalville South Africa", "CHARLEROI Victoria": a country or region after the town, or a change of case.
  let split: number | undefined;
  for (let k = 1; k < found.length && split === undefined; k++) {
    const rest = text.slice((found[k] as (typeof found)[number]).start, end).toLowerCase();
    const word = found[k] as (typeof found)[number];
    if (
      (word.upper !== (found[k - 1] as (typeof found)[number]).upper && word.end - word.start >= 2) ||
      words.countries.has(rest) ||
      words.regions.has(rest)
    )
      split = (found[k] as (typeof found)[number]).start;
  }
  return { kind: 'place', start: at, end, split };
}

function streetNameLooksReal(value: string): boolean {
  const words = gazetteers();
  const name = value.replace(/\s*\d.*$/s, '');
  return name.split(/\s+/).some((word) => word.length > 2 && !words.commonWords.has(word.toLowerCase().replace(/\.$/, '')));
}

function isNamePart(lower: string, words: Words): boolean {
  return words.givenNames.has(lower) || words.familyNames.has(lower) || words.otherNames.has(lower);
}

function isPlace(lower: string): boolean {
  const words = gazetteers();
  return words.countries.has(lower) || words.regions.has(lower) || words.cities.has(lower);
}

// Anchored on ", ST 12345" (cheap), the city is then read backwards.
const stateZip = /, ([A-Z]{2}) (\d{5}(?:-\d{4})?)\b/g;
const cityBefore = /(\p{Lu}[\p{L}\p{M}'’.-]+(?: \p{Lu}[\p{L}\p{M}'’.-]+){0,3})$/u;

function findCityStateZip(text: string, out: EntityCandidate[]): void {
  if (!text.includes(', ')) return;
  stateZip.lastIndex = 0;
  for (let match = stateZip.exec(text); match !== null; match = stateZip.exec(text)) {
    const [, state = '', zip = ''] = match;
    if (!usStates.has(state)) continue;
    const city = cityBefore.exec(text.slice(Math.max(0, match.index - 60), match.index))?.[1];
    if (!city) continue;
    const start = match.index - city.length;
    out.push({ type: 'location', start, end: start + city.length, score: 0.75 });
    const stateStart = start + city.length + 2;
    out.push({ type: 'location', start: stateStart, end: stateStart + 2, score: 0.6 });
    out.push({ type: 'postal_code', start: stateStart + 3, end: stateStart + 3 + zip.length, score: 0.8 });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Capitalised runs: persons, places and organisations.

interface Run {
  first: number;
  last: number;
}

const strongIntro =
  /(?:\bmy name is|\bname is|\bname\b[\s:?]*|\b(?:named|called) (?:him|her|them|it)|\bnamed|\bcalled|\bi['’]m|\bi am|\bthis is|\bdear|\bhi|\bhello|\bsigned(?: by)?|\bsincerely,?|\bregards,?|\b(?:insured|claimant|policyholder|adjuster|contact|applicant|beneficiary|witness|driver|patient|employee)\s*:|\battn\.?:?|\bc\/o|\bspeak (?:to|with)|\bmarried|\bmaiden name is)\s*$/i;
const weakIntro =
  /\b(?:by|with|and|under|kid|son|daughter|wife|husband|partner|partner's name|mother|father|brother|sister|friend|colleague|boss|manager|adjuster|agent|underwriter|insured|claimant|witness|tenant|owner|to|at|add|tell|ask|meet|met|told|asked|thanked|visited|contacted|emailed|called)\s*$/i;
const strongAfter =
  /^(?: (?:lives|lived|resides|resided) (?:at|in|on)\b|,? (?:the |our |an? |my )?(?:[a-z]+ )?(?:adjuster|insured|claimant|agent|underwriter|manager|director|ceo|cfo|broker|witness|policyholder|owner|tenant|engineer|inspector|attorney|lawyer|doctor|nurse|officer|specialist|writer|assistant|analyst|consultant|representative|administrator|operator|packager)\b|,? (?:jr|sr|phd|md|esq)\b|,? \d{1,3}(?:,(?!\d)| years? old))/i;
const weakAfter =
  /^(?:['’]s\b|, (?:can|could|would|will|please|I|you|we)\b| (?:said|says|told|asked|shouted|wrote|writes|lives|lived|is|was|will|would|has|had|can|could|did|does|phoned|reported|spent|listed|explained|agreed|replied|signed|called|works|worked|joined|died|gave|sent|paid|drove|filed)\b)/i;
/** Words before a company name in running text ("a year at …", "speaker from …", "works for …"). */
const orgPrepositions = new Set(['from', 'at', 'for', 'joined']);
const placeIntro =
  /(?:\b(?:based|located|live|lives|living|lived|born|grew up|raised|moved|moving|relocated|travel(?:l)?ing|travel(?:l)?ed|flew|fly|flying|arrived|arriving|stationed|headquartered|resident|stay(?:ing|ed)?|vacation(?:ing)?|trip|office|branch|city|town|village|region|province|state|country)\s+(?:here\s+)?(?:in|to|from|at|near|of)|\bvisit(?:ing|ed)?|\bi['’]m in|\bi am in|\bwelcome to|\bcoming to|\bgoing to|\bback to)\s*$/i;
const placePreposition = /\b(?:in|from|near|to|at|into|across|throughout|outside|around|of)\s*$/i;
const orgIntro =
  /(?:\bwork(?:s|ed|ing)? (?:for|at|with)|\bemployed (?:by|at)|\bemployer\s*:?|\bcompany\s*:?|\binsurer\s*:?|\bcarrier\s*:?|\bjoined|\bthe address of|\bcustomer of|\bclient of|\bspent a year at|\bworked at)\s*$/i;
const orgAfter = /^ (?:office|offices|headquarters|hq|is a (?:company|firm|design agency|bank|insurer|startup|agency))\b/i;

function isTitleLike(token: Token): boolean {
  return token.shape === 'title' || token.shape === 'initial';
}

function findRuns(text: string, tokens: Token[], out: EntityCandidate[]): void {
  const words = gazetteers();
  const runs: Run[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (!isTitleLike(token) && !(token.shape === 'upper' && token.text.length >= 3)) continue;
    let last = i;
    while (last + 1 < tokens.length) {
      const next = tokens[last + 1] as Token;
      const current = tokens[last] as Token;
      if (current.possessive) break;
      const gapLength = next.start - current.end;
      if (gapLength > 12) break;
      const oneSpace = gapLength === 1 && text.charCodeAt(current.end) === 32;
      const afterDot =
        (gapLength === 1 || gapLength === 2) &&
        text.charCodeAt(current.end) === 46 &&
        (gapLength === 1 || text.charCodeAt(current.end + 1) === 32) &&
        (current.shape === 'initial' || honorifics.has(current.lower));
      // Words of one case class form a run: "CHARLEROI Victoria" is a city line and a region, not one name.
      const sameCase = current.shape === 'upper' ? next.shape === 'upper' : isTitleLike(next);
      if ((oneSpace || afterDot) && sameCase) {
        last++;
        continue;
      }
      if (gapLength < 4 || !isTitleLike(next)) break;
      // A particle inside a name: "Willemine ten Pas", "Chiclana de la Frontera".
      const gap = text.slice(current.end, next.start);
      const particleGap = /^ ((?:\p{Ll}+ ){1,2})$/u.exec(gap);
      if (
        particleGap?.[1] &&
        isTitleLike(next) &&
        particleGap[1]
          .trim()
          .split(' ')
          .every((word) => particles.has(word))
      ) {
        last++;
        continue;
      }
      break;
    }
    runs.push({ first: i, last });
    i = last;
  }
  findFirmNames(text, tokens, out);
  const decided: (EntityCandidate & { personPoints: number })[] = [];
  runs.forEach((run) => {
    const candidate = classifyRun(text, tokens, run, words);
    if (candidate) decided.push(candidate);
  });
  // Lists of names ("Hannah, Anthony, Derek and Anna"): a run next to a person run gains evidence.
  const listed = (a: { end: number } | undefined, b: { start: number } | undefined) =>
    a !== undefined && b !== undefined && b.start - a.end <= 6 && /^(?:, | and | & |, and )$/.test(text.slice(a.end, b.start));
  decided.forEach((candidate, index) => {
    if (candidate.type !== 'person_pending') return;
    const isPersonLike = (other: (typeof decided)[number] | undefined) =>
      other !== undefined && other.type === 'person_pending' && other.personPoints >= 2;
    const previous = decided[index - 1];
    const next = decided[index + 1];
    if ((isPersonLike(previous) && listed(previous, candidate)) || (isPersonLike(next) && listed(candidate, next)))
      candidate.score = logistic(candidate.personPoints + 0.8);
  });
  for (const candidate of decided) {
    const type = candidate.type === 'person_pending' ? 'person' : candidate.type;
    out.push({ type, start: candidate.start, end: candidate.end, score: candidate.score });
    if (type === 'person' && candidate.score >= 0.5) findTitlesAround(text, candidate, out);
  }
}

/**
 * "The Davis, Reynolds and Williamson Orchestra", "works at Hawkins, Richardson and Santana": three surnames
 * after "the", "at", "from", "of" or "for" are a firm's name (law and accounting firms are named so), not
 * three people.
 */
function findFirmNames(text: string, tokens: Token[], out: EntityCandidate[]): void {
  for (let i = 0; i + 2 < tokens.length; i++) {
    const [a, b, c] = [tokens[i] as Token, tokens[i + 1] as Token, tokens[i + 2] as Token];
    if (text.slice(a.end, b.start) !== ', ' || text.slice(b.end, c.start) !== ' and ') continue;
    const surname = (token: Token) =>
      token.shape === 'title' &&
      !(token.flags & (flag.function | flag.honorific | flag.nationality)) &&
      !token.possessive &&
      (token.flags & flag.name || !(token.flags & flag.ordinary));
    if (!surname(a) || !surname(b) || !surname(c)) continue;
    // "from London, Leeds and York" are places; towns among surnames ("Davis", "Richardson") are surnames.
    if ([a, b, c].every((token) => token.flags & flag.place)) continue;
    const next = tokens[i + 3];
    // "Smith, Jones and Brown Ltd" is the org detector's; a fourth name in the list makes it a list of people.
    if (next && text.slice(c.end, next.start) === ', ') continue;
    const previous = tokens[i - 1];
    if (previous && text.slice(previous.end, a.start) === ', ') continue;
    if (!firmCues.has(contextBefore(text, a.start).word)) continue;
    out.push({ type: 'organization', start: a.start, end: c.end, score: 0.6 });
    i += 2;
  }
}

const firmCues = new Set(['the', 'at', 'from', 'of', 'for']);

// ---------------------------------------------------------------------------------------------------------
// Titles (honorifics and job titles) and nationalities, religions, political groups.

/** The honorifics right before a name ("Dr.", "Prof. Dr.", "Mrs"), as one span. */
function honorificBefore(text: string, start: number): [number, number] | undefined {
  let cursor = start;
  let first = -1;
  let end = -1;
  for (let k = 0; k < 3; k++) {
    if (text.charCodeAt(cursor - 1) !== 32) break;
    let i = cursor - 2;
    const wordEnd = i + 1;
    if (text.charCodeAt(i) === 46) i--;
    let wordStart = i + 1;
    while (wordStart > 0 && wordStart > i - 10 && isWordChar(text.charCodeAt(wordStart - 1))) wordStart--;
    if (wordStart > i || !honorifics.has(text.slice(wordStart, i + 1).toLowerCase())) break;
    if (end === -1) end = wordEnd;
    first = wordStart;
    cursor = wordStart;
  }
  return first === -1 ? undefined : [first, end];
}

const wordAtPattern = /[\p{L}\p{M}][\p{L}\p{M}'’-]*/uy;
const jobConnectors = new Set(['and', 'of', 'for', '&']);

/**
 * A job title starting at `start`: up to six words ending with an occupation ("Senior Claims Adjuster",
 * "Network and computer systems administrator"), the first capitalised; `agentive` also accepts a last word
 * ending like one ("Packager") where the context already says it is a role. Its end, or undefined.
 */
function jobTitleAt(text: string, start: number, agentive: boolean, lineOnly: boolean): number | undefined {
  if (!upperStart.test(text.charAt(start))) return undefined;
  let cursor = start;
  let found: number | undefined;
  for (let k = 0; k < 6; k++) {
    wordAtPattern.lastIndex = cursor;
    const match = wordAtPattern.exec(text);
    if (!match) break;
    const lower = match[0].toLowerCase();
    const end = cursor + match[0].length;
    if (k > 0 && !upperStart.test(match[0]) && !jobConnectors.has(lower) && (functionWords.has(lower) || months.has(lower)))
      break;
    if (occupationNouns.has(lower) || (agentive && /(?:er|or|ist|ian)$/.test(lower) && lower.length > 4)) found = end;
    cursor = end;
    if (text.charCodeAt(cursor) !== 32) break;
    cursor++;
  }
  if (found === undefined) return undefined;
  const next = text.charAt(found);
  if (lineOnly) return /^[ \t]*(?:\r?\n|$)/.test(text.slice(found, found + 40)) ? found : undefined;
  return next === '' || /[\s,.;:!?)]/.test(next) ? found : undefined;
}

/** A role or a title next to a person: "Dr. [name]", "[name], the Technical writer, said", a line under a name. */
function findTitlesAround(text: string, person: { start: number; end: number }, out: EntityCandidate[]): void {
  const honorific = honorificBefore(text, person.start);
  if (honorific) out.push({ type: 'title', start: honorific[0], end: honorific[1], score: 0.8 });
  // "Marie Langrová, the Packager, said"
  const after = /^, (?:the |our |an? |my )?/.exec(text.slice(person.end, person.end + 8));
  if (after) {
    const start = person.end + after[0].length;
    const end = jobTitleAt(text, start, true, false);
    if (end !== undefined && text.charAt(end) === ',') out.push({ type: 'title', start, end, score: 0.7 });
  }
  // A letter head, signature or CV: the name on its own line, the job title on the next.
  const line = /^[ \t]*\r?\n(?:[ \t]*\r?\n)?[ \t]*/.exec(text.slice(person.end, person.end + 12));
  if (line && contextBefore(text, person.start).lineStart) {
    const start = person.end + line[0].length;
    const end = jobTitleAt(text, start, false, true);
    if (end !== undefined) out.push({ type: 'title', start, end, score: 0.7 });
  }
}

const languageCues = new Set([
  'in',
  'into',
  'speak',
  'speaks',
  'spoke',
  'spoken',
  'speaking',
  'fluent',
  'translated',
  'learn',
  'learning',
]);

/**
 * Nationalities, religions and political groups as words in running text ("a Russian place", "I am Catholic").
 * Not when the word is part of a longer name ("Swiss Re", "American Express", "German Insurance Association"),
 * describes a thing ("English law", "Swiss francs", "Japanese knotweed"), names a language ("in English"), or
 * is a capitalised sentence opener that is also an ordinary word ("Polish the floor", "Conservative estimates").
 * "Job titles after "as": "worked for Usaa Group as Rolling machine operator".
 */
function findDescriptors(text: string, tokens: Token[], out: EntityCandidate[]): void {
  const taken = out.length;
  // What the other detectors found, merged into disjoint spans (computed once, on the first descriptor).
  let found: { start: number; end: number }[] | undefined;
  let languageAt = -2;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    const asBefore = token.start >= 3 && text.startsWith('as ', token.start - 3) && !isWordChar(text.charCodeAt(token.start - 4));
    if (asBefore) {
      const end = jobTitleAt(text, token.start, false, false);
      if (end !== undefined) out.push({ type: 'title', start: token.start, end, score: 0.7 });
    }
    if (!(token.flags & (flag.nationality | flag.belief)) || token.shape !== 'title') continue;
    let next = tokens[i + 1];
    const previous = tokens[i - 1];
    // "Russian Orthodox", "Irish Catholic": one descriptor of two words.
    let end = token.end;
    if (next && next.start === token.end + 1 && next.shape === 'title' && next.flags & (flag.nationality | flag.belief)) {
      end = next.end;
      i++;
      next = tokens[i + 1];
    }
    if (next && next.start === end + 1 && !token.possessive) continue;
    if (previous && previous.end + 1 === token.start && !(previous.flags & flag.function)) continue;
    // "Cyprus (Greek)": a qualifier of the place before it.
    if (previous && text.charCodeAt(token.start - 1) === 40 && previous.end + 2 === token.start && previous.flags & flag.place)
      continue;
    const following = /^ ([\p{Ll}]+)/u.exec(text.slice(end, end + 24))?.[1];
    if (following && thingNouns.has(following)) continue;
    const { word, sentenceStart } = contextBefore(text, token.start);
    // "in English, French and German": the rest of a list of languages are languages too.
    const listed =
      languageAt === i - 1 &&
      previous !== undefined &&
      /^(?:, | and | or |, and |, or )$/.test(text.slice(previous.end, token.start));
    if (token.flags & flag.nationality && (languageCues.has(word) || listed)) {
      languageAt = i;
      continue;
    }
    if (sentenceStart && (token.flags & flag.common || (token.flags & flag.belief && !(token.flags & flag.nationality))))
      continue;
    if (!found) found = coverage(out.slice(0, taken));
    const at = firstEndingAfter(found, token.start);
    if (!((found[at]?.start ?? Number.POSITIVE_INFINITY) < end))
      out.push({ type: 'nrp', start: token.start, end, score: token.flags & flag.belief ? 0.75 : 0.7 });
  }
}

type Words = ReturnType<typeof gazetteers>;

function nameEvidence(token: Token, words: Words): number {
  if (token.shape === 'initial') return 0.4;
  const lower = token.lower;
  const common = words.commonWords.has(lower) || functionWords.has(lower) || months.has(lower);
  let points = 0;
  if (words.givenNames.has(lower)) points = 2;
  else if (words.familyNames.has(lower)) points = 1.5;
  else if (words.otherNames.has(lower)) points = 1.2;
  if (common) return points > 0 ? points * 0.25 - 0.3 : -2;
  return points > 0 ? points : 0.5;
}

const compassWords = new Set(['north', 'south', 'east', 'west', 'northern', 'southern', 'eastern', 'western', 'central']);
const streetNameEnds = new Set([
  'street',
  'st',
  'road',
  'rd',
  'avenue',
  'ave',
  'boulevard',
  'blvd',
  'drive',
  'terrace',
  'crescent',
  'parkway',
  'highway',
  'square',
]);
const unitWords = new Set(['apt', 'apartment', 'suite', 'ste', 'unit', 'flat', 'floor', 'room']);

/** Last words of every "before" cue pattern (strongIntro, weakIntro, placeIntro, placePreposition, orgIntro). */
const placeTriggers = new Set([
  'in',
  'to',
  'from',
  'at',
  'near',
  'of',
  'into',
  'across',
  'throughout',
  'outside',
  'around',
  'visit',
  'visiting',
  'visited',
]);
const contextTriggers = new Set([
  ...placeTriggers,
  ..."is name him her them it named called i'm i’m am dear hi hello signed by sincerely regards insured claimant policyholder adjuster contact applicant beneficiary witness driver patient employee attn o with married and under kid son daughter wife husband partner mother father brother sister friend colleague boss manager agent underwriter tenant owner add tell ask meet met told asked thanked visited contacted emailed for employer company insurer carrier joined mr mrs ms miss dr prof".split(
    ' ',
  ),
]);

/**
 * What precedes a position, read backwards without a regular expression: the nearest word (lower case,
 * through "." ":" "," "?" and spaces), whether the position starts a line, and whether it starts a sentence
 * (after ". ", "! ", ": ", a quote — but not after "Dr." or an initial).
 */
/** Letters (Latin, Greek, Cyrillic and beyond, by a cheap test) and apostrophes. */
function isWordChar(code: number): boolean {
  if ((code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 39 || code === 8217) return true;
  return code >= 0xc0 && /[\p{L}\p{M}]/u.test(String.fromCharCode(code));
}

function contextBefore(text: string, position: number): { word: string; lineStart: boolean; sentenceStart: boolean } {
  let i = position - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  let lineStartAt = i;
  while (
    lineStartAt >= 0 &&
    (text[lineStartAt] === '>' || text[lineStartAt] === '*' || text[lineStartAt] === '-' || text[lineStartAt] === ' ')
  )
    lineStartAt--;
  const lineStart = lineStartAt < 0 || text[lineStartAt] === '\n' || text[lineStartAt] === '\r';
  const punctuation = i >= 0 ? (text[i] as string) : '';
  let wordEnd = i;
  while (wordEnd >= 0 && ' \t\n\r.:,?;!'.includes(text[wordEnd] as string)) wordEnd--;
  let wordStart = wordEnd;
  while (wordStart > 0 && wordStart > wordEnd - 24 && isWordChar(text.charCodeAt(wordStart - 1))) wordStart--;
  const word = wordEnd >= 0 ? text.slice(wordStart, wordEnd + 1).toLowerCase() : '';
  // After a colon a list or a value follows ("founders: Kónya, Becker and Vasquez"), not a new sentence.
  let sentenceStart = lineStart || /[!?;"“(]/.test(punctuation);
  if (punctuation === '.')
    sentenceStart = !(honorifics.has(word) || (word.length === 1 && /\p{Lu}/u.test(text[wordEnd] as string)));
  return { word, lineStart, sentenceStart };
}

function classifyRun(
  text: string,
  tokens: Token[],
  wholeRun: Run,
  words: Words,
): (EntityCandidate & { personPoints: number }) | undefined {
  let run = wholeRun;
  let first = run.first;
  let honorific = false;
  // A capitalised opener ("Named Storm …") is part of a heading, not an introduction: no cue from it.
  let strippedOpener = false;
  let roleBefore = false;
  // Leading honorifics and sentence-initial function words are context, not part of the span.
  while (first <= run.last) {
    const token = tokens[first] as Token;
    if (token.flags & flag.honorific) {
      honorific = true;
      first++;
      continue;
    }
    // "Adjuster Cal Roberts", "Insured Dana Whitfield": a role before a name is context, and a cue.
    if (first < run.last && token.flags & flag.role && (tokens[first + 1] as Token).shape !== 'upper') {
      roleBefore = true;
      first++;
      continue;
    }
    if (token.flags & flag.function) {
      first++;
      continue;
    }
    // "Ask Margaret Okafor", "Contact Dana": a capitalised common word opening the run is the sentence's.
    if (
      first < run.last &&
      first === run.first &&
      (token.flags & (flag.common | flag.name)) === flag.common &&
      (tokens[first + 1] as Token).flags & flag.name &&
      !((tokens[run.last] as Token).flags & flag.orgSuffix)
    ) {
      strippedOpener = true;
      first++;
      continue;
    }
    break;
  }
  // A run stops before an address unit ("Barbara Yudina Apt. 675").
  for (let i = first; i <= run.last; i++) {
    if ((tokens[i] as Token).flags & flag.unit) {
      run = { first: run.first, last: i - 1 };
      break;
    }
  }
  let last = run.last;
  while (last >= first && (tokens[last] as Token).flags & flag.function) last--;
  if (last < first) return undefined;
  // The common case, sentence-initial words and headings of common words ("Coverage A", "Refer"): decided
  // without arrays or context. A multi-word place starts with a word indexed in placesByFirstWord.
  if (!honorific) {
    let allCommon = true;
    let acronyms = true;
    for (let i = first; i <= last && (allCommon || acronyms); i++) {
      const token = tokens[i] as Token;
      allCommon &&= token.shape === 'initial' || (token.flags & flag.ordinary) !== 0;
      acronyms &&= token.shape === 'upper' && token.text.length <= 4;
    }
    const head = tokens[first] as Token;
    const tail = tokens[last] as Token;
    // Short upper-case words are acronyms ("USD", "IBAN DE", "HO") unless they are a place.
    if (acronyms && !(head.flags & (flag.place | flag.placeHead))) return undefined;
    const previous = tokens[first - 1];
    if (
      allCommon &&
      !(tail.flags & flag.orgSuffix) &&
      !(first === last ? head.flags & flag.place : head.flags & flag.placeHead || tail.flags & flag.place) &&
      !(previous !== undefined && previous.flags & flag.honorific && head.start - previous.end <= 2)
    )
      return undefined;
  }
  // A nationality, religion or party on its own ("English law", "a Catholic priest", "Swiss") is a descriptor
  // (findDescriptors), not a name or a place, unless an honorific or an introduction says otherwise.
  if (
    first === last &&
    (tokens[first] as Token).flags & (flag.nationality | flag.belief) &&
    !honorific &&
    !(tokens[first - 1] !== undefined && (tokens[first - 1] as Token).flags & flag.honorific) &&
    !strongIntro.test(text.slice(Math.max(0, (tokens[first] as Token).start - 40), (tokens[first] as Token).start)) &&
    // "Christian said": a given name before a verb.
    !(
      words.givenNames.has((tokens[first] as Token).lower) &&
      weakAfter.test(text.slice((tokens[first] as Token).end, (tokens[first] as Token).end + 20))
    )
  )
    return undefined;
  // "Russian Orthodox", "Irish Catholic": two descriptors, no name.
  if (
    last === first + 1 &&
    !honorific &&
    (tokens[first] as Token).flags & (flag.nationality | flag.belief) &&
    (tokens[last] as Token).flags & (flag.nationality | flag.belief)
  )
    return undefined;
  const span = tokens.slice(first, last + 1);
  const start = (span[0] as Token).start;
  let end = (span.at(-1) as Token).end;
  const lowers = span.map((t) => t.lower);
  const phrase = lowers.join(' ');
  const commonRun = lowers.every((w) => words.commonWords.has(w) || functionWords.has(w));
  // Most capitalised runs in prose are sentence starts and headings of common words: decided without
  // looking at the context, which is the expensive part.
  const previousToken = tokens[first - 1];
  const afterHonorific =
    honorific || (previousToken !== undefined && honorifics.has(previousToken.lower) && start - previousToken.end <= 2);
  if (commonRun && !afterHonorific && !isPlace(phrase) && !isPlace(lowers.slice(1).join(' '))) {
    // "Amadeo Vitorović from Rapid Cycle Solutions is …": common words and a company word after "from"/"at"
    // mid-sentence name a company; at a sentence start or alone they are a heading ("Risk Solutions").
    if (span.length >= 2 && (span.at(-1) as Token).flags & flag.orgSuffix) {
      const context = contextBefore(text, start);
      if (!context.sentenceStart && orgPrepositions.has(context.word))
        return { type: 'organization', start, end, score: 0.6, personPoints: 0 };
    }
    return undefined;
  }
  const { word: cueWord, lineStart, sentenceStart } = contextBefore(text, start);
  const allUpper = span.every((t) => t.shape === 'upper');
  // Upper-case words are acronyms and headings unless they name a place or follow a place preposition.
  if (allUpper && !afterHonorific && !isPlace(phrase) && !placeTriggers.has(cueWord)) return undefined;
  // The context patterns below all end with one of these words: skip them when the word before is another.
  const cued = contextTriggers.has(cueWord) && !strippedOpener;
  const before = cued ? text.slice(Math.max(0, start - 40), start) : '';
  const after = text.slice(end, end + 60);

  // Organisation: a company suffix after at least one distinctive word, or an organisation cue.
  const lastLower = lowers.at(-1) as string;
  const nonSuffix = span.filter((t) => !orgSuffixes.has(t.lower) && !words.legalEntityTypes.has(t.lower));
  const distinctive = nonSuffix.some((t) => !words.commonWords.has(t.lower) && !functionWords.has(t.lower));
  const suffixed =
    span.length >= 2 &&
    nonSuffix.length >= 1 &&
    (hardOrgSuffixes.has(lastLower) || words.legalEntityTypes.has(lastLower) || (orgSuffixes.has(lastLower) && distinctive));
  if (suffixed) {
    if ((span.at(-1) as Token).dot && /^(?:inc|ltd|co|corp)$/.test(lastLower)) end += 1;
    return { type: 'organization', start, end, score: hardOrgSuffixes.has(lastLower) ? 0.9 : 0.8, personPoints: 0 };
  }

  // Place: a gazetteer match for the whole run, helped by a preposition.
  let placePoints = 0;
  // "Southern Tunisia": a compass word before a place is not part of its name.
  if (span.length >= 2 && compassWords.has(lowers[0] as string) && !isPlace(phrase)) {
    const rest = lowers.slice(1).join(' ');
    if (isPlace(rest)) {
      return classifyRun(text, tokens, { first: first + 1, last }, words);
    }
  }
  if (words.countries.has(phrase)) placePoints = 3.2;
  else if (words.regions.has(phrase)) placePoints = 2.2;
  else if (words.cities.has(phrase)) placePoints = 2;
  const placeCue = !cued
    ? 0
    : placeIntro.test(before)
      ? 2
      : /\b(?:in|from)\s*$/i.test(before)
        ? 1.5
        : placePreposition.test(before)
          ? 0.8
          : 0;

  // Person evidence.
  let personPoints = 0;
  for (const token of span) personPoints += nameEvidence(token, words);
  if (span.length >= 2 && words.givenNames.has(lowers[0] as string) && !words.commonWords.has(lowers[0] as string))
    personPoints += 1;
  // "First M. Last": a middle initial between two words is the shape of a personal name.
  if (
    span.length >= 3 &&
    span.length <= 4 &&
    span.slice(1, -1).some((t) => t.shape === 'initial') &&
    span.at(-1)?.shape !== 'initial'
  )
    personPoints += 1;
  if (span.length > 4) personPoints -= 2;
  // Two or three capitalised words that are in no dictionary, mid-sentence, are a proper name of some kind.
  if (span.length >= 2 && span.length <= 3 && span.every((t) => t.shape === 'title' && !words.commonWords.has(t.lower)))
    personPoints += 0.5;
  // A line that is only a short name: a letter head, signature or address label ("Maha Cazares\n…").
  if (lineStart && span.length >= 2 && span.length <= 3 && /^[ \t]*(?:\r?\n|$)/.test(after)) personPoints += 1;
  if (cued && /\b(?:mr|mrs|ms|miss|dr|prof)\.?\s*$/i.test(before)) honorific = true;
  if (!sentenceStart) personPoints += 0.5;
  if (honorific) personPoints += 3;
  if (roleBefore) personPoints += 1.5;
  if (cued && strongIntro.test(before)) personPoints += 2.5;
  else if (cued && weakIntro.test(before)) personPoints += 0.8;
  if (strongAfter.test(after)) personPoints += 2;
  else if (weakAfter.test(after)) personPoints += 0.8;
  if (lineStart && placePoints === 0 && /^:/.test(after)) personPoints += 1.5; // a speaker label: "Nicole: …"
  if (allUpper && !honorific) personPoints -= 2.5;
  if (span.length === 1 && (span[0] as Token).shape === 'initial') return undefined;
  if ((cued && orgIntro.test(before)) || orgAfter.test(after)) {
    if (distinctive && !honorific && placePoints === 0) return { type: 'organization', start, end, score: 0.65, personPoints: 0 };
  }

  // An unknown name after "in"/"from" ("in Tobel") is a place; one in a name list needs a stronger cue.
  const unknownName = span.every((t) => !(t.flags & (flag.name | flag.ordinary)));
  if (placePoints > 0 || (placeCue >= 2 && !commonRun) || (placeCue >= 1.5 && unknownName)) {
    const points = (placePoints > 0 ? placePoints : 0.8) + placeCue + (allUpper ? 0 : 0.3);
    if (points >= personPoints + 0.5 || placePoints >= 3) {
      const score = logistic(points);
      return { type: 'location', start, end, score, personPoints: 0 };
    }
  }
  if (commonRun && !honorific) return undefined;
  // "Marina Fort Street" is a street, not a person.
  if (streetNameEnds.has(lastLower)) return undefined;
  // "Kevin Veitonen II", "John Smith Jr.": the generation belongs to the name.
  const generation = /^ (?:II|III|IV|Jr\.?|Sr\.?)(?![\p{L}])/u.exec(after);
  if (generation && personPoints >= 2) end += generation[0].length;
  const score = logistic(personPoints);
  return { type: 'person_pending', start, end, score, personPoints };
}

/** Lower-case names after an unambiguous introduction ("my name is eva kleist", "ms. marcela"). */
const lowercaseIntro =
  /(?:\bmy name is|\bname is|\bname\s*:|\bi am|\bi['’]m|\bdear|\bthis is|\b(?:mr|mrs|ms|miss|dr)\.?)\s+(\p{Ll}[\p{L}\p{M}'’-]{2,})(?: (\p{Ll}[\p{L}\p{M}'’-]{2,}))?/dgiu;

export function findLowercaseNames(text: string, from: number, to: number, out: EntityCandidate[]): void {
  const words = gazetteers();
  // On the window's slice: a scan of the whole text from `from` would run on to its end for every window.
  const window = text.slice(from, to);
  lowercaseIntro.lastIndex = 0;
  for (let match = lowercaseIntro.exec(window); match !== null; match = lowercaseIntro.exec(window)) {
    const given = match[1] ?? '';
    const first = match.indices?.[1];
    if (!first || !/^\p{Ll}/u.test(given)) continue;
    // "I am cambodian", "i'm catholic": a nationality or belief in lower case, after "I am" only.
    if ((nationalityWords.has(given) || beliefWords.has(given)) && /^i(?: am|['’]m)/i.test(match[0])) {
      out.push({ type: 'nrp', start: from + first[0], end: from + first[1], score: 0.7 });
      continue;
    }
    const isName = (word: string) =>
      !words.commonWords.has(word) &&
      !functionWords.has(word) &&
      (words.givenNames.has(word) || words.familyNames.has(word) || words.otherNames.has(word));
    if (!isName(given)) continue;
    const family = match[2];
    const second = match.indices?.[2];
    const end = family && second && /^\p{Ll}/u.test(family) && isName(family) ? second[1] : first[1];
    out.push({ type: 'person', start: from + first[0], end: from + end, score: end === first[1] ? 0.7 : 0.85 });
    const honorific = /^(?:mr|mrs|ms|miss|dr)\.?/i.exec(match[0]);
    if (honorific)
      out.push({ type: 'title', start: from + match.index, end: from + match.index + honorific[0].length, score: 0.8 });
  }
  lowercaseIntro.lastIndex = 0;
}
