import {
  type ActionClass,
  actionClasses,
  type Caller,
  type Clock,
  type GroundworkConfig,
  GroundworkError,
  systemClock,
} from '../core/index.ts';
import { authorize, type Governance, recordAudit, type SubmitChangeResult, submitChange } from '../govern/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import { effectiveClass, pauseOf } from './policy.ts';
import type { ActionRegistry } from './registry.ts';

/**
 * Per action: approvals, denial and edit rates, outcome history — the record graduation to `auto` is judged
 * on (a governed `action.class` change, refused below `agents.graduation`) — and the anomaly monitor's reads
 * and pauses (rate of proposals/executions per agent against its baseline, unusual targets).
 */

export type GraduationBar = GroundworkConfig['agents']['graduation'];

export interface ActionRecord {
  readonly action: string;
  readonly declaredClass: ActionClass;
  readonly class: ActionClass;
  readonly paused: { readonly reason: string; readonly alertId: string | null; readonly pausedAt: string } | null;
  /** Invocations under `propose` (proposals made). */
  readonly proposed: number;
  /** Approved by a person. */
  readonly approved: number;
  readonly denied: number;
  readonly edited: number;
  readonly expired: number;
  readonly pending: number;
  readonly executed: number;
  readonly failed: number;
  /** Invocations that ran without approval (`read` / `auto`). */
  readonly unattended: number;
  /** denied / decided (approved + denied); null when none decided. */
  readonly denialRate: number | null;
  /** edited / approved; null when none approved. */
  readonly editRate: number | null;
  /** The newest outcomes, newest first. */
  readonly history: ReadonlyArray<{
    readonly id: string;
    readonly status: string;
    readonly at: string;
    readonly edited: boolean;
  }>;
  readonly graduation: { readonly eligible: boolean; readonly reason: string; readonly bar: GraduationBar };
}

type CountRow = Record<string, string | number>;

async function counts(db: Queryable, action: string): Promise<Record<string, number>> {
  const { rows } = await db.query<CountRow>(
    `SELECT
       count(*) FILTER (WHERE action_class = 'propose') AS proposed,
       count(*) FILTER (WHERE approved_by IS NOT NULL AND approved_by NOT LIKE 'policy:%') AS approved,
       count(*) FILTER (WHERE status = 'denied') AS denied,
       count(*) FILTER (WHERE jsonb_array_length(edits) > 0) AS edited,
       count(*) FILTER (WHERE status = 'expired') AS expired,
       count(*) FILTER (WHERE status = 'proposed') AS pending,
       count(*) FILTER (WHERE status = 'executed') AS executed,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       count(*) FILTER (WHERE approved_by LIKE 'policy:%') AS unattended
     FROM action_proposals WHERE action = $1`,
    [action],
  );
  const r = rows[0] ?? {};
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v ?? 0)]));
}

/** Whether the record clears the bar for `auto`, and why (not). */
export function judgeGraduation(
  record: { approved: number; denied: number; edited: number },
  bar: GraduationBar,
): { eligible: boolean; reason: string } {
  const problems: string[] = [];
  if (record.approved < bar.minApproved) problems.push(`${record.approved} approved, the bar is ≥ ${bar.minApproved}`);
  if (record.edited > bar.maxEdits) problems.push(`${record.edited} edited, at most ${bar.maxEdits} allowed`);
  if (record.denied > bar.maxDenials) problems.push(`${record.denied} denied, at most ${bar.maxDenials} allowed`);
  return problems.length === 0
    ? { eligible: true, reason: `${record.approved} approved with ${record.edited} edits and ${record.denied} denials` }
    : { eligible: false, reason: problems.join('; ') };
}

export async function actionRecord(
  db: Queryable,
  registry: ActionRegistry,
  name: string,
  bar: GraduationBar,
): Promise<ActionRecord> {
  const action = registry.require(name);
  const c = await counts(db, name);
  const history = await db.query<{ id: string; status: string; at: Date; edited: boolean }>(
    `SELECT id, status, coalesce(finished_at, decided_at, created_at) AS at, jsonb_array_length(edits) > 0 AS edited
     FROM action_proposals WHERE action = $1 ORDER BY created_at DESC, id DESC LIMIT 20`,
    [name],
  );
  const pause = await pauseOf(db, name);
  const n = (k: string) => c[k] ?? 0;
  const decided = n('approved') + n('denied');
  return {
    action: name,
    declaredClass: action.class,
    class: await effectiveClass(db, action),
    paused: pause ? { reason: pause.reason, alertId: pause.alertId, pausedAt: new Date(pause.pausedAt).toISOString() } : null,
    proposed: n('proposed'),
    approved: n('approved'),
    denied: n('denied'),
    edited: n('edited'),
    expired: n('expired'),
    pending: n('pending'),
    executed: n('executed'),
    failed: n('failed'),
    unattended: n('unattended'),
    denialRate: decided > 0 ? n('denied') / decided : null,
    editRate: n('approved') > 0 ? n('edited') / n('approved') : null,
    history: history.rows.map((r) => ({ id: r.id, status: r.status, at: new Date(r.at).toISOString(), edited: r.edited })),
    graduation: { ...judgeGraduation({ approved: n('approved'), denied: n('denied'), edited: n('edited') }, bar), bar },
  };
}

