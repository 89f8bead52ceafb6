import { z } from 'zod';
import {
  identityMappingHistory,
  importIdentityMappings,
  listIdentityMappings,
  mapIdentity,
  parseIdentityMappingImport,
  unmapIdentity,
} from '../../govern/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';
import { changeResult, pendingChangeResponse } from './change-routes.ts';

const anyJson = z.record(z.string(), z.unknown());
const identity = z.string().min(1).max(512);
const principal = z.string().min(1).max(512);

/** Identity mappings (govern/identity-mappings, docs/identity-mapping.md): source identities → unified principals. */
export function identityRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/identity-mappings',
      summary: 'Source identities (ad:, entra:, legacy:, sql:) and the unified principals they map to, with the current version',
      tags: ['identities'],
      scope: 'identities:read',
      request: { query: z.strictObject({ system: z.string().min(1).max(32).optional() }) },
      responses: { 200: { description: '`{version, mappings}`', schema: anyJson } },
      handler: async ({ platform, caller, query }) =>
        listIdentityMappings(platform.db, caller, query.system ? { system: query.system } : {}),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/identity-mappings/history',
      summary: 'Every version of the identity mappings, newest first (before/after principals, who, which change request)',
      tags: ['identities'],
      scope: 'identities:read',
      request: {
        query: z.strictObject({ identity: identity.optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }),
      },
      responses: { 200: { description: '`{versions}`', schema: anyJson } },
      handler: async ({ platform, caller, query }) => ({
        versions: await identityMappingHistory(platform.db, caller, {
          ...(query.identity ? { identity: query.identity } : {}),
          ...(query.limit ? { limit: query.limit } : {}),
        }),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/identity-mappings',
      summary:
        'Map a source identity to principals (added to its mapping; `replace` sets it); governed: a change request (202) when identity.map is governed',
      tags: ['identities'],
      scope: 'identities:write',
      request: {
        body: z.strictObject({
          identity,
          principals: z.array(principal).min(1).max(100),
          note: z.string().max(500).optional(),
          reason: z.string().max(2000).optional(),
          replace: z.boolean().optional(),
        }),
      },
      responses: { 200: { description: 'The mapping (applied) with its version', schema: anyJson }, 202: pendingChangeResponse },
      handler: async ({ platform, caller, body, requestId, c }) =>
        changeResult(
          c,
          await mapIdentity(platform.governance, platform.db, caller, body.identity, body.principals, {
            ...(body.note ? { note: body.note } : {}),
            ...(body.reason ? { reason: body.reason } : {}),
            ...(body.replace ? { replace: true } : {}),
            requestId,
          }),
          (r) => r,
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/identity-mappings/unmap',
      summary: 'Remove principals from a source identity (all without `principals`); governed like mapping',
      tags: ['identities'],
      scope: 'identities:write',
      request: {
        body: z.strictObject({
          identity,
          principals: z.array(principal).max(100).optional(),
          reason: z.string().max(2000).optional(),
        }),
      },
      responses: { 200: { description: 'The mapping after the change', schema: anyJson }, 202: pendingChangeResponse },
      handler: async ({ platform, caller, body, requestId, c }) =>
        changeResult(
          c,
          await unmapIdentity(platform.governance, platform.db, caller, body.identity, body.principals ?? [], {
            ...(body.reason ? { reason: body.reason } : {}),
            requestId,
          }),
          (r) => r,
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/identity-mappings/import',
      summary:
        'Import mappings (each identity set to exactly the principals given): `text` as CSV lines identity,principal… or JSON; all or nothing',
      tags: ['identities'],
      scope: 'identities:write',
      request: {
        body: z.strictObject({ text: z.string().min(1).max(5_000_000), reason: z.string().max(2000).optional() }),
      },
      responses: { 200: { description: '`{applied, pending, unchanged, results}`', schema: anyJson } },
      handler: async ({ platform, caller, body, requestId }) =>
        importIdentityMappings(platform.governance, platform.db, caller, parseIdentityMappingImport(body.text, 'the import'), {
          ...(body.reason ? { reason: body.reason } : {}),
          requestId,
        }),
    }),
  ];
}
