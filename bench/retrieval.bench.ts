/**
 * Retrieval speed benchmark (`npm run bench:retrieval`): generated corpora (see retrieval-corpus.ts) written
 * through plain SQL so the triggers build the portable postings, then p50/p95 of permission-filtered
 * lexical (portable auto/exhaustive, pg_textsearch), vector (HNSW) and hybrid queries, index build times
 * and sizes on disk.
 *
 *   node bench/retrieval.bench.ts [--chunks 10000,100000] [--database-url URL] [--dims 64] [--queries 200]
 *   node bench/retrieval.bench.ts --database-url URL --schema bm1m   # an existing corpus (see below)
 *
 * Embedded: a fresh in-memory PGlite per size. Server: a fresh schema `bench_<n>` per size (dropped after).
 * Large corpora (1M chunks) are generated in bulk SQL by retrieval-corpus-sql.ts (`generateStaged` +
 * `loadStaged` + `SELECT retrieval_rebuild()`) into a schema that `--schema` then measures without changing.
 */
import { parseArgs } from 'node:util';
import { MockEmbeddingModelV4 } from 'ai/test';
import { callerWithPrincipals, configSchema, createEventBus, createTracer } from '../src/core/index.ts';
import { prng } from '../src/retrieve/fixtures/generate.ts';
import { createRetriever, ensureLexicalIndex, ensureVectorIndex, type SearchRequest } from '../src/retrieve/index.ts';
import { portableLexicalSearch } from '../src/retrieve/lexical.ts';
import { type Database, openStore } from '../src/store/index.ts';
import { benchGroups, benchQueries, generateCorpus } from './retrieval-corpus.ts';

const { values } = parseArgs({
  options: {
    chunks: { type: 'string', default: '10000,100000' },
    'database-url': { type: 'string' },
    dims: { type: 'string', default: '64' },
    queries: { type: 'string', default: '200' },
    'skip-vector': { type: 'boolean', default: false },
    schema: { type: 'string' },
  },
});
const dims = Number(values.dims);
const queryCount = Number(values.queries);
const config = configSchema.parse({}).retrieval;
const caller = callerWithPrincipals([benchGroups[1], benchGroups[2], benchGroups[3]] as string[]);

function stats(times: number[]): { p50: number; p95: number; mean: number } {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
  const round = (x: number) => Math.round(x * 10) / 10;
  return { p50: round(at(50)), p95: round(at(95)), mean: round(sorted.reduce((s, x) => s + x, 0) / sorted.length) };
}

async function time<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

async function size(db: Database, sql: string): Promise<number> {
  const result = await db.query<{ bytes: number }>(sql);
  return Math.round(Number(result.rows[0]?.bytes ?? 0) / 1024 / 1024);
}

const embeddingModel = new MockEmbeddingModelV4({
  doEmbed: async ({ values: texts }) => ({
    embeddings: texts.map((text) => {
      const random = prng([...text].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 3));
      const v = Array.from({ length: dims }, () => random() - 0.5);
      const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      return v.map((x) => x / norm);
    }),
    warnings: [],
  }),
});

