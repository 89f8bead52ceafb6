import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { GroundworkError, localOperator, type Tracer } from '../core/index.ts';
import { type Database, migrate } from '../store/index.ts';
import { ensureLexicalIndex, pgTextSearchLexicalSearch, portableLexicalBatch, type RankedChunk } from './lexical.ts';
import {
  type Judgments,
  meanMetrics,
  ndcgAt,
  precisionAt,
  type QueryMetrics,
  queryMetrics,
  reciprocalRankAt,
} from './metrics.ts';
import { createRetriever } from './retriever.ts';
import { scopedDatabase } from './scoped-database.ts';
import type { LexicalEngine, RetrievalConfig, SearchMode } from './types.ts';

/**
 * BEIR evaluation: import a BEIR-format dataset (`corpus.jsonl` with `_id`/`title`/`text`, `queries.jsonl`,
 * `qrels/<split>.tsv`) into its own schema `beir_<fingerprint>` (migrated with the platform's migrations, so
 * it never appears in normal search; re-import is skipped while the corpus fingerprint is unchanged), then
 * run every judged query at document level as the operator and compute trec_eval metrics.
 *
 * One document per corpus entry, one chunk per document: text = title + "\n" + text (as Anserini's BEIR
 * "flat" indexes concatenate title and body).
 */

export interface BeirImport {
  readonly schema: string;
  readonly fingerprint: string;
  readonly documents: number;
  /** False when an identical import already existed. */
  readonly imported: boolean;
  readonly importMs: number;
}

export interface BeirEvalOptions {
  readonly dir: string;
  readonly split?: string;
  /** Cutoff for nDCG/MRR/P (default 10). Recall is @100 and MAP @1000 regardless. */
  readonly k?: number;
  /** Run depth per query (default 1000, as trec_eval's MAP@1000). */
  readonly depth?: number;
  readonly mode?: SearchMode;
  readonly lexicalEngine?: 'auto' | LexicalEngine;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface BeirQueryResult {
  readonly queryId: string;
  readonly relevant: number;
  readonly retrieved: number;
  readonly metrics: QueryMetrics & { readonly ndcgK: number; readonly mrrK: number; readonly pK: number };
  /** Top document ids (at most 10). */
  readonly top: readonly string[];
}

export interface BeirEvalReport {
  readonly dataset: string;
  readonly split: string;
  readonly import: BeirImport;
  readonly mode: SearchMode;
  readonly lexicalEngine: LexicalEngine;
  readonly k1: number;
  readonly b: number;
  readonly textConfig: string;
  readonly k: number;
  readonly queries: number;
  /** Means over judged queries: ndcg10, recall100, mrr10, map (MAP@1000), p10, and @k variants. */
  readonly metrics: QueryMetrics & { readonly ndcgK: number; readonly mrrK: number; readonly pK: number };
  readonly perQuery: readonly BeirQueryResult[];
  readonly searchMs: { readonly total: number; readonly p50: number; readonly p95: number };
}

function fail(message: string, fix: string): GroundworkError {
  return new GroundworkError('retrieve.beir_invalid', message, { category: 'usage', fix });
}

async function* jsonLines(path: string): AsyncGenerator<Record<string, unknown>> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw fail(`${path}:${n} is not valid JSON.`, 'BEIR files are JSON Lines: one JSON object per line.');
    }
  }
}

function beirPaths(dir: string, split: string) {
  const paths = {
    corpus: join(dir, 'corpus.jsonl'),
    queries: join(dir, 'queries.jsonl'),
    qrels: join(dir, 'qrels', `${split}.tsv`),
  };
  for (const [name, path] of Object.entries(paths)) {
    if (!existsSync(path))
      throw fail(
        `BEIR ${name} file not found: ${path}.`,
        'Point --beir at a BEIR dataset folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv).',
      );
  }
  return paths;
}

/** Fingerprint of the corpus file and the import format (changing either re-imports). */
export function corpusFingerprint(corpusPath: string): string {
  return createHash('sha256').update('beir-import-v1\n').update(readFileSync(corpusPath)).digest('hex').slice(0, 16);
}

