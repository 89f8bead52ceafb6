import { type Caller, type Clock, GroundworkError, newId, systemClock } from '../core/index.ts';
import { authorize, type Governance, recordAudit, type SubmitChangeResult, submitChange } from '../govern/index.ts';
import type { Database, Queryable } from '../store/index.ts';

/**
 * Budgets per use case, in US dollars per UTC day and per UTC month.
 *
 * Spend is the cost of the use case's recorded traces in the period (recording is buffered, so spend trails
 * reality by up to one flush interval, about a second). At `warnRatio` of a limit the budget warns; at 100%
 * it is exhausted, and with `block` set `checkBudget` throws `budget.exhausted` (category `limit`). Each
 * warning and block is recorded once per use case and period in `budget_events`.
 */
export interface Budget {
  readonly useCase: string;
  readonly dailyUsd: number | null;
  readonly monthlyUsd: number | null;
  readonly warnRatio: number;
  readonly block: boolean;
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

export interface BudgetInput {
  readonly useCase: string;
  /** `null` removes the limit; `undefined` keeps the current one. */
  readonly dailyUsd?: number | null;
  readonly monthlyUsd?: number | null;
  readonly warnRatio?: number;
  readonly block?: boolean;
  readonly actor: string;
}

export interface BudgetPeriodStatus {
  readonly period: string;
  readonly spentUsd: number;
  readonly limitUsd: number;
  /** spent / limit */
  readonly ratio: number;
}

export interface BudgetStatus {
  readonly useCase: string;
  /** `none`: no budget set. */
  readonly state: 'none' | 'ok' | 'warning' | 'exhausted';
  readonly blocked: boolean;
  readonly daily?: BudgetPeriodStatus;
  readonly monthly?: BudgetPeriodStatus;
}

export interface CheckBudgetOptions {
  readonly clock?: Clock;
  /** Throw `budget.exhausted` when blocking (default true); false returns the status only (reports, dry runs). */
  readonly throwWhenBlocked?: boolean;
}

type BudgetRow = {
  use_case: string;
  daily_usd: number | null;
  monthly_usd: number | null;
  warn_ratio: number;
  block: boolean;
  updated_at: Date;
  updated_by: string;
};

const toBudget = (row: BudgetRow): Budget => ({
  useCase: row.use_case,
  dailyUsd: row.daily_usd === null ? null : Number(row.daily_usd),
  monthlyUsd: row.monthly_usd === null ? null : Number(row.monthly_usd),
  warnRatio: Number(row.warn_ratio),
  block: row.block,
  updatedAt: new Date(row.updated_at),
  updatedBy: row.updated_by,
});

function validateAmount(name: string, value: number | null | undefined): void {
  if (value === null || value === undefined) return;
  if (!Number.isFinite(value) || value < 0) {
    throw new GroundworkError('budget.invalid', `The ${name} budget must be a non-negative amount in USD, got ${value}.`, {
      category: 'usage',
      fix: `Pass a number such as --${name} 5 (US dollars).`,
    });
  }
}

/** Creates or updates a use case's budget; unspecified fields keep their values. */
export async function setBudget(db: Queryable, input: BudgetInput): Promise<Budget> {
  validateAmount('daily', input.dailyUsd);
  validateAmount('monthly', input.monthlyUsd);
  if (input.warnRatio !== undefined && !(input.warnRatio > 0 && input.warnRatio <= 1)) {
    throw new GroundworkError('budget.invalid', `The warning threshold must be between 0 and 1, got ${input.warnRatio}.`, {
      category: 'usage',
      fix: 'Pass a ratio such as --warn-at 0.8 (warn at 80% of the budget).',
    });
  }
  const result = await db.query<BudgetRow>(
    `INSERT INTO budgets (use_case, daily_usd, monthly_usd, warn_ratio, block, updated_by, updated_at)
     VALUES ($1, $2, $3, COALESCE($4, 0.8), COALESCE($5, false), $6, now())
     ON CONFLICT (use_case) DO UPDATE SET
       daily_usd = CASE WHEN $7 THEN excluded.daily_usd ELSE budgets.daily_usd END,
       monthly_usd = CASE WHEN $8 THEN excluded.monthly_usd ELSE budgets.monthly_usd END,
       warn_ratio = COALESCE($4, budgets.warn_ratio),
       block = COALESCE($5, budgets.block),
       updated_by = excluded.updated_by,
       updated_at = now()
     RETURNING *`,
    [
      input.useCase,
      input.dailyUsd ?? null,
      input.monthlyUsd ?? null,
      input.warnRatio ?? null,
      input.block ?? null,
      input.actor,
      input.dailyUsd !== undefined,
      input.monthlyUsd !== undefined,
    ],
  );
  const row = result.rows[0];
  if (!row) throw new Error('budget upsert returned no row');
  return toBudget(row);
}

export async function listBudgets(db: Queryable): Promise<Budget[]> {
  return (await db.query<BudgetRow>('SELECT * FROM budgets ORDER BY use_case')).rows.map(toBudget);
}

export async function deleteBudget(db: Queryable, useCase: string): Promise<boolean> {
  return (await db.query('DELETE FROM budgets WHERE use_case = $1', [useCase])).rowCount > 0;
}

function periodStarts(now: Date): { day: Date; month: Date; dayKey: string; monthKey: string } {
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const iso = day.toISOString();
  return { day, month, dayKey: `day:${iso.slice(0, 10)}`, monthKey: `month:${iso.slice(0, 7)}` };
}

/**
 * The budget state of a use case now. Call it before generation: it records the first warning and block
 * of each period and, when the budget is exhausted and set to block, throws `budget.exhausted`.
 */
export async function checkBudget(db: Queryable, useCase: string, options: CheckBudgetOptions = {}): Promise<BudgetStatus> {
  const budgetRow = (await db.query<BudgetRow>('SELECT * FROM budgets WHERE use_case = $1', [useCase])).rows[0];
  if (!budgetRow || (budgetRow.daily_usd === null && budgetRow.monthly_usd === null)) {
    return { useCase, state: 'none', blocked: false };
  }
  const budget = toBudget(budgetRow);
  const now = (options.clock ?? systemClock).now();
  const periods = periodStarts(now);
  const spend = (
    await db.query<{ day: number | null; month: number | null }>(
      `SELECT sum(cost_usd) FILTER (WHERE started_at >= $2) AS day, sum(cost_usd) AS month
       FROM traces WHERE use_case = $1 AND started_at >= $3`,
      [useCase, periods.day, periods.month],
    )
  ).rows[0];
  const statusOf = (period: string, spent: number, limit: number | null): BudgetPeriodStatus | undefined =>
    limit === null
      ? undefined
      : {
          period,
          spentUsd: spent,
          limitUsd: limit,
          ratio: limit === 0 ? (spent > 0 ? Number.POSITIVE_INFINITY : 1) : spent / limit,
        };
  const daily = statusOf(periods.dayKey, Number(spend?.day ?? 0), budget.dailyUsd);
  const monthly = statusOf(periods.monthKey, Number(spend?.month ?? 0), budget.monthlyUsd);
  const periodsSet = [daily, monthly].filter((p): p is BudgetPeriodStatus => p !== undefined);
  const exhausted = periodsSet.filter((p) => p.ratio >= 1);
  const warned = periodsSet.filter((p) => p.ratio >= budget.warnRatio && p.ratio < 1);
  const state = exhausted.length > 0 ? 'exhausted' : warned.length > 0 ? 'warning' : 'ok';
  const blocked = state === 'exhausted' && budget.block;

  const record = async (kind: 'warned' | 'blocked', period: BudgetPeriodStatus) => {
    await db.query(
      `INSERT INTO budget_events (id, use_case, kind, period, spent_usd, limit_usd, at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (use_case, kind, period) DO NOTHING`,
      [newId('bge'), useCase, kind, period.period, period.spentUsd, period.limitUsd, now],
    );
  };
  for (const period of warned) await record('warned', period);
  if (state === 'exhausted' && !budget.block) for (const period of exhausted) await record('warned', period);
  if (blocked) for (const period of exhausted) await record('blocked', period);

  const status: BudgetStatus = {
    useCase,
    state,
    blocked,
    ...(daily ? { daily } : {}),
    ...(monthly ? { monthly } : {}),
  };
  if (blocked && options.throwWhenBlocked !== false) {
    const first = exhausted[0] as BudgetPeriodStatus;
    const which = first.period.startsWith('day:') ? 'daily' : 'monthly';
    throw new GroundworkError(
      'budget.exhausted',
      `The ${which} budget of use case "${useCase}" is exhausted: $${first.spentUsd.toFixed(4)} spent of $${first.limitUsd.toFixed(2)}.`,
      {
        category: 'limit',
        isRetryable: false,
        fix: `Wait for the next ${which === 'daily' ? 'day (UTC)' : 'month (UTC)'}, or raise the budget: groundwork cost budget set ${useCase} --${which} <USD>.`,
        details: { useCase, period: first.period, spentUsd: first.spentUsd, limitUsd: first.limitUsd },
      },
    );
  }
  return status;
}

export interface BudgetEvent {
  readonly id: string;
  readonly useCase: string;
  readonly kind: 'warned' | 'blocked';
  readonly period: string;
  readonly spentUsd: number;
  readonly limitUsd: number;
  readonly at: Date;
}

export async function listBudgetEvents(db: Queryable, useCase?: string, limit = 100): Promise<BudgetEvent[]> {
  const rows = await db.query<{
    id: string;
    use_case: string;
    kind: 'warned' | 'blocked';
    period: string;
    spent_usd: number;
    limit_usd: number;
    at: Date;
  }>(`SELECT * FROM budget_events WHERE ($1::text IS NULL OR use_case = $1) ORDER BY at DESC LIMIT $2`, [useCase ?? null, limit]);
  return rows.rows.map((row) => ({
    id: row.id,
    useCase: row.use_case,
    kind: row.kind,
    period: row.period,
    spentUsd: Number(row.spent_usd),
    limitUsd: Number(row.limit_usd),
    at: new Date(row.at),
  }));
}

/** Spend against every budget now, without side effects (metrics, dashboards). `ratio` is spend / limit. */
export async function budgetUsage(
  db: Queryable,
  now: Date,
): Promise<Array<{ useCase: string; period: 'day' | 'month'; spentUsd: number; limitUsd: number; ratio: number }>> {
  const periods = periodStarts(now);
  const rows = await db.query<{
    use_case: string;
    daily_usd: number | null;
    monthly_usd: number | null;
    day: number;
    month: number;
  }>(
    `SELECT b.use_case, b.daily_usd, b.monthly_usd,
       COALESCE((SELECT sum(cost_usd) FROM traces t WHERE t.use_case = b.use_case AND t.started_at >= $1), 0) AS day,
       COALESCE((SELECT sum(cost_usd) FROM traces t WHERE t.use_case = b.use_case AND t.started_at >= $2), 0) AS month
     FROM budgets b ORDER BY b.use_case`,
    [periods.day, periods.month],
  );
  const out: Array<{ useCase: string; period: 'day' | 'month'; spentUsd: number; limitUsd: number; ratio: number }> = [];
  for (const row of rows.rows) {
    for (const [period, limit, spent] of [
      ['day', row.daily_usd, row.day],
      ['month', row.monthly_usd, row.month],
    ] as const) {
      if (limit === null) continue;
      const spentUsd = Number(spent);
      const limitUsd = Number(limit);
      out.push({
        useCase: row.use_case,
        period,
        spentUsd,
        limitUsd,
        ratio: limitUsd > 0 ? spentUsd / limitUsd : spentUsd > 0 ? 1e9 : 1,
      });
    }
  }
  return out;
}

/** Every budget with its current status, and the most recent budget events (CLI `cost budget list`, API). */
export async function budgetOverview(
  db: Queryable,
  clock: Clock,
  eventLimit = 20,
): Promise<{ budgets: Array<Budget & { status: BudgetStatus }>; recentEvents: BudgetEvent[] }> {
  const budgets: Array<Budget & { status: BudgetStatus }> = [];
  for (const budget of await listBudgets(db)) {
    budgets.push({ ...budget, status: await checkBudget(db, budget.useCase, { clock, throwWhenBlocked: false }) });
  }
  return { budgets, recentEvents: await listBudgetEvents(db, undefined, eventLimit) };
}

/**
 * Budget changes as governed changes (`budget.raise`): raising a limit, removing one (unlimited) or turning
 * blocking off loosens a cost control, so by default it needs approval; setting a first budget, lowering a
 * limit or turning blocking on applies at once. HTTP (`PUT /v1/budgets/:useCase`) and `cost budget set|remove`
 * call `requestBudgetChange`.
 *
 * Target: the use case. Snapshot: `{dailyUsd, monthlyUsd, warnRatio, block}` (`null` = no budget).
 */
export interface BudgetSnapshot {
  readonly dailyUsd: number | null;
  readonly monthlyUsd: number | null;
  readonly warnRatio: number;
  readonly block: boolean;
}

const budgetSnapshot = (budget: Budget): BudgetSnapshot => ({
  dailyUsd: budget.dailyUsd,
  monthlyUsd: budget.monthlyUsd,
  warnRatio: budget.warnRatio,
  block: budget.block,
});

/** Whether `after` loosens `before`: a higher or removed limit, blocking turned off, or the budget removed. */
export function loosensBudget(before: BudgetSnapshot | null, after: BudgetSnapshot | null): boolean {
  if (before === null) return false; // from no budget at all, anything is tighter
  if (after === null) return true;
  const raised = (b: number | null, a: number | null) => b !== null && (a === null || a > b);
  return raised(before.dailyUsd, after.dailyUsd) || raised(before.monthlyUsd, after.monthlyUsd) || (before.block && !after.block);
}

async function readBudget(db: Queryable, useCase: string): Promise<BudgetSnapshot | null> {
  const row = (await db.query<BudgetRow>('SELECT * FROM budgets WHERE use_case = $1', [useCase])).rows[0];
  return row ? budgetSnapshot(toBudget(row)) : null;
}

/** Registers `budget.raise` (applies any budget change; only loosening ones need approval). */
export function registerBudgetChangeKinds(governance: Governance): void {
  governance.register({
    kind: 'budget.raise',
    scope: 'usecases:write',
    read: readBudget,
    async apply(tx, actor, change) {
      const after = change.after as BudgetSnapshot | null;
      if (after === null) {
        await deleteBudget(tx, change.target);
        await recordAudit(tx, { actor, action: 'budget.remove', target: `use_case:${change.target}`, before: change.before });
        return { removed: change.target };
      }
      const budget = await setBudget(tx, { useCase: change.target, actor, ...after });
      await recordAudit(tx, {
        actor,
        action: 'budget.set',
        target: `use_case:${change.target}`,
        before: change.before,
        after: budget,
      });
      return JSON.parse(JSON.stringify(budget));
    },
    needsApproval: (before, after) => loosensBudget(before as BudgetSnapshot | null, after as BudgetSnapshot | null),
    affectedUseCases: async (_tx, target) => [target],
    describe: (target, before, after) => {
      const text = (b: unknown) =>
        b === null
          ? 'none'
          : `daily ${(b as BudgetSnapshot).dailyUsd ?? '∞'} / monthly ${(b as BudgetSnapshot).monthlyUsd ?? '∞'} USD`;
      return `budget of ${target}: ${text(before)} → ${text(after)}`;
    },
  });
}

/** A budget change: the fields to change (absent = keep), or `remove: true`. */
export type BudgetChange =
  | (Omit<BudgetInput, 'actor'> & { readonly remove?: false })
  | { readonly useCase: string; readonly remove: true };

/**
 * Sets, changes or removes a use case budget, governed. Applied result: the budget (or `{removed}`);
 * a loosening change becomes `{status: 'pending', changeRequest}`.
 * @throws `budget.invalid`, `budget.not_found` (removing a budget that does not exist).
 */
export async function requestBudgetChange(
  governance: Governance,
  db: Database,
  caller: Caller,
  change: BudgetChange,
  options: { readonly reason?: string; readonly requestId?: string } = {},
): Promise<SubmitChangeResult> {
  authorize(caller, 'usecases:write');
  if (!change.remove) {
    validateAmount('daily', change.dailyUsd);
    validateAmount('monthly', change.monthlyUsd);
    if (change.warnRatio !== undefined && !(change.warnRatio > 0 && change.warnRatio <= 1)) {
      throw new GroundworkError('budget.invalid', `The warning threshold must be between 0 and 1, got ${change.warnRatio}.`, {
        category: 'usage',
        fix: 'Pass a ratio such as --warn-at 0.8 (warn at 80% of the budget).',
      });
    }
  }
  return db.transaction(async (tx) => {
    const before = await readBudget(tx, change.useCase);
    let after: BudgetSnapshot | null = null;
    if (change.remove) {
      if (!before) {
        throw new GroundworkError('budget.not_found', `Use case ${change.useCase} has no budget.`, {
          category: 'not_found',
          fix: 'See the budgets with: groundwork cost budget list',
        });
      }
    } else {
      after = {
        dailyUsd: change.dailyUsd === undefined ? (before?.dailyUsd ?? null) : change.dailyUsd,
        monthlyUsd: change.monthlyUsd === undefined ? (before?.monthlyUsd ?? null) : change.monthlyUsd,
        warnRatio: change.warnRatio ?? before?.warnRatio ?? 0.8,
        block: change.block ?? before?.block ?? false,
      };
    }
    return submitChange(governance, tx, caller, {
      kind: 'budget.raise',
      target: change.useCase,
      after,
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.requestId ? { requestId: options.requestId } : {}),
    });
  });
}
