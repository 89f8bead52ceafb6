import { z } from 'zod';
import { GroundworkError } from '../../core/index.ts';
import { type JobView, jobStates } from '../../jobs/index.ts';
import { retryJob } from '../../worker.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';

function jobBody(job: JobView): Record<string, unknown> {
  return {
    ...job,
    createdOn: job.createdOn.toISOString(),
    startedOn: job.startedOn?.toISOString() ?? null,
    completedOn: job.completedOn?.toISOString() ?? null,
  };
}

const jobSchema = z.record(z.string(), z.unknown());

/** Background jobs: state, failures and dead letters for operators; retry. */
export function jobsRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/jobs',
      summary: 'Background jobs, newest first: `state=dead` lists the dead letters (retries spent), `failed` failed attempts',
      tags: ['jobs'],
      scope: 'jobs:read',
      request: {
        query: z.strictObject({
          state: z.enum(jobStates).optional(),
          type: z.string().min(1).max(64).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
      },
      responses: { 200: { description: 'Jobs', schema: z.object({ jobs: z.array(jobSchema) }) } },
      handler: async ({ platform, query }) => {
        const jobs = await platform.jobs.list({
          limit: query.limit,
          ...(query.state ? { state: query.state } : {}),
          ...(query.type ? { name: query.type } : {}),
        });
        return { jobs: jobs.map(jobBody) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/jobs/:id',
      summary: 'One job: state, attempts and output (the sync summary, or the error of the last failed attempt)',
      tags: ['jobs'],
      scope: 'jobs:read',
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: { 200: { description: 'The job', schema: jobSchema } },
      handler: async ({ platform, params }) => {
        const job = await platform.jobs.find(params.id);
        if (!job) {
          throw new GroundworkError('jobs.not_found', `There is no job ${params.id}.`, {
            category: 'not_found',
            fix: 'List jobs with GET /v1/jobs (`groundwork jobs list`); finished jobs are kept 7 days, dead letters 30.',
          });
        }
        return jobBody(job);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/jobs/:id/retry',
      summary: 'Run a failed or dead-lettered job again, with fresh retries; audited',
      tags: ['jobs'],
      scope: 'jobs:write',
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: { 200: { description: 'The job that will run', schema: jobSchema } },
      handler: async ({ platform, caller, params, requestId }) => {
        return jobBody(await retryJob(platform, caller, params.id, requestId));
      },
    }),
  ];
}
