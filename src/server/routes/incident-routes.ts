import { z } from 'zod';
import type { Platform } from '../../create-platform.ts';
import {
  getIncident,
  type IncidentWriteContext,
  incidentSeverities,
  incidentStatuses,
  listIncidents,
  listUseCaseChanges,
  openIncident,
  openIncidentSchema,
  resolveIncident,
  resolveIncidentSchema,
  rollbackFromIncident,
  rollbackIncidentSchema,
  updateIncident,
  updateIncidentSchema,
} from '../../incidents/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';

/** What the incident write functions take from the platform: clock, governance (change links), events. */
const writeContext = (platform: Platform, requestId: string): IncidentWriteContext => ({
  clock: platform.clock,
  requestId,
  governance: platform.governance,
  events: platform.events,
});

const incidentId = z.object({ id: z.string().min(1).max(100) });
const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>;

const linkSchema = z.object({
  kind: z.enum(['trace', 'feedback', 'change']),
  ref: z.string(),
  addedBy: z.string(),
  addedAt: z.string(),
  trace: z.record(z.string(), z.unknown()).nullable().optional(),
});
const incidentSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    severity: z.enum(incidentSeverities),
    status: z.enum(incidentStatuses),
    useCase: z.string().nullable(),
    description: z.string(),
    openedBy: z.string(),
    openedAt: z.string(),
    updatedAt: z.string(),
    resolvedAt: z.string().nullable(),
    resolvedBy: z.string().nullable(),
    postIncidentNote: z.string().nullable(),
    links: z.array(linkSchema),
  })
  .meta({ id: 'Incident' });
const incidentDetailSchema = incidentSchema
  .extend({
    timeline: z.array(
      z.object({
        seq: z.number(),
        at: z.string(),
        actor: z.string(),
        kind: z.string(),
        note: z.string().nullable(),
        data: z.record(z.string(), z.unknown()),
      }),
    ),
  })
  .meta({ id: 'IncidentDetail' });

/** Incidents: list, open, show, update, resolve (`incidents:read` for reviewers and up, `incidents:write` to change). */
export function incidentRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/incidents',
      summary: 'Incidents, newest first (filters: status, severity, useCase, active)',
      tags: ['incidents'],
      scope: 'incidents:read',
      request: {
        query: z.strictObject({
          status: z.enum(incidentStatuses).optional(),
          severity: z.enum(incidentSeverities).optional(),
          useCase: z.string().min(1).max(63).optional(),
          active: z.enum(['true', 'false']).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
      },
      responses: { 200: { description: 'Incidents', schema: z.object({ incidents: z.array(incidentSchema) }) } },
      handler: async ({ platform, caller, query }) => {
        const incidents = await listIncidents(platform.db, caller, {
          limit: query.limit,
          ...(query.status ? { status: query.status } : {}),
          ...(query.severity ? { severity: query.severity } : {}),
          ...(query.useCase ? { useCase: query.useCase } : {}),
          active: query.active === 'true',
        });
        return { incidents: incidents.map(json) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/incidents',
      summary: 'Open an incident (severity sev1–sev4, affected use case, links to traces, feedback, change requests); audited',
      tags: ['incidents'],
      scope: 'incidents:write',
      request: { body: openIncidentSchema },
      responses: { 201: { description: 'The incident', schema: incidentDetailSchema } },
      handler: async ({ platform, caller, body, requestId, c }) =>
        c.json(json(await openIncident(platform.db, caller, body, writeContext(platform, requestId))), 201),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/incidents/:id',
      summary: 'One incident with its links and timeline (linked traces: non-content fields, only when the reader may see them)',
      tags: ['incidents'],
      scope: 'incidents:read',
      request: { params: incidentId },
      responses: { 200: { description: 'The incident', schema: incidentDetailSchema } },
      handler: async ({ platform, caller, params }) => json(await getIncident(platform.db, caller, params.id)),
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/incidents/:id',
      summary: 'Change an incident: status (back only with a note), severity, title, a timeline note, links; audited',
      tags: ['incidents'],
      scope: 'incidents:write',
      request: { params: incidentId, body: updateIncidentSchema },
      responses: { 200: { description: 'The incident', schema: incidentDetailSchema } },
      handler: async ({ platform, caller, params, body, requestId }) =>
        json(await updateIncident(platform.db, caller, params.id, body, writeContext(platform, requestId))),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/incidents/:id/resolve',
      summary: 'Resolve an incident (sev1/sev2 need a post-incident note); audited',
      tags: ['incidents'],
      scope: 'incidents:write',
      request: { params: incidentId, body: resolveIncidentSchema },
      responses: { 200: { description: 'The resolved incident', schema: incidentDetailSchema } },
      handler: async ({ platform, caller, params, body, requestId }) =>
        json(await resolveIncident(platform.db, caller, params.id, body, writeContext(platform, requestId))),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/incidents/:id/rollback',
      summary:
        "Roll the affected use case's production prompt and/or model configuration back one version: a change request (202), or applied at once with emergency (flagged, retrospective approval); on the timeline; audited",
      description:
        "Needs `incidents:write` and `prompts:write`; an emergency rollback also needs to be an admin or the use case's owner or on-call. Answers 200 when every rollback took effect, 202 when one waits for approval.",
      tags: ['incidents'],
      scope: 'incidents:write',
      request: { params: incidentId, body: rollbackIncidentSchema },
      responses: {
        200: {
          description: 'Rolled back',
          schema: z.object({ incident: incidentDetailSchema, rollbacks: z.array(z.record(z.string(), z.unknown())) }),
        },
        202: {
          description: 'A rollback waits for approval (change requests in `rollbacks`)',
          schema: z.record(z.string(), z.unknown()),
        },
      },
      handler: async ({ platform, caller, params, body, requestId, c }) => {
        const outcome = await rollbackFromIncident(
          platform.governance,
          platform.db,
          caller,
          params.id,
          body,
          writeContext(platform, requestId),
        );
        // As every governed write: 202 with `changeRequest` (the first pending one; `changeRequests` all of them).
        const pending = outcome.rollbacks.filter((r) => r.status === 'pending').map((r) => r.changeRequest);
        if (pending.length === 0) return c.json(json(outcome), 200);
        return c.json(json({ ...outcome, changeRequest: pending[0], changeRequests: pending }), 202);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/use-cases/:name/changes',
      summary:
        'The change log of a use case: prompt, model, use-case, budget, source and ACL changes and change requests, with author, approvers, eval deltas and incidents',
      tags: ['incidents', 'answers'],
      scope: 'incidents:read',
      request: {
        params: z.object({ name: z.string().min(1).max(63) }),
        query: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(200) }),
      },
      responses: {
        200: { description: 'The change log', schema: z.record(z.string(), z.unknown()).meta({ id: 'UseCaseChangeLog' }) },
      },
      handler: async ({ platform, caller, params, query }) =>
        json(await listUseCaseChanges(platform.db, caller, params.name, { limit: query.limit, governance: platform.governance })),
    }),
  ];
}
