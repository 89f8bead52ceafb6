import { z } from 'zod';
import { usableUseCaseNames } from '../answer/index.ts';
import { type Caller, GroundworkError, newId, systemClock } from '../core/index.ts';
import { authorize, recordAudit } from '../govern/index.ts';
import { getTrace, tracesWithUnreadableDocuments } from '../observe/index.ts';
import type { Queryable } from '../store/index.ts';
import { type MonitorDeps, visibleMonitorUseCases } from './monitors.ts';
import { formatDuration } from './threshold.ts';

/**
 * Alerts: a monitor that fires opens one (deduplicated: at most one open alert per monitor, enforced by a
 * unique index). Status moves firing → acknowledged → resolved; it resolves by itself when an evaluation
 * finds the monitor healthy again (`resolution: auto`), or by hand (`manual`). Each state change is one
 * function: authorize (`alerts:write`), write, audit, and enqueue the webhook notice — one transaction.
 */
export const alertStatuses = ['firing', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof alertStatuses)[number];

export type AlertRow = {
  id: string;
  monitor_id: string;
  monitor_name: string;
  kind: string;
  use_case: string | null;
  source: string | null;
  status: AlertStatus;
  value: number | null;
  reference: number | null;
  threshold: string;
  window_seconds: number;
  data: Record<string, unknown>;
  example_traces: string[];
  fired_at: Date;
  last_seen_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolution: 'auto' | 'manual' | null;
  note: string | null;
  incident_id: string | null;
};

export interface AlertExampleTrace {
  readonly id: string;
  readonly useCase: string | null;
  readonly startedAt: Date;
  readonly outcome: string;
  /** The trace used a document the reader may not read now (open it in Traces to see what is withheld). */
  readonly documentsRestricted: boolean;
}

export interface Alert {
  readonly id: string;
  readonly monitorId: string;
  readonly monitor: string;
  readonly kind: string;
  readonly useCase: string | null;
  readonly source: string | null;
  readonly status: AlertStatus;
  readonly value: number | null;
  readonly reference: number | null;
  readonly threshold: string;
  readonly window: string;
  /** The data behind the alert: the evaluation's details, sample size, the worst value while open. */
  readonly data: Readonly<Record<string, unknown>>;
  /** Only traces the reader may see now; `withheldExampleTraces` counts the others. */
  readonly exampleTraces: readonly AlertExampleTrace[];
  readonly withheldExampleTraces: number;
  readonly firedAt: Date;
  readonly lastSeenAt: Date;
  readonly acknowledgedAt: Date | null;
  readonly acknowledgedBy: string | null;
  readonly resolvedAt: Date | null;
  readonly resolvedBy: string | null;
  readonly resolution: 'auto' | 'manual' | null;
  readonly note: string | null;
  readonly incidentId: string | null;
}

export function alertNotFound(id: string): GroundworkError {
  return new GroundworkError('alert.not_found', `There is no alert ${id} that you may see.`, {
    category: 'not_found',
    fix: 'List alerts with `groundwork alerts list` (GET /v1/alerts).',
    details: { id },
  });
}

async function toAlerts(db: Queryable, caller: Caller, rows: readonly AlertRow[]): Promise<Alert[]> {
  const ids = [...new Set(rows.flatMap((r) => r.example_traces ?? []))];
  const visible = new Map<string, AlertExampleTrace>();
  if (ids.length > 0) {
    const access = { reviewableUseCases: await usableUseCaseNames(db, caller) };
    const restricted = await tracesWithUnreadableDocuments(db, caller, ids);
    for (const id of ids) {
      // Observe decides whether this reader may see the trace now; only non-content fields are kept.
      const trace = await getTrace(db, caller, id, access);
      if (trace) {
        visible.set(id, {
          id,
          useCase: trace.useCase,
          startedAt: trace.startedAt,
          outcome: trace.outcome,
          documentsRestricted: restricted.has(id),
        });
      }
    }
  }
  return rows.map((row) => {
    const examples = (row.example_traces ?? []).map((id) => visible.get(id)).filter((t): t is AlertExampleTrace => Boolean(t));
    return {
      id: row.id,
      monitorId: row.monitor_id,
      monitor: row.monitor_name,
      kind: row.kind,
      useCase: row.use_case,
      source: row.source,
      status: row.status,
      value: row.value === null ? null : Number(row.value),
      reference: row.reference === null ? null : Number(row.reference),
      threshold: row.threshold,
      window: formatDuration(row.window_seconds),
      data: row.data ?? {},
      exampleTraces: examples,
      withheldExampleTraces: (row.example_traces ?? []).length - examples.length,
      firedAt: new Date(row.fired_at),
      lastSeenAt: new Date(row.last_seen_at),
      acknowledgedAt: row.acknowledged_at ? new Date(row.acknowledged_at) : null,
      acknowledgedBy: row.acknowledged_by,
      resolvedAt: row.resolved_at ? new Date(row.resolved_at) : null,
      resolvedBy: row.resolved_by,
      resolution: row.resolution,
      note: row.note,
      incidentId: row.incident_id,
    };
  });
}

