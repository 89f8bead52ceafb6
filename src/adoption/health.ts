import { createUseCaseStore } from '../answer/index.ts';
import { type Caller, type Clock, GroundworkError, newId, systemClock } from '../core/index.ts';
import { authorize, recordAudit } from '../govern/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import { assertMayManage, evaluateCriteria } from './criteria.ts';
import { assertMaySeeUsage, checkDate } from './report.ts';

/**
 * Program health (issue 16 item 4, "the walk-away section"): flags per use case computed from the usage rollups
 * and the success criteria, each with the numbers behind it and a suggested action, and reviews that record the
 * decision taken (continue / fix / pivot / stop). Definitions: docs/adoption.md ("Program health").
 */

export const healthActions = ['interview', 'fix', 'pivot', 'stop'] as const;
export type HealthAction = (typeof healthActions)[number];
export const reviewDecisions = ['continue', 'fix', 'pivot', 'stop'] as const;
export type ReviewDecision = (typeof reviewDecisions)[number];

export interface HealthFlag {
  readonly code:
    | 'low_adoption'
    | 'criteria_missed'
    | 'override_rate_rising'
    | 'refusal_rate_rising'
    | 'adoption_falling'
    | 'no_recent_users';
  readonly title: string;
  /** The numbers the flag was raised on. */
  readonly data: Readonly<Record<string, unknown>>;
  readonly action: HealthAction;
  readonly suggestion: string;
}

export interface UseCaseHealth {
  readonly useCase: string;
  readonly asOf: string;
  readonly includesSimulated: boolean;
  /** First exposure of any user (YYYY-MM-DD) and the days since; null before the first answer. */
  readonly liveSince: string | null;
  readonly liveDays: number;
  readonly users: number;
  /** Users active in the last 30 days (ending at asOf) and the 30 days before. */
  readonly activeLast30: number;
  readonly activePrevious30: number;
  /** activeLast30 / users (null without users). */
  readonly activeShare: number | null;
  readonly flags: readonly HealthFlag[];
  readonly latestReview: Review | null;
}

export interface Review {
  readonly id: string;
  readonly useCase: string;
  readonly decision: ReviewDecision;
  readonly notes: string;
  readonly flags: readonly Pick<HealthFlag, 'code' | 'title' | 'data'>[];
  readonly reviewer: string;
  readonly createdAt: string;
}

/** Thresholds of the flags (documented in docs/adoption.md). */
export const healthThresholds = {
  /** "≥ 90 days live, < 20% active, no upward trend". */
  liveDays: 90,
  activeShare: 0.2,
  /** Upward trend: at least 10% more active users in the last 30 days than in the 30 before. */
  upwardTrend: 1.1,
  /** Falling adoption: at most 80% of the previous 30 days' active users (from at least 5). */
  falling: 0.8,
  fallingMinimum: 5,
  /** Rising rate: +5 percentage points, with at least this many answers / reviews in both windows. */
  risePoints: 0.05,
  minAnswers: 50,
  minReviews: 10,
} as const;

const num = (v: unknown) => Number(v ?? 0);
const rate = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 10000) / 10000 : null);

