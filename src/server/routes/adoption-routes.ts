import { z } from 'zod';
import {
  addCriterion,
  type Cohort,
  createCohort,
  deleteCohort,
  getCohort,
  healthOfUseCase,
  listCohorts,
  listCriteria,
  listReviews,
  recordMeasurement,
  recordReview,
  removeCriterion,
  simulateUsage,
  updateCriterion,
  usageReport,
} from '../../adoption/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';
import { changeResult, pendingChangeResponse } from './change-routes.ts';

const cohortSchema = z.object({
  name: z.string(),
  principals: z.array(z.string()),
  description: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
});

function cohortBody(cohort: Cohort) {
  return { ...cohort, principals: [...cohort.principals], createdAt: cohort.createdAt.toISOString() };
}

const cohortName = z.object({ name: z.string().min(1).max(64) });
const anyJson = z.record(z.string(), z.unknown());
const useCaseParams = z.object({ name: z.string().min(1).max(64) });
const criterionParams = z.object({ name: z.string().min(1).max(64), id: z.string().min(1).max(64) });
const asOfQuery = z.strictObject({
  asOf: z.string().min(1).max(10).optional(),
  includeSimulated: z.enum(['true', 'false']).optional(),
});

/** Cohorts (named sets of principals) and usage analytics by cohort (adoption/). */
export function adoptionRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/cohorts',
      summary: 'Cohorts: named sets of principals usage reports (and rollouts) are evaluated against',
      tags: ['adoption'],
      scope: 'usage:read',
      responses: { 200: { description: 'Cohorts by name', schema: z.object({ cohorts: z.array(cohortSchema) }) } },
      handler: async ({ platform, caller }) => ({ cohorts: (await listCohorts(platform.db, caller)).map(cohortBody) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/cohorts',
      summary: 'Create a cohort (audited)',
      tags: ['adoption'],
      scope: 'cohorts:write',
      request: {
        body: z.strictObject({
          name: z.string().min(1).max(64),
          principals: z.array(z.string().min(1).max(320)).min(1).max(1000),
          description: z.string().max(500).optional(),
        }),
      },
      responses: { 201: { description: 'The cohort', schema: cohortSchema } },
      handler: async ({ platform, caller, body, c, requestId }) =>
        c.json(cohortBody(await createCohort(platform.db, caller, body, { clock: platform.clock, requestId })), 201),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/cohorts/:name',
      summary: 'One cohort; 404 naming the valid ones when it does not exist',
      tags: ['adoption'],
      scope: 'usage:read',
      request: { params: cohortName },
      responses: { 200: { description: 'The cohort', schema: cohortSchema } },
      handler: async ({ platform, caller, params }) => cohortBody(await getCohort(platform.db, caller, params.name)),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/cohorts/:name',
      summary: 'Delete a cohort (audited)',
      tags: ['adoption'],
      scope: 'cohorts:write',
      request: { params: cohortName },
      responses: { 200: { description: 'The deleted cohort', schema: cohortSchema } },
      handler: async ({ platform, caller, params, requestId }) =>
        cohortBody(await deleteCohort(platform.db, caller, params.name, { clock: platform.clock, requestId })),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/usage',
      summary:
        'Usage of a use case from the rollups: active users, N-day active rate per cohort, time-to-value, completion, refusal, feedback and override rates (counts only)',
      tags: ['adoption'],
      scope: 'usage:read',
      request: {
        query: z.strictObject({
          useCase: z.string().min(1).max(128),
          cohort: z.string().min(1).max(64).optional(),
          period: z.string().min(1).max(16).optional(),
          asOf: z.string().min(1).max(10).optional(),
          from: z.string().min(1).max(10).optional(),
          includeSimulated: z.enum(['true', 'false']).optional(),
        }),
      },
      responses: { 200: { description: 'The usage report (docs/adoption.md)', schema: anyJson } },
      handler: async ({ platform, caller, query }) =>
        usageReport(
          platform.db,
          caller,
          {
            useCase: query.useCase,
            ...(query.cohort ? { cohort: query.cohort } : {}),
            ...(query.period ? { period: query.period } : {}),
            ...(query.asOf ? { asOf: query.asOf } : {}),
            ...(query.from ? { from: query.from } : {}),
            includeSimulated: query.includeSimulated === 'true',
          },
          { clock: platform.clock },
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/usage/simulate',
      summary: 'Replace the simulated usage of a use case with a seeded 120-day simulation (flagged simulated; audited)',
      tags: ['adoption'],
      scope: 'usecases:write',
      request: {
        body: z.strictObject({
          useCase: z.string().min(1).max(128),
          seed: z
            .number()
            .int()
            .min(0)
            .max(2 ** 31)
            .optional(),
          days: z.number().int().min(1).max(400).optional(),
        }),
      },
      responses: { 200: { description: 'What was simulated', schema: anyJson } },
      handler: async ({ platform, caller, body, requestId }) => {
        await platform.answerer.useCases.require(body.useCase);
        return simulateUsage(platform.db, caller, {
          useCase: body.useCase,
          ...(body.seed === undefined ? {} : { seed: body.seed }),
          ...(body.days === undefined ? {} : { days: body.days }),
          clock: platform.clock,
          requestId,
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/use-cases/:name/criteria',
      summary:
        'Success criteria of a use case with progress (points per cadence period) and status on_track/at_risk/missed/no_data',
      tags: ['adoption'],
      scope: 'usage:read',
      request: { params: useCaseParams, query: asOfQuery },
      responses: { 200: { description: 'Criteria with status (docs/adoption.md, "Success criteria")', schema: anyJson } },
      handler: async ({ platform, caller, params, query }) =>
        listCriteria(platform.db, caller, params.name, {
          ...(query.asOf ? { asOf: query.asOf } : {}),
          includeSimulated: query.includeSimulated === 'true',
          clock: platform.clock,
        }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/use-cases/:name/criteria',
      summary:
        'Add a success criterion (usecases:write or the use case owner); past draft it is a change request (202). Unknown metric → 400 naming the valid ones',
      tags: ['adoption'],
      scope: 'usage:read',
      request: {
        params: useCaseParams,
        body: z.strictObject({
          id: z.string().min(1).max(64).optional(),
          metric: z.string().min(1).max(128),
          target: z.number(),
          baseline: z.number().nullable().optional(),
          direction: z.string().max(8).optional(),
          owner: z.string().max(320).nullable().optional(),
          cadence: z.string().max(16).optional(),
          unit: z.string().max(64).nullable().optional(),
          due: z.string().max(10).nullable().optional(),
          description: z.string().max(500).nullable().optional(),
          reason: z.string().max(2000).optional(),
        }),
      },
      responses: { 201: { description: 'The criterion (applied)', schema: anyJson }, 202: pendingChangeResponse },
      handler: async ({ platform, caller, params, body, requestId, c }) => {
        const { reason, ...input } = body;
        const outcome = await addCriterion(platform.governance, platform.db, caller, params.name, input, {
          requestId,
          ...(reason ? { reason } : {}),
        });
        return changeResult(c, outcome, (r) => r, 201);
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/use-cases/:name/criteria/:id',
      summary:
        'Change a criterion (target, baseline, direction, owner, cadence, due, unit, description; not the metric); past draft a change request (202)',
      tags: ['adoption'],
      scope: 'usage:read',
      request: {
        params: criterionParams,
        body: z.strictObject({
          metric: z.string().min(1).max(128).optional(),
          target: z.number().optional(),
          baseline: z.number().nullable().optional(),
          direction: z.string().max(8).optional(),
          owner: z.string().max(320).nullable().optional(),
          cadence: z.string().max(16).optional(),
          unit: z.string().max(64).nullable().optional(),
          due: z.string().max(10).nullable().optional(),
          description: z.string().max(500).nullable().optional(),
          reason: z.string().max(2000).optional(),
        }),
      },
      responses: { 200: { description: 'The criterion (applied)', schema: anyJson }, 202: pendingChangeResponse },
      handler: async ({ platform, caller, params, body, requestId, c }) => {
        const { reason, ...patch } = body;
        return changeResult(
          c,
          await updateCriterion(platform.governance, platform.db, caller, params.name, params.id, patch, {
            requestId,
            ...(reason ? { reason } : {}),
          }),
          (r) => r,
        );
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/use-cases/:name/criteria/:id',
      summary: 'Remove a success criterion (usecases:write or the owner); past draft it is a change request (202)',
      tags: ['adoption'],
      scope: 'usage:read',
      request: { params: criterionParams },
      responses: { 200: { description: 'Removed', schema: anyJson }, 202: pendingChangeResponse },
      handler: async ({ platform, caller, params, requestId, c }) =>
        changeResult(
          c,
          await removeCriterion(platform.governance, platform.db, caller, params.name, params.id, { requestId }),
          (r) => r,
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/use-cases/:name/criteria/:id/measurements',
      summary: 'Record a value of a manual:… criterion for a day (usecases:write or the owner; audited)',
      tags: ['adoption'],
      scope: 'usage:read',
      request: {
        params: criterionParams,
        body: z.strictObject({ value: z.number(), date: z.string().max(10).optional(), note: z.string().max(500).optional() }),
      },
      responses: { 201: { description: 'The recorded value', schema: anyJson } },
      handler: async ({ platform, caller, params, body, requestId, c }) => {
        const m = await recordMeasurement(platform.db, caller, params.name, params.id, body, {
          clock: platform.clock,
          requestId,
        });
        return c.json({ ...m, recordedAt: m.recordedAt.toISOString() }, 201);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/use-cases/:name/health',
      summary: 'Program health of a use case: flags with the data behind them and a suggested action, and the latest review',
      tags: ['adoption'],
      scope: 'usage:read',
      request: { params: useCaseParams, query: asOfQuery },
      responses: { 200: { description: 'Health (docs/adoption.md, "Program health")', schema: anyJson } },
      handler: async ({ platform, caller, params, query }) =>
        healthOfUseCase(platform.db, caller, params.name, {
          ...(query.asOf ? { asOf: query.asOf } : {}),
          includeSimulated: query.includeSimulated === 'true',
          clock: platform.clock,
        }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/use-cases/:name/reviews',
      summary: 'Program reviews of a use case, newest first',
      tags: ['adoption'],
      scope: 'usage:read',
      request: { params: useCaseParams },
      responses: { 200: { description: 'Reviews', schema: z.object({ reviews: z.array(anyJson) }) } },
      handler: async ({ platform, caller, params }) => ({ reviews: await listReviews(platform.db, caller, params.name) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/use-cases/:name/reviews',
      summary: 'Record a program review: decision continue|fix|pivot|stop with notes (usecases:write or the owner; audited)',
      tags: ['adoption'],
      scope: 'usage:read',
      request: {
        params: useCaseParams,
        body: z.strictObject({
          decision: z.string().min(1).max(16),
          notes: z.string().max(4000).optional(),
          includeSimulated: z.boolean().optional(),
        }),
      },
      responses: { 201: { description: 'The review', schema: anyJson } },
      handler: async ({ platform, caller, params, body, requestId, c }) =>
        c.json(
          await recordReview(
            platform.db,
            caller,
            params.name,
            { decision: body.decision, ...(body.notes === undefined ? {} : { notes: body.notes }) },
            { clock: platform.clock, requestId, includeSimulated: body.includeSimulated ?? false },
          ),
          201,
        ),
    }),
  ];
}
