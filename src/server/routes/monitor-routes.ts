import { z } from 'zod';
import {
  acknowledgeAlert,
  alertActionSchema,
  alertStatuses,
  createMonitor,
  createMonitorSchema,
  deleteMonitor,
  evaluateMonitors,
  getAlert,
  getMonitor,
  listAlerts,
  listMonitors,
  pipelineOverview,
  resolveAlert,
  updateMonitor,
  updateMonitorSchema,
} from '../../monitor/index.ts';
import { monitorDeps } from '../../worker.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';

const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
const ref = z.object({ id: z.string().min(1).max(100) });
const monitorSchema = z.record(z.string(), z.unknown()).meta({ id: 'Monitor' });
const alertSchema = z.record(z.string(), z.unknown()).meta({ id: 'Alert' });

/**
 * Monitors and alerts (src/monitor, docs/monitoring.md): `monitors:read` (reviewer and up) to list and read,
 * `monitors:write` (builder and up) to change and evaluate monitors, `alerts:write` (reviewer and up) to
 * acknowledge and resolve alerts. Webhook secrets are never returned; webhook URLs only as scheme and host.
 */
export function monitorRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/monitors',
      summary: 'Monitors you may see (filters: useCase, source, kind), with their last value and state',
      tags: ['monitors'],
      scope: 'monitors:read',
      request: {
        query: z.strictObject({
          useCase: z.string().min(1).max(63).optional(),
          source: z.string().min(1).max(200).optional(),
          kind: z.string().min(1).max(50).optional(),
        }),
      },
      responses: { 200: { description: 'Monitors', schema: z.object({ monitors: z.array(monitorSchema) }) } },
      handler: async ({ platform, caller, query }) => ({
        monitors: (
          await listMonitors(platform.db, caller, {
            ...(query.useCase ? { useCase: query.useCase } : {}),
            ...(query.source ? { source: query.source } : {}),
            ...(query.kind ? { kind: query.kind } : {}),
          })
        ).map(json),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/monitors',
      summary:
        'Create a monitor (kind, use case or source, threshold such as >0.2, drop>0.3 or age>24h, window, webhook); audited',
      description: 'An unknown kind answers 400 listing the valid kinds; a malformed threshold 400 with the grammar.',
      tags: ['monitors'],
      scope: 'monitors:write',
      request: { body: createMonitorSchema },
      responses: { 201: { description: 'The monitor', schema: monitorSchema } },
      handler: async ({ platform, caller, body, requestId, c }) =>
        c.json(json(await createMonitor(monitorDeps(platform, requestId), caller, body)), 201),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/monitors/evaluate',
      summary: 'Evaluate every due monitor now (force: all; monitors: these); alerts fire and resolve as in the scheduled job',
      tags: ['monitors'],
      scope: 'monitors:write',
      request: {
        body: z.strictObject({
          force: z.boolean().optional(),
          monitors: z.array(z.string().min(1).max(100)).max(500).optional(),
        }),
      },
      responses: {
        200: { description: 'Evaluations', schema: z.object({ results: z.array(z.record(z.string(), z.unknown())) }) },
      },
      handler: async ({ platform, caller, body, requestId }) => ({
        results: (
          await evaluateMonitors(monitorDeps(platform, requestId), caller, {
            ...(body.force ? { force: true } : {}),
            ...(body.monitors ? { monitors: body.monitors } : {}),
          })
        ).map(json),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/monitors/:id',
      summary: 'One monitor (id or name) with its recent evaluations (sparkline), open alert and webhook deliveries',
      tags: ['monitors'],
      scope: 'monitors:read',
      request: { params: ref },
      responses: { 200: { description: 'The monitor', schema: monitorSchema } },
      handler: async ({ platform, caller, params }) => json(await getMonitor(platform.db, caller, params.id)),
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/monitors/:id',
      summary: 'Change a monitor created over the API (configured ones change in the configuration); audited',
      tags: ['monitors'],
      scope: 'monitors:write',
      request: { params: ref, body: updateMonitorSchema },
      responses: { 200: { description: 'The monitor', schema: monitorSchema } },
      handler: async ({ platform, caller, params, body, requestId }) =>
        json(await updateMonitor(monitorDeps(platform, requestId), caller, params.id, body)),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/monitors/:id',
      summary: 'Delete a monitor created over the API, with its evaluations and alerts; audited',
      tags: ['monitors'],
      scope: 'monitors:write',
      request: { params: ref },
      responses: {
        200: { description: 'Deleted', schema: z.object({ deleted: z.object({ id: z.string(), name: z.string() }) }) },
      },
      handler: async ({ platform, caller, params, requestId }) => ({
        deleted: await deleteMonitor(monitorDeps(platform, requestId), caller, params.id),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/pipeline',
      summary:
        'The pipeline dashboard: per source document count over time, update lag, failures, quarantine, freshness SLO; per use case monitors with recent values, open alerts and the review queue (reviewQueue: use cases you review)',
      tags: ['monitors'],
      scope: 'monitors:read',
      responses: {
        200: { description: 'The overview', schema: z.record(z.string(), z.unknown()).meta({ id: 'PipelineOverview' }) },
      },
      handler: async ({ platform, caller }) => json(await pipelineOverview(monitorDeps(platform), caller)),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/alerts',
      summary:
        'Alerts of monitors you may see, newest first (filters: status, open, monitor, useCase); example traces you may see',
      tags: ['monitors'],
      scope: 'monitors:read',
      request: {
        query: z.strictObject({
          status: z.enum(alertStatuses).optional(),
          open: z.enum(['true', 'false']).optional(),
          monitor: z.string().min(1).max(100).optional(),
          useCase: z.string().min(1).max(63).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
      },
      responses: { 200: { description: 'Alerts', schema: z.object({ alerts: z.array(alertSchema) }) } },
      handler: async ({ platform, caller, query }) => ({
        alerts: (
          await listAlerts(platform.db, caller, {
            limit: query.limit,
            open: query.open === 'true',
            ...(query.status ? { status: query.status } : {}),
            ...(query.monitor ? { monitor: query.monitor } : {}),
            ...(query.useCase ? { useCase: query.useCase } : {}),
          })
        ).map(json),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/alerts/:id',
      summary: 'One alert with the data behind it and the example traces you may see',
      tags: ['monitors'],
      scope: 'monitors:read',
      request: { params: ref },
      responses: { 200: { description: 'The alert', schema: alertSchema } },
      handler: async ({ platform, caller, params }) => json(await getAlert(platform.db, caller, params.id)),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/alerts/:id/ack',
      summary: 'Acknowledge a firing alert (someone is on it); audited',
      tags: ['monitors'],
      scope: 'alerts:write',
      request: { params: ref, body: alertActionSchema },
      responses: { 200: { description: 'The alert', schema: alertSchema } },
      handler: async ({ platform, caller, params, body, requestId }) =>
        json(await acknowledgeAlert(monitorDeps(platform, requestId), caller, params.id, body)),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/alerts/:id/resolve',
      summary: 'Resolve an alert by hand (it also resolves itself when the monitor is healthy again); audited',
      tags: ['monitors'],
      scope: 'alerts:write',
      request: { params: ref, body: alertActionSchema },
      responses: { 200: { description: 'The alert', schema: alertSchema } },
      handler: async ({ platform, caller, params, body, requestId }) =>
        json(await resolveAlert(monitorDeps(platform, requestId), caller, params.id, body)),
    }),
  ];
}
