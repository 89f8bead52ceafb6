/**
 * Bulk SQL generation of the retrieval benchmark corpus (the same shape as retrieval-corpus.ts: documents of 4
 * chunks, 80–160 Zipf words per chunk, each document readable by two of 40 groups, clustered unit vectors)
 * entirely inside PostgreSQL with INSERT … SELECT — a million chunks in minutes instead of hours of per-row
 * round trips. The rows land in unlogged staging tables `<staging>.docs` / `<staging>.chunks`; `loadStaged`
 * copies them into a migrated Groundwork schema.
 *
 *   node bench/retrieval-corpus-sql.ts --database-url URL --chunks 1000000 [--staging raw1m] [--dims 64]
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { prng } from '../src/retrieve/fixtures/generate.ts';
import { benchGroups, benchVocabulary } from './retrieval-corpus.ts';

/** Generates `chunks` chunks into `<staging>.docs` / `<staging>.chunks` (dropped and re-created). */
export async function generateStaged(
  client: pg.Client | pg.PoolClient,
  options: { staging: string; chunks: number; dims: number; batch?: number; onProgress?: (done: number) => void },
): Promise<void> {
  const s = options.staging;
  if (!/^[a-z_][a-z0-9_]*$/.test(s)) throw new Error(`invalid staging schema ${s}`);
  const docs = Math.ceil(options.chunks / 4);
  await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await client.query(`CREATE SCHEMA ${s}`);
  await client.query(`CREATE UNLOGGED TABLE ${s}.vocab (rank int PRIMARY KEY, word text NOT NULL)`);
  await client.query(`INSERT INTO ${s}.vocab SELECT ordinality::int, w FROM unnest($1::text[]) WITH ORDINALITY w`, [
    benchVocabulary,
  ]);
  const random = prng(99);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const centres = Array.from({ length: 64 }, () => {
    const v = Array.from({ length: options.dims }, gaussian);
    const norm = Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
    return `{${v.map((x) => x / norm).join(',')}}`;
  });
  await client.query(`CREATE UNLOGGED TABLE ${s}.centres (id int PRIMARY KEY, v float8[] NOT NULL)`);
  await client.query(
    `INSERT INTO ${s}.centres SELECT ordinality::int - 1, v::float8[] FROM unnest($1::text[]) WITH ORDINALITY v`,
    [centres],
  );
  await client.query(`CREATE UNLOGGED TABLE ${s}.docs (id text PRIMARY KEY, principals text[] NOT NULL)`);
  await client.query(`SET work_mem = '256MB'`);
  await client.query(`SELECT setseed(0.42)`);
  await client.query(
    `INSERT INTO ${s}.docs
     SELECT 'bd' || i, ARRAY[($1::text[])[1 + floor(random() * 40)::int], ($1::text[])[1 + floor(random() * 40)::int]]
     FROM generate_series(0, $2 - 1) i`,
    [benchGroups, docs],
  );
  await client.query(
    `CREATE UNLOGGED TABLE ${s}.chunks (n int PRIMARY KEY, id text NOT NULL, doc text NOT NULL, ordinal int NOT NULL,
       text text NOT NULL, embedding text NOT NULL)`,
  );
  const batch = options.batch ?? 50_000;
  const v = benchVocabulary.length;
  for (let lo = 0; lo < options.chunks; lo += batch) {
    const hi = Math.min(options.chunks, lo + batch) - 1;
    // Zipf (s = 1) without the top 100 ranks, as benchWord: rank = floor(100 · ((V + 100) / 100)^u) − 100.
    await client.query(
      `WITH base AS MATERIALIZED (
         SELECT i, 80 + floor(random() * 80)::int AS len, floor(random() * 64)::int AS c FROM generate_series($1::int, $2::int) i
       ),
       words AS MATERIALIZED (
         SELECT b.i, g, least(${v}, 1 + floor(100 * ((${v} + 100) / 100.0) ^ random())::int - 100) AS r
         FROM base b CROSS JOIN LATERAL generate_series(1, b.len) g
       ),
       texts AS (
         SELECT w.i, string_agg(vo.word, ' ' ORDER BY w.g) AS text FROM words w JOIN ${s}.vocab vo ON vo.rank = w.r GROUP BY w.i
       ),
       e1 AS MATERIALIZED (
         SELECT b.i, k, ce.v[k] + 0.6 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) / sqrt(${options.dims}) AS y
         FROM base b JOIN ${s}.centres ce ON ce.id = b.c CROSS JOIN generate_series(1, ${options.dims}) k
       ),
       norms AS (SELECT i, sqrt(sum(y * y)) AS nrm FROM e1 GROUP BY i),
       embs AS (
         SELECT e1.i, '[' || string_agg(round((e1.y / norms.nrm)::numeric, 5)::text, ',' ORDER BY e1.k) || ']' AS emb
         FROM e1 JOIN norms USING (i) GROUP BY e1.i
       )
       INSERT INTO ${s}.chunks (n, id, doc, ordinal, text, embedding)
       SELECT b.i, 'bd' || (b.i / 4) || '-' || (b.i % 4), 'bd' || (b.i / 4), b.i % 4, t.text, e.emb
       FROM base b JOIN texts t USING (i) JOIN embs e USING (i)`,
      [lo, hi],
    );
    options.onProgress?.(hi + 1);
  }
}

/**
 * Copies staged rows into the Groundwork tables of `schema` (already migrated) with the chunk triggers disabled,
 * then rebuilds the lexical index in bulk (`retrieval_rebuild_lexical()`).
 */
export async function loadStaged(client: pg.Client | pg.PoolClient, staging: string, schema: string): Promise<void> {
  await client.query(`SET search_path TO ${schema}, public`);
  await client.query(`INSERT INTO sources (id, name, type) VALUES ('bench', 'bench', 'filesystem') ON CONFLICT DO NOTHING`);
  await client.query(
    `INSERT INTO documents (id, source_id, source_ref, uri, title, principals, status, chunk_count)
     SELECT id, 'bench', id, 'bench://' || id, 'Document ' || id, principals, 'indexed', 4 FROM ${staging}.docs`,
  );
  await client.query('ALTER TABLE chunks DISABLE TRIGGER USER');
  try {
    await client.query(
      `INSERT INTO chunks (id, document_id, source_id, ordinal, text, token_count, content_hash, principals, embedding)
       SELECT c.id, c.doc, 'bench', c.ordinal, c.text, 100, md5(c.text), d.principals, c.embedding::vector
       FROM ${staging}.chunks c JOIN ${staging}.docs d ON d.id = c.doc ORDER BY c.n`,
    );
  } finally {
    await client.query('ALTER TABLE chunks ENABLE TRIGGER USER');
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      'database-url': { type: 'string' },
      chunks: { type: 'string', default: '1000000' },
      staging: { type: 'string', default: 'raw1m' },
      dims: { type: 'string', default: '64' },
    },
  });
  const client = new pg.Client({ connectionString: values['database-url'] });
  await client.connect();
  const started = performance.now();
  await generateStaged(client, {
    staging: values.staging,
    chunks: Number(values.chunks),
    dims: Number(values.dims),
    onProgress: (done) => process.stderr.write(`  generated ${done} (${Math.round((performance.now() - started) / 1000)} s)\n`),
  });
  await client.end();
}
