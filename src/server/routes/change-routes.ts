import type { Context } from 'hono';
import { z } from 'zod';
import {
  approveChange,
  type ChangeRequest,
  changeStatuses,
  getChange,
  listChanges,
  rejectChange,
  type SubmitChangeResult,
  withdrawChange,
} from '../../govern/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';

/** The change request JSON contract (docs/governance.md). */
export const changeRequestSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    target: z.string(),
    summary: z.string(),
    useCases: z.array(z.string()),
    before: z.unknown(),
    after: z.unknown(),
    contentHash: z.string(),
    author: z.string(),
    reason: z.string().nullable(),
    evalRunId: z.string().nullable(),
    status: z.enum(changeStatuses),
    emergency: z.boolean(),
    awaitingRetrospective: z.boolean(),
    requiredApprovals: z.number(),
    eligibleApprovers: z.array(z.string()),
    approvals: z.array(z.object({ actor: z.string(), at: z.string(), comment: z.string().nullable() })),
    rejections: z.array(z.object({ actor: z.string(), at: z.string(), comment: z.string().nullable() })),
    staleReason: z.string().nullable(),
    result: z.unknown(),
    createdAt: z.string(),
    expiresAt: z.string(),
    decidedAt: z.string().nullable(),
    appliedAt: z.string().nullable(),
    /** GET /v1/changes/:id: what the approver should see (a stage expansion: criteria status, latest eval gate). */
    context: z.unknown().optional(),
  })
  .meta({ id: 'ChangeRequest' });

/** The 202 response of a governed write that became a change request. */
export const pendingChangeResponse = {
  description: 'The change needs approval: a pending change request (nothing changed yet)',
  schema: z.object({ changeRequest: changeRequestSchema }),
} as const;

/**
 * Answers a governed write: what it returned (200, or `status` for creations) when it took effect,
 * 202 `{changeRequest}` when it became a change request.
 */
export function changeResult(c: Context, outcome: SubmitChangeResult, applied: (result: unknown) => unknown, status = 200) {
  if (outcome.status === 'pending') return c.json({ changeRequest: outcome.changeRequest }, 202);
  return c.json(applied(outcome.result) as object, status as 200);
}

const idParams = z.object({ id: z.string().regex(/^chg_[a-z0-9]+$/) });
const decideBody = z.strictObject({ comment: z.string().max(2000).optional() }).default({});
const one = (changeRequest: ChangeRequest) => ({ changeRequest });

/** Change requests: list, show, approve, reject, withdraw. Approval rights are checked per request. */
export function changeRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/changes',
      summary: 'Change requests, newest first (pending ones expire when due)',
      tags: ['governance'],
      scope: 'changes:read',
      request: {
        query: z.strictObject({
          status: z.enum([...changeStatuses, 'pending-retrospective']).optional(),
          kind: z.string().max(100).optional(),
          useCase: z.string().max(100).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
      },
      responses: { 200: { description: 'Change requests', schema: z.object({ changes: z.array(changeRequestSchema) }) } },
      handler: async ({ platform, caller, query }) => ({
        changes: await listChanges(platform.governance, platform.db, caller, query),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/changes/:id',
      summary: 'One change request',
      tags: ['governance'],
      scope: 'changes:read',
      request: { params: idParams },
      responses: { 200: { description: 'The change request', schema: z.object({ changeRequest: changeRequestSchema }) } },
      handler: async ({ platform, caller, params }) => one(await getChange(platform.governance, platform.db, caller, params.id)),
    }),
    ...(
      [
        [
          'approve',
          approveChange,
          'Approve a change request; the last required approval applies it (403 govern.self_approval for the author)',
        ],
        ['reject', rejectChange, 'Reject a change request'],
        ['withdraw', withdrawChange, 'Withdraw your own pending change request'],
      ] as const
    ).map(([verb, decide, summary]) =>
      defineRoute({
        method: 'post',
        path: `/v1/changes/:id/${verb}`,
        summary,
        tags: ['governance'],
        scope: verb === 'withdraw' ? 'changes:read' : 'changes:approve',
        request: { params: idParams, body: decideBody },
        responses: {
          200: { description: 'The change request after the decision', schema: z.object({ changeRequest: changeRequestSchema }) },
        },
        handler: async ({ platform, caller, params, body, requestId }) =>
          one(
            await decide(platform.governance, platform.db, caller, params.id, {
              ...(body.comment ? { comment: body.comment } : {}),
              requestId,
            }),
          ),
      }),
    ),
  ];
}
