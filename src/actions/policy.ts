import { createUseCaseStore, mayUseUseCase } from '../answer/index.ts';
import {
  type ActionAllow,
  type ActionClass,
  actionAllowSchema,
  type Caller,
  type Clock,
  canonicalPrincipal,
  GroundworkError,
  systemClock,
} from '../core/index.ts';
import { authorize, recordAudit } from '../govern/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import type { ActionDefinition } from './registry.ts';

/**
 * Policy: which principals, roles and use cases may invoke which actions. The configured `allow` of an action
 * (or a built-in's) applies unless a stored policy (`setActionPolicy`, admins) replaces it. Checked when an
 * action is proposed and again just before it executes, with the proposer's permissions as stored then.
 */

/** The stored policy of an action, or undefined (the declared `allow` applies). */
export async function storedPolicy(db: Queryable, action: string): Promise<ActionAllow | undefined> {
  const { rows } = await db.query<{ allow: ActionAllow }>('SELECT allow FROM action_policies WHERE action = $1', [action]);
  return rows[0]?.allow;
}

export async function effectiveAllow(db: Queryable, action: ActionDefinition): Promise<ActionAllow> {
  return (await storedPolicy(db, action.name)) ?? actionAllowSchema.parse(action.allow ?? {});
}

/** Why `caller` may not invoke the action in `useCase` under `allow`, or undefined when they may. */
export async function policyRefusal(
  db: Queryable,
  allow: ActionAllow,
  caller: Pick<Caller, 'id' | 'role' | 'principals' | 'seesEverything'>,
  useCase: string | null,
): Promise<string | undefined> {
  if (allow.useCases.length > 0 && (useCase === null || !allow.useCases.includes(useCase))) {
    return useCase === null
      ? `it may only be invoked in the use cases ${allow.useCases.join(', ')}`
      : `use case "${useCase}" is not among ${allow.useCases.join(', ')}`;
  }
  if (useCase !== null) {
    const found = await createUseCaseStore(db).get(useCase);
    if (!found) return `there is no use case "${useCase}"`;
    if (!mayUseUseCase(found, caller as Caller)) return `${caller.id} may not use the use case "${useCase}"`;
  }
  if (caller.role === 'admin') return undefined;
  if (allow.roles.length > 0 && !allow.roles.includes(caller.role)) {
    return `the ${caller.role} role is not among ${allow.roles.join(', ')}`;
  }
  if (allow.principals.length > 0) {
    const mine = new Set([caller.id, ...caller.principals].map(canonicalPrincipal));
    if (!allow.principals.some((p) => mine.has(canonicalPrincipal(p)))) return `${caller.id} is not among the allowed principals`;
  }
  return undefined;
}

export function notAllowed(action: string, reason: string): GroundworkError {
  return new GroundworkError('actions.not_allowed', `You may not invoke "${action}": ${reason}.`, {
    category: 'forbidden',
    fix: 'Ask an admin to add your principal, role or use case to the action policy (`allow` of the action).',
    details: { action },
  });
}

/** The class an action runs under now: its graduation (or demotion) over its declared class. */
export async function effectiveClass(db: Queryable, action: ActionDefinition): Promise<ActionClass> {
  const { rows } = await db.query<{ action_class: ActionClass }>(
    'SELECT action_class FROM action_class_overrides WHERE action = $1',
    [action.name],
  );
  return rows[0]?.action_class ?? action.class;
}

/** Whether the anomaly monitor paused the action's auto-execution (shared by every process). */
export async function pauseOf(
  db: Queryable,
  action: string,
): Promise<{ reason: string; alertId: string | null; pausedAt: Date } | undefined> {
  const { rows } = await db.query<{ reason: string; alert_id: string | null; paused_at: Date }>(
    'SELECT reason, alert_id, paused_at FROM action_pauses WHERE action = $1',
    [action],
  );
  const row = rows[0];
  return row ? { reason: row.reason, alertId: row.alert_id, pausedAt: row.paused_at } : undefined;
}

/**
 * Replaces the policy of an action (admins: `keys:admin`), audited `action.policy`. `null` removes the stored
 * policy (the declared `allow` applies again).
 */
export async function setActionPolicy(
  db: Database,
  caller: Caller,
  action: ActionDefinition,
  allow: Partial<ActionAllow> | null,
  options: { clock?: Clock; requestId?: string } = {},
): Promise<ActionAllow> {
  authorize(caller, 'keys:admin');
  const clock = options.clock ?? systemClock;
  return db.transaction(async (tx) => {
    const before = await storedPolicy(tx, action.name);
    if (allow === null) await tx.query('DELETE FROM action_policies WHERE action = $1', [action.name]);
    else {
      await tx.query(
        `INSERT INTO action_policies (action, allow, updated_by, updated_at) VALUES ($1, $2::jsonb, $3, $4)
         ON CONFLICT (action) DO UPDATE SET allow = $2::jsonb, updated_by = $3, updated_at = $4`,
        [action.name, JSON.stringify(actionAllowSchema.parse(allow)), caller.id, clock.now()],
      );
    }
    const after = allow === null ? null : actionAllowSchema.parse(allow);
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'action.policy',
        target: `action:${action.name}`,
        before: before ?? null,
        after,
        ...(options.requestId ? { requestId: options.requestId } : {}),
      },
      clock,
    );
    return after ?? actionAllowSchema.parse(action.allow ?? {});
  });
}
