import { z } from 'zod';
import { GroundworkError } from '../../core/index.ts';
import { hasScope, recordAudit, type SubmitChangeResult } from '../../govern/index.ts';
import {
  describeConnectors,
  getSource,
  type Ingestion,
  ingestStatus,
  listQuarantine,
  listSources,
  requestSourceAclMap,
  requestSourceAdd,
  requestSourceRemoval,
  retryQuarantined,
  type SourceRecord,
  type SourceStatus,
} from '../../ingest/index.ts';
import { applySourceSchedule } from '../../worker.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';
import { changeResult, pendingChangeResponse } from './change-routes.ts';

/**
 * What routes get from the app: the ingestion (parse worker pool) and short background work tracked for
 * shutdown. Syncs do not use it: they go to the job queue.
 */
export interface IngestRouteDeps {
  ingestion(): Ingestion;
  /** Runs work in the background (tracked so the server can abort it at shutdown). */
  background(work: (signal: AbortSignal) => Promise<unknown>): void;
}

const sourceName = z.object({ name: z.string().min(1).max(64) });

/** Settings (server paths, ACL maps) are configuration: only callers who may change sources see them. */
function sourceView(source: SourceRecord, full: boolean): Record<string, unknown> {
  const { settings, aclMap, cursor: _cursor, ...rest } = source;
  return full ? { ...rest, settings, aclMap: aclMap ?? null } : rest;
}

/** Status for callers who may not change sources: no server path, and ACL warnings without the map's globs. */
function readerStatus(status: SourceStatus): Record<string, unknown> {
  return {
    ...status,
    path: undefined,
    aclWarnings: status.aclWarnings.map(({ match: _match, message: _message, ...warning }) => ({
      ...warning,
      message: `rules[${warning.ruleIndex}] of the ACL map matched ${warning.matched} files but decided none (a later rule replaced it); an operator should reorder the map.`,
    })),
    aclMapDrift: status.aclMapDrift
      ? {
          path: undefined,
          message:
            'the ACL map file differs from the approved copy: the approved copy is in force; an operator should request the edit or restore the file.',
        }
      : null,
  };
}

/** The error of a failed job attempt (stored by the worker as `{ error }`), with the job id for a retry. */
export function jobFailure(output: unknown, jobId: string): GroundworkError {
  const error = (output as { error?: Record<string, unknown> } | null)?.error ?? {};
  const code = typeof error.code === 'string' ? error.code : 'jobs.failed';
  return new GroundworkError(code, typeof error.message === 'string' ? error.message : `Job ${jobId} failed.`, {
    category: (typeof error.category === 'string' ? error.category : 'internal') as GroundworkError['category'],
    isRetryable: error.retryable === true,
    ...(typeof error.fix === 'string' ? { fix: error.fix } : {}),
    details: { ...((error.details as Record<string, unknown> | undefined) ?? {}), jobId },
  });
}

