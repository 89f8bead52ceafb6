import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the retrieve feature throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const retrieveErrorCodes = {
  'retrieve.beir_invalid': {
    category: 'usage',
    description: 'The BEIR dataset folder is missing a file or holds malformed lines.',
  },
  'retrieve.empty_query': {
    category: 'usage',
    description: 'The search query is empty.',
  },
  'retrieve.invalid_dimensions': {
    category: 'usage',
    description: 'Invalid embedding dimension ….',
    fix: 'Set models.embedding.dimensions to the embedding model output size (e.g. 1536).',
  },
  'retrieve.invalid_k': {
    category: 'usage',
    description: 'k must be an integer from 1 to …, got ….',
  },
  'retrieve.invalid_text_config': {
    category: 'usage',
    description: 'Invalid text-search configuration name "…".',
    fix: 'Set retrieval.textConfig to a PostgreSQL text-search configuration such as english or simple.',
  },
  'retrieve.no_embedding_model': {
    category: 'usage',
    description: 'Search mode … needs an embedding model, and none is configured.',
  },
  'retrieve.pg_textsearch_unavailable': {
    category: 'usage',
    description: 'pg_textsearch is not available on this PostgreSQL.',
    fix: 'Use --engine portable or auto.',
  },
} as const satisfies ErrorCodeTable;
