import type { Caller } from '../core/index.ts';
import { GroundworkError } from '../core/index.ts';
import { type Database, publishChange } from '../store/index.ts';
import type { RankedChunk } from './lexical.ts';
import { Params, visibilityPredicate } from './sql-filters.ts';
import type { SearchFilters } from './types.ts';

/** Name of the HNSW index for one embedding dimension. */
export function vectorIndexName(dimensions: number): string {
  return `chunks_embedding_hnsw_${dimensions}`;
}

function checkDimensions(dimensions: number): void {
  if (!Number.isInteger(dimensions) || dimensions <= 0 || dimensions > 16000) {
    throw new GroundworkError('retrieve.invalid_dimensions', `Invalid embedding dimension ${dimensions}.`, {
      category: 'usage',
      fix: 'Set models.embedding.dimensions to the embedding model output size (e.g. 1536).',
    });
  }
}

/**
 * Ensures the HNSW (cosine) index for `dimensions` exists. `chunks.embedding` is an untyped `vector`
 * column, so the index is a partial expression index on `embedding::vector(dimensions)` covering the rows of
 * that dimension; ANN queries use the same expression. Building it on a large table takes minutes (raise
 * `maintenance_work_mem`); run at start-up or from the CLI, not per query.
 */
export async function ensureVectorIndex(db: Database, dimensions: number): Promise<string> {
  checkDimensions(dimensions);
  const name = vectorIndexName(dimensions);
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [0x67776d69]);
    await tx.query(
      `CREATE INDEX IF NOT EXISTS ${name} ON chunks USING hnsw ((embedding::vector(${dimensions})) vector_cosine_ops) WHERE vector_dims(embedding) = ${dimensions}`,
    );
    await publishChange(tx, 'retrieval_indexes');
  });
  return name;
}

export async function vectorIndexExists(db: Database, dimensions: number): Promise<boolean> {
  const result = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'chunks' AND indexname = $1`,
    [vectorIndexName(dimensions)],
  );
  return (result.rows[0]?.n ?? 0) > 0;
}

export interface VectorQuery {
  readonly embedding: readonly number[];
  readonly caller: Caller;
  readonly filters: SearchFilters | undefined;
  readonly limit: number;
  /** Use the HNSW index when the visible set has at least this many embedded chunks. */
  readonly exactBelow: number;
  /** Whether the HNSW index for this dimension exists. */
  readonly indexed: boolean;
}

export interface VectorSearchResult {
  readonly chunks: RankedChunk[];
  readonly strategy: 'exact' | 'hnsw';
}

/**
 * Nearest chunks by cosine similarity (score = 1 − cosine distance), ACL and filters in the same statement.
 * Exact scan when the visible embedded set is small (counted up to `exactBelow`, cheap through the GIN ACL
 * index) — exact is then both faster and complete; otherwise HNSW with `hnsw.iterative_scan = relaxed_order`
 * so a selective filter still yields `limit` rows, re-sorted by exact distance.
 */
export async function vectorSearch(db: Database, query: VectorQuery): Promise<VectorSearchResult> {
  const dims = query.embedding.length;
  checkDimensions(dims);
  const literal = `[${query.embedding.map((x) => (Number.isFinite(x) ? x : 0)).join(',')}]`;
  let strategy: 'exact' | 'hnsw' = 'exact';
  if (query.indexed) {
    const p = new Params();
    const dimsParam = p.add(dims);
    const predicate = visibilityPredicate(query.caller, query.filters, p);
    const cap = p.add(query.exactBelow);
    const count = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (
         SELECT 1 FROM chunks c JOIN documents d ON d.id = c.document_id
         WHERE c.embedding IS NOT NULL AND vector_dims(c.embedding) = ${dimsParam} AND ${predicate}
         LIMIT ${cap}) s`,
      p.values,
    );
    if ((count.rows[0]?.n ?? 0) >= query.exactBelow) strategy = 'hnsw';
  }
  const params = new Params();
  const vec = params.add(literal);
  const predicate = visibilityPredicate(query.caller, query.filters, params);
  const limit = params.add(query.limit);
  const run = async (sql: string, setup: readonly string[]) =>
    db.transaction(async (tx) => {
      for (const statement of setup) await tx.query(statement);
      return tx.query<{ id: string; document_id: string; distance: number }>(sql, params.values);
    });
  let rows: Array<{ id: string; document_id: string; distance: number }>;
  if (strategy === 'hnsw') {
    const typed = `(c.embedding::vector(${dims}))`;
    rows = (
      await run(
        `SELECT c.id, c.document_id, ${typed} <=> ${vec}::vector(${dims}) AS distance
         FROM chunks c JOIN documents d ON d.id = c.document_id
         WHERE vector_dims(c.embedding) = ${dims} AND ${predicate}
         ORDER BY ${typed} <=> ${vec}::vector(${dims})
         LIMIT ${limit}`,
        [
          'SET LOCAL hnsw.iterative_scan = relaxed_order',
          `SET LOCAL hnsw.ef_search = ${Math.min(1000, Math.max(40, query.limit))}`,
        ],
      )
    ).rows;
  } else {
    // The untyped expression does not match the HNSW index expression: an exact scan over visible rows.
    rows = (
      await run(
        `SELECT c.id, c.document_id, c.embedding <=> ${vec}::vector AS distance
         FROM chunks c JOIN documents d ON d.id = c.document_id
         WHERE c.embedding IS NOT NULL AND vector_dims(c.embedding) = ${dims} AND ${predicate}
         ORDER BY c.embedding <=> ${vec}::vector, c.id
         LIMIT ${limit}`,
        [],
      )
    ).rows;
  }
  const chunks = rows
    .map((row) => ({ id: row.id, documentId: row.document_id, score: 1 - Number(row.distance) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { chunks, strategy };
}