const results: Record<string, unknown>[] = [];
const existing = values.schema;
for (let n of existing ? [0] : values.chunks.split(',').map(Number)) {
  const schema = existing ?? `bench_${n}`;
  const serverUrl = values['database-url'];
  if (serverUrl && !existing) {
    const admin = await openStore({ dataDir: 'unused', databaseUrl: serverUrl }, { migrate: false });
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
  }
  const db = await openStore(
    serverUrl ? { dataDir: 'unused', databaseUrl: serverUrl } : { dataDir: 'memory://', databaseUrl: undefined },
    // An existing corpus is measured as it is (migrating would wait for the database-wide migration lock).
    serverUrl ? { schema, ...(existing ? { migrate: false } : {}) } : {},
  );
  try {
    let insertMs = 0;
    let bm25BuildMs = 0;
    let hnswBuildMs = 0;
    let lexicalIndex: string | undefined;
    if (existing) {
      n = Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM chunks')).rows[0]?.n);
      process.stderr.write(`\n${n} chunks in ${existing} on ${db.mode} (PostgreSQL ${db.capabilities.serverVersion})\n`);
    } else {
      process.stderr.write(`\n${n} chunks on ${db.mode} (PostgreSQL ${db.capabilities.serverVersion})\n`);
      ({ insertMs } = await generateCorpus(db, {
        chunks: n,
        dimensions: dims,
        onProgress: (done) => {
          if (done % 10000 === 0) process.stderr.write(`  inserted ${done}\n`);
        },
      }));
      await db.query('ANALYZE');
      [lexicalIndex, bm25BuildMs] = await time(() => ensureLexicalIndex(db, config));
      if (!values['skip-vector']) {
        await db.query(`SET maintenance_work_mem = '512MB'`).catch(() => {});
        [, hnswBuildMs] = await time(() => ensureVectorIndex(db, dims));
      }
      await db.query('VACUUM ANALYZE').catch(() => {});
    }
    const sizes = {
      chunksMB: await size(db, `SELECT pg_total_relation_size('chunks') AS bytes`),
      postingsMB: await size(
        db,
        `SELECT pg_total_relation_size('retrieval_impacts') + pg_total_relation_size('retrieval_docs') + pg_total_relation_size('retrieval_lexicon') + pg_total_relation_size('retrieval_acls') AS bytes`,
      ),
      postingsBytesPerChunk: Math.round(
        Number(
          (
            await db.query<{ bytes: number }>(
              `SELECT (pg_total_relation_size('retrieval_impacts') + pg_total_relation_size('retrieval_docs') + pg_total_relation_size('retrieval_lexicon') + pg_total_relation_size('retrieval_acls'))::float8 / greatest(1, (SELECT count(*) FROM chunks)) AS bytes`,
            )
          ).rows[0]?.bytes,
        ),
      ),
      postingsPerChunk:
        Math.round(
          Number(
            (
              await db.query<{ n: number }>(
                `SELECT (SELECT count(*) FROM retrieval_impacts)::float8 / greatest(1, (SELECT count(*) FROM chunks)) AS n`,
              )
            ).rows[0]?.n,
          ) * 10,
        ) / 10,
      bm25IndexMB: lexicalIndex ? await size(db, `SELECT pg_relation_size('${lexicalIndex}') AS bytes`) : 0,
      impactIndexMB: await size(db, `SELECT pg_relation_size('retrieval_impacts_idx') AS bytes`),
      hnswIndexMB: values['skip-vector']
        ? 0
        : await size(db, `SELECT pg_relation_size('chunks_embedding_hnsw_${dims}') AS bytes`),
    };
    const queries = benchQueries(queryCount);
    const retriever = createRetriever({
      db,
      config,
      tracer: createTracer(createEventBus()),
      embeddingModel,
      embeddingDimensions: dims,
    });
    const run = async (label: string, request: Omit<SearchRequest, 'query' | 'caller'>, count = queryCount) => {
      const times: number[] = [];
      for (const query of queries.slice(0, 10)) await retriever.search({ query, caller, ...request }); // warm-up
      for (const query of queries.slice(0, count)) {
        const [, ms] = await time(() => retriever.search({ query, caller, k: 10, ...request }));
        times.push(ms);
      }
      process.stderr.write(`  ${label}: ${JSON.stringify(stats(times))}\n`);
      return stats(times);
    };
    const lexicalRaw = async (strategy: 'auto' | 'exhaustive', count: number) => {
      const times: number[] = [];
      for (const query of queries.slice(0, count)) {
        const [, ms] = await time(() =>
          portableLexicalSearch(db, config, ['english'], { text: query, caller, filters: undefined, limit: 10 }, strategy),
        );
        times.push(ms);
      }
      process.stderr.write(`  portable ${strategy} (ranking only): ${JSON.stringify(stats(times))}\n`);
      return stats(times);
    };
    // Machine-load baseline measured in the same run: one round trip to the store.
    const roundTrip: number[] = [];
    for (let i = 0; i < 200; i++) roundTrip.push((await time(() => db.query('SELECT 1')))[1]);
    process.stderr.write(`  SELECT 1 round trip: ${JSON.stringify(stats(roundTrip))}\n`);
    const row: Record<string, unknown> = {
      store: `${db.mode} PG ${db.capabilities.serverVersion}`,
      chunks: n,
      dims,
      insertMs,
      bm25BuildMs: Math.round(bm25BuildMs),
      hnswBuildMs: Math.round(hnswBuildMs),
      ...sizes,
      selectOneRoundTrip: stats(roundTrip),
      lexicalPortable: await run('lexical portable', { mode: 'lexical', lexicalEngine: 'portable' }),
      rankingPortableAuto: await lexicalRaw('auto', queryCount),
      rankingPortableExhaustive: await lexicalRaw('exhaustive', Math.min(queryCount, 100)),
      ...(lexicalIndex
        ? { lexicalPgTextSearch: await run('lexical pg_textsearch', { mode: 'lexical', lexicalEngine: 'pg_textsearch' }) }
        : {}),
      ...(values['skip-vector']
        ? {}
        : {
            vector: await run('vector', { mode: 'vector' }),
            vectorHnsw: await (async () => {
              const forced = createRetriever({
                db,
                config: { ...config, exactVectorBelow: 0 },
                tracer: createTracer(createEventBus()),
                embeddingModel,
                embeddingDimensions: dims,
              });
              const times: number[] = [];
              for (const query of queries) {
                const [, ms] = await time(() => forced.search({ query, caller, k: 10, mode: 'vector' }));
                times.push(ms);
              }
              process.stderr.write(`  vector (HNSW forced): ${JSON.stringify(stats(times))}\n`);
              return stats(times);
            })(),
            hybrid: await run('hybrid', { mode: 'hybrid' }),
          }),
    };
    results.push(row);
  } finally {
    if (serverUrl && !existing) await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await db.close();
  }
}
console.log(JSON.stringify(results, null, 2));
