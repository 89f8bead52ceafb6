import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestPlatform, openTestDatabase, testStoreKind } from '../../test/helpers/test-platform.ts';
import { callerWithPrincipals, localOperator } from '../core/index.ts';
import {
  createCohort,
  recordAnswerUsage,
  recordFeedbackUsage,
  recordReviewUsage,
  type UsageReport,
  usageReport,
} from './index.ts';

/** Seeded PRNG (mulberry32) so a failing history can be replayed from its seed. */
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
const start = Date.parse('2026-01-01T00:00:00Z');
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const dayIndex = (ms: number) => Math.floor((ms - start) / dayMs);

interface SimAnswer {
  traceId: string;
  user: string;
  principals: string[];
  at: number;
  hash: string;
  refused: boolean;
  abandoned: boolean;
  retried: boolean;
  rating: 1 | -1 | null;
  overridden: boolean | null;
}

/** A random history: users exposed over ~120 days, repeats (some within the 10-minute retry window), feedback, reviews. */
function history(seed: number, lastDay: number) {
  const random = prng(seed);
  const answers: SimAnswer[] = [];
  let n = 0;
  for (let u = 0; u < 14; u++) {
    const user = `user:u${u}@x.test`;
    const principals = [user, u % 3 === 0 ? 'group:ga' : 'group:gb'];
    const first = Math.floor(random() * 120);
    const stickiness = random();
    let previous: SimAnswer | undefined;
    for (let d = first; d <= lastDay; d++) {
      if (d !== first && random() > stickiness * 0.5) continue;
      const count = 1 + Math.floor(random() * 3);
      let at = start + d * dayMs + Math.floor(random() * 8) * 3_600_000;
      for (let k = 0; k < count; k++) {
        const repeat = previous !== undefined && random() < 0.3;
        if (repeat) at += (1 + Math.floor(random() * 15)) * 60_000;
        else at += Math.floor(random() * 3) * 3_600_000 + 60_000;
        if (dayIndex(at) > lastDay) break;
        const answer: SimAnswer = {
          traceId: `trc_${seed}_${n++}`,
          user,
          principals,
          at,
          hash: repeat && previous ? previous.hash : `q${Math.floor(random() * 1e9)}`,
          refused: random() < 0.15,
          abandoned: random() < 0.05,
          retried: false,
          rating: null,
          overridden: null,
        };
        answers.push(answer);
        previous = answer;
      }
    }
  }
  answers.sort((a, b) => a.at - b.at);
  const feedback: Array<{ traceId: string; rating: 1 | -1 }> = [];
  const reviews: Array<{ traceId: string; overridden: boolean }> = [];
  for (const a of answers) {
    if (random() < 0.3) feedback.push({ traceId: a.traceId, rating: random() < 0.6 ? 1 : -1 });
    if (random() < 0.05) feedback.push({ traceId: a.traceId, rating: random() < 0.5 ? 1 : -1 }); // changed mind
    if (random() < 0.1) reviews.push({ traceId: a.traceId, overridden: random() < 0.3 });
  }
  return { answers, feedback, reviews };
}

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/** The report computed from scratch over the raw history, by the definitions in docs/adoption.md. */
function expected(all: SimAnswer[], asOfDay: number, filter: (a: SimAnswer) => boolean) {
  // Retries: the user's previous answer had the same question within 10 minutes.
  const last = new Map<string, SimAnswer>();
  for (const a of all) {
    const previous = last.get(a.user);
    if (previous && previous.hash === a.hash && a.at - previous.at <= 10 * 60_000) previous.retried = true;
    last.set(a.user, a);
  }
  const answers = all.filter(filter);
  const failed = (a: SimAnswer) => a.rating === -1 || a.retried || a.abandoned;
  const byUser = new Map<string, SimAnswer[]>();
  for (const a of answers) byUser.set(a.user, [...(byUser.get(a.user) ?? []), a]);
  const activeIn = (from: number, to: number) =>
    new Set(answers.filter((a) => dayIndex(a.at) >= from && dayIndex(a.at) <= to).map((a) => a.user)).size;
  const users = [...byUser.entries()].map(([user, list]) => {
    const firstAt = Math.min(...list.map((a) => a.at));
    const success = list.filter((a) => !a.refused && !a.abandoned && a.rating !== -1).map((a) => a.at);
    return {
      user,
      firstAt,
      firstDay: dayIndex(firstAt),
      days: new Set(list.map((a) => dayIndex(a.at))),
      successAt: success.length ? Math.min(...success) : null,
    };
  });
  const hours = (list: typeof users) =>
    list.filter((u) => u.successAt !== null).map((u) => ((u.successAt as number) - u.firstAt) / 3_600_000);
  const months = new Map<string, typeof users>();
  for (const u of users) {
    const key = `${dayOf(start + u.firstDay * dayMs).slice(0, 7)}-01`;
    months.set(key, [...(months.get(key) ?? []), u]);
  }
  const window = (list: typeof users, from: number, to: number) => {
    const eligible = list.filter((u) => u.firstDay + to < asOfDay);
    const active = eligible.filter((u) => [...u.days].some((d) => d - u.firstDay >= from && d - u.firstDay <= to));
    return { rate: eligible.length ? active.length / eligible.length : null, partial: eligible.length < list.length };
  };
  const reviewed = answers.filter((a) => a.overridden !== null);
  const r4 = (x: number | null) => (x === null ? null : Math.round(x * 10000) / 10000);
  return {
    users: users.length,
    answers: answers.length,
    activeUsers: {
      daily: activeIn(asOfDay, asOfDay),
      weekly: activeIn(asOfDay - 6, asOfDay),
      monthly: activeIn(asOfDay - 29, asOfDay),
    },
    taskCompletionRate: r4(answers.length ? answers.filter((a) => !failed(a)).length / answers.length : null),
    refusalRate: r4(answers.length ? answers.filter((a) => a.refused).length / answers.length : null),
    feedbackRate: r4(answers.length ? answers.filter((a) => a.rating !== null).length / answers.length : null),
    overrideRate: r4(reviewed.length ? reviewed.filter((a) => a.overridden).length / reviewed.length : null),
    ttv: { median: percentile(hours(users), 0.5), p90: percentile(hours(users), 0.9), users: hours(users).length },
    cohorts: [...months.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([cohort, list]) => {
        const [w30, w60, w90] = [window(list, 1, 30), window(list, 31, 60), window(list, 61, 90)];
        return {
          cohort,
          users: list.length,
          active30: r4(w30.rate),
          active60: r4(w60.rate),
          active90: r4(w90.rate),
          partial: { active30: w30.partial, active60: w60.partial, active90: w90.partial },
        };
      }),
  };
}