async function computeHealth(
  db: Queryable,
  useCase: string,
  options: { asOf: string; includeSimulated: boolean },
): Promise<Omit<UseCaseHealth, 'latestReview'>> {
  const simulated = options.includeSimulated ? [false, true] : [false];
  const [users, windows] = await Promise.all([
    db.query<{ users: string; first: string | null }>(
      `SELECT count(*) AS users, min((first_at AT TIME ZONE 'UTC')::date)::text AS first FROM usage_users
       WHERE use_case = $1 AND simulated = ANY($2::boolean[]) AND (first_at AT TIME ZONE 'UTC')::date <= $3::date`,
      [useCase, simulated, options.asOf],
    ),
    db.query<Record<string, string | null>>(
      `SELECT
         count(DISTINCT (simulated, user_id)) FILTER (WHERE recent AND answers > 0) AS active_recent,
         count(DISTINCT (simulated, user_id)) FILTER (WHERE NOT recent AND answers > 0) AS active_previous,
         coalesce(sum(answers) FILTER (WHERE recent), 0) AS answers_recent,
         coalesce(sum(answers) FILTER (WHERE NOT recent), 0) AS answers_previous,
         coalesce(sum(refused) FILTER (WHERE recent), 0) AS refused_recent,
         coalesce(sum(refused) FILTER (WHERE NOT recent), 0) AS refused_previous,
         coalesce(sum(reviewed) FILTER (WHERE recent), 0) AS reviewed_recent,
         coalesce(sum(reviewed) FILTER (WHERE NOT recent), 0) AS reviewed_previous,
         coalesce(sum(overridden) FILTER (WHERE recent), 0) AS overridden_recent,
         coalesce(sum(overridden) FILTER (WHERE NOT recent), 0) AS overridden_previous
       FROM (SELECT *, day > $3::date - 30 AS recent FROM usage_daily
             WHERE use_case = $1 AND simulated = ANY($2::boolean[]) AND day > $3::date - 60 AND day <= $3::date) d`,
      [useCase, simulated, options.asOf],
    ),
  ]);
  const userCount = num(users.rows[0]?.users);
  const liveSince = users.rows[0]?.first ?? null;
  const liveDays = liveSince
    ? Math.floor((Date.parse(`${options.asOf}T00:00:00Z`) - Date.parse(`${liveSince}T00:00:00Z`)) / 86_400_000)
    : 0;
  const w = windows.rows[0] ?? {};
  const activeLast30 = num(w.active_recent);
  const activePrevious30 = num(w.active_previous);
  const activeShare = rate(activeLast30, userCount);
  const t = healthThresholds;
  const flags: HealthFlag[] = [];
  const upward = activeLast30 >= activePrevious30 * t.upwardTrend && activeLast30 > activePrevious30;
  if (liveDays >= t.liveDays && activeShare !== null && activeShare < t.activeShare && !upward) {
    flags.push({
      code: 'low_adoption',
      title: `${liveDays} days live, ${Math.round(activeShare * 100)}% active in the last 30 days, no upward trend`,
      data: { liveDays, users: userCount, activeLast30, activePrevious30, activeShare },
      action: 'interview',
      suggestion:
        'Interview non-adopters to learn why they stopped or never started, then decide: fix what blocks them, pivot to the work they do need, or stop.',
    });
  }
  if (userCount > 0 && activeLast30 === 0) {
    flags.push({
      code: 'no_recent_users',
      title: 'Nobody used it in the last 30 days',
      data: { users: userCount, activeLast30, liveDays },
      action: 'stop',
      suggestion: 'Stop it (or relaunch it deliberately with a pilot cohort); interview the users it had first.',
    });
  } else if (activePrevious30 >= t.fallingMinimum && activeLast30 <= activePrevious30 * t.falling) {
    flags.push({
      code: 'adoption_falling',
      title: `Active users fell from ${activePrevious30} to ${activeLast30} (30 days vs the 30 before)`,
      data: { activeLast30, activePrevious30, change: rate(activeLast30 - activePrevious30, activePrevious30) },
      action: 'interview',
      suggestion: 'Interview the users who stopped: find what made them drop off before it becomes a walk-away.',
    });
  }
  const refusalRecent = rate(num(w.refused_recent), num(w.answers_recent));
  const refusalPrevious = rate(num(w.refused_previous), num(w.answers_previous));
  if (
    num(w.answers_recent) >= t.minAnswers &&
    num(w.answers_previous) >= t.minAnswers &&
    refusalRecent !== null &&
    refusalPrevious !== null &&
    refusalRecent - refusalPrevious >= t.risePoints
  ) {
    flags.push({
      code: 'refusal_rate_rising',
      title: `Refusal rate rose from ${Math.round(refusalPrevious * 100)}% to ${Math.round(refusalRecent * 100)}%`,
      data: { refusalRecent, refusalPrevious, answersRecent: num(w.answers_recent), answersPrevious: num(w.answers_previous) },
      action: 'fix',
      suggestion: 'Fix the coverage: look at refused questions (traces), add the missing sources or narrow the scope card.',
    });
  }
  const overrideRecent = rate(num(w.overridden_recent), num(w.reviewed_recent));
  const overridePrevious = rate(num(w.overridden_previous), num(w.reviewed_previous));
  if (
    num(w.reviewed_recent) >= t.minReviews &&
    num(w.reviewed_previous) >= t.minReviews &&
    overrideRecent !== null &&
    overridePrevious !== null &&
    overrideRecent - overridePrevious >= t.risePoints
  ) {
    flags.push({
      code: 'override_rate_rising',
      title: `Reviewers override more answers: ${Math.round(overridePrevious * 100)}% → ${Math.round(overrideRecent * 100)}%`,
      data: {
        overrideRecent,
        overridePrevious,
        reviewedRecent: num(w.reviewed_recent),
        reviewedPrevious: num(w.reviewed_previous),
      },
      action: 'fix',
      suggestion: 'Fix answer quality: run the evaluation on the overridden cases and compare with the last good prompt/model.',
    });
  }
  const criteria = await evaluateCriteria(db, useCase, options);
  for (const c of criteria.criteria) {
    if (c.missedPeriodsInARow < 2) continue;
    flags.push({
      code: 'criteria_missed',
      title: `Criterion ${c.id} (${c.metric} ${c.direction === 'up' ? '≥' : '≤'} ${c.target}) missed ${c.missedPeriodsInARow} ${c.cadence} periods in a row`,
      data: {
        criterion: c.id,
        metric: c.metric,
        target: c.target,
        latest: c.latest,
        missedPeriodsInARow: c.missedPeriodsInARow,
        recent: c.points.slice(-3).map((p) => ({ period: p.period, value: p.value })),
      },
      action: c.missedPeriodsInARow >= 4 ? 'pivot' : 'fix',
      suggestion:
        c.missedPeriodsInARow >= 4
          ? 'It keeps missing: pivot the use case to what users do need, or stop it. Lowering the target needs approval.'
          : 'Fix what drives the metric (the criterion’s owner); lowering the target needs approval.',
    });
  }
  return {
    useCase,
    asOf: options.asOf,
    includesSimulated: options.includeSimulated,
    liveSince,
    liveDays,
    users: userCount,
    activeLast30,
    activePrevious30,
    activeShare,
    flags,
  };
}

