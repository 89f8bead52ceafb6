import { z } from 'zod';
import { listDatasets, listRuns, showRun } from '../../evaluate/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';

const anyJson = z.record(z.string(), z.unknown());

/**
 * Evaluation datasets and runs (read side). Per-case results are filtered by the viewer's principals in
 * SQL by the evaluate feature; aggregates carry no content.
 */
export function evaluateRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/eval/datasets',
      summary: 'Evaluation datasets (every version)',
      tags: ['evaluation'],
      scope: 'eval:read',
      responses: { 200: { description: 'Datasets', schema: z.object({ datasets: z.array(anyJson) }) } },
      handler: async ({ platform }) => ({ datasets: await listDatasets(platform.db) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/eval/runs',
      summary: 'Evaluation runs, newest first, with aggregate metrics',
      tags: ['evaluation'],
      scope: 'eval:read',
      request: {
        query: z.strictObject({
          dataset: z.string().max(200).optional(),
          label: z.string().max(100).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(50),
        }),
      },
      responses: { 200: { description: 'Runs', schema: z.object({ runs: z.array(anyJson) }) } },
      handler: async ({ platform, query }) => ({ runs: await listRuns(platform.db, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/eval/runs/:id',
      summary: 'One run with the per-case results the caller may see (others are counted in hiddenCases)',
      tags: ['evaluation'],
      scope: 'eval:read',
      request: { params: z.object({ id: z.string().min(1).max(200) }) },
      responses: { 200: { description: 'Run', schema: anyJson } },
      handler: async ({ platform, caller, params }) => showRun(platform.db, params.id, caller),
    }),
  ];
}