export interface AlertFilters {
  readonly status?: AlertStatus;
  /** Only firing or acknowledged alerts. */
  readonly open?: boolean;
  readonly monitor?: string;
  readonly useCase?: string;
  readonly limit?: number;
}

/** Alerts the caller may see (those of monitors they may see), newest first. */
export async function listAlerts(db: Queryable, caller: Caller, filters: AlertFilters = {}): Promise<Alert[]> {
  authorize(caller, 'monitors:read');
  const visible = await visibleMonitorUseCases(db, caller);
  const limit = Math.min(Math.max(Math.floor(filters.limit ?? 100), 1), 1000);
  const { rows } = await db.query<AlertRow>(
    `SELECT * FROM alerts
     WHERE ($1::text[] IS NULL OR use_case IS NULL OR use_case = ANY($1))
       AND ($2::text IS NULL OR status = $2) AND (NOT $3::boolean OR status <> 'resolved')
       AND ($4::text IS NULL OR monitor_id = $4 OR monitor_name = $4) AND ($5::text IS NULL OR use_case = $5)
     ORDER BY fired_at DESC, id DESC LIMIT $6`,
    [visible, filters.status ?? null, filters.open ?? false, filters.monitor ?? null, filters.useCase ?? null, limit],
  );
  return toAlerts(db, caller, rows);
}

async function requireAlertRow(db: Queryable, caller: Caller, id: string, lock = false): Promise<AlertRow> {
  const visible = await visibleMonitorUseCases(db, caller);
  const row = (
    await db.query<AlertRow>(
      `SELECT * FROM alerts WHERE id = $1 AND ($2::text[] IS NULL OR use_case IS NULL OR use_case = ANY($2))${lock ? ' FOR UPDATE' : ''}`,
      [id, visible],
    )
  ).rows[0];
  if (!row) throw alertNotFound(id);
  return row;
}

/** One alert. @throws `alert.not_found`. */
export async function getAlert(db: Queryable, caller: Caller, id: string): Promise<Alert> {
  authorize(caller, 'monitors:read');
  const [alert] = await toAlerts(db, caller, [await requireAlertRow(db, caller, id)]);
  return alert as Alert;
}

export const alertActionSchema = z.strictObject({ note: z.string().trim().min(1).max(2000).optional() });
export type AlertActionInput = z.input<typeof alertActionSchema>;

/**
 * Enqueues the webhook notice of an alert event in the caller's transaction (after `jobs.prepare`), when
 * the monitor has a webhook and a queue is given.
 */
export async function enqueueAlertNotice(
  deps: MonitorDeps,
  tx: Queryable,
  alert: { id: string; monitorId: string },
  event: 'fired' | 'resolved',
  hasWebhook: boolean,
  at: Date,
): Promise<string | null> {
  if (!hasWebhook || !deps.jobs) return null;
  const deliveryId = newId('dlv');
  await tx.query(
    `INSERT INTO alert_deliveries (id, alert_id, monitor_id, event, status, created_at) VALUES ($1, $2, $3, $4, 'pending', $5)`,
    [deliveryId, alert.id, alert.monitorId, event, at],
  );
  await deps.jobs.send('monitor-webhook', { deliveryId }, { tx });
  return deliveryId;
}

