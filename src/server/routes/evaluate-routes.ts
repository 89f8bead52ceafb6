import { z } from 'zod';
import { assertMayUseUseCase, promptVersion } from '../../answer/index.ts';
import { type Caller, newId } from '../../core/index.ts';
import type { Platform } from '../../create-platform.ts';
import {
  askThrough,
  compareRuns,
  type EvalAsk,
  type EvaluationReport,
  importDataset,
  listDatasets,
  listRuns,
  loadDataset,
  parseCsvCases,
  parseGate,
  parseJsonlCases,
  runGatedEvaluation,
  showRun,
} from '../../evaluate/index.ts';
import { recordAudit } from '../../govern/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';

const anyJson = z.record(z.string(), z.unknown());

/** What the evaluation routes need from the app: background work tracked for shutdown. */
export interface EvaluateRouteDeps {
  background(work: (signal: AbortSignal) => Promise<unknown>): void;
}

const runBody = z.strictObject({
  dataset: z.string().min(1).max(200).describe('name, name@version or dataset id'),
  mode: z.enum(['retrieval', 'answer']).default('retrieval'),
  useCase: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/)
    .optional(),
  depth: z.number().int().min(1).max(1000).default(100),
  repeat: z.number().int().min(1).max(10).default(1),
  concurrency: z.number().int().min(1).max(8).default(1),
  labels: z.array(z.string().min(1).max(100)).max(20).default([]),
  failIf: z.array(z.string().min(1).max(200)).max(50).default([]).describe('gates such as "ndcg@10 < 0.6"'),
  baseline: z.string().min(1).max(200).optional().describe('run id or label to compare against'),
});
type RunBody = z.output<typeof runBody>;

/**
 * Starts one evaluation run as the CLI's `eval run` does: cases are asked as their own principals; the
 * report carries gates and, with a baseline, the paired comparison. The report's per-case view is what
 * `GET /v1/eval/runs/:id` shows the viewer (cases filtered by the viewer's principals).
 */
async function evaluate(platform: Platform, caller: Caller, body: RunBody, runId: string): Promise<EvaluationReport> {
  let ask: EvalAsk | undefined;
  let snapshot: Record<string, unknown> = { retrieval: platform.config.retrieval };
  if (body.mode === 'answer') {
    const name = body.useCase ?? 'default';
    const useCase = await platform.answerer.useCases.require(name);
    assertMayUseUseCase(useCase, caller);
    ask = askThrough(platform.answerer, name);
    snapshot = {
      ...snapshot,
      useCaseSettings: useCase,
      promptVersion: promptVersion(useCase.prompt),
      model: useCase.model ?? platform.config.models.chat ?? 'extractive',
    };
  }
  const { report } = await runGatedEvaluation(
    {
      db: platform.db,
      tracer: platform.tracer,
      events: platform.events,
      clock: platform.clock,
      ids: (prefix) => (prefix === 'evr' ? runId : newId(prefix)),
      search: (request) => platform.retriever.search(request),
      ...(ask ? { ask, flushTraces: () => platform.observe.recorder.flush() } : {}),
    },
    {
      dataset: body.dataset,
      mode: body.mode,
      caller,
      // Cases without principals are asked as the caller (admin keys included: they never read past ACLs).
      ...(caller.seesEverything ? {} : { unscopedCaseCaller: caller }),
      depth: body.depth,
      repeat: body.repeat,
      concurrency: body.concurrency,
      gates: body.failIf.map(parseGate),
      baseline: body.baseline,
      viewer: caller,
      bootstrap: { resamples: platform.config.evaluation.bootstrapResamples, seed: platform.config.evaluation.bootstrapSeed },
      labels: body.labels,
      ...(body.useCase ? { useCase: body.useCase } : {}),
      snapshot,
    },
  );
  return report;
}

/**
 * Evaluation datasets and runs. Per-case results are filtered by the viewer's principals in SQL by the
 * evaluate feature; aggregates carry no content.
 */
export function evaluateRoutes(deps: EvaluateRouteDeps): RouteDefinition[] {
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
          ...(body.description ? { description: body.description } : {}),
        });
        await recordAudit(
          platform.db,
          {
            actor: caller.id,
            action: 'eval.dataset.import',
            target: `dataset:${dataset.id}`,
            after: { name: dataset.name, version: dataset.version, cases: dataset.caseCount },
            requestId,
          },
          platform.clock,
        );
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
        'Run a dataset (retrieval or answers) with gates and an optional baseline: 202 in the background, or ?wait=true for the report',
      tags: ['evaluation'],
      scope: 'eval:run',
      request: { body: runBody, query: z.strictObject({ wait: z.enum(['true', 'false']).default('false') }) },
      responses: {
        200: { description: 'The report (wait=true): metrics, gates, comparison, passed', schema: anyJson },
        202: { description: 'Started', schema: z.object({ runId: z.string(), status: z.literal('started') }) },
      },
      handler: async ({ platform, caller, body, query, c }) => {
        // Fail fast on bad gates and unknown datasets or use cases, before anything runs in the background.
        body.failIf.forEach(parseGate);
        await loadDataset(platform.db, body.dataset);
        if (body.mode === 'answer')
          assertMayUseUseCase(await platform.answerer.useCases.require(body.useCase ?? 'default'), caller);
        const runId = newId('evr');
        if (query.wait === 'true') return evaluate(platform, caller, body, runId);
        deps.background(() => evaluate(platform, caller, body, runId));
        return c.json({ runId, status: 'started' }, 202);
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
