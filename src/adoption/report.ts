import { createUseCaseStore, mayUseUseCase, type UseCase } from '../answer/index.ts';
import { type Caller, type Clock, GroundworkError, systemClock } from '../core/index.ts';
import { authorize } from '../govern/index.ts';
import type { Queryable } from '../store/index.ts';
import { cohortNames } from './cohorts.ts';

/**
 * The usage report of one use case, computed from the rollups only (usage_users, usage_daily). Definitions are
 * in docs/adoption.md. Counts only: no user id ever leaves this function.
 */
export const usagePeriods = ['week', 'month'] as const;
export type UsagePeriod = (typeof usagePeriods)[number];

export interface UsageReportOptions {
  readonly useCase: string;
  /** A named cohort: only users whose principals (or id) match one of its principals. */
  readonly cohort?: string;
  /** How first-exposure cohorts are grouped (default month). */
  readonly period?: string;
  /** The day the report is computed for (YYYY-MM-DD, UTC; default today). Windows ending after it are partial. */
  readonly asOf?: string;
  /** Rates (completion, refusal, feedback, override) count answers from this day on (YYYY-MM-DD; default: all). */
  readonly from?: string;
  /** Include the simulator's rows (flagged `simulated`); default false: real usage only. */
  readonly includeSimulated?: boolean;
}

export interface CohortRow {
  /** First day of the period the users were first exposed in (YYYY-MM-DD). */
  readonly cohort: string;
  readonly period: UsagePeriod;
  readonly users: number;
  /** Share of the cohort's users (whose window has fully elapsed) active on days 1–30 after first exposure; null: none elapsed. */
  readonly active30: number | null;
  readonly active60: number | null;
  readonly active90: number | null;
  /** True for a window that has not elapsed for every user of the cohort yet (the rate covers only those for whom it has). */
  readonly partial: { readonly active30: boolean; readonly active60: boolean; readonly active90: boolean };
  readonly timeToValue: { readonly medianHours: number | null; readonly p90Hours: number | null };
}

export interface UsageReport {
  readonly useCase: string;
  readonly cohort: string | null;
  readonly period: UsagePeriod;
  readonly asOf: string;
  readonly from: string | null;
  /** True when simulated rows are included: the numbers are a demo, not real usage. */
  readonly includesSimulated: boolean;
  readonly users: number;
  readonly answers: number;
  readonly activeUsers: { readonly daily: number; readonly weekly: number; readonly monthly: number };
  readonly cohorts: readonly CohortRow[];
  readonly timeToValue: {
    readonly medianHours: number | null;
    readonly p90Hours: number | null;
    readonly users: number;
    /** Users by hours from first use to first success (`timeToValueBuckets`), then those who have not reached it yet. */
    readonly histogram: ReadonlyArray<TimeToValueBucket & { readonly users: number }>;
  };
  readonly taskCompletionRate: number | null;
  readonly refusalRate: number | null;
  readonly feedbackRate: number | null;
  /** Null until a review has been recorded. */
  readonly overrideRate: number | null;
  /** Daily active users for the 90 days ending at `asOf`, oldest first. */
  readonly dailyActive: ReadonlyArray<{ readonly day: string; readonly users: number }>;
}

export interface TimeToValueBucket {
  readonly bucket: string;
  /** Inclusive lower bound in hours; null for the "not yet" bucket. */
  readonly fromHours: number | null;
  /** Exclusive upper bound in hours; null: open-ended. */
  readonly toHours: number | null;
}

/** Buckets of the time-to-value histogram (hours from first use to the first successful answer). */
export const timeToValueBuckets: readonly TimeToValueBucket[] = [
  { bucket: '< 1 h', fromHours: 0, toHours: 1 },
  { bucket: '1–4 h', fromHours: 1, toHours: 4 },
  { bucket: '4–24 h', fromHours: 4, toHours: 24 },
  { bucket: '1–3 d', fromHours: 24, toHours: 72 },
  { bucket: '3–7 d', fromHours: 72, toHours: 168 },
  { bucket: '> 7 d', fromHours: 168, toHours: null },
];

const datePattern = /^\d{4}-\d{2}-\d{2}$/;

export function checkDate(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const valid = datePattern.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
  if (!valid || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw new GroundworkError('usage.invalid_date', `${name} "${value}" is not a valid YYYY-MM-DD date.`, {
      category: 'usage',
      fix: 'Give dates as YYYY-MM-DD, e.g. 2026-06-30.',
    });
  }
  return value;
}

const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);
const round = (value: number | null, digits = 4): number | null =>
  value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits;
const num = (value: unknown): number => Number(value ?? 0);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/**
 * Authorized (`usage:read`); reviewers see only use cases they may use themselves, builders and admins all.
 * Unknown use case → `use_case.not_found`; unknown cohort → `usage.unknown_cohort` naming the valid ones.
 */