/** GET /v1/actions/stats: the record of every action (counts, never inputs). `actions:read`. */
export async function actionStats(
  deps: { db: Queryable; registry: ActionRegistry; config: Pick<GroundworkConfig, 'agents'> },
  caller: Caller,
): Promise<ActionRecord[]> {
  authorize(caller, 'actions:read');
  const out: ActionRecord[] = [];
  for (const action of deps.registry.all()) {
    out.push(await actionRecord(deps.db, deps.registry, action.name, deps.config.agents.graduation));
  }
  return out;
}

function graduationRefused(action: string, reason: string): GroundworkError {
  return new GroundworkError('actions.graduation_refused', `"${action}" may not run unattended yet: ${reason}.`, {
    category: 'conflict',
    fix: 'Keep approving its proposals until it has enough approvals with no edits or denials, or change agents.graduation.',
    details: { action },
  });
}

type ClassState = { class: ActionClass };

/**
 * Registers `action.class` (graduate an action to `auto`, or set it back to `propose`/`read`): the approver sees
 * the action's record as the request's context; a change to `auto` below the bar is refused on request and
 * again when it is applied.
 */
export function registerActionChangeKinds(governance: Governance, deps: { registry: ActionRegistry; bar: GraduationBar }): void {
  governance.register({
    kind: 'action.class',
    scope: 'actions:approve',
    async read(tx, target): Promise<ClassState | null> {
      const action = deps.registry.get(target);
      return action ? { class: await effectiveClass(tx, action) } : null;
    },
    async apply(tx, actor, change) {
      const after = change.after as ClassState;
      if (after.class === 'auto') {
        const record = await actionRecord(tx, deps.registry, change.target, deps.bar);
        if (!record.graduation.eligible) throw graduationRefused(change.target, record.graduation.reason);
      }
      await tx.query(
        `INSERT INTO action_class_overrides (action, action_class, changed_by) VALUES ($1, $2, $3)
         ON CONFLICT (action) DO UPDATE SET action_class = $2, changed_by = $3, changed_at = now()`,
        [change.target, after.class, actor],
      );
      await recordAudit(tx, {
        actor,
        action: 'action.class',
        target: `action:${change.target}`,
        before: change.before,
        after,
      });
      return { action: change.target, class: after.class };
    },
    needsApproval: (_before, after) => (after as ClassState | null)?.class === 'auto',
    context: async (tx, target) => actionRecord(tx, deps.registry, target, deps.bar),
    describe: (target, before, after) =>
      `action ${target}: ${(before as ClassState | null)?.class ?? '?'} → ${(after as ClassState | null)?.class ?? '?'}`,
  });
}

/**
 * Asks to change an action's class — graduating to `auto` is a change request whose context is the action's
 * record, refused at once below `agents.graduation` (default ≥ 50 approved, no edits, no denials).
 */
export async function requestActionClass(
  deps: { db: Database; registry: ActionRegistry; config: Pick<GroundworkConfig, 'agents'>; governance: Governance },
  caller: Caller,
  name: string,
  cls: string,
  options: { reason?: string; requestId?: string } = {},
): Promise<SubmitChangeResult> {
  authorize(caller, 'actions:approve');
  if (!(actionClasses as readonly string[]).includes(cls)) {
    throw new GroundworkError('actions.invalid_class', `Unknown action class "${cls}"; valid: ${actionClasses.join(', ')}.`, {
      category: 'usage',
      fix: 'Use read, propose or auto.',
    });
  }
  deps.registry.require(name);
  return deps.db.transaction(async (tx) => {
    if (cls === 'auto') {
      const record = await actionRecord(tx, deps.registry, name, deps.config.agents.graduation);
      if (!record.graduation.eligible) throw graduationRefused(name, record.graduation.reason);
    }
    return submitChange(deps.governance, tx, caller, {
      kind: 'action.class',
      target: name,
      after: { class: cls as ActionClass } satisfies ClassState,
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.requestId ? { requestId: options.requestId } : {}),
    });
  });
}

// ——— anomaly detection (the `action-anomaly` monitor kind reads this; a new alert pauses auto-execution) ———

export interface ActionAnomaly {
  readonly agent: string;
  readonly action: string;
  readonly window: number;
  /** Invocations expected in a window of this length from the baseline rate. */
  readonly expected: number;
  readonly ratio: number;
  /** Targets (the action's `targetField`) never seen in the baseline. */
  readonly newTargets: number;
  readonly reasons: readonly string[];
}

/**
 * Invocations per (agent, action) in `[from, to)` against the agent's baseline `[baselineFrom, from)`: an
 * anomaly is a rate above `rateRatio` × the baseline rate (at least `minSample` in the window; the expected
 * count is at least `minExpected`) or more than `maxNewTargets` targets never seen in the baseline. Counts only.
 */
