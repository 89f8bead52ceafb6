import { z } from 'zod';
import { markCardSeen, useCaseCard } from '../../answer/index.ts';
import type { Caller } from '../../core/index.ts';
import type { Platform } from '../../create-platform.ts';
import {
  type Feedback,
  feedbackHistory,
  feedbackStatuses,
  listFeedback,
  listNotices,
  markNoticesSeen,
  mayTriageUseCase,
  updateFeedbackStatus,
} from '../../govern/index.ts';
import { useCaseReleaseNotes } from '../../incidents/index.ts';
import { getTrace, tracesWithUnreadableDocuments } from '../../observe/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';

const feedbackId = z.string().min(1).max(100);
const useCaseName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a use case name: lower-case letters, digits, - and _');
const statusBody = {
  status: z.enum(feedbackStatuses),
  note: z.string().max(2000).optional(),
};
const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>;

/**
 * The question and answer of each feedback entry's trace, as the caller may see them now (observe's trace access
 * rules: own traces; reviewers those of use cases they may use; an answer built from a document the reader may
 * not read now is withheld). One trace lookup per entry (lists are at most a few hundred).
 */
export async function feedbackTexts(
  platform: Platform,
  caller: Caller,
  feedback: readonly Feedback[],
  reviewableUseCases: readonly string[] | undefined,
): Promise<Map<string, { question: string | null; answer: string | null; answerWithheld?: string }>> {
  const out = new Map<string, { question: string | null; answer: string | null; answerWithheld?: string }>();
  for (const traceId of new Set(feedback.map((f) => f.traceId))) {
    const trace = await getTrace(platform.db, caller, traceId, reviewableUseCases ? { reviewableUseCases } : {});
    if (!trace) continue;
    out.set(traceId, {
      question: trace.question,
      answer: trace.answer,
      ...(trace.answerWithheld ? { answerWithheld: trace.answerWithheld } : {}),
    });
  }
  return out;
}

/** Feedback with its status history and the trace text the caller may see. */
export async function feedbackViews(
  platform: Platform,
  caller: Caller,
  feedback: readonly Feedback[],
  reviewableUseCases?: readonly string[],
): Promise<Record<string, unknown>[]> {
  const history = await feedbackHistory(
    platform.db,
    feedback.map((f) => f.id),
  );
  const texts = await feedbackTexts(platform, caller, feedback, reviewableUseCases);
  return feedback.map((f) =>
    json({
      ...f,
      question: texts.get(f.traceId)?.question ?? null,
      answer: texts.get(f.traceId)?.answer ?? null,
      ...(texts.get(f.traceId)?.answerWithheld ? { answerWithheld: texts.get(f.traceId)?.answerWithheld } : {}),
      history: history.get(f.id) ?? [],
    }),
  );
}

/** Use cases whose feedback `caller` triages: admins every one, others those they own or approve. */
export async function triagedUseCases(platform: Platform, caller: Caller): Promise<string[] | undefined> {
  if (caller.role === 'admin' || caller.seesEverything) return undefined;
  return (await platform.answerer.useCases.list())
    .filter((u) => mayTriageUseCase(caller, { owner: u.owner ?? null, approvers: u.approvers }))
    .map((u) => u.name);
}

/**
 * Feedback users can see (issue 16 item 5): my feedback and its status, notices, triage (single and bulk),
 * release notes and the capability card of a use case. Every write calls its feature's one write function.
 */
