import { type ActionAnomaly, pauseAnomalousActions } from '../actions/index.ts';
import { type Caller, newId, systemClock } from '../core/index.ts';
import { authorize, recordAudit } from '../govern/index.ts';
import { openIncident, rollbackFromIncident } from '../incidents/index.ts';
import type { Queryable } from '../store/index.ts';
import { type AlertRow, closeAlert, enqueueAlertNotice } from './alerts.ts';
import { type Measurement, measure } from './kinds.ts';
import { type MonitorDeps, type MonitorRow, monitorSystemCaller, reconcileConfiguredMonitors } from './monitors.ts';
import { breaches, formatDuration, parseThreshold } from './threshold.ts';

/**
 * Evaluation: each due monitor measures its metric now (src/monitor/kinds.ts), compares it with its
 * threshold and records the evaluation; then, in the same transaction,
 * - breach and no open alert → a new alert (`firing`), audited `alert.fire`, its webhook notice enqueued;
 * - breach and an open alert → the alert is refreshed (last seen, current and worst value, examples);
 * - healthy and an open alert → the alert resolves itself (`resolution: auto`), audited, notice enqueued;
 * - no data (too few answers, never synced) or an error → nothing changes on the alert.
 * After the commit, a new alert whose monitor says `onFire.incident` opens an incident, and with
 * `onFire.rollback` (when `monitoring.autoRollbackUseCases` lists the use case) rolls its production labels back
 * as an emergency: applied at once, flagged for retrospective approval (the incidents rollback path).
 *
 * Runs in the `monitors-evaluate` job on the `monitoring.schedule`, or now with `monitors evaluate`; never on
 * the answer path.
 */
export interface MonitorEvaluationResult {
  readonly monitorId: string;
  readonly name: string;
  readonly kind: string;
  readonly state: 'ok' | 'firing' | 'no_data' | 'error';
  readonly value: number | null;
  readonly reference: number | null;
  readonly threshold: string;
  readonly sample: number;
  readonly details: Readonly<Record<string, unknown>>;
  /** What happened to the monitor's alert. */
  readonly alert: { readonly id: string; readonly action: 'fired' | 'updated' | 'resolved' } | null;
  readonly incidentId?: string;
  readonly error?: string;
  readonly durationMs: number;
}

export interface EvaluateOptions {
  /** Evaluate every enabled monitor, due or not. */
  readonly force?: boolean;
  /** Only these monitors (ids or names); implies force. */
  readonly monitors?: readonly string[];
}

/** Evaluates every due monitor now (`monitors:write`). */
export async function evaluateMonitors(
  deps: MonitorDeps,
  caller: Caller,
  options: EvaluateOptions = {},
): Promise<MonitorEvaluationResult[]> {
  authorize(caller, 'monitors:write');
  await reconcileConfiguredMonitors(deps);
  const now = (deps.clock ?? systemClock).now();
  const only = options.monitors && options.monitors.length > 0 ? [...options.monitors] : null;
  const { rows } = await deps.db.query<MonitorRow>(
    `SELECT * FROM monitors WHERE enabled AND ($1::text[] IS NULL OR id = ANY($1) OR name = ANY($1))
       AND ($2::boolean OR $1::text[] IS NOT NULL OR last_evaluated_at IS NULL
            OR last_evaluated_at <= $3::timestamptz - make_interval(secs => every_seconds))
     ORDER BY name`,
    [only, options.force ?? false, now],
  );
  if (rows.length > 0) await deps.jobs?.prepare('monitor-webhook');
  const results: MonitorEvaluationResult[] = [];
  for (const row of rows) results.push(await evaluateMonitor(deps, row, now));
  // Asked for by someone (API, CLI): who ran which monitors is audited; the schedule's passes are not.
  if (caller.id !== monitorSystemCaller.id && results.length > 0) {
    await deps.db.transaction(async (tx) => {
      await recordAudit(
        tx,
        {
          actor: caller.id,
          action: 'monitors.evaluate',
          target: 'monitors',
          after: {
            force: options.force ?? false,
            monitors: results.map((r) => r.name),
            firing: results.filter((r) => r.state === 'firing').map((r) => r.name),
          },
          ...(deps.requestId ? { requestId: deps.requestId } : {}),
          at: now,
        },
        deps.clock,
      );
    });
  }
  return results;
}

async function lastHealthyValue(db: Queryable, monitorId: string): Promise<number | null> {
  const { rows } = await db.query<{ value: number }>(
    `SELECT value FROM monitor_evaluations WHERE monitor_id = $1 AND state = 'ok' AND value IS NOT NULL
     ORDER BY at DESC, seq DESC LIMIT 1`,
    [monitorId],
  );
  return rows[0] ? Number(rows[0].value) : null;
}

