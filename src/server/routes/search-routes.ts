import { z } from 'zod';
import { sensitivityLabels } from '../../core/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';

export const searchBodySchema = z.strictObject({
  query: z.string().trim().min(1).max(2000),
  k: z.number().int().min(1).max(100).default(10),
  mode: z.enum(['lexical', 'vector', 'hybrid']).optional(),
  level: z.enum(['chunk', 'document']).default('chunk'),
  highlight: z.boolean().default(true),
  filters: z
    .strictObject({
      sourceIds: z.array(z.string()).max(100).optional(),
      mediaTypes: z.array(z.string()).max(50).optional(),
      sensitivity: z.array(z.enum(sensitivityLabels)).optional(),
      modifiedAfter: z.coerce.date().optional(),
      modifiedBefore: z.coerce.date().optional(),
      metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    })
    .optional(),
});

const hitSchema = z.object({
  rank: z.number(),
  chunkId: z.string(),
  documentId: z.string(),
  title: z.string(),
  uri: z.string(),
  sourceId: z.string(),
  mediaType: z.string(),
  text: z.string(),
  snippet: z.string(),
  highlights: z.array(z.object({ start: z.number(), end: z.number() })),
  pageStart: z.number().nullable(),
  pageEnd: z.number().nullable(),
  sectionPath: z.array(z.string()),
  sensitivity: z.enum(sensitivityLabels),
  scores: z.object({
    lexical: z.number().optional(),
    vector: z.number().optional(),
    fused: z.number(),
    rerank: z.number().optional(),
  }),
});

/** Permission-aware search: the caller's principals filter in SQL, before ranking. */
export function searchRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/search',
      summary: 'Search the chunks the caller may read (BM25, vector or hybrid), with snippets and highlights',
      tags: ['search'],
      scope: 'search',
      request: { body: searchBodySchema },
      responses: {
        200: {
          description: 'Hits, best first',
          schema: z.object({ hits: z.array(hitSchema), mode: z.string(), lexicalEngine: z.string(), tookMs: z.number() }),
        },
      },
      handler: async ({ platform, caller, body }) => {
        const { filters, ...rest } = body;
        const result = await platform.retriever.search({
          ...rest,
          caller,
          ...(filters ? { filters } : {}),
        });
        // PII offsets are for the egress policy, not for API clients.
        return { ...result, hits: result.hits.map(({ pii: _pii, injection: _injection, ...hit }) => hit) };
      },
    }),
  ];
}