function compare(actual: UsageReport, want: ReturnType<typeof expected>, label: string) {
  assert.equal(actual.users, want.users, `${label}: users`);
  assert.equal(actual.answers, want.answers, `${label}: answers`);
  assert.deepEqual(actual.activeUsers, want.activeUsers, `${label}: active users`);
  assert.equal(actual.taskCompletionRate, want.taskCompletionRate, `${label}: completion`);
  assert.equal(actual.refusalRate, want.refusalRate, `${label}: refusal`);
  assert.equal(actual.feedbackRate, want.feedbackRate, `${label}: feedback`);
  assert.equal(actual.overrideRate, want.overrideRate, `${label}: override`);
  assert.equal(actual.timeToValue.users, want.ttv.users, `${label}: ttv users`);
  const close = (a: number | null, b: number | null, what: string) =>
    assert.ok(a === b || (a !== null && b !== null && Math.abs(a - b) < 0.011), `${label}: ${what} ${a} vs ${b}`);
  close(actual.timeToValue.medianHours, want.ttv.median, 'ttv median');
  close(actual.timeToValue.p90Hours, want.ttv.p90, 'ttv p90');
  assert.deepEqual(
    actual.cohorts.map(({ timeToValue: _t, period: _p, ...rest }) => rest),
    want.cohorts,
    `${label}: cohorts`,
  );
}

