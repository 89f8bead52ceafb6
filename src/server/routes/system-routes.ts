import { z } from 'zod';
import { GroundworkError, groundworkVersion, isGroundworkError } from '../../core/index.ts';
import { migrationStatus } from '../../store/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';
import type { HttpMetrics } from '../http-metrics.ts';

/** Liveness, readiness and Prometheus metrics: public, and never reveal content. */
/**
 * `draining`: true once this process stops (SIGTERM): /readyz fails so a load balancer routes elsewhere
 * while the open requests finish.
 */
export function systemRoutes(deps: { metrics: HttpMetrics; draining: () => boolean }): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      summary: 'Liveness: the process is up',
      tags: ['system'],
      scope: 'public',
      responses: { 200: { description: 'Up', schema: z.object({ status: z.literal('ok'), version: z.string() }) } },
      handler: () => ({ status: 'ok', version: groundworkVersion }),
    }),
    defineRoute({
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: not draining, the database is reachable and every migration is applied',
      tags: ['system'],
      scope: 'public',
      responses: {
        200: {
          description: 'Ready',
          schema: z.object({ status: z.literal('ready'), store: z.string(), migrations: z.number() }),
        },
      },
      handler: async ({ platform }) => {
        if (deps.draining()) {
          throw new GroundworkError('server.draining', 'This process is shutting down and finishing its open requests.', {
            category: 'unavailable',
            isRetryable: true,
            fix: 'Send new requests to another process or replica; this one exits once its requests are done.',
          });
        }
        let status: Awaited<ReturnType<typeof migrationStatus>>;
        try {
          await platform.db.query('SELECT 1');
          status = await migrationStatus(platform.db);
        } catch (error) {
          // A schema this code must not run on (a contract migration of a newer release) is said as such.
          if (isGroundworkError(error) && error.code.startsWith('store.')) {
            throw new GroundworkError('server.not_ready', error.message, {
              category: 'unavailable',
              isRetryable: true,
              fix: error.fix,
              cause: error,
            });
          }
          throw new GroundworkError('server.not_ready', 'The database is not reachable.', {
            category: 'unavailable',
            isRetryable: true,
            fix: 'Check the database (groundwork doctor) and its connection settings.',
            cause: error,
          });
        }
        if (status.pending.length > 0) {
          throw new GroundworkError('server.not_ready', `${status.pending.length} database migrations are pending.`, {
            category: 'unavailable',
            isRetryable: true,
            fix: 'Run `groundwork db migrate`.',
          });
        }
        return { status: 'ready', store: platform.db.mode, migrations: status.applied.length };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics',
      tags: ['system'],
      scope: 'public',
      responses: { 200: { description: 'Prometheus text format 0.0.4', contentType: 'text/plain', schema: z.string() } },
      handler: async ({ c }) =>
        c.body(await deps.metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
    }),
  ];
}