/** firing → acknowledged (someone is on it); audited `alert.ack`. Acknowledging twice is a no-op. */
export async function acknowledgeAlert(
  deps: MonitorDeps,
  caller: Caller,
  id: string,
  input: AlertActionInput = {},
): Promise<Alert> {
  authorize(caller, 'alerts:write');
  const data = alertActionSchema.parse(input);
  const now = (deps.clock ?? systemClock).now();
  await deps.db.transaction(async (tx) => {
    const row = await requireAlertRow(tx, caller, id, true);
    if (row.status === 'resolved') throw alreadyResolved(id);
    if (row.status === 'acknowledged') return;
    await tx.query(
      `UPDATE alerts SET status = 'acknowledged', acknowledged_at = $2, acknowledged_by = $3, note = COALESCE($4, note) WHERE id = $1`,
      [id, now, caller.id, data.note ?? null],
    );
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'alert.ack',
        target: `alert:${id}`,
        before: { status: row.status },
        after: { status: 'acknowledged', note: data.note ?? null, monitor: row.monitor_name },
        ...(deps.requestId ? { requestId: deps.requestId } : {}),
        at: now,
      },
      deps.clock,
    );
  });
  return getAlert(deps.db, caller, id);
}

function alreadyResolved(id: string): GroundworkError {
  return new GroundworkError('alert.already_resolved', `Alert ${id} is resolved already.`, {
    category: 'conflict',
    fix: 'Nothing to do; if the monitor still fires, its next evaluation opens a new alert.',
  });
}

/**
 * Resolves an alert by hand (`resolution: manual`); audited `alert.resolve`, notice sent. If the monitor
 * still breaches its threshold, its next evaluation opens a new alert.
 */
export async function resolveAlert(deps: MonitorDeps, caller: Caller, id: string, input: AlertActionInput = {}): Promise<Alert> {
  authorize(caller, 'alerts:write');
  const data = alertActionSchema.parse(input);
  const now = (deps.clock ?? systemClock).now();
  await deps.jobs?.prepare('monitor-webhook');
  await deps.db.transaction(async (tx) => {
    const row = await requireAlertRow(tx, caller, id, true);
    if (row.status === 'resolved') throw alreadyResolved(id);
    await closeAlert(deps, tx, row, { by: caller.id, resolution: 'manual', note: data.note ?? null, at: now });
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'alert.resolve',
        target: `alert:${id}`,
        before: { status: row.status },
        after: { status: 'resolved', resolution: 'manual', note: data.note ?? null, monitor: row.monitor_name },
        ...(deps.requestId ? { requestId: deps.requestId } : {}),
        at: now,
      },
      deps.clock,
    );
  });
  return getAlert(deps.db, caller, id);
}

/** Marks an open alert resolved and enqueues the `resolved` notice (in `tx`). */
export async function closeAlert(
  deps: MonitorDeps,
  tx: Queryable,
  row: Pick<AlertRow, 'id' | 'monitor_id'>,
  how: { by: string; resolution: 'auto' | 'manual'; note: string | null; at: Date },
): Promise<void> {
  await tx.query(
    `UPDATE alerts SET status = 'resolved', resolved_at = $2, resolved_by = $3, resolution = $4, note = COALESCE($5, note)
     WHERE id = $1`,
    [row.id, how.at, how.by, how.resolution, how.note],
  );
  const monitor = await tx.query<{ webhook_url: string | null }>('SELECT webhook_url FROM monitors WHERE id = $1', [
    row.monitor_id,
  ]);
  await enqueueAlertNotice(
    deps,
    tx,
    { id: row.id, monitorId: row.monitor_id },
    'resolved',
    Boolean(monitor.rows[0]?.webhook_url),
    how.at,
  );
}

/** Open alerts (firing or acknowledged) by monitor kind and status, for `/metrics` (`groundwork_alerts_open`). */
export async function openAlertCounts(db: Queryable): Promise<Array<{ kind: string; status: AlertStatus; count: number }>> {
  const { rows } = await db.query<{ kind: string; status: AlertStatus; n: number }>(
    `SELECT kind, status, count(*)::int AS n FROM alerts WHERE status <> 'resolved' GROUP BY kind, status ORDER BY kind, status`,
  );
  return rows.map((r) => ({ kind: r.kind, status: r.status, count: Number(r.n) }));
}
