import type { Caller } from '../core/index.ts';
import { GroundworkError, localOperator } from '../core/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import { isRestricted, Params, visibilityPredicate } from './sql-filters.ts';
import type { LexicalEngine, RetrievalConfig, SearchFilters } from './types.ts';

/** A ranked lexical candidate: BM25 score (positive, higher is better). */
export interface RankedChunk {
  readonly id: string;
  readonly documentId: string;
  readonly score: number;
}

export interface LexicalQuery {
  /** Query text after synonym expansion; analyzed by the database. */
  readonly text: string;
  readonly caller: Caller;
  readonly filters: SearchFilters | undefined;
  readonly limit: number;
}

const validTextConfig = /^[a-z_][a-z0-9_]*$/;

/** Name of the pg_textsearch index for an analyzer and BM25 parameters (options are fixed at build time). */
export function bm25IndexName(config: Pick<RetrievalConfig, 'textConfig' | 'k1' | 'b'>): string {
  const part = (n: number) => String(Math.round(n * 1000));
  return `chunks_bm25_${config.textConfig}_k${part(config.k1)}_b${part(config.b)}`;
}

/**
 * Ensures the pg_textsearch BM25 index for the configured analyzer, k1 and b exists on `chunks.text`
 * (building it if needed, dropping indexes built with other parameters). No-op without pg_textsearch.
 * Returns the index name, or undefined when pg_textsearch is unavailable.
 */
