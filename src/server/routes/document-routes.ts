import { z } from 'zod';
import { explainDocumentAccess, getDocument, listDocuments } from '../../ingest/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';

const anyJson = z.record(z.string(), z.unknown());
const documentId = z.object({ id: z.string().min(1).max(200) });

/**
 * Document metadata (never chunk text) and ACL explanations. Every query filters by the caller's principals
 * in SQL; a document the caller may not read is a 404, the same as one that does not exist. Administrators
 * reach every document on these routes (operator views).
 */
export function documentRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/documents',
      summary: 'Documents the caller may read (metadata only), newest first',
      tags: ['documents'],
      scope: 'documents:read',
      aclBypass: true,
      request: {
        query: z.strictObject({
          source: z.string().max(200).optional(),
          status: z.enum(['pending', 'indexed', 'quarantined']).optional(),
          q: z.string().max(200).optional(),
          undetermined: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional(),
          ocrReview: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
      responses: {
        200: { description: 'Documents', schema: z.object({ documents: z.array(anyJson), total: z.number() }) },
      },
      handler: async ({ platform, caller, query }) =>
        listDocuments(platform.db, caller, {
          sourceId: query.source,
          status: query.status,
          search: query.q,
          undetermined: query.undetermined,
          ocrReview: query.ocrReview,
          limit: query.limit,
          offset: query.offset,
        }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/documents/:id',
      summary: 'One document: metadata, PII counts by type, warnings, children the caller may read',
      tags: ['documents'],
      scope: 'documents:read',
      aclBypass: true,
      request: { params: documentId },
      responses: { 200: { description: 'Document', schema: anyJson }, 404: { description: 'No such readable document' } },
      handler: async ({ platform, caller, params }) => getDocument(platform.db, params.id, caller),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/documents/:id/access',
      summary: 'Why may (or may not) these principals read this document? Rule, sidecar, default, alias, inheritance',
      tags: ['documents'],
      scope: 'documents:explain',
      aclBypass: true,
      request: {
        params: documentId,
        query: z.strictObject({
          principals: z
            .string()
            .min(1)
            .max(4000)
            .describe('Comma-separated principals, e.g. user:bob@corp.com,group:claims')
            .transform((v) =>
              v
                .split(',')
                .map((p) => p.trim())
                .filter((p) => p.length > 0),
            ),
        }),
      },
      responses: { 200: { description: 'Access report', schema: anyJson }, 404: { description: 'No such readable document' } },
      handler: async ({ platform, caller, params, query }) =>
        explainDocumentAccess(platform.db, params.id, caller, query.principals),
    }),
  ];
}
