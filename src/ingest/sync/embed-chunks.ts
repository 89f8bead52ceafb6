import { type EmbeddingModel, embedMany } from 'ai';
import { GroundworkError } from '../../core/index.ts';
import type { Queryable } from '../../store/index.ts';

/**
 * The embedding port of the pipeline: texts in, vectors out. Built from an AI SDK model with
 * `embedderFromModel`; tests pass a mock. Batching is the embedder's job (`batchSize` texts per call).
 */
export interface Embedder {
  /** `provider:model` as configured; part of the cache key. */
  readonly model: string;
  readonly dimensions: number;
  /** Texts per model call. */
  readonly batchSize: number;
  /** Embeds `texts` in order; `tokens` is the provider-reported usage (0 when unknown). */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<{ embeddings: number[][]; tokens: number }>;
}

/** Wraps an AI SDK embedding model: `embedMany` per batch of `batchSize` values. */
export function embedderFromModel(
  model: EmbeddingModel,
  options: { model: string; dimensions: number; batchSize: number },
): Embedder {
  return {
    model: options.model,
    dimensions: options.dimensions,
    batchSize: options.batchSize,
    async embed(texts, signal) {
      const embeddings: number[][] = [];
      let tokens = 0;
      for (let start = 0; start < texts.length; start += options.batchSize) {
        const values = texts.slice(start, start + options.batchSize);
        try {
          const result = await embedMany({
            model,
            values,
            maxRetries: 2,
            ...(signal ? { abortSignal: signal } : {}),
          });
          embeddings.push(...result.embeddings);
          tokens += result.usage?.tokens ?? 0;
        } catch (error) {
          throw new GroundworkError(
            'ingest.embedding_failed',
            `The embedding model ${options.model} failed: ${(error as Error).message}`,
            {
              category: 'unavailable',
              isRetryable: true,
              fix: 'Check the provider key and endpoint in models.providers (groundwork doctor), then run the sync again; unchanged text is served from the cache.',
              cause: error,
            },
          );
        }
      }
      for (const vector of embeddings) {
        if (vector.length !== options.dimensions) {
          throw new GroundworkError(
            'ingest.embedding_dimensions',
            `The embedding model ${options.model} returned ${vector.length} dimensions, but models.embedding.dimensions is ${options.dimensions}.`,
            {
              category: 'usage',
              fix: `Set models.embedding.dimensions to ${vector.length} (or ask the model for ${options.dimensions}).`,
            },
          );
        }
      }
      return { embeddings, tokens };
    },
  };
}

/** `[1,2,3]` — pgvector's text form. */
export function vectorLiteral(vector: readonly number[]): string {
  return `[${vector.join(',')}]`;
}

export interface EmbedWithCacheResult {
  /** Vector literal per input text, in order. */
  readonly vectors: string[];
  readonly computed: number;
  readonly cached: number;
  readonly tokens: number;
}

/**
 * Embeds texts keyed by content hash, reading and filling `embedding_cache` so unchanged text is never sent
 * to the model twice (across documents, runs and re-syncs). Duplicate hashes in one call are embedded once.
 */
export async function embedWithCache(
  db: Queryable,
  embedder: Embedder,
  items: readonly { readonly contentHash: string; readonly text: string }[],
  signal?: AbortSignal,
): Promise<EmbedWithCacheResult> {
  const hashes = [...new Set(items.map((item) => item.contentHash))];
  const known = new Map<string, string>();
  if (hashes.length > 0) {
    const cached = await db.query<{ content_hash: string; embedding: string }>(
      `SELECT content_hash, embedding::text AS embedding FROM embedding_cache
       WHERE model = $1 AND dimensions = $2 AND content_hash = ANY($3::text[])`,
      [embedder.model, embedder.dimensions, hashes],
    );
    for (const row of cached.rows) known.set(row.content_hash, row.embedding);
  }
  const missing: { contentHash: string; text: string }[] = [];
  const queued = new Set<string>();
  for (const item of items) {
    if (known.has(item.contentHash) || queued.has(item.contentHash)) continue;
    queued.add(item.contentHash);
    missing.push(item);
  }
  let tokens = 0;
  if (missing.length > 0) {
    const result = await embedder.embed(
      missing.map((item) => item.text),
      signal,
    );
    tokens = result.tokens;
    const literals = result.embeddings.map(vectorLiteral);
    for (const [i, item] of missing.entries()) known.set(item.contentHash, literals[i] as string);
    // One statement per batch of rows: the cache is an optimisation, a lost write only costs a re-embed.
    for (let start = 0; start < missing.length; start += 200) {
      const slice = missing.slice(start, start + 200);
      await db.query(
        `INSERT INTO embedding_cache (content_hash, model, dimensions, embedding)
         SELECT h, $1, $2, e::vector FROM unnest($3::text[], $4::text[]) AS t(h, e)
         ON CONFLICT DO NOTHING`,
        [
          embedder.model,
          embedder.dimensions,
          slice.map((item) => item.contentHash),
          slice.map((item) => known.get(item.contentHash)),
        ],
      );
    }
  }
  return {
    vectors: items.map((item) => known.get(item.contentHash) as string),
    computed: missing.length,
    cached: items.length - missing.length,
    tokens,
  };
}

/**
 * An embedder whose model is resolved on first use, so a platform without embedding work never builds (or
 * fails to build) the provider. Used by the composition root with the models feature's resolver.
 */
export function lazyEmbedder(
  options: { model: string; dimensions: number; batchSize: number },
  resolve: () => EmbeddingModel,
): Embedder {
  let inner: Embedder | undefined;
  return {
    model: options.model,
    dimensions: options.dimensions,
    batchSize: options.batchSize,
    embed(texts, signal) {
      inner ??= embedderFromModel(resolve(), options);
      return inner.embed(texts, signal);
    },
  };
}