/** Imports the corpus into `beir_<fingerprint>` unless already there. */
export async function importBeirCorpus(db: Database, config: RetrievalConfig, dir: string): Promise<BeirImport> {
  const started = performance.now();
  const corpusPath = join(dir, 'corpus.jsonl');
  if (!existsSync(corpusPath)) throw fail(`BEIR corpus not found: ${corpusPath}.`, 'Point --beir at a BEIR dataset folder.');
  const fingerprint = corpusFingerprint(corpusPath);
  const schema = `beir_${fingerprint}`;
  const scoped = scopedDatabase(db, schema);
  const exists = await db.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [`${schema}.beir_import`]);
  const done = exists.rows[0]?.present
    ? await db.query<{ documents: number }>(`SELECT documents FROM ${schema}.beir_import WHERE fingerprint = $1 AND completed`, [
        fingerprint,
      ])
    : undefined;
  if (done && done.rows.length > 0) {
    await ensureLexicalIndex(scoped, config);
    return { schema, fingerprint, documents: Number(done.rows[0]?.documents), imported: false, importMs: 0 };
  }
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db.query(`CREATE SCHEMA ${schema}`);
  await migrate(scoped.transaction);
  await scoped.query(
    `CREATE TABLE beir_import (fingerprint text PRIMARY KEY, documents integer NOT NULL DEFAULT 0, completed boolean NOT NULL DEFAULT false)`,
  );
  await scoped.query(`INSERT INTO sources (id, name, type, text_config) VALUES ('beir', 'beir', 'beir', $1)`, [
    config.textConfig,
  ]);
  let documents = 0;
  const seen = new Set<string>();
  let batch: Array<{ id: string; title: string; text: string }> = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    await scoped.transaction(async (tx) => {
      const ids = rows.map((r) => r.id);
      await tx.query(
        `INSERT INTO documents (id, source_id, source_ref, uri, title, media_type, status, chunk_count, principals)
         SELECT id, 'beir', id, 'beir:' || id, title, 'text/plain', 'indexed', 1, '{}'
         FROM unnest($1::text[], $2::text[]) AS t(id, title)`,
        [ids, rows.map((r) => r.title)],
      );
      await tx.query(
        `INSERT INTO chunks (id, document_id, source_id, ordinal, text, token_count, content_hash)
         SELECT id, id, 'beir', 0, text, 0, md5(text) FROM unnest($1::text[], $2::text[]) AS t(id, text)`,
        [ids, rows.map((r) => (r.title ? `${r.title}\n${r.text}` : r.text))],
      );
    });
  };
  for await (const entry of jsonLines(corpusPath)) {
    const id = String(entry._id ?? '');
    if (!id) throw fail('A corpus entry has no _id.', 'Every corpus.jsonl line needs "_id", "title" and "text".');
    if (seen.has(id)) continue;
    seen.add(id);
    batch.push({ id, title: String(entry.title ?? ''), text: String(entry.text ?? '') });
    documents++;
    if (batch.length >= 500) await flush();
  }
  await flush();
  await ensureLexicalIndex(scoped, config);
  await scoped.query('INSERT INTO beir_import (fingerprint, documents, completed) VALUES ($1, $2, true)', [
    fingerprint,
    documents,
  ]);
  return { schema, fingerprint, documents, imported: true, importMs: Math.round(performance.now() - started) };
}

export async function loadQueries(path: string): Promise<Map<string, string>> {
  const queries = new Map<string, string>();
  for await (const entry of jsonLines(path)) queries.set(String(entry._id), String(entry.text ?? ''));
  return queries;
}

/** qrels TSV: `query-id<TAB>corpus-id<TAB>score`, with an optional header line. */
export function parseQrels(text: string): Map<string, Map<string, number>> {
  const qrels = new Map<string, Map<string, number>>();
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '') continue;
    const [queryId, docId, score] = line.split('\t');
    if (index === 0 && Number.isNaN(Number(score))) continue;
    if (queryId === undefined || docId === undefined || score === undefined || Number.isNaN(Number(score))) {
      throw fail(`qrels line ${index + 1} is not "query-id<TAB>corpus-id<TAB>score".`, 'Fix the qrels file.');
    }
    const judged = qrels.get(queryId) ?? new Map<string, number>();
    judged.set(docId, Number(score));
    qrels.set(queryId, judged);
  }
  return qrels;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Imports (if needed) and evaluates a BEIR dataset. */
