/**
 * Domain vocabulary and identity mappings (docs/vocabulary.md, docs/identity-mapping.md): what they add to the
 * hot paths, each next to a baseline measured in the same run.
 *
 *  1. search: the retriever with the managed vocabulary (one indexed read per search + expansion) vs the same
 *     retriever without it, on the same queries — with an empty vocabulary and with `--entries` entries;
 *  2. authentication: `withMappedIdentities` for a caller with source identities (one indexed read over
 *     `--mappings` mappings) vs a caller without (no read);
 *  3. suggestions: corpus scan throughput (chunks/s) of `suggestVocabulary`.
 *
 *   node bench/vocabulary.bench.ts [--database-url postgres://…/groundwork_vocabulary_bench] [--docs 300] [--queries 300]
 *
 * Without --database-url: an embedded store in a temporary directory. With it, the database is dropped and
 * re-created (its name must end in `_bench`). docs/benchmarks.md ("Vocabulary and identity mappings") records a run.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { callerWithPrincipals, createTracer, loadConfig, localOperator, silentLogger } from '../src/core/index.ts';
import { createPlatform } from '../src/create-platform.ts';
import { importIdentityMappings, withMappedIdentities } from '../src/govern/index.ts';
import { addSource } from '../src/ingest/index.ts';
import { createRetriever } from '../src/retrieve/index.ts';
import { addVocabularyEntry, createVocabularyLookup, suggestVocabulary } from '../src/vocabulary/index.ts';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    docs: { type: 'string', default: '300' },
    queries: { type: 'string', default: '300' },
    entries: { type: 'string', default: '500' },
    mappings: { type: 'string', default: '5000' },
  },
});
const docs = Number(values.docs);
const queryCount = Number(values.queries);
const entryCount = Number(values.entries);
const mappingCount = Number(values.mappings);
const url = values['database-url'] ? new URL(values['database-url']) : undefined;
if (url) {
  const dbName = url.pathname.slice(1);
  if (!dbName.endsWith('_bench')) throw new Error(`refusing to drop ${dbName}: the bench database name must end in _bench`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${dbName}`);
  await client.query(`CREATE DATABASE ${dbName}`);
  await client.end();
}
const dir = mkdtempSync(join(tmpdir(), 'gw-bench-vocabulary-'));
const platform = await createPlatform(
  loadConfig({ env: {}, cwd: dir, flags: url ? { databaseUrl: url.toString() } : { dataDir: join(dir, 'data') } }),
  { logger: silentLogger },
);

// A synthetic corpus with acronyms defined in text (generated, deterministic).
const words = 'claim policy loss adjuster payment water damage roof kitchen ceiling flood storm deductible premium'.split(' ');
const acronyms = Array.from({ length: 40 }, (_, i) => {
  const a = words[i % words.length] as string;
  const b = words[(i * 3 + 1) % words.length] as string;
  const c = words[(i * 7 + 2) % words.length] as string;
  return {
    term: `${a[0]}${b[0]}${c[0]}${String.fromCharCode(65 + (i % 26))}`.toUpperCase(),
    long: `${a} ${b} ${c} ${String.fromCharCode(97 + (i % 26))}x`,
  };
});
const folder = join(dir, 'corpus');
mkdirSync(folder);
for (let i = 0; i < docs; i++) {
  const acronym = acronyms[i % acronyms.length] as { term: string; long: string };
  const body = Array.from({ length: 120 }, (_, j) => words[(i * 31 + j * 7) % words.length]).join(' ');
  writeFileSync(join(folder, `doc-${i}.txt`), `Document ${i}. The ${acronym.long} (${acronym.term}) applies. ${body}.\n`);
}
await addSource(platform.db, { name: 'bench', type: 'filesystem', path: folder, readableBy: ['group:staff'] });
let started = performance.now();
await platform.ingestion.sync({ source: 'bench' });
console.log(`corpus: ${docs} documents ingested in ${((performance.now() - started) / 1000).toFixed(1)} s`);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
const stats = (times: number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: pct(sorted, 50), p95: pct(sorted, 95), mean: times.reduce((s, t) => s + t, 0) / times.length };
};
const ms = (n: number) => `${n.toFixed(2)} ms`;

const caller = callerWithPrincipals(['group:staff']);
const queries = Array.from({ length: queryCount }, (_, i) => {
  const acronym = acronyms[i % acronyms.length] as { term: string };
  return `${acronym.term} ${words[i % words.length]} ${words[(i * 5) % words.length]}`;
});
const tracer = createTracer(platform.events);
const withVocabulary = createRetriever({
  db: platform.db,
  config: platform.config.retrieval,
  tracer,
  vocabulary: createVocabularyLookup(platform.db),
});
const without = createRetriever({ db: platform.db, config: platform.config.retrieval, tracer });
/** Both retrievers on every query, alternating which goes first: machine load drifts, the ratio holds. */
async function measurePair(): Promise<{ without: number[]; with: number[] }> {
  const out = { without: [] as number[], with: [] as number[] };
  for (const [i, query] of queries.entries()) {
    const order = i % 2 === 0 ? (['without', 'with'] as const) : (['with', 'without'] as const);
    for (const which of order) {
      const t = performance.now();
      await (which === 'with' ? withVocabulary : without).search({ query, caller, k: 10, mode: 'lexical', highlight: false });
      out[which].push(performance.now() - t);
    }
  }
  return out;
}
await measurePair(); // warm-up (index statistics, plan cache)
started = performance.now();
const scanned = await suggestVocabulary(platform.db, localOperator, {});
const scanSeconds = (performance.now() - started) / 1000;
const empty = await measurePair();
for (const acronym of acronyms) {
  await addVocabularyEntry(platform.db, localOperator, { term: acronym.term, expansions: [acronym.long] });
}
for (let i = acronyms.length; i < entryCount; i++) {
  await addVocabularyEntry(platform.db, localOperator, { term: `term${i}`, expansions: [`equivalent ${i}`] });
}
const full = await measurePair();
const line = (label: string, pair: { without: number[]; with: number[] }) => {
  const a = stats(pair.without);
  const b = stats(pair.with);
  console.log(
    `  ${label}: without p50 ${ms(a.p50)} p95 ${ms(a.p95)} | with p50 ${ms(b.p50)} p95 ${ms(b.p95)} | ×${(b.p50 / a.p50).toFixed(2)} p50`,
  );
};
console.log(`search, ${queryCount} lexical queries (3 terms, one an acronym), interleaved in the same run:`);
line('vocabulary empty (lookup only)       ', empty);
line(`vocabulary ${entryCount} entries (query expanded)`, full);
console.log(
  `suggestions: ${scanned.scannedChunks} chunks scanned in ${scanSeconds.toFixed(2)} s (${Math.round(scanned.scannedChunks / scanSeconds)} chunks/s), ${scanned.acronyms.length} acronym pairs found (${acronyms.length} defined in the corpus)`,
);

