import { z } from 'zod';
import {
  addClaimDocument,
  changeClaimsConfig,
  claimsConfigVersions,
  claimsMetrics,
  getClaim,
  getClaimDocument,
  listClaims,
  processClaim,
  recordSiuOutcome,
  requestClaimsProcessing,
  reviewClaim,
  saveClaim,
} from '../../claims/index.ts';
import { GroundworkError } from '../../core/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';
import { changeResult } from './change-routes.ts';
import { jobFailure } from './ingest-routes.ts';

const anyJson = z.record(z.string(), z.unknown());
const claimId = z.object({ id: z.string().min(1).max(64) });
const invalidUpload = (message: string) =>
  new GroundworkError('claims.invalid_upload', message, {
    category: 'usage',
    fix: 'Send multipart/form-data with the document in a part named `file` (curl -F file=@estimate.pdf).',
  });

/** The claims workflow (claims/, docs/claims.md). */
export function claimsRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/claims',
      summary: 'The claims review queue: claims you may see, by tier, adjuster and status (most urgent tier first)',
      tags: ['claims'],
      scope: 'claims:read',
      request: {
        query: z.strictObject({
          tier: z.string().min(1).max(32).optional(),
          adjuster: z.string().min(1).max(200).optional(),
          status: z.string().min(1).max(32).optional(),
          limit: z.coerce.number().int().min(1).max(5000).optional(),
        }),
      },
      responses: { 200: { description: 'Claims', schema: z.object({ claims: z.array(anyJson) }) } },
      handler: async ({ platform, caller, query }) => ({
        claims: await listClaims(platform, caller, {
          ...(query.tier ? { tier: query.tier } : {}),
          ...(query.adjuster ? { adjuster: query.adjuster } : {}),
          ...(query.status ? { status: query.status } : {}),
          ...(query.limit ? { limit: query.limit } : {}),
        }),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/claims',
      summary: 'Create a claim (or update it: the claim number decides); assigning an adjuster sets assignedAt',
      tags: ['claims'],
      scope: 'claims:write',
      request: {
        body: z.strictObject({
          claimNumber: z.string().min(1).max(64),
          policyNumber: z.string().max(64).nullable().optional(),
          lineOfBusiness: z.string().min(1).max(64).optional(),
          lossDate: z.string().max(10).nullable().optional(),
          reportedDate: z.string().max(10).nullable().optional(),
          region: z.string().max(64).nullable().optional(),
          damageType: z.string().max(64).nullable().optional(),
          claimantName: z.string().max(200).nullable().optional(),
          assignedAdjuster: z.string().max(128).nullable().optional(),
          policy: z.record(z.string().max(64), z.string().max(64)).optional(),
        }),
      },
      responses: { 201: { description: 'The claim', schema: anyJson } },
      handler: async ({ platform, caller, body, c, requestId }) => {
        const result = await saveClaim(platform, caller, body, { requestId });
        return c.json(result, result.created ? 201 : 200);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/claims/metrics',
      summary:
        'Claims metrics over the claims you may see: time to determination and decision (p50/p90), straight-through rate, override rate by week, fraud-flag precision and false-positive rate, field accuracy, cost per claim',
      tags: ['claims'],
      scope: 'claims:read',
      responses: { 200: { description: 'Metrics', schema: anyJson } },
      handler: async ({ platform, caller }) => claimsMetrics(platform, caller),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/claims/config',
      summary: 'The versions of the claims configuration (fraud weights and thresholds, routing), newest first',
      tags: ['claims'],
      scope: 'claims:read',
      responses: { 200: { description: 'Versions', schema: z.object({ versions: z.array(anyJson) }) } },
      handler: async ({ platform, caller }) => ({ versions: await claimsConfigVersions(platform.db, caller) }),
    }),
    defineRoute({
      method: 'put',
      path: '/v1/claims/config',
      summary: 'Propose a new claims configuration version (governed change `claims.config`: another person approves)',
      tags: ['claims'],
      scope: 'claims:write',
      request: { body: z.strictObject({ config: anyJson, reason: z.string().max(2000).optional() }) },
      responses: {
        200: { description: 'Applied: the new version', schema: anyJson },
        202: { description: 'A pending change request (another person approves it)', schema: anyJson },
      },
      handler: async ({ platform, caller, body, c, requestId }) => {
        const outcome = await changeClaimsConfig(platform.governance, platform.db, caller, body.config, {
          ...(body.reason ? { reason: body.reason } : {}),
          requestId,
        });
        return changeResult(c, outcome, (r) => r);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/claims/process',
      summary:
        'Assess many claims (named, or all you may process) on the queue: a claims-process job run as you (202 with jobId), or ?wait=true for the result',
      tags: ['claims'],
      scope: 'claims:write',
      request: {
        body: z.strictObject({ claims: z.array(z.string().min(1).max(64)).max(5000).optional(), all: z.boolean().optional() }),
        query: z.strictObject({ wait: z.enum(['true', 'false']).default('false') }),
      },
      responses: {
        200: { description: 'The result (wait=true): processed, failed, tiers', schema: anyJson },
        202: {
          description: 'Queued for a worker',
          schema: z.object({ jobId: z.string().nullable(), status: z.literal('queued') }),
        },
      },
      handler: async ({ platform, caller, body, query, c, requestId }) => {
        const { jobId } = await requestClaimsProcessing(
          platform,
          caller,
          body.all || !body.claims ? {} : { claims: body.claims },
          { requestId, trigger: 'api' },
        );
        const queued = c.json({ jobId, status: 'queued' as const }, 202);
        if (query.wait !== 'true' || !jobId) return queued;
        const job = await platform.jobs.waitFor('claims-process', jobId, {
          timeoutMs: Math.max(1000, platform.config.server.requestTimeoutMs - 2000),
          signal: c.req.raw.signal,
        });
        if (!job) return queued;
        if (job.state === 'completed') return job.output;
        throw jobFailure(job.output, jobId);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/claims/:id',
      summary:
        'A claim summary: extracted fields with citations, fraud indicators with evidence, determination with confidence and cited terms, tier (only what you may read now)',
      tags: ['claims'],
      scope: 'claims:read',
      request: { params: claimId },
      responses: { 200: { description: 'The claim', schema: anyJson } },
      handler: async ({ platform, caller, params }) => getClaim(platform, caller, params.id),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/claims/:id/documents',
      summary:
        'Upload a document to a claim (multipart/form-data, part `file`; claims.maxUploadBytes): ingested with the claim ACL',
      tags: ['claims'],
      scope: 'claims:write',
      request: { params: claimId },
      responses: {
        201: { description: 'The document and its ingestion status (quarantined: the claim needs information)', schema: anyJson },
        413: { description: 'claims.too_large' },
      },
      handler: async ({ platform, caller, params, c, requestId }) => {
        if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) {
          throw invalidUpload('The upload must be multipart/form-data with the document in a part named `file`.');
        }
        let form: Record<string, unknown>;
        try {
          form = (await c.req.parseBody()) as Record<string, unknown>;
        } catch (error) {
          if (error instanceof GroundworkError) throw error;
          throw invalidUpload('The multipart body could not be read (malformed boundary or parts).');
        }
        const file = form.file;
        if (!(file instanceof File)) throw invalidUpload('The multipart body has no file part named `file`.');
        const bytes = new Uint8Array(await file.arrayBuffer());
        const uploaded = await addClaimDocument(platform, caller, params.id, { fileName: file.name, bytes }, { requestId });
        return c.json(uploaded, 201);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/claims/:id/documents/:documentId',
      summary: "A claim document's parsed pages (the summary page shows them beside the citations), when you may read it now",
      tags: ['claims'],
      scope: 'claims:read',
      request: { params: z.object({ id: z.string().min(1).max(64), documentId: z.string().min(1).max(64) }) },
      responses: { 200: { description: 'The pages', schema: anyJson } },
      handler: async ({ platform, caller, params }) => getClaimDocument(platform, caller, params.id, params.documentId),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/claims/:id/process',
      summary: 'Assess a claim now: extraction, fraud indicators, preliminary determination, tier (a new assessment version)',
      tags: ['claims'],
      scope: 'claims:write',
      request: { params: claimId },
      responses: { 200: { description: 'The assessment result', schema: anyJson } },
      handler: async ({ platform, caller, params, requestId }) =>
        processClaim(platform, caller, params.id, { requestId, trigger: 'api' }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/claims/:id/review',
      summary: 'Decide a claim: accept, edit fields, or override the outcome with a reason code and comment (recorded, audited)',
      tags: ['claims'],
      scope: 'claims:review',
      request: {
        params: claimId,
        body: z.strictObject({
          accept: z.boolean().optional(),
          edits: z.record(z.string().max(64), z.unknown()).optional(),
          override: z.string().max(32).optional(),
          reason: z.string().max(64).optional(),
          comment: z.string().max(4000).optional(),
        }),
      },
      responses: { 200: { description: 'The claim after the decision, with `review`', schema: anyJson } },
      handler: async ({ platform, caller, params, body, requestId }) =>
        reviewClaim(platform, caller, params.id, body, { requestId }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/claims/:id/siu-outcome',
      summary: 'Record the SIU finding (fraud_confirmed | not_fraud): the truth behind fraud-flag precision',
      tags: ['claims'],
      scope: 'claims:review',
      request: {
        params: claimId,
        body: z.strictObject({ outcome: z.string().max(32), comment: z.string().max(4000).optional() }),
      },
      responses: { 200: { description: 'Recorded', schema: anyJson } },
      handler: async ({ platform, caller, params, body, requestId }) =>
        recordSiuOutcome(
          platform,
          caller,
          params.id,
          { outcome: body.outcome, ...(body.comment ? { comment: body.comment } : {}) },
          { requestId },
        ),
    }),
  ];
}
