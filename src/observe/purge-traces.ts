import { type Caller, type Clock, type Logger, systemClock } from '../core/index.ts';
import { authorize, recordAudit } from '../govern/index.ts';
import type { Database, Queryable } from '../store/index.ts';

/**
 * A purge another feature runs in the same transaction as the trace purge (rows keyed by trace that must not
 * outlive it, e.g. adoption's per-answer usage rows); returns counts by name for the audit record.
 */
export type ExtraPurge = (tx: Queryable, olderThan: Date) => Promise<Record<string, number>>;

/** The actor of the retention schedule's purges in the audit log. */
export const retentionActor = 'system:retention';

/** Deletes, and audits (`traces.purge`, counts only) when anything was deleted — one transaction. */
async function purgeAndAudit(
  db: Pick<Database, 'transaction'>,
  actor: string,
  olderThan: Date,
  context: { readonly clock?: Clock; readonly requestId?: string; readonly alsoPurge?: readonly ExtraPurge[] },
): Promise<{ traces: number; spans: number } & Record<string, number>> {
  return db.transaction(async (tx) => {
    const traces = await tx.query('DELETE FROM traces WHERE started_at < $1', [olderThan]);
    // Spans of purged traces, and orphans (a root that never arrived), go by their own start time.
    const spans = await tx.query('DELETE FROM spans WHERE started_at < $1', [olderThan]);
    let purged: { traces: number; spans: number } & Record<string, number> = { traces: traces.rowCount, spans: spans.rowCount };
    for (const extra of context.alsoPurge ?? []) purged = { ...purged, ...(await extra(tx, olderThan)) };
    if (Object.values(purged).some((n) => n > 0)) {
      await recordAudit(
        tx,
        {
          actor,
          action: 'traces.purge',
          target: 'traces',
          after: { ...purged, olderThan: olderThan.toISOString() },
          ...(context.requestId ? { requestId: context.requestId } : {}),
        },
        context.clock ?? systemClock,
      );
    }
    return purged;
  });
}

/**
 * Deletes traces (and their spans) that started before `olderThan`, and spans left without a trace — the one
 * write path for an operator's purge (`groundwork traces purge`): authorizes (`traces:purge`, admins), deletes
 * and records `traces.purge` with the counts in one transaction. The retention schedule purges the same way,
 * as `system:retention`.
 */
export async function purgeTraces(
  db: Pick<Database, 'transaction'>,
  caller: Caller,
  olderThan: Date,
  context: { readonly clock?: Clock; readonly requestId?: string; readonly alsoPurge?: readonly ExtraPurge[] } = {},
): Promise<{ traces: number; spans: number } & Record<string, number>> {
  authorize(caller, 'traces:purge');
  return purgeAndAudit(db, caller.id, olderThan, context);
}

/** The cut-off for `observe.retentionDays`. */
export function retentionCutoff(now: Date, retentionDays: number): Date {
  return new Date(now.getTime() - retentionDays * 86_400_000);
}

export interface PurgeScheduleOptions {
  readonly db: Pick<Database, 'transaction'>;
  readonly retentionDays: number;
  /** Default hourly. */
  readonly intervalMs?: number;
  /** First run after this delay (default one minute: not competing with start-up). */
  readonly initialDelayMs?: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Purges of other features run in the same transaction (adoption's per-answer usage rows). */
  readonly alsoPurge?: readonly ExtraPurge[];
}

/**
 * Purges expired traces a minute after start and then every `intervalMs` (server and worker processes call
 * this; a CLI command does not). Returns a function that stops the schedule.
 */
export function startTracePurgeSchedule(options: PurgeScheduleOptions): () => void {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const cutoff = retentionCutoff(options.clock.now(), options.retentionDays);
      const purged = await purgeAndAudit(options.db, retentionActor, cutoff, {
        clock: options.clock,
        ...(options.alsoPurge ? { alsoPurge: options.alsoPurge } : {}),
      });
      if (Object.values(purged).some((n) => n > 0)) options.logger.info('purged expired traces', purged);
    } catch (error) {
      options.logger.warn('trace purge failed; retrying at the next interval', { error });
    } finally {
      running = false;
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    void run();
    timer = setInterval(() => void run(), options.intervalMs ?? 3_600_000);
    timer.unref();
  }, options.initialDelayMs ?? 60_000);
  first.unref();
  return () => {
    clearTimeout(first);
    if (timer) clearInterval(timer);
  };
}
