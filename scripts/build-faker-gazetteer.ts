/**
 * Regenerates src/protect/pii/data/faker-gazetteer.json: the person-name, place, street-suffix and legal-entity
 * lists of every locale of `@faker-js/faker` (MIT), folded to lower case (NFC), de-duplicated and sorted.
 *
 * Shipped as a derived file rather than loaded from the package at run time: requiring faker's 60+ locales
 * keeps their whole data (phrases, products, words of every language) on the heap of every process and takes
 * most of the gazetteers' load time; the lists the detector uses are ~1 MB of JSON. faker is a development
 * dependency.
 *
 * Usage: node scripts/build-faker-gazetteer.ts
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface FakerLocale {
  readonly person?: { readonly first_name?: unknown; readonly last_name?: unknown; readonly middle_name?: unknown };
  readonly location?: {
    readonly city_name?: unknown;
    readonly state?: unknown;
    readonly country?: unknown;
    readonly street_suffix?: unknown;
    readonly common_street_suffix?: unknown;
  };
  readonly company?: { readonly legal_entity_type?: unknown };
}

const require = createRequire(import.meta.url);
const { allLocales } = require('@faker-js/faker') as { allLocales: Record<string, FakerLocale> };
const { version } = require('@faker-js/faker/package.json') as { version: string };

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, out);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) strings(item, out);
  return out;
}

// Faker's lists hold a few placeholders and patterns ("{{person.last_name}}"): only plain names are kept.
const plain = (value: string) => value.length >= 2 && !/[{}#0-9]/.test(value);
const fold = (value: string) => value.normalize('NFC').toLowerCase().trim();
const lists = {
  givenNames: new Set<string>(),
  familyNames: new Set<string>(),
  cities: new Set<string>(),
  regions: new Set<string>(),
  countries: new Set<string>(),
  streetSuffixes: new Set<string>(),
  legalEntityTypes: new Set<string>(),
};
const add = (set: Set<string>, values: unknown) => {
  for (const value of strings(values)) if (plain(value)) set.add(fold(value));
};
for (const locale of Object.values(allLocales)) {
  add(lists.givenNames, locale.person?.first_name);
  add(lists.givenNames, locale.person?.middle_name);
  add(lists.familyNames, locale.person?.last_name);
  add(lists.cities, locale.location?.city_name);
  add(lists.regions, locale.location?.state);
  add(lists.countries, locale.location?.country);
  add(lists.streetSuffixes, locale.location?.street_suffix);
  add(lists.streetSuffixes, locale.location?.common_street_suffix);
  add(lists.legalEntityTypes, locale.company?.legal_entity_type);
}
const sorted = (set: Set<string>) => [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const data = {
  source: `@faker-js/faker ${version} (MIT), every locale; see data/README.md`,
  ...Object.fromEntries(Object.entries(lists).map(([name, set]) => [name, sorted(set)])),
};
const target = new URL('../src/protect/pii/data/faker-gazetteer.json', import.meta.url);
// One name per line: reviewable diffs when faker's lists change.
writeFileSync(target, `${JSON.stringify(data, null, 0).replaceAll('","', '",\n"')}\n`);
console.log(
  `${Object.entries(lists)
    .map(([name, set]) => `${set.size} ${name}`)
    .join(', ')} written to ${target.pathname}`,
);