export async function usageReport(
  db: Queryable,
  caller: Caller,
  options: UsageReportOptions,
  deps: { clock?: Clock } = {},
): Promise<UsageReport> {
  authorize(caller, 'usage:read');
  const period = (options.period ?? 'month') as UsagePeriod;
  if (!(usagePeriods as readonly string[]).includes(period)) {
    throw new GroundworkError('usage.invalid_period', `"${options.period}" is not a report period (valid: week, month).`, {
      category: 'usage',
      fix: 'Use --period week or --period month (query period=week|month).',
    });
  }
  checkDate('asOf', options.asOf);
  checkDate('from', options.from);
  const useCase = await createUseCaseStore(db).require(options.useCase);
  assertMaySeeUsage(caller, useCase);
  return computeUsageReport(db, { ...options, useCase: useCase.name, period }, deps);
}

/** Reviewers see the usage (and criteria, health) of use cases they may use themselves; builders and admins all. */
export function assertMaySeeUsage(caller: Caller, useCase: UseCase): void {
  if (caller.role === 'reviewer' && !mayUseUseCase(useCase, caller)) {
    throw new GroundworkError('auth.forbidden', `${caller.id} may not see usage of the use case "${useCase.name}".`, {
      category: 'forbidden',
      fix: 'Reviewers see the usage of use cases they may use; ask a builder or an administrator.',
      details: { useCase: useCase.name },
    });
  }
}

/**
 * The report without authorization (the caller checked it): for criteria snapshots and health flags, which
 * read the same numbers. `options.useCase` must exist.
 */
