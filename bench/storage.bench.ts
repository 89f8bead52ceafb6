/**
 * Storage per chunk and per answer trace (`npm run bench:storage`), the figures docs/operations.md sizes
 * deployments with and `groundwork cost forecast` prices storage from.
 *
 *   node bench/storage.bench.ts [--chunks 20000] [--dims 384] [--traces 5000] [--database-url URL] [--only lexical|vectors]
 *
 * Chunk texts are real English prose: the Markdown documentation of the installed npm packages, cut by the
 * production chunker into 350-token chunks (only full ones, >= 250 tokens, and prose: >= 88% letters and
 * spaces), used in turn until the corpus
 * has CHUNKS chunks (repeats index exactly like new text of the same vocabulary). Postings per chunk depend
 * on the number of distinct words, so synthetic Zipf text (which has no stop words) would overstate them.
 *
 * For each of "without vectors" and "with DIMS-dimensional vectors": a fresh store (embedded: a PGlite data
 * directory on disk, so its size on disk is measured too; server: a fresh schema), the corpus written
 * through SQL (documents of 4 chunks, as ingestion writes them) so the triggers build the portable BM25
 * postings (and, with vectors, the embedding cache rows ingestion writes), then the retrieval indexes (pg_textsearch where present, HNSW when vectors), VACUUM, and every
 * table's `pg_total_relation_size` (heap, TOAST and indexes). Measured at
 * half the corpus and at the whole corpus: the *marginal* bytes per chunk (difference / chunks added) leaves
 * out the fixed cost of an empty schema, which is what sizing a growing corpus needs. Then TRACES answer
 * traces of 8 spans (as the answer feature records them) and the bytes of `traces` + `spans` per trace.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { configSchema, createEventBus, createTracer, silentLogger, systemClock, type Tracer } from '../src/core/index.ts';
import { chunkDocument } from '../src/ingest/index.ts';
import { createObservability } from '../src/observe/index.ts';
import { prng } from '../src/retrieve/fixtures/generate.ts';
import { ensureLexicalIndex, ensureVectorIndex } from '../src/retrieve/index.ts';
import { type Database, openStore } from '../src/store/index.ts';

const { values } = parseArgs({
  options: {
    chunks: { type: 'string', default: '20000' },
    dims: { type: 'string', default: '384' },
    traces: { type: 'string', default: '5000' },
    'database-url': { type: 'string' },
    /** Which corpora to measure: lexical (no vectors), vectors, or both. */
    only: { type: 'string' },
  },
});
const chunks = Number(values.chunks);
const dims = Number(values.dims);
const traceCount = Number(values.traces);
const serverUrl = values['database-url'];
const config = configSchema.parse({});

/** Tables that grow with the corpus; everything else (keys, prompts, use cases) is small and fixed. */
const corpusTables = [
  'documents',
  'chunks',
  'retrieval_impacts',
  'retrieval_docs',
  'retrieval_lexicon',
  'retrieval_acls',
  'embedding_cache',
] as const;

/** Full 350-token chunks of the Markdown documentation under node_modules (deterministic order). */
function proseChunks(limit: number): Array<{ text: string; tokens: number }> {
  const root = join(import.meta.dirname, '..', 'node_modules');
  const files: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry);
      let stat: ReturnType<typeof statSync>;
      try {
        stat = statSync(path);
      } catch {
        continue;
      }
      if (stat.isDirectory() && depth < 4 && entry !== 'test' && entry !== 'dist') walk(path, depth + 1);
      else if (/\.md$/i.test(entry) && stat.size > 4_000) files.push(path);
    }
  };
  walk(root, 0);
  const out: Array<{ text: string; tokens: number }> = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const drafts = chunkDocument(
      { title: undefined, sections: [{ headingPath: [], text, kind: 'text' }] },
      { targetTokens: 350, overlapTokens: 50 },
    );
    for (const draft of drafts) {
      // Prose, not code or tables: mostly letters and spaces.
      const letters = draft.text.replace(/[^A-Za-z ]/g, '').length / draft.text.length;
      if (draft.tokenCount >= 250 && letters >= 0.88) out.push({ text: draft.text, tokens: draft.tokenCount });
    }
    if (out.length >= limit) break;
  }
  return out;
}

