import { z } from 'zod';
import {
  type Cohort,
  createCohort,
  deleteCohort,
  getCohort,
  listCohorts,
  simulateUsage,
  usageReport,
} from '../../adoption/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';

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
  ];
}