describe(`usage rollups (${testStoreKind})`, () => {
  test('rollups give the same report as a from-scratch computation over random histories (seeded), named cohorts too', async () => {
    const platform = await createTestPlatform();
    try {
      await createCohort(platform.db, localOperator, { name: 'ga-and-u4', principals: ['group:ga', 'user:u4@x.test'] });
      for (const seed of [1, 2, 3]) {
        const useCase = `uc${seed}`;
        await platform.answerer.useCases.create(useCase, {});
        const lastDay = 149;
        const { answers, feedback, reviews } = history(seed, lastDay);
        for (const a of answers) {
          await recordAnswerUsage(platform.db, {
            traceId: a.traceId,
            useCase,
            userId: a.user,
            principals: a.principals,
            questionHash: a.hash,
            refused: a.refused,
            abandoned: a.abandoned,
            at: new Date(a.at),
          });
        }
        const byId = new Map(answers.map((a) => [a.traceId, a]));
        for (const f of feedback) {
          await recordFeedbackUsage(platform.db, f);
          (byId.get(f.traceId) as SimAnswer).rating = f.rating;
        }
        for (const r of reviews) {
          await recordReviewUsage(platform.db, r);
          (byId.get(r.traceId) as SimAnswer).overridden = r.overridden;
        }
        const asOf = dayOf(start + lastDay * dayMs);
        const all = await usageReport(platform.db, localOperator, { useCase, asOf });
        compare(
          all,
          expected(answers, lastDay, () => true),
          `seed ${seed}`,
        );
        const named = await usageReport(platform.db, localOperator, { useCase, asOf, cohort: 'ga-and-u4' });
        const inCohort = (a: SimAnswer) => a.principals.includes('group:ga') || a.user === 'user:u4@x.test';
        compare(named, expected(answers, lastDay, inCohort), `seed ${seed} named cohort`);
        assert.equal(all.dailyActive.length, 90);
        assert.equal(all.dailyActive.at(-1)?.day, asOf);
        assert.equal(all.dailyActive.at(-1)?.users, all.activeUsers.daily);
        assert.ok(!JSON.stringify(all).includes('x.test'), 'no user id in a report');
      }
    } finally {
      await platform.close();
    }
  });

  test('cohort windows: days 1–30 / 31–60 / 61–90 after first exposure, partial until elapsed; time-to-value; completion', async () => {
    const platform = await createTestPlatform();
    try {
      const at = (day: string, hour = 9) => new Date(`${day}T${String(hour).padStart(2, '0')}:00:00Z`);
      const answer = (traceId: string, user: string, when: Date, extra: { refused?: boolean; hash?: string } = {}) =>
        recordAnswerUsage(platform.db, {
          traceId,
          useCase: 'default',
          userId: user,
          principals: [user],
          questionHash: extra.hash ?? traceId,
          refused: extra.refused ?? false,
          at: when,
        });
      // ann: refused first (no value), succeeds 5 hours later; active on day 10 and day 45 after exposure.
      await answer('a1', 'user:ann@x.test', at('2026-03-01', 9), { refused: true });
      await answer('a2', 'user:ann@x.test', at('2026-03-01', 14));
      await answer('a3', 'user:ann@x.test', at('2026-03-11'));
      await answer('a4', 'user:ann@x.test', at('2026-04-15'));
      // bob: first answer gets negative feedback, then a retry of the same question 5 minutes later.
      await answer('b1', 'user:bob@x.test', at('2026-03-20', 9), { hash: 'same' });
      await recordFeedbackUsage(platform.db, { traceId: 'b1', rating: -1 });
      await answer('b2', 'user:bob@x.test', new Date(at('2026-03-20', 9).getTime() + 5 * 60_000), { hash: 'same' });
      // As of 2026-04-20: ann's 1–30 window is over (exposed 03-01, day 30 = 03-31), bob's (03-20 → 04-19) just over.
      const report = await usageReport(platform.db, localOperator, { useCase: 'default', asOf: '2026-04-20' });
      assert.deepEqual(
        report.cohorts.map((c) => ({ cohort: c.cohort, users: c.users, a30: c.active30, a60: c.active60, partial: c.partial })),
        [{ cohort: '2026-03-01', users: 2, a30: 0.5, a60: null, partial: { active30: false, active60: true, active90: true } }],
      );
      // ttv: ann 5 h; bob: b1 negative, b2 success 5 min later → 0.08 h.
      assert.equal(report.timeToValue.users, 2);
      assert.equal(report.timeToValue.medianHours, 2.54);
      // 6 answers: b1 failed (negative feedback and retried) → 5/6 completed; 1 refusal; 1 rated.
      assert.equal(report.taskCompletionRate, Math.round((5 / 6) * 10000) / 10000);
      assert.equal(report.refusalRate, Math.round((1 / 6) * 10000) / 10000);
      assert.equal(report.feedbackRate, Math.round((1 / 6) * 10000) / 10000);
      assert.equal(report.overrideRate, null, 'no reviews yet');
      // Weekly cohorts split them; as of 05-31 ann's 31–60 window is over (active on day 45).
      const weekly = await usageReport(platform.db, localOperator, { useCase: 'default', asOf: '2026-05-31', period: 'week' });
      assert.deepEqual(
        weekly.cohorts.map((c) => [c.cohort, c.users, c.active30, c.active60]),
        [
          ['2026-02-23', 1, 1, 1],
          ['2026-03-16', 1, 0, 0],
        ],
      );
      // Feedback changed to positive: b1 is no longer negative but still retried (not completed).
      await recordFeedbackUsage(platform.db, { traceId: 'b1', rating: 1 });
      const after = await usageReport(platform.db, localOperator, { useCase: 'default', asOf: '2026-04-20' });
      assert.equal(after.taskCompletionRate, Math.round((5 / 6) * 10000) / 10000);
      assert.equal(after.timeToValue.medianHours, 2.5, 'bob reached value at once now: median of 5 h and 0 h');
    } finally {
      await platform.close();
    }
  });

  test('answers through the answerer reach the rollups by their events; an abandoned stream is not completed', async () => {
    const platform = await createTestPlatform();
    try {
      const ann = callerWithPrincipals(['user:ann@x.test', 'group:pilot']);
      await platform.answerer.ask({ question: 'What is the deductible?', caller: ann });
      for await (const _event of platform.answerer.stream({ question: 'Anything at all?', caller: ann })) break;
      await platform.usage.flush();
      await createCohort(platform.db, localOperator, { name: 'pilot', principals: ['group:pilot'] });
      const report = await usageReport(platform.db, localOperator, { useCase: 'default', cohort: 'pilot' });
      assert.equal(report.users, 1);
      assert.equal(report.answers, 2);
      assert.equal(report.activeUsers.daily, 1);
      assert.equal(report.taskCompletionRate, 0.5, 'the abandoned stream is not completed');
      const other = await usageReport(platform.db, localOperator, {
        useCase: 'default',
        cohort: 'pilot',
        includeSimulated: true,
      });
      assert.equal(other.includesSimulated, true);
    } finally {
      await platform.close();
    }
  });

  test('several platforms (processes) writing the same users concurrently: no update lost', async () => {
    const platform = await createTestPlatform();
    const second = await openTestDatabase({ schema: platform.db.schema, migrate: false });
    try {
      const dbs = [platform.db, second];
      const when = new Date('2026-02-02T10:00:00Z');
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 60; i++) {
        const user = `user:c${i % 3}@x.test`;
        writes.push(
          recordAnswerUsage(dbs[i % 2] as typeof platform.db, {
            traceId: `t${i}`,
            useCase: 'default',
            userId: user,
            principals: [user],
            questionHash: `q${i}`,
            refused: i % 5 === 0,
            at: new Date(when.getTime() + i * 1000),
          }),
        );
      }
      await Promise.all(writes);
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          recordFeedbackUsage(dbs[(i + 1) % 2] as typeof platform.db, { traceId: `t${i}`, rating: -1 }),
        ),
      );
      const report = await usageReport(platform.db, localOperator, { useCase: 'default', asOf: '2026-02-02' });
      assert.equal(report.users, 3);
      assert.equal(report.answers, 60);
      assert.equal(report.refusalRate, 0.2);
      assert.equal(report.feedbackRate, 1);
      assert.equal(report.taskCompletionRate, 0);
      assert.equal(report.timeToValue.users, 0, 'every answer was rated negative or refused: no value yet');
    } finally {
      await second.close().catch(() => {});
      await platform.close();
    }
  });
});