const groups = Array.from({ length: 40 }, (_, i) => `group:g${i}`);

/** Writes `count` chunks (documents of 4) from `texts`, as ingestion writes them; optional random unit vectors. */
async function writeCorpus(
  db: Database,
  texts: ReadonlyArray<{ text: string; tokens: number }>,
  options: { from: number; count: number; dimensions: number },
): Promise<void> {
  const random = prng(options.from + 1);
  await db.query(`INSERT INTO sources (id, name, type) VALUES ('bench', 'bench', 'filesystem') ON CONFLICT DO NOTHING`);
  const perDocument = 4;
  for (let start = options.from; start < options.from + options.count; start += 1000) {
    const end = Math.min(start + 1000, options.from + options.count);
    const docIds: string[] = [];
    const docPrincipals: string[] = [];
    const rows: Array<{
      id: string;
      doc: string;
      ordinal: number;
      text: string;
      tokens: number;
      principals: string;
      embedding: string | null;
    }> = [];
    for (let n = start; n < end; n++) {
      const doc = `d${Math.floor(n / perDocument)}`;
      if (n % perDocument === 0 || n === start) {
        if (!docIds.includes(doc)) {
          docIds.push(doc);
          docPrincipals.push(`{${groups[n % 40]},${groups[(n * 7 + 3) % 40]}}`);
        }
      }
      const chunk = texts[n % texts.length] as { text: string; tokens: number };
      let embedding: string | null = null;
      if (options.dimensions > 0) {
        const v = Array.from({ length: options.dimensions }, () => random() - 0.5);
        const norm = Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
        embedding = `[${v.map((x) => (x / norm).toFixed(6)).join(',')}]`;
      }
      rows.push({
        id: `c${n}`,
        doc,
        ordinal: n % perDocument,
        text: chunk.text,
        tokens: chunk.tokens,
        principals: docPrincipals[docIds.indexOf(doc)] ?? `{${groups[0]}}`,
        embedding,
      });
    }
    await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO documents (id, source_id, source_ref, uri, title, principals, status, chunk_count, content_hash, size_bytes)
         SELECT id, 'bench', 'docs/' || id || '.md', 'file:///srv/docs/' || id || '.md', 'Document ' || id, p::text[], 'indexed', 4,
                md5(id), 6000
         FROM unnest($1::text[], $2::text[]) AS t(id, p)
         ON CONFLICT (id) DO NOTHING`,
        [docIds, docPrincipals],
      );
      await tx.query(
        `INSERT INTO chunks (id, document_id, source_id, ordinal, text, token_count, content_hash, principals, embedding, injection_spans)
         SELECT id, doc, 'bench', ord, text, tokens, md5(id || text), p::text[], e::vector, '[]'::jsonb
         FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::int[], $6::text[], $7::text[]) AS t(id, doc, ord, text, tokens, p, e)`,
        [
          rows.map((r) => r.id),
          rows.map((r) => r.doc),
          rows.map((r) => r.ordinal),
          rows.map((r) => r.text),
          rows.map((r) => r.tokens),
          rows.map((r) => r.principals),
          rows.map((r) => r.embedding),
        ],
      );
      // Ingestion keeps every computed embedding in the cache too, keyed by the chunk text's hash.
      if (options.dimensions > 0) {
        await tx.query(
          `INSERT INTO embedding_cache (content_hash, model, dimensions, embedding)
           SELECT encode(sha256(convert_to(id, 'UTF8')), 'hex'), 'openai:text-embedding-3-small', $3, e::vector
           FROM unnest($1::text[], $2::text[]) AS t(id, e)`,
          [rows.map((r) => r.id), rows.map((r) => r.embedding), options.dimensions],
        );
      }
    });
  }
}

async function tableBytes(db: Database): Promise<Record<string, number>> {
  const result = await db.query<{ name: string; bytes: number }>(
    `SELECT c.relname AS name, pg_total_relation_size(c.oid)::bigint AS bytes
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind = 'r'`,
  );
  return Object.fromEntries(result.rows.map((row) => [row.name, Number(row.bytes)]));
}

function onDisk(path: string | undefined): number | undefined {
  if (!path) return undefined;
  return Number(execFileSync('du', ['-sb', path], { encoding: 'utf8' }).split('\t')[0]);
}

async function openFresh(label: string): Promise<{ db: Database; pgdata: string | undefined; cleanup: () => void }> {
  if (serverUrl) {
    const schema = `bench_storage_${label}`;
    const admin = await openStore({ dataDir: 'unused', databaseUrl: serverUrl }, { migrate: false, logger: silentLogger });
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
    const db = await openStore({ dataDir: 'unused', databaseUrl: serverUrl }, { schema, logger: silentLogger });
    return { db, pgdata: undefined, cleanup: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'gw-storage-'));
  const db = await openStore({ dataDir: dir, databaseUrl: undefined }, { logger: silentLogger });
  return { db, pgdata: join(dir, 'pgdata'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function settle(db: Database, vectors: number): Promise<void> {
  await ensureLexicalIndex(db, config.retrieval);
  if (vectors > 0) {
    await db.query(`SET maintenance_work_mem = '512MB'`).catch(() => {});
    await ensureVectorIndex(db, vectors);
  }
  await db.query('VACUUM ANALYZE');
  await db.query('CHECKPOINT').catch(() => {});
}

const retrieved = Array.from({ length: 10 }, (_, i) => ({
  chunkId: `chk_${i}_abcdefgh`,
  documentId: `doc_${i}_abcdefgh`,
  score: 10 - i,
}));

/** One answer request's 8 spans as the retrieve and answer features record them (redacted question/answer). */
function answerRequest(tracer: Tracer, n: number): void {
  const root = tracer.startSpan('answer', undefined, {
    'groundwork.operation': 'answer',
    'groundwork.caller': `user:u${n % 500}@example.com`,
    'groundwork.use_case': 'underwriting-qa',
    'groundwork.prompt.version': 'underwriting@3',
    'groundwork.question': `What is the flood deductible for policy HO-${n} in the coastal zone, and does it apply per occurrence?`,
  });
  const retrieve = tracer.startSpan('retrieve', root.context, { 'groundwork.mode': 'hybrid' });
  tracer.startSpan('retrieve.lexical', retrieve.context).end();
  tracer
    .startSpan('retrieve.vector', retrieve.context, {
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'text-embedding-3-small',
      'gen_ai.usage.input_tokens': 18,
    })
    .end();
  tracer.startSpan('retrieve.fusion', retrieve.context).end();
  retrieve.setAttributes({ 'groundwork.retrieved': retrieved });
  retrieve.end();
  tracer.startSpan('assemble', root.context, { 'groundwork.context.tokens': 3200, 'groundwork.context.limit': 128_000 }).end();
  tracer
    .startSpan('generate', root.context, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 3400,
      'gen_ai.usage.output_tokens': 220,
    })
    .end();
  tracer.startSpan('groundedness', root.context).end();
  root.setAttributes({
    'groundwork.answer':
      'The flood deductible under HO-3 in the coastal zone is 2% of the dwelling limit, applied per occurrence [1]. A separate wind deductible applies to named storms [2].',
    'groundwork.confidence': 0.8,
    'groundwork.refused': false,
    'groundwork.citations': [
      { n: 1, chunkId: 'chk_0_abcdefgh', documentId: 'doc_0_abcdefgh' },
      { n: 2, chunkId: 'chk_1_abcdefgh', documentId: 'doc_1_abcdefgh' },
    ],
  });
  root.end();
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const texts = proseChunks(5_000);
const report: Record<string, unknown> = {
  chunks,
  dims,
  traces: traceCount,
  distinctTexts: texts.length,
  meanTokens: Math.round(texts.reduce((sum, t) => sum + t.tokens, 0) / texts.length),
  loadAverage: loadavg()[0],
};
process.stderr.write(`${texts.length} distinct prose chunks of ~${report.meanTokens} tokens\n`);

for (const vectors of values.only === 'vectors' ? [dims] : values.only === 'lexical' ? [0] : [0, dims]) {
  const label = vectors === 0 ? 'lexical' : `vectors${vectors}`;
  const { db, pgdata, cleanup } = await openFresh(label);
  try {
    process.stderr.write(`\n${label}: ${db.mode} store (PostgreSQL ${db.capabilities.serverVersion}), load ${loadavg()[0]}\n`);
    const half = Math.floor(chunks / 2);
    const started = performance.now();
    await writeCorpus(db, texts, { from: 0, count: half, dimensions: vectors });
    await settle(db, vectors);
    const atHalf = await tableBytes(db);
    const diskHalf = onDisk(pgdata);
    await writeCorpus(db, texts, { from: half, count: chunks - half, dimensions: vectors });
    await settle(db, vectors);
    const atFull = await tableBytes(db);
    const diskFull = onDisk(pgdata);
    const chars = await db.query<{ chars: number }>('SELECT avg(length(text))::float8 AS chars FROM chunks');
    const corpus = (sizes: Record<string, number>) => corpusTables.reduce((sum, name) => sum + (sizes[name] ?? 0), 0);
    const perTable = Object.fromEntries(
      corpusTables.map((name) => [
        name,
        {
          fullMB: mb(atFull[name] ?? 0),
          marginalBytesPerChunk: Math.round(((atFull[name] ?? 0) - (atHalf[name] ?? 0)) / (chunks - half)),
        },
      ]),
    );
    const result = {
      store: db.mode,
      serverVersion: db.capabilities.serverVersion,
      lexicalEngine: db.capabilities.pgTextSearch ? 'pg_textsearch + portable postings' : 'portable postings',
      meanChunkChars: Math.round(Number(chars.rows[0]?.chars ?? 0)),
      corpusMB: mb(corpus(atFull)),
      bytesPerChunkMarginal: Math.round((corpus(atFull) - corpus(atHalf)) / (chunks - half)),
      bytesPerChunkAverage: Math.round(corpus(atFull) / chunks),
      onDiskMB: diskFull === undefined ? undefined : mb(diskFull),
      onDiskBytesPerChunkMarginal:
        diskFull === undefined || diskHalf === undefined ? undefined : Math.round((diskFull - diskHalf) / (chunks - half)),
      perTable,
      seconds: Math.round((performance.now() - started) / 1000),
    };
    process.stderr.write(`${JSON.stringify(result, null, 2)}\n`);
    report[label] = result;

    if (vectors === 0) {
      const before = await tableBytes(db);
      const events = createEventBus();
      const observability = createObservability({ db, config: config.observe, events, clock: systemClock, logger: silentLogger });
      const tracer = createTracer(events);
      for (let i = 0; i < traceCount; i++) {
        answerRequest(tracer, i);
        if (i % 200 === 199) await observability.recorder.flush();
      }
      await observability.recorder.flush();
      await observability.close();
      await db.query('VACUUM ANALYZE traces, spans');
      const after = await tableBytes(db);
      const traceBytes = (sizes: Record<string, number>) => (sizes.traces ?? 0) + (sizes.spans ?? 0);
      const perTrace = Math.round((traceBytes(after) - traceBytes(before)) / traceCount);
      process.stderr.write(`answer traces: ${perTrace} bytes per trace (8 spans; traces + spans with indexes)\n`);
      report.bytesPerAnswerTrace = perTrace;
    }
  } finally {
    await db.close();
    cleanup();
  }
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
