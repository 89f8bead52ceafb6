import { type Caller, type Clock, systemClock } from '../core/index.ts';
import { authorize, recordAudit } from '../govern/index.ts';
import type { Database } from '../store/index.ts';

/**
 * A seeded simulator of usage: `days` days (default 120) of three cohorts with different adoption curves,
 * written straight into the rollups with `simulated = true` (never into usage_answers, never mixed with real
 * rows: reports leave them out unless asked to include them). Same seed, same end day → same rows.
 *
 * - `group:pilot-adjusters`: 20 users exposed in the first two weeks, sticky (most still active at 90 days);
 * - `group:underwriters`: 40 users exposed in days 20–50, a slow decline (half gone after ~6 weeks);
 * - `group:claims-ops`: 60 users exposed in days 40–80, a fast drop-off after the first two weeks.
 * Each user stops for good after an exponentially distributed number of days (mean `churnDays`).
 */
export interface SimulatedCohortProfile {
  readonly principal: string;
  readonly users: number;
  /** Exposure days, offsets from the first simulated day. */
  readonly exposure: readonly [number, number];
  /** Probability of asking on a given day while the user still uses the assistant. */
  readonly daily: number;
  /** Mean days until a user stops for good (exponentially distributed per user): the adoption curve. */
  readonly churnDays: number;
  /** Mean hours from first use to the first successful answer. */
  readonly valueHours: number;
  readonly refusal: number;
  readonly negative: number;
}

export const simulatedCohorts: readonly SimulatedCohortProfile[] = [
  {
    principal: 'group:pilot-adjusters',
    users: 20,
    exposure: [0, 14],
    daily: 0.5,
    churnDays: 300,
    valueHours: 4,
    refusal: 0.06,
    negative: 0.05,
  },
  {
    principal: 'group:underwriters',
    users: 40,
    exposure: [20, 50],
    daily: 0.35,
    churnDays: 60,
    valueHours: 20,
    refusal: 0.1,
    negative: 0.08,
  },
  {
    principal: 'group:claims-ops',
    users: 60,
    exposure: [40, 80],
    daily: 0.25,
    churnDays: 18,
    valueHours: 60,
    refusal: 0.18,
    negative: 0.15,
  },
];

export interface SimulationSummary {
  readonly useCase: string;
  readonly seed: number;
  readonly firstDay: string;
  readonly lastDay: string;
  readonly users: number;
  readonly days: number;
  readonly answers: number;
  readonly simulated: true;
}

/** mulberry32: small, fast, seeded. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const dayMs = 86_400_000;

/**
 * Replaces the simulated rows of `useCase` with a fresh simulation ending at `endDay` (default today, UTC).
 * Authorized (`usecases:write`) and audited (`usage.simulate`) in the same transaction as the writes.
 */
export async function simulateUsage(
  db: Database,
  caller: Caller,
  options: { useCase: string; seed?: number; days?: number; endDay?: string; clock?: Clock; requestId?: string },
): Promise<SimulationSummary> {
  authorize(caller, 'usecases:write');
  const clock = options.clock ?? systemClock;
  const seed = options.seed ?? 42;
  const days = options.days ?? 120;
  const random = prng(seed);
  const end = Date.parse(`${options.endDay ?? clock.now().toISOString().slice(0, 10)}T00:00:00Z`);
  const start = end - (days - 1) * dayMs;
  const users: { id: string; principals: string[]; firstAt: Date; successAt: Date | null }[] = [];
  const daily = { user: [] as string[], day: [] as string[], answers: [] as number[], refused: [] as number[] };
  const more = { rated: [] as number[], negative: [] as number[], failed: [] as number[], retried: [] as number[] };
  let answers = 0;
  for (const profile of simulatedCohorts) {
    const group = profile.principal.slice('group:'.length);
    for (let i = 0; i < profile.users; i++) {
      const id = `user:sim-${group}-${String(i + 1).padStart(3, '0')}@example.invalid`;
      const exposureDay = profile.exposure[0] + Math.floor(random() * (profile.exposure[1] - profile.exposure[0] + 1));
      if (exposureDay >= days) continue;
      const firstAt = new Date(start + exposureDay * dayMs + Math.floor(random() * 10 * 3_600_000) + 8 * 3_600_000);
      const valueHours = -Math.log(1 - random()) * profile.valueHours;
      const successAt = random() < 0.9 ? new Date(firstAt.getTime() + valueHours * 3_600_000) : null;
      users.push({
        id,
        principals: [id, profile.principal],
        firstAt,
        successAt: successAt && successAt.getTime() < end + dayMs ? successAt : null,
      });
      const churnDay = exposureDay + Math.ceil(-Math.log(1 - random()) * profile.churnDays);
      for (let d = exposureDay; d < Math.min(days, churnDay); d++) {
        if (d !== exposureDay && random() >= profile.daily) continue;
        const n = 1 + Math.floor(random() * 4);
        let refused = 0;
        let rated = 0;
        let negative = 0;
        let retried = 0;
        let failed = 0;
        for (let k = 0; k < n; k++) {
          const isRefused = random() < profile.refusal;
          if (isRefused) refused++;
          const isRated = random() < 0.3;
          const isNegative = isRated && random() < profile.negative / 0.3;
          if (isRated) rated++;
          if (isNegative) negative++;
          const isRetried = random() < profile.refusal / 2;
          if (isRetried) retried++;
          if (isNegative || isRetried) failed++;
        }
        answers += n;
        daily.user.push(id);
        daily.day.push(new Date(start + d * dayMs).toISOString().slice(0, 10));
        daily.answers.push(n);
        daily.refused.push(refused);
        more.rated.push(rated);
        more.negative.push(negative);
        more.failed.push(failed);
        more.retried.push(retried);
      }
    }
  }
  const now = clock.now();
  await db.transaction(async (tx) => {
    await tx.query('DELETE FROM usage_daily WHERE simulated AND use_case = $1', [options.useCase]);
    await tx.query('DELETE FROM usage_users WHERE simulated AND use_case = $1', [options.useCase]);
    // Criteria snapshots of the previous simulation are stale now.
    await tx.query('DELETE FROM usage_metric_snapshots WHERE simulated AND use_case = $1', [options.useCase]);
    await tx.query(
      `INSERT INTO usage_users (simulated, use_case, user_id, principals, first_at, first_success_at)
       SELECT true, $1, u.id, string_to_array(u.principals, ','), u.first_at, u.success_at
       FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[]) AS u(id, principals, first_at, success_at)`,
      [
        options.useCase,
        users.map((u) => u.id),
        users.map((u) => u.principals.join(',')),
        users.map((u) => u.firstAt),
        users.map((u) => u.successAt),
      ],
    );
    await tx.query(
      `INSERT INTO usage_daily (simulated, use_case, user_id, day, answers, refused, rated, negative, failed, retried)
       SELECT true, $1, d.* FROM unnest($2::text[], $3::date[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[], $9::int[])
         AS d(user_id, day, answers, refused, rated, negative, failed, retried)`,
      [
        options.useCase,
        daily.user,
        daily.day,
        daily.answers,
        daily.refused,
        more.rated,
        more.negative,
        more.failed,
        more.retried,
      ],
    );
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'usage.simulate',
        target: `use_case:${options.useCase}`,
        after: { seed, days, users: users.length, answers, simulated: true },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      clock,
    );
  });
  return {
    useCase: options.useCase,
    seed,
    firstDay: new Date(start).toISOString().slice(0, 10),
    lastDay: new Date(end).toISOString().slice(0, 10),
    users: users.length,
    days,
    answers,
    simulated: true,
  };
}