export async function actionAnomalies(
  db: Queryable,
  window: { from: Date; to: Date; baselineFrom: Date },
  params: { rateRatio?: number; minSample?: number; minExpected?: number; maxNewTargets?: number } = {},
): Promise<{ anomalies: ActionAnomaly[]; invocations: number; groups: number }> {
  const rateRatio = params.rateRatio ?? 3;
  const minSample = params.minSample ?? 5;
  const minExpected = params.minExpected ?? 1;
  const maxNewTargets = params.maxNewTargets ?? 5;
  const { rows } = await db.query<{ agent: string; action: string; win: string; base: string; new_targets: string }>(
    `WITH w AS (
       SELECT proposer_id AS agent, action, count(*) AS win,
              count(DISTINCT target) FILTER (WHERE target IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM action_proposals b WHERE b.proposer_id = p.proposer_id AND b.action = p.action
                  AND b.target = p.target AND b.created_at >= $3 AND b.created_at < $1)) AS new_targets
       FROM action_proposals p WHERE created_at >= $1 AND created_at < $2 GROUP BY proposer_id, action)
     SELECT w.agent, w.action, w.win, w.new_targets,
            (SELECT count(*) FROM action_proposals b WHERE b.proposer_id = w.agent AND b.action = w.action
               AND b.created_at >= $3 AND b.created_at < $1) AS base
     FROM w`,
    [window.from, window.to, window.baselineFrom],
  );
  const windowMs = window.to.getTime() - window.from.getTime();
  const baselineMs = Math.max(1, window.from.getTime() - window.baselineFrom.getTime());
  const anomalies: ActionAnomaly[] = [];
  let invocations = 0;
  for (const row of rows) {
    const win = Number(row.win);
    const base = Number(row.base);
    const newTargets = Number(row.new_targets);
    invocations += win;
    const expected = Math.max(minExpected, (base * windowMs) / baselineMs);
    const ratio = win / expected;
    const reasons: string[] = [];
    if (win >= minSample && ratio > rateRatio) reasons.push(`${win} in the window, ${ratio.toFixed(1)}× its baseline rate`);
    if (newTargets > maxNewTargets) reasons.push(`${newTargets} targets never seen in its baseline`);
    if (reasons.length > 0)
      anomalies.push({ agent: row.agent, action: row.action, window: win, expected, ratio, newTargets, reasons });
  }
  anomalies.sort((a, b) => b.ratio - a.ratio);
  return { anomalies, invocations, groups: rows.length };
}

/**
 * Pauses auto-execution of the actions named by a new anomaly alert (in the monitor's transaction): while paused,
 * `auto` invocations become proposals. State in Postgres, shared by every process; audited `action.pause`.
 */
export async function pauseAnomalousActions(
  tx: Queryable,
  anomalies: ReadonlyArray<Pick<ActionAnomaly, 'action' | 'agent' | 'reasons'>>,
  options: { alertId: string; at: Date; clock?: Clock },
): Promise<string[]> {
  const paused: string[] = [];
  for (const anomaly of anomalies) {
    if (paused.includes(anomaly.action)) continue;
    const reason = `anomaly (agent ${anomaly.agent}): ${anomaly.reasons.join('; ')}`;
    await tx.query(
      `INSERT INTO action_pauses (action, reason, alert_id, details, paused_at) VALUES ($1, $2, $3, $4::jsonb, $5)
       ON CONFLICT (action) DO UPDATE SET reason = $2, alert_id = $3, details = $4::jsonb, paused_at = $5`,
      [anomaly.action, reason, options.alertId, JSON.stringify(anomaly), options.at],
    );
    await recordAudit(
      tx,
      {
        actor: 'system:monitor',
        action: 'action.pause',
        target: `action:${anomaly.action}`,
        after: { alert: options.alertId, agent: anomaly.agent },
        at: options.at,
      },
      options.clock ?? systemClock,
    );
    paused.push(anomaly.action);
  }
  return paused;
}

/** Resumes auto-execution of a paused action (`actions:approve`), audited `action.resume`. */
export async function resumeAutoExecution(
  deps: { db: Database; registry: ActionRegistry; clock?: Clock; requestId?: string },
  caller: Caller,
  name: string,
): Promise<{ action: string; resumed: boolean }> {
  authorize(caller, 'actions:approve');
  deps.registry.require(name);
  return deps.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ action: string; alert_id: string | null }>(
      'DELETE FROM action_pauses WHERE action = $1 RETURNING action, alert_id',
      [name],
    );
    if (rows.length > 0) {
      await recordAudit(
        tx,
        {
          actor: caller.id,
          action: 'action.resume',
          target: `action:${name}`,
          before: { alert: rows[0]?.alert_id ?? null },
          ...(deps.requestId ? { requestId: deps.requestId } : {}),
        },
        deps.clock ?? systemClock,
      );
    }
    return { action: name, resumed: rows.length > 0 };
  });
}
