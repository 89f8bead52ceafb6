import { z } from 'zod';
import {
  compareRuns,
  importDataset,
  listDatasets,
  listRuns,
  parseCsvCases,
  parseJsonlCases,
  showRun,
} from '../../evaluate/index.ts';
import { evaluationRunBody as runBody, startEvaluationRun } from '../../worker.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';
import { jobFailure } from './ingest-routes.ts';

const anyJson = z.record(z.string(), z.unknown());

/** What the evaluation routes need from the app: background work tracked for shutdown. */
export interface EvaluateRouteDeps {
  background(work: (signal: AbortSignal) => Promise<unknown>): void;
}

/**
 * Evaluation datasets and runs. Per-case results are filtered by the viewer's principals in SQL by the
 * evaluate feature; aggregates carry no content.
 */
export function evaluateRoutes(_deps: EvaluateRouteDeps): RouteDefinition[] {
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
      method: 'post',
      path: '/v1/eval/datasets',
      summary: 'Import a dataset version from JSONL or CSV text (all rows or nothing; every bad row named); audited',
      tags: ['evaluation'],
      scope: 'eval:run',
      request: {
        body: z.strictObject({
          name: z.string().min(1).max(100),
          format: z.enum(['jsonl', 'csv']),
          content: z.string().min(1).max(20_000_000),
          description: z.string().max(1000).optional(),
        }),
      },
      responses: { 201: { description: 'Imported', schema: anyJson } },
      handler: async ({ platform, caller, body, requestId, c }) => {
        const parsed = body.format === 'jsonl' ? parseJsonlCases(body.content) : parseCsvCases(body.content);
        const dataset = await importDataset(platform.db, parsed.cases, {
          name: body.name,
          origin: body.format,
          caller,
          parseProblems: parsed.problems,
          clock: platform.clock,
          requestId,
          ...(body.description ? { description: body.description } : {}),
        });
        return c.json(dataset, 201);
      },
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
      method: 'post',
      path: '/v1/eval/runs',
      summary:
        'Run a dataset (retrieval or answers) with gates and an optional baseline: an evaluation-run job for the workers (202 with runId and jobId), or ?wait=true for the report',
      tags: ['evaluation'],
      scope: 'eval:run',
      request: { body: runBody, query: z.strictObject({ wait: z.enum(['true', 'false']).default('false') }) },
      responses: {
        200: { description: 'The report (wait=true): metrics, gates, comparison, passed', schema: anyJson },
        202: {
          description: 'Queued for a worker',
          schema: z.object({ runId: z.string(), status: z.literal('started'), jobId: z.string() }),
        },
      },
      handler: async ({ platform, caller, body, query, c, requestId }) => {
        // The run is long work: a worker does it (on the embedded store, serve's in-process worker).
        const { runId, jobId } = await startEvaluationRun(platform, caller, body, requestId);
        const started = c.json({ runId, status: 'started' as const, jobId }, 202);
        if (query.wait !== 'true' || !jobId) return started;
        const job = await platform.jobs.waitFor('evaluation-run', jobId, {
          timeoutMs: Math.max(1000, platform.config.server.requestTimeoutMs - 2000),
          signal: c.req.raw.signal,
        });
        if (!job) return started;
        if (job.state === 'completed') return job.output;
        throw jobFailure(job.output, jobId);
      },
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
    defineRoute({
      method: 'get',
      path: '/v1/eval/compare',
      summary:
        'Compare two runs: per-metric deltas with paired-bootstrap 95% intervals, wins/losses, changed cases the caller may see',
      tags: ['evaluation'],
      scope: 'eval:read',
      request: {
        query: z.strictObject({
          baseline: z.string().min(1).max(200),
          candidate: z.string().min(1).max(200),
        }),
      },
      responses: { 200: { description: 'Comparison', schema: anyJson } },
      handler: async ({ platform, caller, query }) =>
        compareRuns(platform.db, query.baseline, query.candidate, {
          viewer: caller,
          resamples: platform.config.evaluation.bootstrapResamples,
          seed: platform.config.evaluation.bootstrapSeed,
        }),
    }),
  ];
}