async function evaluateMonitor(deps: MonitorDeps, row: MonitorRow, now: Date): Promise<MonitorEvaluationResult> {
  const started = performance.now();
  const threshold = parseThreshold(row.threshold);
  let measurement: Measurement;
  let error: string | undefined;
  try {
    measurement = await measure(
      { db: deps.db, now, config: deps.config },
      {
        kind: row.kind,
        useCase: row.use_case,
        source: row.source,
        windowSeconds: row.window_seconds,
        baselineSeconds: row.baseline_seconds,
        params: row.params ?? {},
      },
    );
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
    deps.logger?.warn('monitor evaluation failed', { monitor: row.name, error });
    measurement = { value: null, sample: 0, details: { error }, examples: [] };
  }
  const relative = threshold.type === 'drop' || threshold.type === 'rise';
  const reference =
    measurement.reference !== undefined ? measurement.reference : relative ? await lastHealthyValue(deps.db, row.id) : null;
  const breach = measurement.value === null ? undefined : breaches(threshold, measurement.value, reference);
  const state: MonitorEvaluationResult['state'] = error
    ? 'error'
    : measurement.value === null
      ? 'no_data'
      : breach === true
        ? 'firing'
        : 'ok';
  const details = {
    ...measurement.details,
    ...(relative && reference === null && state === 'ok' ? { note: 'no reference value yet' } : {}),
  };
  const alert = await deps.db.transaction(async (tx) => {
    // Two evaluations of one monitor at once (the schedule and `monitors evaluate`) take turns here, so the second
    // sees the first's alert (and refreshes it) instead of tripping over the one-open-alert index.
    const locked = await tx.query('SELECT id FROM monitors WHERE id = $1 FOR UPDATE', [row.id]);
    if (locked.rows.length === 0) return null; // deleted meanwhile
    await tx.query(
      `INSERT INTO monitor_evaluations (monitor_id, at, value, reference, state, sample, details) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`,
      [row.id, now, measurement.value, reference, state, measurement.sample, JSON.stringify(details)],
    );
    // History beyond `monitoring.historyDays` goes; the newest healthy value stays (the reference of drop>/rise>).
    await tx.query(
      `DELETE FROM monitor_evaluations WHERE monitor_id = $1 AND at < $2::timestamptz - make_interval(days => $3)
         AND seq <> COALESCE((SELECT max(seq) FROM monitor_evaluations WHERE monitor_id = $1 AND state = 'ok' AND value IS NOT NULL), -1)`,
      [row.id, now, deps.config.monitoring.historyDays],
    );
    await tx.query(
      'UPDATE monitors SET last_evaluated_at = $2, last_value = $3, last_state = $4, last_error = $5 WHERE id = $1',
      [row.id, now, measurement.value, state, error ?? null],
    );
    const open = (
      await tx.query<AlertRow>(`SELECT * FROM alerts WHERE monitor_id = $1 AND status <> 'resolved' FOR UPDATE`, [row.id])
    ).rows[0];
    if (state === 'firing' && !open) {
      const id = newId('alr');
      await tx.query(
        `INSERT INTO alerts (id, monitor_id, monitor_name, kind, use_case, source, status, value, reference, threshold,
           window_seconds, data, example_traces, fired_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'firing', $7, $8, $9, $10, $11::jsonb, $12::text[], $13, $13)`,
        [
          id,
          row.id,
          row.name,
          row.kind,
          row.use_case,
          row.source,
          measurement.value,
          reference,
          row.threshold,
          row.window_seconds,
          JSON.stringify({ ...details, sample: measurement.sample, worst: measurement.value }),
          [...measurement.examples],
          now,
        ],
      );
      await recordAudit(
        tx,
        {
          actor: monitorSystemCaller.id,
          action: 'alert.fire',
          target: `alert:${id}`,
          after: {
            monitor: row.name,
            kind: row.kind,
            useCase: row.use_case,
            source: row.source,
            value: measurement.value,
            reference,
            threshold: row.threshold,
            window: formatDuration(row.window_seconds),
          },
          at: now,
        },
        deps.clock,
      );
      await enqueueAlertNotice(deps, tx, { id, monitorId: row.id }, 'fired', Boolean(row.webhook_url), now);
      // An anomaly in agent actions pauses their auto-execution, in the alert's transaction (src/actions).
      if (row.kind === 'action-anomaly') {
        const anomalies = (details as { anomalies?: ActionAnomaly[] }).anomalies ?? [];
        await pauseAnomalousActions(tx, anomalies, { alertId: id, at: now, clock: deps.clock });
      }
      return { id, action: 'fired' as const };
    }
    if (state === 'firing' && open) {
      const previousWorst = Number((open.data as { worst?: number }).worst ?? open.value ?? measurement.value);
      const lowerIsWorse = threshold.type === 'drop' || (threshold.type === 'compare' && threshold.op.startsWith('<'));
      const worst = lowerIsWorse
        ? Math.min(previousWorst, measurement.value as number)
        : Math.max(previousWorst, measurement.value as number);
      await tx.query(
        `UPDATE alerts SET value = $2, last_seen_at = $3, data = $4::jsonb,
           example_traces = CASE WHEN cardinality($5::text[]) > 0 THEN $5::text[] ELSE example_traces END
         WHERE id = $1`,
        [
          open.id,
          measurement.value,
          now,
          JSON.stringify({ ...details, sample: measurement.sample, worst }),
          [...measurement.examples],
        ],
      );
      return { id: open.id, action: 'updated' as const };
    }
    if (state === 'ok' && open) {
      await closeAlert(deps, tx, open, { by: monitorSystemCaller.id, resolution: 'auto', note: null, at: now });
      await recordAudit(
        tx,
        {
          actor: monitorSystemCaller.id,
          action: 'alert.resolve',
          target: `alert:${open.id}`,
          before: { status: open.status },
          after: { status: 'resolved', resolution: 'auto', monitor: row.name, value: measurement.value },
          at: now,
        },
        deps.clock,
      );
      return { id: open.id, action: 'resolved' as const };
    }
    return null;
  });
  const incidentId = alert?.action === 'fired' ? await actOnFire(deps, row, alert.id, measurement, now) : undefined;
  return {
    monitorId: row.id,
    name: row.name,
    kind: row.kind,
    state,
    value: measurement.value,
    reference,
    threshold: row.threshold,
    sample: measurement.sample,
    details,
    alert,
    ...(incidentId ? { incidentId } : {}),
    ...(error ? { error } : {}),
    durationMs: performance.now() - started,
  };
}

