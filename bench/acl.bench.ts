/**
 * Permission resolution cost per document (`npm run bench:acl`; not a test).
 *
 * A sync resolves every document's principals with the source's ACL map. Measured, in one run:
 *  1. baseline: one compiled picomatch glob tested against each path (the floor of "look at the path once");
 *  2. the example corpus map (3 rules, 3 aliases, a default);
 *  3. a large map: 200 folder rules, 2,000 aliases, a default, paths spread over 250 folders;
 *  4. the same with `ignoreCase: true`.
 *
 * Usage: node bench/acl.bench.ts [--documents 100000]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import picomatch from 'picomatch';
import { parseAclMap, resolveDocumentAccess } from '../src/protect/index.ts';

const { values: args } = parseArgs({ options: { documents: { type: 'string', default: '100000' } } });
const documents = Number(args.documents);
const paths = Array.from({ length: documents }, (_, i) => `dept${i % 250}/sub${i % 7}/file-${i}.pdf`);
const examplePaths = Array.from(
  { length: documents },
  (_, i) => `${['claims', 'underwriting', 'policy-forms', 'shared'][i % 4]}/file-${i}.pdf`,
);

const example = parseAclMap(readFileSync(new URL('../examples/acl-map.yaml', import.meta.url), 'utf8'), 'acl-map.yaml').aclMap;
const large = (ignoreCase: boolean) =>
  parseAclMap(
    JSON.stringify({
      default: ['group:staff'],
      ignoreCase,
      rules: Array.from({ length: 200 }, (_, i) => ({
        match: `dept${i}/**`,
        principals: [`ROLE_${i}`, `ROLE_${(i * 7) % 2000}`],
      })),
      aliases: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`ROLE_${i}`, [`group:g${i}`, `group:all-${i % 10}`]])),
    }),
    'large.json',
  ).aclMap;

function measure(label: string, run: () => void): { label: string; microseconds: number } {
  run();
  const times: number[] = [];
  for (let round = 0; round < 3; round++) {
    const start = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  times.sort((a, b) => a - b);
  return { label, microseconds: (times[1] as number) / documents };
}

const glob = picomatch('dept12/**', { dot: true });
const largeMap = large(false);
const largeMapNoCase = large(true);
const results = [
  measure('baseline: one picomatch glob per path', () => {
    for (const path of paths) glob(path);
  }),
  measure('example map (3 rules, 3 aliases)', () => {
    for (const path of examplePaths) resolveDocumentAccess({ aclMap: example, path });
  }),
  measure('200 rules, 2,000 aliases', () => {
    for (const path of paths) resolveDocumentAccess({ aclMap: largeMap, path });
  }),
  measure('200 rules, 2,000 aliases, ignoreCase', () => {
    for (const path of paths) resolveDocumentAccess({ aclMap: largeMapNoCase, path });
  }),
];
const baseline = results[0]?.microseconds ?? 1;
console.log(`ACL resolution — ${documents} documents, median of 3 rounds, Node ${process.version}`);
console.log('| run | µs per document | documents/s | × baseline cost |');
console.log('|---|---:|---:|---:|');
for (const result of results) {
  console.log(
    `| ${result.label} | ${result.microseconds.toFixed(2)} | ${Math.round(1e6 / result.microseconds).toLocaleString('en-US')} | ${(result.microseconds / baseline).toFixed(1)} |`,
  );
}
