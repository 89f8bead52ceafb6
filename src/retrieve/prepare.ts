import type { Database } from '../store/index.ts';
import { ensureLexicalIndex } from './lexical.ts';
import type { RetrievalConfig } from './types.ts';
import { ensureVectorIndex } from './vector.ts';

/**
 * Builds what retrieval needs that depends on configuration: the pg_textsearch BM25 index for the configured
 * analyzer/k1/b (where the extension exists) and the HNSW index for the embedding dimension (when given).
 * Idempotent; safe to call at every start.
 */
export async function prepareRetrieval(
  db: Database,
  config: RetrievalConfig,
  options: { embeddingDimensions?: number } = {},
): Promise<{ lexicalIndex: string | undefined; vectorIndex: string | undefined }> {
  const lexicalIndex = await ensureLexicalIndex(db, config);
  const vectorIndex = options.embeddingDimensions ? await ensureVectorIndex(db, options.embeddingDimensions) : undefined;
  return { lexicalIndex, vectorIndex };
}

/**
 * Rebuilds the portable postings of every source from `chunks` (repair tool; the triggers keep them current,
 * so this is only needed after restoring postings tables from an inconsistent backup).
 */
export async function reindexLexical(db: Database): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(1735552338)');
    await tx.query('TRUNCATE retrieval_postings, retrieval_chunk_lengths, retrieval_terms');
    await tx.query('UPDATE retrieval_lexical_stats SET chunk_count = 0, total_length = 0 WHERE id = 1');
    const sources = await tx.query<{ id: string }>('SELECT DISTINCT source_id AS id FROM chunks');
    for (const source of sources.rows) await tx.query('SELECT retrieval_reindex_source($1)', [source.id]);
  });
}
