import { z } from 'zod';
import {
  createModelConfig,
  createPrompt,
  getModelConfig,
  getPrompt,
  labelNewVersion,
  listModelConfigs,
  listModelConfigVersions,
  listPrompts,
  listPromptVersions,
  modelConfigHistory,
  modelConfigSchema,
  promptHistory,
  requestLabelMove,
  splitProtectedLabels,
} from '../../prompts/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';
import { changeResult, pendingChangeResponse } from './change-routes.ts';

const name = z.object({ name: z.string().min(1).max(100) });
const label = z.string().min(1).max(64);
const anyJson = z.record(z.string(), z.unknown());

/**
 * Prompt and model-configuration versions, labels and rollback. Label moves and new versions are audited by
 * the prompts feature in the same transaction as the change.
 */
export function promptRoutes(): RouteDefinition[] {
  const kinds = [
    {
      path: 'prompts',
      noun: 'prompt',
      list: listPrompts,
      versions: listPromptVersions,
      history: promptHistory,
      kind: 'prompt',
    },
    {
      path: 'model-configs',
      noun: 'model configuration',
      list: listModelConfigs,
      versions: listModelConfigVersions,
      history: modelConfigHistory,
      kind: 'model',
    },
  ] as const;
  const routes: RouteDefinition[] = [];
  for (const kind of kinds) {
    routes.push(
      defineRoute({
        method: 'get',
        path: `/v1/${kind.path}`,
        summary: `List ${kind.noun}s with their labels`,
        tags: ['prompts'],
        scope: 'prompts:read',
        responses: { 200: { description: 'Names', schema: z.object({ items: z.array(anyJson) }) } },
        handler: async ({ platform }) => ({ items: await kind.list(platform.db) }),
      }),
      defineRoute({
        method: 'get',
        path: `/v1/${kind.path}/:name`,
        summary: `Every version of a ${kind.noun}`,
        tags: ['prompts'],
        scope: 'prompts:read',
        request: { params: name },
        responses: { 200: { description: 'Versions', schema: z.object({ versions: z.array(anyJson) }) } },
        handler: async ({ platform, params }) => ({ versions: await kind.versions(platform.db, params.name) }),
      }),
      defineRoute({
        method: 'get',
        path: `/v1/${kind.path}/:name/history`,
        summary: `Creation and label events of a ${kind.noun}`,
        tags: ['prompts'],
        scope: 'prompts:read',
        request: { params: name },
        responses: { 200: { description: 'Events', schema: z.object({ events: z.array(anyJson) }) } },
        handler: async ({ platform, params }) => ({ events: await kind.history(platform.db, params.name) }),
      }),
      defineRoute({
        method: 'post',
        path: `/v1/${kind.path}/:name/labels`,
        summary: `Point a label (e.g. production) at a version of a ${kind.noun}; a protected label answers 202 with a change request`,
        tags: ['prompts'],
        scope: 'prompts:write',
        request: {
          params: name,
          body: z.strictObject({
            label,
            version: z.number().int().positive(),
            reason: z.string().max(2000).optional(),
            evalRunId: z.string().max(100).optional(),
          }),
        },
        responses: { 200: { description: 'The label move', schema: anyJson }, 202: pendingChangeResponse },
        handler: async ({ platform, caller, params, body, requestId, c }) =>
          changeResult(
            c,
            await requestLabelMove(platform.governance, platform.db, caller, {
              kind: kind.kind,
              name: params.name,
              ...body,
              requestId,
            }),
            (move) => move,
          ),
      }),
      defineRoute({
        method: 'post',
        path: `/v1/${kind.path}/:name/rollback`,
        summary: `Move a label back to where it pointed before; a protected label answers 202 with a change request`,
        tags: ['prompts'],
        scope: 'prompts:write',
        request: {
          params: name,
          body: z.strictObject({
            label,
            reason: z.string().max(2000).optional(),
            evalRunId: z.string().max(100).optional(),
          }),
        },
        responses: { 200: { description: 'The label move', schema: anyJson }, 202: pendingChangeResponse },
        handler: async ({ platform, caller, params, body, requestId, c }) =>
          changeResult(
            c,
            await requestLabelMove(platform.governance, platform.db, caller, {
              kind: kind.kind,
              name: params.name,
              rollback: true,
              ...body,
              requestId,
            }),
            (move) => move,
          ),
      }),
    );
  }
  routes.push(
    defineRoute({
      method: 'post',
      path: '/v1/prompts/:name',
      summary:
        'Create a new prompt version (immutable); audited. Protected labels given with it become change requests (`changeRequests`)',
      tags: ['prompts'],
      scope: 'prompts:write',
      request: {
        params: name,
        body: z.strictObject({
          template: z.string().min(1).max(50_000),
          message: z.string().min(1).max(2000),
          labels: z.array(label).max(10).optional(),
        }),
      },
      responses: { 201: { description: 'The version', schema: anyJson } },
      handler: async ({ platform, caller, params, body, requestId, c }) => {
        // Protected labels (production) are governed: they are requested after the version exists.
        const { direct, governed } = splitProtectedLabels(platform.governance, body.labels);
        const created = await createPrompt(platform.db, { name: params.name, ...body, labels: direct, author: caller.id });
        const { changeRequests } = await labelNewVersion(platform.governance, platform.db, caller, {
          kind: 'prompt',
          name: params.name,
          version: created.version,
          labels: governed,
          reason: body.message,
          requestId,
        });
        const version = governed.length > 0 ? await getPrompt(platform.db, params.name, { version: created.version }) : created;
        return c.json({ ...version, ...(changeRequests.length > 0 ? { changeRequests } : {}) }, 201);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/model-configs/:name',
      summary:
        'Create a new model configuration version (immutable); audited. Protected labels given with it become change requests (`changeRequests`)',
      tags: ['prompts'],
      scope: 'prompts:write',
      request: {
        params: name,
        body: z.strictObject({
          config: modelConfigSchema,
          message: z.string().min(1).max(2000),
          labels: z.array(label).max(10).optional(),
        }),
      },
      responses: { 201: { description: 'The version', schema: anyJson } },
      handler: async ({ platform, caller, params, body, requestId, c }) => {
        // Protected labels (production) are governed: they are requested after the version exists.
        const { direct, governed } = splitProtectedLabels(platform.governance, body.labels);
        const created = await createModelConfig(platform.db, { name: params.name, ...body, labels: direct, author: caller.id });
        const { changeRequests } = await labelNewVersion(platform.governance, platform.db, caller, {
          kind: 'model',
          name: params.name,
          version: created.version,
          labels: governed,
          reason: body.message,
          requestId,
        });
        const version =
          governed.length > 0 ? await getModelConfig(platform.db, params.name, { version: created.version }) : created;
        return c.json({ ...version, ...(changeRequests.length > 0 ? { changeRequests } : {}) }, 201);
      },
    }),
  );
  return routes;
}
