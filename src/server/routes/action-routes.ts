import { z } from 'zod';
import {
  actionStats,
  approveProposal,
  denyProposal,
  getProposal,
  listInvokableActions,
  listProposals,
  proposeAction,
  requestActionClass,
  resumeAutoExecution,
  retryProposal,
  runAgent,
  setActionPolicy,
} from '../../actions/index.ts';
import { roles } from '../../core/index.ts';
import { actionDeps, agentDeps } from '../../worker.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';

const anyJson = z.record(z.string(), z.unknown());
const proposalId = z.object({ id: z.string().min(1).max(64) });
const actionName = z.object({ name: z.string().min(1).max(64) });
const evidence = z
  .array(z.strictObject({ documentId: z.string().min(1).max(200), chunkId: z.string().min(1).max(200).optional() }))
  .max(50);

/** Agent actions under human approval (src/actions, docs/actions.md). */
export function actionRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/actions',
      summary: 'The actions you may invoke (in a use case): name, description, class, hints and input JSON schema',
      tags: ['actions'],
      scope: 'actions:read',
      request: { query: z.strictObject({ useCase: z.string().min(1).max(128).optional() }) },
      responses: { 200: { description: 'Actions', schema: z.object({ actions: z.array(anyJson) }) } },
      handler: async ({ platform, caller, query }) => ({
        actions: await listInvokableActions(actionDeps(platform), caller, query.useCase ? { useCase: query.useCase } : {}),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/actions/stats',
      summary: 'Per action: approvals, denial and edit rates, outcome history and whether it may graduate to auto',
      tags: ['actions'],
      scope: 'actions:read',
      responses: { 200: { description: 'Records', schema: z.object({ actions: z.array(anyJson) }) } },
      handler: async ({ platform, caller }) => ({ actions: await actionStats(actionDeps(platform), caller) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/actions/:name/class',
      summary: 'Change an action class; graduating to auto is a change request showing its record (refused below the bar)',
      tags: ['actions'],
      scope: 'actions:approve',
      request: {
        params: actionName,
        body: z.strictObject({ class: z.string().min(1).max(16), reason: z.string().max(2000).optional() }),
      },
      responses: { 200: { description: 'Applied, or pending as a change request', schema: anyJson } },
      handler: async ({ platform, caller, params, body, requestId }) =>
        requestActionClass({ ...actionDeps(platform), governance: platform.governance }, caller, params.name, body.class, {
          ...(body.reason ? { reason: body.reason } : {}),
          requestId,
        }),
    }),
    defineRoute({
      method: 'put',
      path: '/v1/actions/:name/policy',
      summary: 'Replace who may invoke an action (principals, roles, use cases; null restores the configured allow); audited',
      tags: ['actions'],
      scope: 'keys:admin',
      request: {
        params: actionName,
        body: z.strictObject({
          allow: z
            .strictObject({
              principals: z.array(z.string().min(1).max(256)).max(200).optional(),
              roles: z.array(z.enum(roles)).optional(),
              useCases: z.array(z.string().min(1).max(128)).max(200).optional(),
            })
            .nullable(),
        }),
      },
      responses: { 200: { description: 'The policy now in force', schema: z.object({ action: z.string(), allow: anyJson }) } },
      handler: async ({ platform, caller, params, body, requestId }) => ({
        action: params.name,
        allow: await setActionPolicy(platform.db, caller, platform.actions.require(params.name), body.allow, {
          clock: platform.clock,
          requestId,
        }),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/actions/:name/resume',
      summary: 'Resume auto-execution of an action paused by the anomaly monitor (audited)',
      tags: ['actions'],
      scope: 'actions:approve',
      request: { params: actionName },
      responses: { 200: { description: 'Resumed', schema: anyJson } },
      handler: async ({ platform, caller, params, requestId }) =>
        resumeAutoExecution(actionDeps(platform, requestId), caller, params.name),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/proposals',
      summary: 'Invoke an action: a propose action becomes a proposal; read and auto actions run at once',
      tags: ['actions'],
      scope: 'actions:propose',
      request: {
        body: z.strictObject({
          action: z.string().min(1).max(64),
          input: z.unknown(),
          useCase: z.string().min(1).max(128).optional(),
          reasoning: z.string().max(4000).optional(),
          evidence: evidence.optional(),
          onBehalfOf: z.string().min(1).max(256).optional(),
        }),
      },
      responses: { 201: { description: 'The proposal (with its result for read/auto)', schema: anyJson } },
      handler: async ({ platform, caller, body, c, requestId }) =>
        c.json(
          await proposeAction(actionDeps(platform, requestId), caller, {
            action: body.action,
            input: body.input,
            ...(body.useCase ? { useCase: body.useCase } : {}),
            ...(body.reasoning ? { reasoning: body.reasoning } : {}),
            ...(body.evidence ? { evidence: body.evidence } : {}),
            ...(body.onBehalfOf ? { onBehalfOf: body.onBehalfOf } : {}),
          }),
          201,
        ),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/proposals',
      summary: 'Proposals you may see, newest first (approvers: of the use cases they may use; others: their own)',
      tags: ['actions'],
      scope: 'actions:read',
      request: {
        query: z.strictObject({
          status: z.string().min(1).max(32).optional(),
          action: z.string().min(1).max(64).optional(),
          useCase: z.string().min(1).max(128).optional(),
          limit: z.coerce.number().int().min(1).max(1000).optional(),
        }),
      },
      responses: { 200: { description: 'Proposals', schema: z.object({ proposals: z.array(anyJson) }) } },
      handler: async ({ platform, caller, query }) => ({
        proposals: await listProposals(actionDeps(platform), caller, {
          ...(query.status ? { status: query.status } : {}),
          ...(query.action ? { action: query.action } : {}),
          ...(query.useCase ? { useCase: query.useCase } : {}),
          ...(query.limit ? { limit: query.limit } : {}),
        }),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/proposals/:id',
      summary: 'One proposal: reasoning, exact input and its hash, edits, and the evidence you may read now (the rest counted)',
      tags: ['actions'],
      scope: 'actions:read',
      request: { params: proposalId },
      responses: { 200: { description: 'The proposal', schema: anyJson } },
      handler: async ({ platform, caller, params }) => getProposal(actionDeps(platform), caller, params.id),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/proposals/:id/approve',
      summary: 'Approve (single-use, bound to the input hash you saw); an edited input is validated and recorded',
      tags: ['actions'],
      scope: 'actions:approve',
      request: {
        params: proposalId,
        body: z.strictObject({
          inputHash: z.string().regex(/^[0-9a-f]{64}$/, 'the proposal’s inputHash (sha256 hex)'),
          input: z.unknown().optional(),
          comment: z.string().max(2000).optional(),
        }),
      },
      responses: { 200: { description: 'The approved proposal (its execution is queued)', schema: anyJson } },
      handler: async ({ platform, caller, params, body, requestId }) =>
        approveProposal(actionDeps(platform, requestId), caller, params.id, {
          inputHash: body.inputHash,
          ...(body.input !== undefined ? { input: body.input } : {}),
          ...(body.comment ? { comment: body.comment } : {}),
        }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/proposals/:id/deny',
      summary: 'Deny a proposal (never your own)',
      tags: ['actions'],
      scope: 'actions:approve',
      request: { params: proposalId, body: z.strictObject({ reason: z.string().max(2000).optional() }).optional() },
      responses: { 200: { description: 'The denied proposal', schema: anyJson } },
      handler: async ({ platform, caller, params, body, requestId }) =>
        denyProposal(actionDeps(platform, requestId), caller, params.id, body?.reason ? { reason: body.reason } : {}),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/proposals/:id/retry',
      summary: 'Retry a failed proposal (a person; same idempotency key)',
      tags: ['actions'],
      scope: 'actions:approve',
      request: { params: proposalId },
      responses: { 200: { description: 'The proposal, approved again', schema: anyJson } },
      handler: async ({ platform, caller, params, requestId }) =>
        retryProposal(actionDeps(platform, requestId), caller, params.id),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/agents/:useCase/runs',
      summary: "Run the use case's agent on a task: search and the caller's actions as tools, step limit and budget; traced",
      tags: ['actions'],
      scope: 'ask',
      request: {
        params: z.object({ useCase: z.string().min(1).max(128) }),
        body: z.strictObject({ task: z.string().min(1).max(8000), maxSteps: z.number().int().min(1).max(50).optional() }),
      },
      responses: { 200: { description: 'The run: outcome, text, tool calls, proposals, usage, trace id', schema: anyJson } },
      handler: async ({ platform, caller, params, body, requestId }) => {
        const run = await runAgent(agentDeps(platform, requestId), caller, params.useCase, {
          task: body.task,
          ...(body.maxSteps ? { maxSteps: body.maxSteps } : {}),
        });
        await platform.observe.recorder.flush();
        return run;
      },
    }),
  ];
}
