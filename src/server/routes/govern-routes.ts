import { z } from 'zod';
import { roles } from '../../core/index.ts';
import {
  type ApiKey,
  createKey,
  listApiKeys,
  listAudit,
  revokeApiKey,
  roleScopes,
  verifyAuditChain,
} from '../../govern/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';
import { changeRequestSchema } from './change-routes.ts';

const keySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    role: z.enum(roles),
    principals: z.array(z.string()),
    createdBy: z.string(),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    status: z.enum(['active', 'expired', 'revoked', 'pending']),
    pendingChange: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

const auditEntrySchema = z
  .object({
    seq: z.number(),
    id: z.string(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
    requestId: z.string().nullable(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEntry' });

const keyJson = (key: ApiKey) => JSON.parse(JSON.stringify(key)) as Record<string, unknown>;

/** Who am I, API keys (admin) and the audit log (admin). */
export function governRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/me',
      summary: 'The authenticated caller: identity, role, principals and scopes',
      tags: ['auth'],
      scope: 'search',
      responses: {
        200: {
          description: 'Caller',
          schema: z.object({ id: z.string(), role: z.enum(roles), principals: z.array(z.string()), scopes: z.array(z.string()) }),
        },
      },
      handler: ({ caller }) => ({
        id: caller.id,
        role: caller.role,
        principals: caller.principals,
        scopes: [...roleScopes[caller.role]],
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/keys',
      summary: 'List API keys (never their secrets)',
      tags: ['auth'],
      scope: 'keys:admin',
      responses: { 200: { description: 'Keys', schema: z.object({ keys: z.array(keySchema) }) } },
      handler: async ({ platform }) => ({ keys: (await listApiKeys(platform.db, { clock: platform.clock })).map(keyJson) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/keys',
      summary: 'Create an API key; the token is in the response once and never again (admin/builder keys need approval: 202)',
      tags: ['auth'],
      scope: 'keys:admin',
      request: {
        body: z.strictObject({
          name: z.string().min(1).max(200),
          role: z.enum(roles).default('user'),
          principals: z
            .array(z.string().regex(/^[a-z][a-z0-9_-]*:.+$/))
            .max(1000)
            .default([]),
          expiresInDays: z.number().int().min(1).max(3650).optional(),
          reason: z.string().max(2000).optional(),
        }),
      },
      responses: {
        201: { description: 'Created', schema: z.object({ key: keySchema, token: z.string() }) },
        202: {
          description:
            'An admin or builder key: created pending (its token works once the change request is approved by someone else)',
          schema: z.object({ key: keySchema, token: z.string(), changeRequest: changeRequestSchema }),
        },
      },
      handler: async ({ platform, body, caller, requestId, c }) => {
        const { reason, ...input } = body;
        const { key, token, changeRequest } = await createKey(platform.governance, platform.db, caller, input, {
          requestId,
          ...(reason ? { reason } : {}),
        });
        c.header('cache-control', 'no-store');
        return changeRequest
          ? c.json({ key: keyJson(key), token, changeRequest }, 202)
          : c.json({ key: keyJson(key), token }, 201);
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/keys/:id',
      summary: 'Revoke an API key (idempotent)',
      tags: ['auth'],
      scope: 'keys:admin',
      request: { params: z.object({ id: z.string().regex(/^key_[a-z0-9]+$/) }) },
      responses: { 200: { description: 'Revoked', schema: z.object({ key: keySchema }) } },
      handler: async ({ platform, params, caller, requestId }) => ({
        key: keyJson(await revokeApiKey(platform.db, params.id, { actor: caller.id, requestId, clock: platform.clock })),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit',
      summary: 'Audit log entries, newest first',
      tags: ['audit'],
      scope: 'audit:read',
      request: {
        query: z.strictObject({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          beforeSeq: z.coerce.number().int().positive().optional(),
          action: z.string().max(100).optional(),
          actor: z.string().max(300).optional(),
        }),
      },
      responses: { 200: { description: 'Entries', schema: z.object({ entries: z.array(auditEntrySchema) }) } },
      handler: async ({ platform, query }) => ({ entries: await listAudit(platform.db, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/verify',
      summary: 'Verify the audit hash chain; names the first edited or missing entry',
      tags: ['audit'],
      scope: 'audit:read',
      responses: {
        200: {
          description: 'Verification result',
          schema: z.object({
            ok: z.boolean(),
            entries: z.number(),
            headSeq: z.number(),
            headHash: z.string(),
            firstBad: z
              .object({ seq: z.number(), id: z.string().nullable(), problem: z.string(), message: z.string() })
              .optional(),
          }),
        },
      },
      handler: async ({ platform }) => verifyAuditChain(platform.db),
    }),
  ];
}
