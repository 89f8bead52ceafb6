import type { Clock, Logger } from '../core/index.ts';
import type { Queryable } from '../store/index.ts';

/** Deletes traces (and their spans) that started before `olderThan`, and spans left without a trace. */
export async function purgeTraces(db: Queryable, olderThan: Date): Promise<{ traces: number; spans: number }> {
  const traces = await db.query('DELETE FROM traces WHERE started_at < $1', [olderThan]);
  // Spans of purged traces, and orphans (a root that never arrived), go by their own start time.
  const spans = await db.query('DELETE FROM spans WHERE started_at < $1', [olderThan]);
  return { traces: traces.rowCount, spans: spans.rowCount };
}

/** The cut-off for `observe.retentionDays`. */
export function retentionCutoff(now: Date, retentionDays: number): Date {
  return new Date(now.getTime() - retentionDays * 86_400_000);
}

export interface PurgeScheduleOptions {
  readonly db: Queryable;
  readonly retentionDays: number;
  /** Default hourly. */
  readonly intervalMs?: number;
  /** First run after this delay (default one minute: not competing with start-up). */
  readonly initialDelayMs?: number;
  readonly clock: Clock;
  readonly logger: Logger;
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
      const purged = await purgeTraces(options.db, retentionCutoff(options.clock.now(), options.retentionDays));
      if (purged.traces > 0 || purged.spans > 0) options.logger.info('purged expired traces', purged);
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
