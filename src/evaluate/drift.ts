import { type EventBus, type GroundworkConfig, type IdGenerator, type Logger, newId } from '../core/index.ts';
import type { Queryable } from '../store/index.ts';
import { isLowerBetter } from './eval-metrics.ts';
import type { MetricSummary } from './types.ts';

/**
 * Drift tracking for scheduled runs: after each run of a schedule, every watched metric is compared with
 * the schedule's previous successful run; a drop beyond the threshold (absolute, in metric units; a rise
 * for latency and cost) records an alert, publishes `evaluation-drift-alert`, and POSTs it to the
 * configured webhook. Delivery failures are recorded on the alert, never thrown into the job.
 */
export type EvaluationSchedule = GroundworkConfig['evaluation']['schedules'][number];

export interface DriftAlert {
  readonly id: string;
  readonly scheduleName: string;
  readonly runId: string;
  readonly previousRunId: string;
  readonly metric: string;
  readonly previousValue: number;
  readonly currentValue: number;
  readonly drop: number;
  readonly delivery: 'none' | 'delivered' | 'failed';
  readonly deliveryError: string | null;
  readonly createdAt: Date;
}

declare module '../core/events.ts' {
  interface GroundworkEventMap {
    /** A scheduled evaluation's metric dropped beyond its threshold versus the previous scheduled run. */
    'evaluation-drift-alert': {
      alertId: string;
      scheduleName: string;
      runId: string;
      previousRunId: string;
      metric: string;
      previousValue: number;
      currentValue: number;
      drop: number;
    };
  }
}

export interface CheckDriftDeps {
  readonly db: Queryable;
  readonly events: EventBus;
  readonly logger?: Logger;
  readonly ids?: IdGenerator;
  /** POST target for alerts (`evaluation.alertWebhookUrl`). */
  readonly webhookUrl?: string;
  /** Injectable for tests; defaults to global fetch. */
  readonly fetch?: typeof fetch;
}

export async function checkDrift(
  deps: CheckDriftDeps,
  schedule: Pick<EvaluationSchedule, 'name' | 'metrics' | 'dropThreshold'>,
  runId: string,
): Promise<DriftAlert[]> {
  const { rows } = await deps.db.query<{ id: string; metrics: Record<string, MetricSummary> }>(
    `SELECT id, metrics FROM eval_runs
      WHERE schedule_name = $1 AND status = 'succeeded'
        AND started_at <= (SELECT started_at FROM eval_runs WHERE id = $2)
      ORDER BY started_at DESC, id DESC LIMIT 2`,
    [schedule.name, runId],
  );
  const current = rows.find((r) => r.id === runId);
  const previous = rows.find((r) => r.id !== runId);
  if (!current || !previous) return [];
  const alerts: DriftAlert[] = [];
  const ids = deps.ids ?? newId;
  for (const metric of schedule.metrics) {
    const before = previous.metrics[metric]?.mean;
    const after = current.metrics[metric]?.mean;
    if (before === undefined || after === undefined) continue;
    const drop = isLowerBetter(metric) ? after - before : before - after;
    if (drop <= schedule.dropThreshold) continue;
    const id = ids('eal');
    const inserted = await deps.db.query<{ created_at: Date }>(
      `INSERT INTO eval_alerts (id, schedule_name, run_id, previous_run_id, metric, previous_value, current_value, drop_amount, delivery)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING created_at`,
      [id, schedule.name, runId, previous.id, metric, before, after, drop, deps.webhookUrl ? 'pending' : 'none'],
    );
    const payload = {
      alertId: id,
      scheduleName: schedule.name,
      runId,
      previousRunId: previous.id,
      metric,
      previousValue: before,
      currentValue: after,
      drop,
    };
    deps.events.publish('evaluation-drift-alert', payload);
    let delivery: DriftAlert['delivery'] = 'none';
    let deliveryError: string | null = null;
    if (deps.webhookUrl) {
      try {
        const response = await (deps.fetch ?? fetch)(deps.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'groundwork-evaluation' },
          body: JSON.stringify({ type: 'evaluation.drift', ...payload }),
          signal: AbortSignal.timeout(10_000),
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        delivery = 'delivered';
      } catch (error) {
        delivery = 'failed';
        deliveryError = (error as Error).message;
        deps.logger?.warn('drift alert webhook failed', { alertId: id, error: deliveryError });
      }
      await deps.db.query('UPDATE eval_alerts SET delivery = $2, delivery_error = $3 WHERE id = $1', [
        id,
        delivery,
        deliveryError,
      ]);
    }
    alerts.push({
      id,
      scheduleName: schedule.name,
      runId,
      previousRunId: previous.id,
      metric,
      previousValue: before,
      currentValue: after,
      drop,
      delivery,
      deliveryError,
      createdAt: inserted.rows[0]?.created_at ?? new Date(),
    });
  }
  return alerts;
}

/** Recorded drift alerts, newest first. */
export async function listAlerts(db: Queryable, options: { scheduleName?: string; limit?: number } = {}): Promise<DriftAlert[]> {
  const { rows } = await db.query<{
    id: string;
    schedule_name: string;
    run_id: string;
    previous_run_id: string;
    metric: string;
    previous_value: number;
    current_value: number;
    drop_amount: number;
    delivery: DriftAlert['delivery'];
    delivery_error: string | null;
    created_at: Date;
  }>(`SELECT * FROM eval_alerts WHERE ($1::text IS NULL OR schedule_name = $1) ORDER BY created_at DESC, id DESC LIMIT $2`, [
    options.scheduleName ?? null,
    Math.min(options.limit ?? 50, 1000),
  ]);
  return rows.map((r) => ({
    id: r.id,
    scheduleName: r.schedule_name,
    runId: r.run_id,
    previousRunId: r.previous_run_id,
    metric: r.metric,
    previousValue: r.previous_value,
    currentValue: r.current_value,
    drop: r.drop_amount,
    delivery: r.delivery,
    deliveryError: r.delivery_error,
    createdAt: r.created_at,
  }));
}

/** Queue name of the scheduled-evaluation job. */
export const evaluationJobName = 'evaluation-scheduled-run';

/**
 * The subset of pg-boss (v12) the schedules need, so the jobs feature (or a test double) can provide it.
 */
export interface ScheduleQueue {
  createQueue(name: string): Promise<unknown>;
  schedule(name: string, cron: string, data: object, options: { key: string }): Promise<unknown>;
  work(name: string, handler: (jobs: Array<{ data: unknown }>) => Promise<unknown>): Promise<unknown>;
}

/**
 * Registers one pg-boss schedule per configured evaluation schedule (keyed by schedule name, so
 * re-registering updates the cron) and a worker that runs `execute(schedule)` for each due job.
 */
export async function registerEvaluationSchedules(
  queue: ScheduleQueue,
  schedules: readonly EvaluationSchedule[],
  execute: (schedule: EvaluationSchedule) => Promise<unknown>,
): Promise<void> {
  await queue.createQueue(evaluationJobName);
  for (const schedule of schedules) {
    await queue.schedule(evaluationJobName, schedule.cron, { schedule: schedule.name }, { key: schedule.name });
  }
  await queue.work(evaluationJobName, async (jobs) => {
    for (const job of jobs) {
      const name = (job.data as { schedule?: string } | null)?.schedule;
      const schedule = schedules.find((s) => s.name === name);
      // A schedule removed from the configuration may still fire once: skip it.
      if (schedule) await execute(schedule);
    }
  });
}