export async function ensureLexicalIndex(
  db: Database,
  config: Pick<RetrievalConfig, 'textConfig' | 'k1' | 'b'>,
): Promise<string | undefined> {
  if (!db.capabilities.pgTextSearch) return undefined;
  if (!validTextConfig.test(config.textConfig)) {
    throw new GroundworkError('retrieve.invalid_text_config', `Invalid text-search configuration name "${config.textConfig}".`, {
      category: 'usage',
      fix: 'Set retrieval.textConfig to a PostgreSQL text-search configuration such as english or simple.',
    });
  }
  const name = bm25IndexName(config);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [0x67776d68]);
    const existing = await tx.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'chunks' AND indexname LIKE 'chunks_bm25_%'`,
    );
    const names = existing.rows.map((row) => row.indexname);
    for (const other of names.filter((n) => n !== name)) await tx.query(`DROP INDEX IF EXISTS ${other}`);
    if (!names.includes(name)) {
      await tx.query(
        `CREATE INDEX ${name} ON chunks USING bm25 (text) WITH (text_config = '${config.textConfig}', k1 = ${Number(config.k1)}, b = ${Number(config.b)})`,
      );
    }
    return name;
  });
}

/** Distinct analyzers in use (sources' text configurations, plus the configured default). */
export async function analyzersInUse(db: Queryable, defaultConfig: string): Promise<string[]> {
  const result = await db.query<{ text_config: string }>('SELECT DISTINCT text_config FROM sources');
  const set = new Set([defaultConfig, ...result.rows.map((row) => row.text_config)]);
  return [...set].filter((cfg) => validTextConfig.test(cfg)).sort();
}

/** True when the search has filters beyond the ACL (source, sensitivity, media type, dates, metadata). */
function hasFilters(filters: SearchFilters | undefined): boolean {
  return isRestricted(localOperator, filters);
}

/**
 * Portable BM25 (migration 0080, decision 0003): exact Lucene-style BM25 — the formula pg_textsearch uses —
 * idf = ln(1 + (N − df + 0.5) / (df + 0.5)), term score = idf · tf · (k1 + 1) / (tf + k1 · (1 − b + b ·
 * len / avglen)), summed over query terms weighted by their query frequency, from the current statistics.
 *
 * Ranking runs in `retrieval_bm25_topk` (PL/pgSQL, the same on PGlite and PostgreSQL) over postings that carry
 * the chunk's ACL class, so no join to `chunks` is needed to rank. `auto`/`pruned`: exact MaxScore over
 * impact-ordered lists; `exhaustive`: every visible posting of every term (the reference). With filters
 * beyond the ACL every visible match is scored and the filters apply in the same statement before the limit.
 * The final rows are joined to `chunks`/`documents` with the full visibility predicate as a second guard.
 */
export async function portableLexicalSearch(
  db: Queryable,
  config: Pick<RetrievalConfig, 'k1' | 'b'>,
  analyzers: readonly string[],
  query: LexicalQuery,
  strategy: 'auto' | 'pruned' | 'exhaustive' = 'auto',
  /** Test hook: postings per term that seed θ (default k + 16); tiny seeds make the bounds do the work. */
  options: { readonly seed?: number } = {},
): Promise<RankedChunk[]> {
  const params = new Params();
  const filtered = hasFilters(query.filters);
  const ranking = `retrieval_bm25_topk(${params.add(analyzers)}::text[], ${params.add(query.text)},
    ${params.add(query.caller.seesEverything ? null : [...query.caller.principals])}::text[],
    ${params.add(filtered ? null : query.limit)}::integer, ${params.add(config.k1)}::float8, ${params.add(config.b)}::float8,
    ${params.add(strategy === 'exhaustive')}::boolean, ${params.add(options.seed ?? null)}::integer)`;
  const predicate = visibilityPredicate(query.caller, query.filters, params);
  const limit = params.add(query.limit);
  const sql = `
    SELECT s.chunk_id AS id, c.document_id, s.score
    FROM ${ranking} s
    JOIN chunks c ON c.id = s.chunk_id
    JOIN documents d ON d.id = c.document_id
    WHERE ${predicate}
    ORDER BY s.score DESC, s.chunk_id
    LIMIT ${limit}`;
  const result = await db.query<{ id: string; document_id: string; score: number }>(sql, params.values);
  return result.rows.map((row) => ({ id: row.id, documentId: row.document_id, score: Number(row.score) }));
}

/**
 * Portable BM25 for many queries in one statement (evaluation): each query's exact top `limit` for `caller`,
 * in input order. No filters beyond the ACL.
 */
export async function portableLexicalBatch(
  db: Queryable,
  config: Pick<RetrievalConfig, 'k1' | 'b'>,
  analyzers: readonly string[],
  texts: readonly string[],
  caller: Caller,
  limit: number,
): Promise<RankedChunk[][]> {
  const params = new Params();
  const queries = params.add([...texts]);
  const ranking = `retrieval_bm25_topk(${params.add(analyzers)}::text[], q.text,
    ${params.add(caller.seesEverything ? null : [...caller.principals])}::text[], ${params.add(limit)}::integer,
    ${params.add(config.k1)}::float8, ${params.add(config.b)}::float8)`;
  const predicate = visibilityPredicate(caller, undefined, params);
  const sql = `
    SELECT q.n::int AS n, s.chunk_id AS id, c.document_id, s.score
    FROM unnest(${queries}::text[]) WITH ORDINALITY AS q(text, n)
    CROSS JOIN LATERAL ${ranking} s
    JOIN chunks c ON c.id = s.chunk_id
    JOIN documents d ON d.id = c.document_id
    WHERE ${predicate}
    ORDER BY q.n, s.score DESC, s.chunk_id`;
  const result = await db.query<{ n: number; id: string; document_id: string; score: number }>(sql, params.values);
  const out: RankedChunk[][] = texts.map(() => []);
  for (const row of result.rows) out[row.n - 1]?.push({ id: row.id, documentId: row.document_id, score: Number(row.score) });
  return out;
}

/**
 * BM25 through the pg_textsearch index (`<@>` returns negative scores; non-matching rows score 0 and are
 * dropped). The ACL and filters are in the same statement as the ordered index scan.
 */
export async function pgTextSearchLexicalSearch(db: Queryable, indexName: string, query: LexicalQuery): Promise<RankedChunk[]> {
  const params = new Params();
  const bm25 = `to_bm25query(${params.add(query.text)}, ${params.add(indexName)})`;
  const predicate = visibilityPredicate(query.caller, query.filters, params);
  const limit = params.add(query.limit);
  const sql = `
    SELECT c.id, c.document_id, (c.text <@> ${bm25}) AS score
    FROM chunks c JOIN documents d ON d.id = c.document_id
    WHERE ${predicate}
    ORDER BY c.text <@> ${bm25}, c.id
    LIMIT ${limit}`;
  const result = await db.query<{ id: string; document_id: string; score: number }>(sql, params.values);
  return result.rows
    .filter((row) => Number(row.score) < 0)
    .map((row) => ({ id: row.id, documentId: row.document_id, score: -Number(row.score) }));
}

export type { LexicalEngine };

/**
 * Chunk texts `caller` may read, in chunk id order, `batch` at a time (corpus scans such as vocabulary
 * suggestions): filtered by the same visibility predicate as search. Stops after `limit` chunks.
 */
export async function* readableChunkTexts(
  db: Queryable,
  caller: Caller,
  options: { readonly limit?: number; readonly batch?: number } = {},
): AsyncGenerator<{ chunkId: string; documentId: string; text: string }> {
  const batch = options.batch ?? 500;
  const limit = options.limit ?? 50_000;
  let after = '';
  let seen = 0;
  while (seen < limit) {
    const params = new Params();
    const predicate = visibilityPredicate(caller, undefined, params);
    const { rows } = await db.query<{ id: string; document_id: string; text: string }>(
      `SELECT c.id, c.document_id, c.text FROM chunks c JOIN documents d ON d.id = c.document_id
       WHERE ${predicate} AND c.id > ${params.add(after)} ORDER BY c.id LIMIT ${params.add(Math.min(batch, limit - seen))}`,
      params.values,
    );
    if (rows.length === 0) return;
    for (const row of rows) yield { chunkId: row.id, documentId: row.document_id, text: row.text };
    seen += rows.length;
    after = rows[rows.length - 1]?.id ?? after;
  }
}
