import type { Database } from './database.ts';

/**
 * What the store holds and the bytes it takes on disk (heap, TOAST and indexes of each table:
 * `pg_total_relation_size`), the measured inputs of sizing and cost forecasts. Aggregate numbers only.
 */
export interface StorageFootprint {
  readonly mode: Database['mode'];
  /** Chunks, indexed documents and embedded chunks in scope (the named sources, or all). */
  readonly chunks: number;
  readonly documents: number;
  readonly embeddedChunks: number;
  /** Mean `token_count` of the chunks in scope; undefined without chunks. */
  readonly meanChunkTokens: number | undefined;
  /** Documents in scope first indexed since `since` (updates of existing documents are not counted). */
  readonly documentsCreatedSince: number;
  /** The whole store: chunks, and the bytes of the tables that grow with the corpus. */
  readonly allChunks: number;
  readonly corpusBytes: number;
  /** The whole store: recorded traces and the bytes of `traces` + `spans`. */
  readonly traces: number;
  readonly traceBytes: number;
}

/** Tables that grow with the corpus: documents, chunks (with their BM25 and HNSW indexes), portable postings. */
export const corpusTables = [
  'documents',
  'chunks',
  'retrieval_impacts',
  'retrieval_docs',
  'retrieval_lexicon',
  'retrieval_acls',
  'embedding_cache',
] as const;

export async function measureStorage(
  db: Database,
  options: { readonly sourceNames?: readonly string[]; readonly since: Date },
): Promise<StorageFootprint> {
  const scoped = options.sourceNames && options.sourceNames.length > 0 ? [...options.sourceNames] : null;
  const inScope = `($1::text[] IS NULL OR source_id IN (SELECT id FROM sources WHERE name = ANY($1::text[])))`;
  const [chunks, documents, sizes, totals] = await Promise.all([
    db.query<{ chunks: number; embedded: number; mean_tokens: number | null }>(
      `SELECT count(*)::bigint AS chunks, count(embedding)::bigint AS embedded, avg(token_count)::float8 AS mean_tokens
       FROM chunks WHERE ${inScope}`,
      [scoped],
    ),
    db.query<{ documents: number; created: number }>(
      `SELECT count(*)::bigint AS documents, count(*) FILTER (WHERE created_at >= $2)::bigint AS created
       FROM documents WHERE status = 'indexed' AND ${inScope}`,
      [scoped, options.since],
    ),
    db.query<{ name: string; bytes: number | null }>(
      `SELECT name, pg_total_relation_size(to_regclass(name))::bigint AS bytes
       FROM unnest($1::text[]) AS name WHERE to_regclass(name) IS NOT NULL`,
      [[...corpusTables, 'traces', 'spans']],
    ),
    db.query<{ chunks: number; traces: number }>(
      'SELECT (SELECT count(*) FROM chunks)::bigint AS chunks, (SELECT count(*) FROM traces)::bigint AS traces',
    ),
  ]);
  const bytes = new Map(sizes.rows.map((row) => [row.name, Number(row.bytes ?? 0)]));
  const sum = (names: readonly string[]) => names.reduce((total, name) => total + (bytes.get(name) ?? 0), 0);
  const chunkRow = chunks.rows[0];
  const meanTokens = chunkRow?.mean_tokens;
  return {
    mode: db.mode,
    chunks: Number(chunkRow?.chunks ?? 0),
    documents: Number(documents.rows[0]?.documents ?? 0),
    embeddedChunks: Number(chunkRow?.embedded ?? 0),
    meanChunkTokens: meanTokens === null || meanTokens === undefined ? undefined : Number(meanTokens),
    documentsCreatedSince: Number(documents.rows[0]?.created ?? 0),
    allChunks: Number(totals.rows[0]?.chunks ?? 0),
    corpusBytes: sum(corpusTables),
    traces: Number(totals.rows[0]?.traces ?? 0),
    traceBytes: sum(['traces', 'spans']),
  };
}