/** Sources (list, add, remove, sync, status) and quarantine. */
export function ingestRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/connectors',
      summary: 'List the connector types: settings JSON schema, setting hints (for forms) and capabilities',
      tags: ['sources'],
      scope: 'sources:read',
      responses: {
        200: {
          description: 'Connector types',
          schema: z.object({ connectors: z.array(z.record(z.string(), z.unknown())) }),
        },
      },
      handler: async () => ({ connectors: describeConnectors() }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/sources',
      summary: 'List sources (settings only for callers with sources:write)',
      tags: ['sources'],
      scope: 'sources:read',
      responses: { 200: { description: 'Sources', schema: z.object({ sources: z.array(z.record(z.string(), z.unknown())) }) } },
      handler: async ({ platform, caller }) => {
        const full = hasScope(caller, 'sources:write');
        return { sources: (await listSources(platform.db)).map((s) => sourceView(s, full)) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/sources',
      summary:
        'Add a source of any connector type ({name, type, settings}; GET /v1/connectors lists the types and their settings; the filesystem shape {name, path, include, exclude, aclMapPath, readableBy} is still accepted). Folders and ACL maps must lie under sources.allowedRoots, secret env-variable names in sources.allowedSecretEnv; governed (may answer 202 with a change request); audited',
      tags: ['sources'],
      scope: 'sources:write',
      request: {
        body: z.strictObject({
          name: z.string().min(1).max(64),
          /** A registered connector kind (GET /v1/connectors). */
          type: z.string().min(1).max(64).default('filesystem'),
          /** The connector's settings; secrets only as environment-variable names (`…Env` keys). */
          settings: z.record(z.string(), z.unknown()).optional(),
          path: z.string().min(1).max(4096).optional(),
          include: z.array(z.string().min(1)).max(100).optional(),
          exclude: z.array(z.string().min(1)).max(100).optional(),
          aclMapPath: z.string().min(1).max(4096).optional(),
          /** Principals for documents no ACL map rule, default or sidecar decides. */
          readableBy: z.array(z.string().min(1).max(256)).max(100).optional(),
          /** Sync schedule, cron in UTC (e.g. "0 2 * * *"), run by the workers. */
          schedule: z.string().min(1).max(100).optional(),
        }),
      },
      responses: {
        201: { description: 'Added', schema: z.record(z.string(), z.unknown()) },
        202: pendingChangeResponse,
      },
      handler: async ({ platform, caller, body, requestId, c }) => {
        const { schedule, ...input } = body;
        if (schedule !== undefined) platform.jobs.assertCron(schedule);
        // Over the API only folders under sources.allowedRoots (after realpath): a builder key must not be
        // able to index whatever the server process can read.
        const outcome = await requestSourceAdd(
          platform.governance,
          platform.db,
          caller,
          {
            ...input,
            allowedRoots: platform.config.sources.allowedRoots,
            allowedSecretEnv: platform.config.sources.allowedSecretEnv ?? [],
            allowedWebOrigins: platform.config.sources.allowedWebOrigins ?? [],
          },
          { requestId },
        );
        if (outcome.status === 'pending') return changeResult(c, outcome, (r) => r);
        let source = await getSource(platform.db, body.name);
        if (schedule !== undefined) source = await applySourceSchedule(platform, source.id, schedule);
        return c.json(sourceView(source, true), 201);
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/sources/:name',
      summary:
        'Change a source: its sync schedule (cron, UTC; null removes it) and/or its ACL map file (null removes it; governed: may answer 202 with a change request); audited',
      tags: ['sources'],
      scope: 'sources:write',
      request: {
        params: sourceName,
        body: z
          .strictObject({
            schedule: z.string().min(1).max(100).nullable().optional(),
            /** An ACL map file on the server under sources.allowedRoots; read and validated now. */
            aclMapPath: z.string().min(1).max(4096).nullable().optional(),
            reason: z.string().max(2000).optional(),
          })
          .refine((b) => b.schedule !== undefined || b.aclMapPath !== undefined, 'give schedule and/or aclMapPath'),
      },
      responses: {
        200: { description: 'The changed source', schema: z.record(z.string(), z.unknown()) },
        202: pendingChangeResponse,
      },
      handler: async ({ platform, caller, params, body, requestId, c }) => {
        let pending: SubmitChangeResult | undefined;
        if (body.aclMapPath !== undefined) {
          const outcome = await requestSourceAclMap(platform.governance, platform.db, caller, params.name, body.aclMapPath, {
            allowedRoots: platform.config.sources.allowedRoots,
            requestId,
            ...(body.reason ? { reason: body.reason } : {}),
          });
          if (outcome.status === 'pending') pending = outcome;
        }
        if (body.schedule !== undefined) {
          const before = await getSource(platform.db, params.name);
          const after = await applySourceSchedule(platform, before.id, body.schedule);
          await recordAudit(
            platform.db,
            {
              actor: caller.id,
              action: 'source.update',
              target: `source:${after.id}`,
              before: { schedule: before.schedule ?? null },
              after: { schedule: after.schedule ?? null },
              requestId,
            },
            platform.clock,
          );
        }
        if (pending) return changeResult(c, pending, (r) => r);
        return sourceView(await getSource(platform.db, params.name), true);
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/sources/:name',
      summary: 'Remove a source with all its documents, chunks, runs and quarantine entries; governed (may answer 202); audited',
      tags: ['sources'],
      scope: 'sources:write',
      request: { params: sourceName },
      responses: {
        200: { description: 'Removed', schema: z.object({ source: z.string(), documents: z.number() }) },
        202: pendingChangeResponse,
      },
      handler: async ({ platform, caller, params, requestId, c }) =>
        changeResult(
          c,
          await requestSourceRemoval(platform.governance, platform.db, caller, params.name, { requestId }),
          (r) => r,
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/sources/:name/sync',
      summary:
        'Sync a source: enqueues a sync-source job for the workers and answers 202 with its id (GET /v1/jobs/:id), or `?wait=true` for the summary',
      description:
        'The sync never runs in the API process: a worker (`groundwork worker`; on the embedded store, the `serve` process itself) does it. `?wait=true` waits for the job (up to the request timeout) and answers with the sync summary, or the error of its first failed attempt (the job keeps its retries); if it has not finished by then, 202 as without it.',
      tags: ['sources'],
      scope: 'sources:write',
      request: { params: sourceName, query: z.strictObject({ wait: z.enum(['true', 'false']).default('false') }) },
      responses: {
        200: { description: 'The sync summary (wait=true)', schema: z.record(z.string(), z.unknown()) },
        202: {
          description: 'Queued',
          schema: z.object({ source: z.string(), status: z.literal('queued'), jobId: z.string() }),
        },
      },
      handler: async ({ platform, params, query, c }) => {
        const source = await getSource(platform.db, params.name);
        const jobId = await platform.jobs.send('sync-source', { source: source.id, trigger: 'api' });
        if (!jobId)
          throw new GroundworkError('jobs.unavailable', 'The sync job was not queued.', {
            category: 'unavailable',
            isRetryable: true,
          });
        const queued = c.json({ source: source.name, status: 'queued' as const, jobId }, 202);
        if (query.wait !== 'true') return queued;
        const job = await platform.jobs.waitFor('sync-source', jobId, {
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
      path: '/v1/status',
      summary: 'Ingestion status of every source: counts, lag, failures, quarantine (aggregates only)',
      tags: ['sources'],
      scope: 'sources:read',
      responses: { 200: { description: 'Status', schema: z.object({ sources: z.array(z.record(z.string(), z.unknown())) }) } },
      handler: async ({ platform, caller }) => {
        const full = hasScope(caller, 'sources:write');
        const sources = await ingestStatus(platform.db);
        return { sources: sources.map((s) => (full ? s : readerStatus(s))) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/sources/:name/status',
      summary: 'Ingestion status of one source',
      tags: ['sources'],
      scope: 'sources:read',
      request: { params: sourceName },
      responses: { 200: { description: 'Status', schema: z.record(z.string(), z.unknown()) } },
      handler: async ({ platform, caller, params }) => {
        const source = await getSource(platform.db, params.name);
        const [status] = await ingestStatus(platform.db, { sourceId: source.id });
        if (!status)
          throw new GroundworkError('ingest.source_not_found', `There is no source named "${params.name}".`, {
            category: 'not_found',
          });
        return hasScope(caller, 'sources:write') ? status : readerStatus(status);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/quarantine',
      summary: 'Quarantined files with the reason and the fix (builders and admins)',
      tags: ['sources'],
      scope: 'quarantine:read',
      aclBypass: true,
      request: { query: z.strictObject({ source: z.string().max(64).optional() }) },
      responses: { 200: { description: 'Entries', schema: z.object({ entries: z.array(z.record(z.string(), z.unknown())) }) } },
      handler: async ({ platform, query }) => {
        const sourceId = query.source ? (await getSource(platform.db, query.source)).id : undefined;
        return { entries: await listQuarantine(platform.db, sourceId ? { sourceId } : {}) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/quarantine/retry',
      summary: 'Mark quarantined files for retry at the next sync (all, or the given ids)',
      tags: ['sources'],
      scope: 'sources:write',
      request: { body: z.strictObject({ ids: z.array(z.string()).max(10_000).optional() }) },
      responses: { 200: { description: 'Marked', schema: z.object({ entries: z.array(z.record(z.string(), z.unknown())) }) } },
      handler: async ({ platform, caller, body, requestId }) => ({
        entries: await retryQuarantined(platform.db, caller, body.ids ? { ids: body.ids } : {}, {
          clock: platform.clock,
          requestId,
        }),
      }),
    }),
  ];
}
