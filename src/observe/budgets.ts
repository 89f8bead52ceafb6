import { type Clock, GroundworkError, newId, systemClock } from '../core/index.ts';
import type { Queryable } from '../store/index.ts';

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
