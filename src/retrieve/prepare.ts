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
 * Rebuilds the portable BM25 index (forward rows, impacts, lexicon, ACL classes) from `chunks` and re-quantizes
 * the impacts with the current statistics (repair tool; the triggers keep the index exact by themselves, but
 * after heavy corpus growth a rebuild tightens the score bounds MaxScore prunes with).
 */
export async function reindexLexical(db: Database): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT retrieval_rebuild()');
  });
}