// Authentication: mapping a caller's source identities.
const rows = Array.from({ length: mappingCount }, (_, i) => ({
  identity: i % 2 === 0 ? `legacy:role${i}` : `entra:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  principals: [`group:g${i % 50}`],
}));
started = performance.now();
await importIdentityMappings(platform.governance, platform.db, localOperator, rows);
console.log(`identity mappings: ${mappingCount} imported in ${((performance.now() - started) / 1000).toFixed(1)} s`);
const plain = { id: 'user:a@x.test', role: 'user' as const, principals: ['user:a@x.test', 'group:staff'], seesEverything: false };
const mapped = { ...plain, principals: [...plain.principals, 'legacy:role10', 'entra:00000000-0000-4000-8000-000000000011'] };
const time = async (c: typeof plain) => {
  const times: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t = performance.now();
    await withMappedIdentities(platform.db, c);
    times.push(performance.now() - t);
  }
  return stats(times);
};
const noIdentities = await time(plain);
const withIdentities = await time(mapped);
console.log('authentication, withMappedIdentities × 2000:');
console.log(`  caller without source identities (no read): p50 ${ms(noIdentities.p50)}, p95 ${ms(noIdentities.p95)}`);
console.log(
  `  caller with 2 source identities:            p50 ${ms(withIdentities.p50)}, p95 ${ms(withIdentities.p95)} (+${ms(withIdentities.p50 - noIdentities.p50)} p50)`,
);

await platform.close();
