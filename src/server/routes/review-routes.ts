import { z } from 'zod';
import { getReview, gradeReview, listReviews, nextReview, reviewToCandidate } from '../../review/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';

const anyJson = z.record(z.string(), z.unknown());
const reviewId = z.object({ id: z.string().min(1).max(64) });

/** The human review queue (review/, docs/review.md). */
export function reviewRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/reviews',
      summary: 'The review queue: sampled answers of the use cases you review (ids, stratum and grade; no text)',
      tags: ['review'],
      scope: 'reviews:read',
      request: {
        query: z.strictObject({
          useCase: z.string().min(1).max(128).optional(),
          status: z.string().min(1).max(32).optional(),
          limit: z.coerce.number().int().min(1).max(1000).optional(),
        }),
      },
      responses: { 200: { description: 'Review items, newest first', schema: z.object({ reviews: z.array(anyJson) }) } },
      handler: async ({ platform, caller, query }) => ({
        reviews: await listReviews(platform.db, caller, {
          ...(query.useCase ? { useCase: query.useCase } : {}),
          ...(query.status ? { status: query.status } : {}),
          ...(query.limit ? { limit: query.limit } : {}),
          clock: platform.clock,
        }),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/reviews/next',
      summary: 'Claim the next item (with a lease) and read it: question, answer, the cited passages you may read now',
      tags: ['review'],
      scope: 'reviews:write',
      request: { body: z.strictObject({ useCase: z.string().min(1).max(128).optional() }).optional() },
      responses: {
        200: { description: '`item` is null when nothing is waiting for you', schema: z.object({ item: anyJson.nullable() }) },
      },
      handler: async ({ platform, caller, body, requestId }) => ({
        item:
          (await nextReview(platform.db, caller, {
            ...(body?.useCase ? { useCase: body.useCase } : {}),
            clock: platform.clock,
            leaseMinutes: platform.config.review.leaseMinutes,
            requestId,
          })) ?? null,
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/reviews/:id',
      summary: 'One review item with its question, answer and the cited passages you may read now (the rest counted as withheld)',
      tags: ['review'],
      scope: 'reviews:read',
      request: { params: reviewId },
      responses: { 200: { description: 'The item', schema: anyJson } },
      handler: async ({ platform, caller, params }) => getReview(platform.db, caller, params.id, { clock: platform.clock }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/reviews/:id/grade',
      summary:
        'Grade an item: verdict correct|partially|wrong, grounded, corrected answer, reason (audited; never your own answer)',
      tags: ['review'],
      scope: 'reviews:write',
      request: {
        params: reviewId,
        body: z.strictObject({
          verdict: z.string().min(1).max(32),
          grounded: z.union([z.boolean(), z.string().max(8)]).optional(),
          correctedAnswer: z.string().max(20_000).optional(),
          reason: z.string().max(4_000).optional(),
          toEval: z.boolean().optional(),
        }),
      },
      responses: { 200: { description: 'The graded item (with `candidate` when toEval)', schema: anyJson } },
      handler: async ({ platform, caller, params, body, requestId }) =>
        gradeReview(
          platform.db,
          caller,
          params.id,
          {
            verdict: body.verdict,
            ...(body.grounded === undefined ? {} : { grounded: body.grounded }),
            ...(body.correctedAnswer === undefined ? {} : { correctedAnswer: body.correctedAnswer }),
            ...(body.reason === undefined ? {} : { reason: body.reason }),
            ...(body.toEval ? { toEval: true } : {}),
          },
          { clock: platform.clock, events: platform.events, requestId },
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/reviews/:id/candidate',
      summary: 'Turn a graded item into a pending evaluation candidate, the corrected answer as expected answer (idempotent)',
      tags: ['review'],
      scope: 'reviews:write',
      request: { params: reviewId },
      responses: { 201: { description: 'The candidate', schema: z.object({ candidate: anyJson }) } },
      handler: async ({ platform, caller, params, c, requestId }) =>
        c.json({ candidate: await reviewToCandidate(platform.db, caller, params.id, { clock: platform.clock, requestId }) }, 201),
    }),
  ];
}