export async function evaluateBeir(
  db: Database,
  config: RetrievalConfig,
  tracer: Tracer,
  options: BeirEvalOptions,
): Promise<BeirEvalReport> {
  const split = options.split ?? 'test';
  const k = options.k ?? 10;
  const depth = options.depth ?? 1000;
  const paths = beirPaths(options.dir, split);
  const imported = await importBeirCorpus(db, config, options.dir);
  const scoped = scopedDatabase(db, imported.schema);
  const queries = await loadQueries(paths.queries);
  const qrels = parseQrels(readFileSync(paths.qrels, 'utf8'));
  const retriever = createRetriever({ db: scoped, config, tracer });
  const judged = [...qrels.entries()].filter(([id, j]) => queries.has(id) && [...j.values()].some((rel) => rel > 0));
  const perQuery: BeirQueryResult[] = [];
  const times: number[] = [];
  let mode: SearchMode = options.mode ?? 'lexical';
  let engine: LexicalEngine = 'portable';
  const record = (queryId: string, judgments: Judgments, run: string[]) => {
    perQuery.push({
      queryId,
      relevant: [...judgments.values()].filter((rel) => rel > 0).length,
      retrieved: run.length,
      metrics: {
        ...queryMetrics(run, judgments),
        ndcgK: ndcgAt(run, judgments, k),
        mrrK: reciprocalRankAt(run, judgments, k),
        pK: precisionAt(run, judgments, k),
      },
      top: run.slice(0, 10),
    });
    options.onProgress?.(perQuery.length, judged.length);
  };
  if (mode === 'lexical') {
    // Lexical evaluation ranks in SQL only, to the depth the metrics need (MAP@depth), without fetching chunk
    // text, highlights or document-level over-fetching: the import has exactly one chunk per document. The
    // portable engine ranks a batch of queries per statement; `auto` evaluates with it (exact, identical on
    // both stores, and at depth 1,000 ~4× faster than pg_textsearch, whose block-max top-k is built for small
    // k). `--engine pg_textsearch` evaluates pg_textsearch.
    engine = (options.lexicalEngine ?? config.lexicalEngine) === 'pg_textsearch' ? 'pg_textsearch' : 'portable';
    const indexName = engine === 'pg_textsearch' ? await ensureLexicalIndex(scoped, config) : undefined;
    if (engine === 'pg_textsearch' && !indexName) {
      throw new GroundworkError('retrieve.pg_textsearch_unavailable', 'pg_textsearch is not available on this PostgreSQL.', {
        category: 'usage',
        fix: 'Use --engine portable or auto.',
      });
    }
    const batchSize = 25;
    for (let start = 0; start < judged.length; start += batchSize) {
      const batch = judged.slice(start, start + batchSize);
      const texts = batch.map(([queryId]) => (queries.get(queryId) as string).trim());
      const started = performance.now();
      let runs: RankedChunk[][];
      if (engine === 'portable') {
        runs = await portableLexicalBatch(scoped, config, [config.textConfig], texts, localOperator, depth);
      } else {
        runs = [];
        for (const text of texts) {
          runs.push(
            text === ''
              ? []
              : await pgTextSearchLexicalSearch(scoped, indexName as string, {
                  text,
                  caller: localOperator,
                  filters: undefined,
                  limit: depth,
                }),
          );
        }
      }
      const each = (performance.now() - started) / batch.length;
      batch.forEach(([queryId, judgments], i) => {
        times.push(each);
        record(
          queryId,
          judgments,
          (runs[i] ?? []).map((c) => c.documentId),
        );
      });
    }
  } else {
    for (const [queryId, judgments] of judged) {
      const text = queries.get(queryId) as string;
      const started = performance.now();
      let run: string[] = [];
      if (text.trim() !== '') {
        const result = await retriever.search({
          query: text,
          caller: localOperator,
          k: depth,
          level: 'document',
          mode,
          highlight: false,
          ...(options.lexicalEngine ? { lexicalEngine: options.lexicalEngine } : {}),
        });
        mode = result.mode;
        engine = result.lexicalEngine;
        run = result.hits.map((hit) => hit.documentId);
      }
      times.push(performance.now() - started);
      record(queryId, judgments, run);
    }
  }
  const base = meanMetrics(perQuery.map((q) => q.metrics));
  const mean = (key: 'ndcgK' | 'mrrK' | 'pK') => perQuery.reduce((s, q) => s + q.metrics[key], 0) / (perQuery.length || 1);
  const sorted = [...times].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    dataset: options.dir,
    split,
    import: imported,
    mode,
    lexicalEngine: engine,
    k1: config.k1,
    b: config.b,
    textConfig: config.textConfig,
    k,
    queries: perQuery.length,
    metrics: { ...base, ndcgK: mean('ndcgK'), mrrK: mean('mrrK'), pK: mean('pK') },
    perQuery,
    searchMs: {
      total: round(times.reduce((s, t) => s + t, 0)),
      p50: round(percentile(sorted, 50)),
      p95: round(percentile(sorted, 95)),
    },
  };
}