export function feedbackRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/feedback/mine',
      summary:
        'Your own feedback, newest first, with its status (open, planned, fixed, wont_fix), the triager’s note, the status history and your question/answer as you may see them now',
      tags: ['feedback'],
      scope: 'feedback:write',
      request: {
        query: z.strictObject({
          status: z.enum(feedbackStatuses).optional(),
          useCase: useCaseName.optional(),
          limit: z.coerce.number().int().min(1).max(200).default(100),
        }),
      },
      responses: {
        200: { description: 'Your feedback', schema: z.object({ feedback: z.array(z.record(z.string(), z.unknown())) }) },
      },
      handler: async ({ platform, caller, query }) => {
        const feedback = await listFeedback(platform.db, caller, {
          scope: 'own',
          limit: query.limit,
          ...(query.status ? { status: [query.status] } : {}),
          ...(query.useCase ? { useCase: query.useCase } : {}),
          unreadableTraces: (ids) => tracesWithUnreadableDocuments(platform.db, caller, ids),
        });
        return { feedback: await feedbackViews(platform, caller, feedback) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/feedback/:id',
      summary:
        'Triage one feedback entry: status open | planned | fixed | wont_fix with a note for the reporter (wont_fix needs one); owner or approvers of its use case, or admins; audited',
      tags: ['feedback'],
      scope: 'feedback:triage',
      request: { params: z.object({ id: feedbackId }), body: z.strictObject(statusBody) },
      responses: { 200: { description: 'The feedback', schema: z.record(z.string(), z.unknown()) } },
      handler: async ({ platform, caller, params, body, requestId }) => {
        const [updated] = await updateFeedbackStatus(
          platform.db,
          caller,
          { ids: [params.id], status: body.status, ...(body.note !== undefined ? { note: body.note } : {}) },
          { ownershipOf: platform.governance.ownershipOf, events: platform.events, clock: platform.clock, requestId },
        );
        return json(updated);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/feedback/bulk',
      summary:
        'Triage many feedback entries at once (1–500 ids): one status and note for all; all or nothing — a missing id, one you do not triage or a move that is not allowed changes none',
      tags: ['feedback'],
      scope: 'feedback:triage',
      request: { body: z.strictObject({ ids: z.array(feedbackId).min(1).max(500), ...statusBody }) },
      responses: {
        200: {
          description: 'The changed feedback',
          schema: z.object({ updated: z.number(), feedback: z.array(z.record(z.string(), z.unknown())) }),
        },
      },
      handler: async ({ platform, caller, body, requestId }) => {
        const updated = await updateFeedbackStatus(
          platform.db,
          caller,
          { ids: body.ids, status: body.status, ...(body.note !== undefined ? { note: body.note } : {}) },
          { ownershipOf: platform.governance.ownershipOf, events: platform.events, clock: platform.clock, requestId },
        );
        return { updated: updated.length, feedback: updated.map(json) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/notices',
      summary: 'Your unseen notices: feedback you gave that was marked fixed or wont_fix, with the note, newest first',
      tags: ['feedback'],
      scope: 'feedback:write',
      request: { query: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) }) },
      responses: { 200: { description: 'Notices', schema: z.object({ notices: z.array(z.record(z.string(), z.unknown())) }) } },
      handler: async ({ platform, caller, query }) => ({
        notices: (await listNotices(platform.db, caller, { limit: query.limit })).map(json),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/notices/seen',
      summary: 'Mark your notices seen: the given ids, or all of them when `ids` is absent',
      tags: ['feedback'],
      scope: 'feedback:write',
      request: { body: z.strictObject({ ids: z.array(z.string().min(1).max(100)).max(500).optional() }) },
      responses: { 200: { description: 'How many were marked', schema: z.object({ seen: z.number() }) } },
      handler: async ({ platform, caller, body, requestId }) =>
        markNoticesSeen(platform.db, caller, body.ids ? { ids: body.ids } : {}, { clock: platform.clock, requestId }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/use-cases/:name/release-notes',
      summary:
        'What changed in a use case, for its users: prompt/model versions going live, settings, sources, applied changes, resolved incidents, reported problems fixed — with dates, newest first',
      tags: ['answers'],
      scope: 'usecases:read',
      request: {
        params: z.object({ name: useCaseName }),
        query: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
      },
      responses: {
        200: { description: 'Release notes', schema: z.record(z.string(), z.unknown()).meta({ id: 'ReleaseNotes' }) },
      },
      handler: async ({ platform, caller, params, query }) =>
        json(
          await useCaseReleaseNotes(platform.db, caller, params.name, { governance: platform.governance, limit: query.limit }),
        ),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/use-cases/:name/card',
      summary:
        'The capability card: what the assistant can and cannot do, the sources it searches that you may read, when to verify; `seen` says whether you dismissed it',
      tags: ['answers'],
      scope: 'usecases:read',
      request: { params: z.object({ name: useCaseName }) },
      responses: { 200: { description: 'The card', schema: z.record(z.string(), z.unknown()).meta({ id: 'CapabilityCard' }) } },
      handler: async ({ platform, caller, params }) => json(await useCaseCard(platform.db, caller, params.name)),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/use-cases/:name/card/seen',
      summary: 'Dismiss the capability card for yourself (stored per user, so it stays dismissed in every browser)',
      tags: ['answers'],
      scope: 'usecases:read',
      request: { params: z.object({ name: useCaseName }) },
      responses: { 200: { description: 'Dismissed', schema: z.record(z.string(), z.unknown()) } },
      handler: async ({ platform, caller, params, requestId }) =>
        json(await markCardSeen(platform.db, caller, params.name, { clock: platform.clock, requestId })),
    }),
  ];
}
