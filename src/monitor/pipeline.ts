import { type Caller, systemClock } from '../core/index.ts';
import { authorize, hasScope } from '../govern/index.ts';
import { ingestStatus, sourceRunHistory } from '../ingest/index.ts';
import { type ReviewQueueSummary, reviewQueueSummaries } from '../review/index.ts';
import type { Queryable } from '../store/index.ts';
import { type Alert, listAlerts } from './alerts.ts';
import { effectiveThreshold, getMonitor, listMonitors, type MonitorDeps, type MonitorDetail } from './monitors.ts';
import { parseThreshold } from './threshold.ts';

/**
 * The pipeline dashboard (issue 17 item 4): per source its document count over time (files after each sync),
 * update lag, failures, quarantine and freshness against `sources.<name>.freshnessSlo`; per use case its monitors
 * with their recent values (sparklines), open alerts and the review queue (counts, for use cases the caller reviews).
 * Aggregates only; monitors and alerts as the caller may see them (`monitors:read`).
 */
export interface PipelineSource {
  readonly name: string;
  readonly documents: number;
  readonly chunks: number;
  readonly lastSuccessAt: Date | null;
  readonly lastSyncAt: Date | null;
  readonly updateLagSeconds: { readonly worst: number | null; readonly median: number | null };
  readonly failures: { readonly failedRuns: number; readonly interruptedRuns: number; readonly lastError: string | null };
  readonly quarantined: number;
  /** `slo` as written (`24h`); status: ok, breached, or unknown (no SLO, or never synced). */
  readonly freshness: {
    readonly slo: string | null;
    readonly ageSeconds: number | null;
    readonly status: 'ok' | 'breached' | 'unknown';
  };
  /** Oldest first. */
  readonly history: ReadonlyArray<{
    readonly at: Date;
    readonly status: string;
    readonly files: number | null;
    readonly deleted: number;
    readonly quarantined: number;
  }>;
  readonly monitors: readonly MonitorDetail[];
  readonly openAlerts: readonly Alert[];
}

export interface PipelineUseCase {
  /** null: monitors over every use case. */
  readonly useCase: string | null;
  readonly monitors: readonly MonitorDetail[];
  readonly openAlerts: readonly Alert[];
  /**
   * The use case's human review queue (src/review): only for use cases the viewer reviews (the rule of
   * GET /v1/reviews: `reviews:read` and the use cases they may use); null otherwise, and for the all-use-cases row.
   */
  readonly reviewQueue: ReviewQueueSummary | null;
}

export interface PipelineOverview {
  readonly at: Date;
  readonly sources: readonly PipelineSource[];
  readonly useCases: readonly PipelineUseCase[];
}

export async function pipelineOverview(
  deps: Pick<MonitorDeps, 'db' | 'clock' | 'config'>,
  caller: Caller,
): Promise<PipelineOverview> {
  authorize(caller, 'monitors:read');
  const db: Queryable = deps.db;
  const now = (deps.clock ?? systemClock).now();
  const monitors = await Promise.all((await listMonitors(db, caller)).map((m) => getMonitor(db, caller, m.id)));
  const open = await listAlerts(db, caller, { open: true, limit: 1000 });
  const sources: PipelineSource[] = [];
  for (const status of await ingestStatus(db)) {
    const entry = (deps.config.sources as Record<string, unknown>)[status.name] as { freshnessSlo?: string } | undefined;
    const slo = entry && !Array.isArray(entry) ? (entry.freshnessSlo ?? null) : null;
    const ageSeconds = status.lastSuccessAt
      ? Math.max(0, (now.getTime() - new Date(status.lastSuccessAt).getTime()) / 1000)
      : null;
    const limit = slo ? parseThreshold(effectiveThreshold('freshness', undefined, status.name, deps.config)).limit : null;
    const history = (await sourceRunHistory(db, status.id, 30)).reverse().map((run) => ({
      at: run.startedAt,
      status: run.status,
      files: run.filesAfter,
      deleted: Number(run.counts.deleted ?? 0),
      quarantined: Number(run.counts.quarantined ?? 0),
    }));
    sources.push({
      name: status.name,
      documents: status.documents,
      chunks: status.chunks,
      lastSuccessAt: status.lastSuccessAt,
      lastSyncAt: status.lastSyncAt,
      updateLagSeconds: status.updateLagSeconds,
      failures: status.failures,
      quarantined: status.quarantine.total,
      freshness: {
        slo,
        ageSeconds,
        status: limit === null || ageSeconds === null ? 'unknown' : ageSeconds > limit ? 'breached' : 'ok',
      },
      history,
      monitors: monitors.filter((m) => m.source === status.name),
      openAlerts: open.filter((a) => a.source === status.name),
    });
  }
  const monitored = [...new Set(monitors.filter((m) => !m.source).map((m) => m.useCase))];
  const queues = hasScope(caller, 'reviews:read')
    ? await reviewQueueSummaries(db, caller, {
        include: monitored.filter((u): u is string => u !== null),
        clock: { now: () => now },
      })
    : [];
  const queueOf = new Map(queues.map((q) => [q.useCase, q]));
  const names = [...new Set([...monitored, ...queues.map((q) => q.useCase)])];
  const useCases = names
    .sort((a, b) => (a ?? '').localeCompare(b ?? ''))
    .map((useCase) => ({
      useCase,
      monitors: monitors.filter((m) => !m.source && m.useCase === useCase),
      openAlerts: open.filter((a) => !a.source && a.useCase === useCase),
      reviewQueue: useCase === null ? null : (queueOf.get(useCase) ?? null),
    }));
  return { at: now, sources, useCases };
}