type ReviewRow = {
  id: string;
  use_case: string;
  decision: ReviewDecision;
  notes: string;
  flags: Review['flags'];
  reviewer: string;
  created_at: Date;
};
const toReview = (r: ReviewRow): Review => ({
  id: r.id,
  useCase: r.use_case,
  decision: r.decision,
  notes: r.notes,
  flags: r.flags,
  reviewer: r.reviewer,
  createdAt: new Date(r.created_at).toISOString(),
});

/** Health flags of a use case. Authorized (`usage:read`; reviewers only for use cases they may use). */
export async function healthOfUseCase(
  db: Queryable,
  caller: Caller,
  useCaseName: string,
  options: { asOf?: string; includeSimulated?: boolean; clock?: Clock } = {},
): Promise<UseCaseHealth> {
  authorize(caller, 'usage:read');
  const asOf = checkDate('asOf', options.asOf) ?? (options.clock ?? systemClock).now().toISOString().slice(0, 10);
  const useCase = await createUseCaseStore(db).require(useCaseName);
  assertMaySeeUsage(caller, useCase);
  const health = await computeHealth(db, useCase.name, { asOf, includeSimulated: options.includeSimulated ?? false });
  const { rows } = await db.query<ReviewRow>(
    'SELECT * FROM use_case_reviews WHERE use_case = $1 ORDER BY created_at DESC, id DESC LIMIT 1',
    [useCase.name],
  );
  return { ...health, latestReview: rows[0] ? toReview(rows[0]) : null };
}

/**
 * Records a program review of a use case: the decision (continue / fix / pivot / stop), notes, who and when,
 * with the health flags it was taken on. Authorized (`usecases:write` or the use case owner) and audited
 * (`usecase.review`) in one transaction.
 */
export async function recordReview(
  db: Database,
  caller: Caller,
  useCaseName: string,
  input: { decision: string; notes?: string },
  options: { clock?: Clock; requestId?: string; includeSimulated?: boolean } = {},
): Promise<Review> {
  authorize(caller, 'usage:read');
  if (!(reviewDecisions as readonly string[]).includes(input.decision)) {
    throw new GroundworkError(
      'health.invalid_review',
      `"${input.decision}" is not a review decision (valid: ${reviewDecisions.join(', ')}).`,
      { category: 'usage', fix: `Give --decision ${reviewDecisions.join('|')}.`, details: { valid: reviewDecisions } },
    );
  }
  const notes = (input.notes ?? '').trim();
  if (notes.length > 4000) {
    throw new GroundworkError('health.invalid_review', 'The review notes are longer than 4,000 characters.', {
      category: 'usage',
      fix: 'Shorten the notes (link to a document for the long version).',
    });
  }
  const clock = options.clock ?? systemClock;
  const now = clock.now();
  return db.transaction(async (tx) => {
    const useCase = await createUseCaseStore(tx).require(useCaseName);
    assertMayManage(caller, useCase, 'record a program review');
    const health = await computeHealth(tx, useCase.name, {
      asOf: now.toISOString().slice(0, 10),
      includeSimulated: options.includeSimulated ?? false,
    });
    const flags = health.flags.map((f) => ({ code: f.code, title: f.title, data: f.data }));
    const id = newId('rev');
    const { rows } = await tx.query<ReviewRow>(
      `INSERT INTO use_case_reviews (id, use_case, decision, notes, flags, reviewer, created_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7) RETURNING *`,
      [id, useCase.name, input.decision, notes, JSON.stringify(flags), caller.id, now],
    );
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'usecase.review',
        target: `usecase:${useCase.name}`,
        after: { id, decision: input.decision, notes, flags: flags.map((f) => f.code) },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      clock,
    );
    return toReview(rows[0] as ReviewRow);
  });
}

/** Reviews of a use case, newest first. Authorized like `healthOfUseCase`. */
export async function listReviews(db: Queryable, caller: Caller, useCaseName: string): Promise<Review[]> {
  authorize(caller, 'usage:read');
  const useCase = await createUseCaseStore(db).require(useCaseName);
  assertMaySeeUsage(caller, useCase);
  const { rows } = await db.query<ReviewRow>(
    'SELECT * FROM use_case_reviews WHERE use_case = $1 ORDER BY created_at DESC, id DESC LIMIT 200',
    [useCase.name],
  );
  return rows.map(toReview);
}
