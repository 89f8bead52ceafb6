import { z } from 'zod';
import { killUseCase, type Rollout, restoreUseCase, setStage, showRollout } from '../../rollout/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';
import { changeResult, pendingChangeResponse } from './change-routes.ts';

const params = z.object({ name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/) });

/** The rollout JSON contract (docs/rollout.md). */
export const rolloutSchema = z
  .object({
    useCase: z.string(),
    stage: z.string(),
    cohorts: z.array(z.string()),
    percent: z.number(),
    killed: z.boolean(),
    killMessage: z.string().nullable(),
    killedBy: z.string().nullable(),
    killedAt: z.string().nullable(),
    updatedBy: z.string().nullable(),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'Rollout' });

const body = (rollout: Rollout) => ({ ...rollout, cohorts: [...rollout.cohorts] });

/** Phased rollout and the kill switch of a use case (rollout/). Rights are checked by the write functions. */
export function rolloutRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/use-cases/:name/rollout',
      summary: 'The rollout of a use case: stage, cohorts, percentage, kill switch',
      tags: ['rollout'],
      scope: 'usecases:read',
      request: { params },
      responses: { 200: { description: 'The rollout', schema: rolloutSchema } },
      handler: async ({ platform, caller, params }) => body(await showRollout(platform.db, caller, params.name)),
    }),
    defineRoute({
      method: 'put',
      path: '/v1/use-cases/:name/rollout',
      summary:
        'Set the stage (draft|pilot|limited|general|retired), cohorts and percentage; an expansion answers 202 with a change request',
      tags: ['rollout'],
      scope: 'rollout:write',
      request: {
        params,
        // Loose types here: the write function names the problem (unknown stage, percent out of range) as 400.
        body: z.strictObject({
          stage: z.string().min(1).max(32),
          cohorts: z.array(z.string().min(1).max(64)).max(100).optional(),
          percent: z.number().optional(),
          reason: z.string().max(2000).optional(),
        }),
      },
      responses: { 200: { description: 'The rollout', schema: rolloutSchema }, 202: pendingChangeResponse },
      handler: async ({ platform, caller, params, body: input, requestId, c }) => {
        const outcome = await setStage(platform.governance, platform.db, caller, params.name, { ...input, requestId });
        if (outcome.status === 'applied') platform.rollout.invalidate();
        return changeResult(c, outcome, (r) => r);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/use-cases/:name/kill',
      summary:
        'Kill switch: the use case answers nobody (403 rollout.not_available with the message) within seconds; never held by approval',
      tags: ['rollout'],
      scope: 'usecases:read',
      request: { params, body: z.strictObject({ message: z.string().max(2000).optional() }).default({}) },
      responses: { 200: { description: 'The rollout', schema: rolloutSchema } },
      handler: async ({ platform, caller, params, body: input, requestId }) => {
        const rollout = await killUseCase(platform.db, caller, params.name, {
          ...(input.message ? { message: input.message } : {}),
          requestId,
          clock: platform.clock,
        });
        platform.rollout.invalidate();
        return body(rollout);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/use-cases/:name/restore',
      summary: 'Lift the kill switch (audited, flagged emergency)',
      tags: ['rollout'],
      scope: 'usecases:read',
      request: { params },
      responses: { 200: { description: 'The rollout', schema: rolloutSchema } },
      handler: async ({ platform, caller, params, requestId }) => {
        const rollout = await restoreUseCase(platform.db, caller, params.name, { requestId, clock: platform.clock });
        platform.rollout.invalidate();
        return body(rollout);
      },
    }),
  ];
}