export async function computeUsageReport(
  db: Queryable,
  options: UsageReportOptions,
  deps: {
    clock?: Clock;
    /** Skip the 90-day series (`dailyActive` empty): criteria snapshots do not chart it. */
    withoutDailyActive?: boolean;
    /** Skip the first-exposure cohorts (`cohorts` empty): when no cohort metric is needed. */
    withoutCohorts?: boolean;
  } = {},
): Promise<UsageReport> {
  const period = (options.period ?? 'month') as UsagePeriod;
  const asOf = checkDate('asOf', options.asOf) ?? (deps.clock ?? systemClock).now().toISOString().slice(0, 10);
  const from = checkDate('from', options.from) ?? null;
  const useCase = { name: options.useCase };
  let cohortPrincipals: string[] | null = null;
  if (options.cohort !== undefined) {
    const { rows } = await db.query<{ principals: string[] }>('SELECT principals FROM cohorts WHERE name = $1', [options.cohort]);
    if (!rows[0]) {
      const names = await cohortNames(db);
      throw new GroundworkError(
        'usage.unknown_cohort',
        `There is no cohort "${options.cohort}" (${names.length === 0 ? 'none exist yet' : `valid: ${names.join(', ')}`}).`,
        {
          category: 'usage',
          fix: 'Give one of the cohorts named, or create it with `groundwork cohorts create NAME --principals …`.',
          details: { cohort: options.cohort, valid: names },
        },
      );
    }
    cohortPrincipals = rows[0].principals;
  }
  const simulated = options.includeSimulated ? [false, true] : [false];
  // $1 use case, $2 simulated flags, $3 cohort principals (null: everyone), $4 as-of day.
  const users = `SELECT simulated, user_id, first_at, first_success_at, (first_at AT TIME ZONE 'UTC')::date AS first_day
    FROM usage_users
    WHERE use_case = $1 AND simulated = ANY($2::boolean[]) AND (first_at AT TIME ZONE 'UTC')::date <= $4::date
      AND ($3::text[] IS NULL OR principals && $3::text[] OR user_id = ANY($3::text[]))`;
  const days = `SELECT d.* FROM usage_daily d JOIN (${users}) u USING (simulated, user_id)
    WHERE d.use_case = $1 AND d.day <= $4::date`;
  const base = [useCase.name, simulated, cohortPrincipals, asOf];
  const hours = `extract(epoch FROM (first_success_at - first_at)) / 3600.0`;

  const [totals, active, ttv, cohorts, series] = await Promise.all([
    db.query<Record<string, string | null>>(
      `SELECT coalesce(sum(answers), 0) AS answers, coalesce(sum(refused), 0) AS refused, coalesce(sum(rated), 0) AS rated,
         coalesce(sum(failed), 0) AS failed, coalesce(sum(reviewed), 0) AS reviewed, coalesce(sum(overridden), 0) AS overridden
       FROM (${days}) x WHERE $5::date IS NULL OR day >= $5::date`,
      [...base, from],
    ),
    db.query<Record<string, string>>(
      `SELECT count(*) FILTER (WHERE d1) AS daily, count(*) FILTER (WHERE d7) AS weekly, count(*) AS monthly
       FROM (SELECT bool_or(day = $4::date) AS d1, bool_or(day > $4::date - 7) AS d7
             FROM (${days}) x WHERE day > $4::date - 30 AND answers > 0 GROUP BY simulated, user_id) y`,
      base,
    ),
    db.query<Record<string, string | null>>(
      `SELECT count(*) AS users, count(first_success_at) AS reached,
         ${timeToValueBuckets.map((b, i) => `count(*) FILTER (WHERE first_success_at IS NOT NULL AND ${hours} >= ${b.fromHours}${b.toHours === null ? '' : ` AND ${hours} < ${b.toHours}`}) AS b${i},`).join('\n')}
         percentile_cont(0.5) WITHIN GROUP (ORDER BY ${hours}) FILTER (WHERE first_success_at IS NOT NULL) AS median,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY ${hours}) FILTER (WHERE first_success_at IS NOT NULL) AS p90
       FROM (${users}) u`,
      base,
    ),
    deps.withoutCohorts
      ? Promise.resolve({ rows: [] as Array<Record<string, string | null>> })
      : db.query<Record<string, string | null>>(
          `WITH u AS (${users}),
       w AS (
         SELECT u.simulated, u.user_id, u.first_day, u.first_at, u.first_success_at,
           coalesce(bool_or(d.day - u.first_day BETWEEN 1 AND 30), false) AS a30,
           coalesce(bool_or(d.day - u.first_day BETWEEN 31 AND 60), false) AS a60,
           coalesce(bool_or(d.day - u.first_day BETWEEN 61 AND 90), false) AS a90
         FROM u LEFT JOIN usage_daily d ON d.simulated = u.simulated AND d.use_case = $1 AND d.user_id = u.user_id
           AND d.day > u.first_day AND d.day <= u.first_day + 90 AND d.day <= $4::date AND d.answers > 0
         GROUP BY u.simulated, u.user_id, u.first_day, u.first_at, u.first_success_at)
       SELECT date_trunc($5, first_day)::date::text AS cohort, count(*) AS users,
         count(*) FILTER (WHERE first_day + 30 < $4::date) AS e30, count(*) FILTER (WHERE first_day + 30 < $4::date AND a30) AS a30,
         count(*) FILTER (WHERE first_day + 60 < $4::date) AS e60, count(*) FILTER (WHERE first_day + 60 < $4::date AND a60) AS a60,
         count(*) FILTER (WHERE first_day + 90 < $4::date) AS e90, count(*) FILTER (WHERE first_day + 90 < $4::date AND a90) AS a90,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY ${hours}) FILTER (WHERE first_success_at IS NOT NULL) AS median,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY ${hours}) FILTER (WHERE first_success_at IS NOT NULL) AS p90
       FROM w GROUP BY 1 ORDER BY 1`,
          [...base, period],
        ),
    deps.withoutDailyActive
      ? Promise.resolve({ rows: [] as Array<{ day: string; users: string }> })
      : db.query<{ day: string; users: string }>(
          // One usage_daily row per user and day: a day's row count is its number of active users.
          `SELECT g.day::date::text AS day, coalesce(c.users, 0) AS users
       FROM generate_series($4::date - 89, $4::date, interval '1 day') AS g(day)
       LEFT JOIN (SELECT day, count(*) AS users FROM (${days}) x WHERE day > $4::date - 90 AND answers > 0 GROUP BY day) c
         ON c.day = g.day::date
       ORDER BY g.day`,
          base,
        ),
  ]);
  const t = totals.rows[0] ?? {};
  const answers = num(t.answers);
  const a = active.rows[0] ?? {};
  const v = ttv.rows[0] ?? {};
  return {
    useCase: useCase.name,
    cohort: options.cohort ?? null,
    period,
    asOf,
    from,
    includesSimulated: options.includeSimulated ?? false,
    users: num(v.users),
    answers,
    activeUsers: { daily: num(a.daily), weekly: num(a.weekly), monthly: num(a.monthly) },
    cohorts: cohorts.rows.map((row) => {
      const users = num(row.users);
      return {
        cohort: String(row.cohort),
        period,
        users,
        active30: round(ratio(num(row.a30), num(row.e30))),
        active60: round(ratio(num(row.a60), num(row.e60))),
        active90: round(ratio(num(row.a90), num(row.e90))),
        partial: { active30: num(row.e30) < users, active60: num(row.e60) < users, active90: num(row.e90) < users },
        timeToValue: { medianHours: round(numOrNull(row.median), 2), p90Hours: round(numOrNull(row.p90), 2) },
      };
    }),
    timeToValue: {
      medianHours: round(numOrNull(v.median), 2),
      p90Hours: round(numOrNull(v.p90), 2),
      users: num(v.reached),
      histogram: [
        ...timeToValueBuckets.map((b, i) => ({ ...b, users: num(v[`b${i}`]) })),
        { bucket: 'not yet', fromHours: null, toHours: null, users: num(v.users) - num(v.reached) },
      ],
    },
    taskCompletionRate: round(ratio(answers - num(t.failed), answers)),
    refusalRate: round(ratio(num(t.refused), answers)),
    feedbackRate: round(ratio(num(t.rated), answers)),
    overrideRate: round(ratio(num(t.overridden), num(t.reviewed))),
    dailyActive: series.rows.map((row) => ({ day: row.day, users: num(row.users) })),
  };
}