/**
 * A new alert's follow-ups, after its commit: an incident (`onFire.incident`), and an emergency rollback of the
 * use case's production labels when the monitor asks for it and the use case's policy allows it. Failures
 * are recorded on the alert (`data.onFire`), never thrown into the evaluation.
 */
async function actOnFire(
  deps: MonitorDeps,
  row: MonitorRow,
  alertId: string,
  measurement: Measurement,
  now: Date,
): Promise<string | undefined> {
  const onFire = row.on_fire ?? {};
  if (!onFire.incident) return undefined;
  const outcome: Record<string, unknown> = {};
  let incidentId: string | undefined;
  try {
    const incident = await openIncident(
      deps.db,
      monitorSystemCaller,
      {
        title: `Monitor ${row.name} fired: ${row.kind} ${measurement.value === null ? '' : Number(measurement.value.toPrecision(4))} (threshold ${row.threshold})`,
        severity: onFire.incident as 'sev1' | 'sev2' | 'sev3' | 'sev4',
        ...(row.use_case ? { useCase: row.use_case } : {}),
        description: `Opened by alert ${alertId} of monitor ${row.name} (${row.kind}, window ${formatDuration(row.window_seconds)}).`,
        links: measurement.examples.slice(0, 5).map((ref) => ({ kind: 'trace' as const, ref })),
      },
      { ...(deps.clock ? { clock: deps.clock } : {}), ...(deps.events ? { events: deps.events } : {}) },
    );
    incidentId = incident.id;
    outcome.incident = incident.id;
    const allowed = row.use_case !== null && deps.config.monitoring.autoRollbackUseCases.includes(row.use_case);
    if (onFire.rollback && !allowed) outcome.rollback = 'not allowed by the use case policy (monitoring.autoRollbackUseCases)';
    if (onFire.rollback && allowed && deps.governance) {
      const result = await rollbackFromIncident(deps.governance, deps.db, monitorSystemCaller, incident.id, {
        emergency: true,
        reason: `monitor ${row.name} fired (alert ${alertId}): automatic rollback per use case policy`,
      });
      outcome.rollback = result.rollbacks.map((r) => ({ kind: r.kind, name: r.name, status: r.status, from: r.from, to: r.to }));
    }
  } catch (caught) {
    outcome.error = caught instanceof Error ? caught.message : String(caught);
    deps.logger?.warn('monitor alert follow-up failed', { monitor: row.name, alertId, error: outcome.error });
  }
  await deps.db.query(
    `UPDATE alerts SET incident_id = COALESCE($2, incident_id), data = data || jsonb_build_object('onFire', $3::jsonb) WHERE id = $1`,
    [alertId, incidentId ?? null, JSON.stringify(outcome)],
  );
  void now;
  return incidentId;
}
