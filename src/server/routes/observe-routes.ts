import { z } from 'zod';
import { mayUseUseCase, usableUseCaseNames } from '../../answer/index.ts';
import { type Caller, GroundworkError } from '../../core/index.ts';
import type { Platform } from '../../create-platform.ts';
import { requireAnswerRun } from '../../evaluate/index.ts';
import { authorize, feedbackCategories, feedbackStatuses, hasScope, listFeedback, recordFeedback } from '../../govern/index.ts';
import {
  budgetOverview,
  costReport,
  evaluationUsageLabel,
  forecastCost,
  getTrace,
  listTraces,
  requestBudgetChange,
  type TraceAccess,
  tracesWithUnreadableDocuments,
} from '../../observe/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';
import { changeResult, pendingChangeResponse } from './change-routes.ts';
import { feedbackViews, triagedUseCases } from './feedback-routes.ts';

const traceId = z.string().min(1).max(100);

/** Reviewers and builders read the traces of the use cases they may use (`traces:read:usecase`). */
async function traceAccess(platform: Platform, caller: Caller): Promise<TraceAccess> {
  if (!hasScope(caller, 'traces:read:usecase')) return {};
  return { reviewableUseCases: await usableUseCaseNames(platform.db, caller) };
}

/** Traces (object-level visibility enforced by observe in SQL), cost reports and feedback on answers. */
export function observeRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/traces',
      summary:
        'Traces the caller may see, newest first (own; reviewers and builders also those of use cases they may use; admins all)',
      tags: ['traces'],
      scope: 'traces:read:own',
      request: {
        query: z.strictObject({
          useCase: z.string().max(200).optional(),
          user: z.string().max(300).optional(),
          outcome: z.string().max(100).optional(),
          operation: z.string().max(100).optional(),
          since: z.coerce.date().optional(),
          until: z.coerce.date().optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
        }),
      },
      responses: {
        200: { description: 'Trace summaries', schema: z.object({ traces: z.array(z.record(z.string(), z.unknown())) }) },
      },
      handler: async ({ platform, caller, query }) => ({
        traces: await listTraces(platform.db, caller, query, await traceAccess(platform, caller)),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/traces/:id',
      summary: "One trace with its spans; documents the reader may not read appear as '[restricted document]'",
      tags: ['traces'],
      scope: 'traces:read:own',
      request: { params: z.object({ id: traceId }) },
      responses: { 200: { description: 'Trace', schema: z.record(z.string(), z.unknown()) } },
      handler: async ({ platform, caller, params }) => {
        const trace = await getTrace(platform.db, caller, params.id, await traceAccess(platform, caller));
        if (!trace) {
          throw new GroundworkError('trace.not_found', `No trace ${params.id} that you may see.`, {
            category: 'not_found',
            fix: 'List the traces you may see with GET /v1/traces.',
          });
        }
        return trace;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/costs',
      summary: 'Cost report grouped by use case, user, model, day or operation',
      tags: ['traces'],
      scope: 'costs:read',
      request: {
        query: z.strictObject({
          by: z.enum(['use-case', 'user', 'model', 'day', 'operation']).default('use-case'),
          since: z.coerce.date().default(() => new Date(Date.now() - 30 * 86_400_000)),
          until: z.coerce.date().optional(),
        }),
      },
      responses: { 200: { description: 'Cost report', schema: z.record(z.string(), z.unknown()) } },
      handler: async ({ platform, query }) => costReport(platform.db.read, query),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/cost/forecast',
      summary:
        "A month's cost of a use case (as `groundwork cost forecast`): tokens per answer measured from its traces or an answer evaluation run, model, embedding, OCR, infrastructure and engineering",
      tags: ['traces'],
      scope: 'costs:read',
      request: {
        query: z.strictObject({
          useCase: z.string().min(1).max(64),
          queriesPerDay: z.coerce.number().min(0),
          users: z.coerce.number().int().positive().optional(),
          model: z
            .string()
            .regex(/^(extractive|[A-Za-z0-9_-]+:.+)$/, 'must be "provider:model" or "extractive"')
            .max(200)
            .optional(),
          dataset: z.string().min(1).max(200).optional(),
          since: z.coerce.date().default(() => new Date(Date.now() - 30 * 86_400_000)),
          newDocumentsPerMonth: z.coerce.number().min(0).optional(),
          ocrPagesPerMonth: z.coerce.number().min(0).optional(),
          bytesPerChunk: z.coerce.number().min(0).optional(),
          requestsPerCore: z.coerce.number().positive().optional(),
          corePrice: z.coerce.number().min(0).optional(),
          minCores: z.coerce.number().int().positive().optional(),
          storagePrice: z.coerce.number().min(0).optional(),
          engineeringHoursPerMonth: z.coerce.number().min(0).optional(),
          engineeringRate: z.coerce.number().min(0).optional(),
        }),
      },
      responses: {
        200: {
          description:
            'perQuery {tokensIn, tokensOut, cost}, monthly {total, model, embedding, ocr, infrastructure, engineering}, assumptions',
          schema: z.record(z.string(), z.unknown()),
        },
      },
      handler: async ({ platform, caller, query }) => {
        const effective = await platform.answerer.effectiveUseCase(query.useCase);
        // A use case the caller may not ask is missing to them, as in /v1/models (admins forecast every one).
        if (!hasScope(caller, 'traces:read:all') && !mayUseUseCase(effective.useCase, caller)) {
          throw new GroundworkError('use_case.not_found', `There is no use case named "${query.useCase}".`, {
            category: 'not_found',
            fix: 'List the use cases you may use with GET /v1/models.',
          });
        }
        const run = query.dataset ? await requireAnswerRun(platform.db, query.dataset, query.useCase) : undefined;
        const model = query.model === undefined ? effective.modelRef : query.model === 'extractive' ? undefined : query.model;
        return forecastCost(platform.db, platform.observe.prices, {
          useCase: query.useCase,
          queriesPerDay: query.queriesPerDay,
          users: query.users,
          model,
          modelSource: query.model === undefined ? 'config' : 'flag',
          usage: run
            ? { from: 'evaluation', traceId: run.traceId, label: evaluationUsageLabel(run) }
            : {
                from: 'traces',
                useCase: query.useCase,
                since: query.since,
                label: `traces since ${query.since.toISOString().slice(0, 10)}`,
              },
          since: query.since,
          now: platform.clock.now(),
          models: platform.config.models,
          retentionDays: platform.config.observe.retentionDays,
          chunkTargetTokens: platform.config.ingest.chunking.targetTokens,
          sources: effective.useCase.sources,
          overrides: {
            newDocumentsPerMonth: query.newDocumentsPerMonth,
            ocrPagesPerMonth: query.ocrPagesPerMonth,
            bytesPerChunk: query.bytesPerChunk,
            requestsPerCore: query.requestsPerCore,
            corePricePerMonth: query.corePrice,
            minCores: query.minCores,
            storagePricePerGbMonth: query.storagePrice,
            engineeringHoursPerMonth: query.engineeringHoursPerMonth,
            engineeringRatePerHour: query.engineeringRate,
          },
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/budgets',
      summary:
        'Budgets per use case with today’s and this month’s spend and state (ok, warning, exhausted), and recent budget events',
      tags: ['traces'],
      scope: 'costs:read',
      responses: {
        200: {
          description: 'Budgets',
          schema: z.object({
            budgets: z.array(z.record(z.string(), z.unknown())),
            recentEvents: z.array(z.record(z.string(), z.unknown())),
          }),
        },
      },
      handler: async ({ platform }) => budgetOverview(platform.db, platform.clock),
    }),
    defineRoute({
      method: 'put',
      path: '/v1/budgets/:useCase',
      summary:
        'Set or change a use case budget (USD; null removes a limit, absent keeps it); raising one answers 202 with a change request; audited',
      tags: ['traces'],
      scope: 'usecases:write',
      request: {
        params: z.object({ useCase: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/) }),
        body: z.strictObject({
          dailyUsd: z.number().positive().nullable().optional(),
          monthlyUsd: z.number().positive().nullable().optional(),
          warnRatio: z.number().gt(0).max(1).optional(),
          block: z.boolean().optional(),
          reason: z.string().max(2000).optional(),
        }),
      },
      responses: {
        200: { description: 'The budget', schema: z.record(z.string(), z.unknown()) },
        202: pendingChangeResponse,
      },
      handler: async ({ platform, caller, params, body, requestId, c }) => {
        const { reason, ...fields } = body;
        const outcome = await requestBudgetChange(
          platform.governance,
          platform.db,
          caller,
          { useCase: params.useCase, ...fields },
          { requestId, ...(reason ? { reason } : {}) },
        );
        return changeResult(c, outcome, (budget) => budget);
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/budgets/:useCase',
      summary: 'Remove a use case budget (a loosening: governed, may answer 202); audited',
      tags: ['traces'],
      scope: 'usecases:write',
      request: { params: z.object({ useCase: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/) }) },
      responses: { 200: { description: 'Removed', schema: z.object({ removed: z.string() }) }, 202: pendingChangeResponse },
      handler: async ({ platform, caller, params, requestId, c }) =>
        changeResult(
          c,
          await requestBudgetChange(
            platform.governance,
            platform.db,
            caller,
            { useCase: params.useCase, remove: true },
            { requestId },
          ),
          (r) => r,
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/feedback',
      summary: 'Rate an answer (your own traces only): rating 1 or -1, optional category and comment',
      tags: ['feedback'],
      scope: 'feedback:write',
      request: {
        body: z.strictObject({
          traceId,
          rating: z.union([z.literal(1), z.literal(-1)]),
          category: z.enum(feedbackCategories).optional(),
          comment: z.string().max(4000).optional(),
        }),
      },
      responses: {
        201: { description: 'Recorded (replaces your earlier feedback on the trace)', schema: z.record(z.string(), z.unknown()) },
      },
      handler: async ({ platform, caller, body, c, requestId }) => {
        const feedback = await recordFeedback(platform.db, caller, body, {
          events: platform.events,
          clock: platform.clock,
          requestId,
          // Owner of the trace, read through observe's access rules; anything not the caller's is "not found".
          traceOwner: async (id) => {
            const trace = await getTrace(platform.db, caller, id);
            return trace ? { callerId: trace.callerId, useCase: trace.useCase } : undefined;
          },
        });
        return c.json(feedback, 201);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/feedback',
      summary:
        'Feedback, newest first: your own, or everyone’s for reviewers (feedback:read); filters useCase, status (comma-separated), rating, category, since, until, q (text); inbox=true: the feedback of the use cases you triage (owner/approver; admins all) with history and trace text; mine=true: only yours',
      tags: ['feedback'],
      scope: 'feedback:write',
      request: {
        query: z.strictObject({
          traceId: traceId.optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          useCase: z.string().min(1).max(63).optional(),
          status: z
            .string()
            .max(200)
            .transform((v) =>
              v
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            )
            .pipe(z.array(z.enum(feedbackStatuses)))
            .optional(),
          rating: z
            .enum(['1', '-1'])
            .transform((v) => (v === '1' ? 1 : -1) as 1 | -1)
            .optional(),
          category: z.enum(feedbackCategories).optional(),
          since: z.coerce.date().optional(),
          until: z.coerce.date().optional(),
          q: z.string().trim().min(1).max(200).optional(),
          inbox: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional(),
          mine: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional(),
        }),
      },
      responses: { 200: { description: 'Feedback', schema: z.object({ feedback: z.array(z.record(z.string(), z.unknown())) }) } },
      handler: async ({ platform, caller, query }) => {
        const { inbox, mine, limit, traceId: trace, useCase, status, rating, category, since, until, q } = query;
        const filters = {
          ...(trace ? { traceId: trace } : {}),
          ...(useCase ? { useCase } : {}),
          ...(status ? { status } : {}),
          ...(rating !== undefined ? { rating } : {}),
          ...(category ? { category } : {}),
          ...(since ? { since } : {}),
          ...(until ? { until } : {}),
          ...(q ? { text: q } : {}),
        };
        const unreadableTraces = (ids: readonly string[]) => tracesWithUnreadableDocuments(platform.db, caller, ids);
        if (inbox) {
          // The owner inbox: only the use cases the caller triages, with history and the trace text they may see.
          authorize(caller, 'feedback:triage');
          const triaged = await triagedUseCases(platform, caller);
          const feedback = await listFeedback(platform.db, caller, {
            scope: 'all',
            limit: Math.min(limit, 200),
            ...filters,
            ...(triaged ? { useCases: triaged } : {}),
            unreadableTraces,
          });
          const access = await traceAccess(platform, caller);
          return { feedback: await feedbackViews(platform, caller, feedback, access.reviewableUseCases ?? []) };
        }
        const all = hasScope(caller, 'feedback:read') && !mine;
        // Others' feedback only on the use cases the reader may use (admins: all); their own always.
        const visible =
          all && !(caller.role === 'admin' || caller.seesEverything) ? await usableUseCaseNames(platform.db, caller) : undefined;
        return {
          feedback: await listFeedback(platform.db, caller, {
            scope: all ? 'all' : 'own',
            limit,
            ...filters,
            ...(visible ? { othersOnlyOn: visible } : {}),
            unreadableTraces,
          }),
        };
      },
    }),
  ];
}
