/**
 * Usage rollups (docs/adoption.md): what a rollup update costs per answer, next to the answer path without it
 * measured in the same run, and how long the usage report takes over 1M answer events generated in bulk SQL.
 *
 *   node bench/usage.bench.ts [--database-url postgres://postgres@127.0.0.1:5432/groundwork_usage_bench]
 *                             [--answers 300] [--events 1000000] [--keep]
 *
 * The database is dropped and re-created (its name must end in `_bench`). Results go to stdout; docs/benchmarks.md
 * ("Usage rollups") records a run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import {
  addCriterion,
  createCohort,
  healthOfUseCase,
  listCriteria,
  recordAnswerUsage,
  usageReport,
} from '../src/adoption/index.ts';
import { callerWithPrincipals, loadConfig, localOperator, silentLogger } from '../src/core/index.ts';
import { createPlatform } from '../src/create-platform.ts';
import { addSource } from '../src/ingest/index.ts';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/groundwork_usage_bench' },
    answers: { type: 'string', default: '300' },
    events: { type: 'string', default: '1000000' },
    keep: { type: 'boolean', default: false },
  },
});
const url = new URL(values['database-url'] as string);
const dbName = url.pathname.slice(1);
if (!dbName.endsWith('_bench')) throw new Error(`refusing to drop ${dbName}: the bench database name must end in _bench`);
const answers = Number(values.answers);
const events = Number(values.events);
const admin = new URL(url);
admin.pathname = '/postgres';

async function onAdmin(sql: string) {
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
function stats(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: pct(sorted, 50), p95: pct(sorted, 95), mean: times.reduce((s, t) => s + t, 0) / times.length };
}
const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
const fmt = (s: { p50: number; p95: number; mean: number }) => `p50 ${us(s.p50)}, p95 ${us(s.p95)}, mean ${us(s.mean)}`;

await onAdmin(`DROP DATABASE IF EXISTS ${dbName}`);
await onAdmin(`CREATE DATABASE ${dbName}`);
const dir = mkdtempSync(join(tmpdir(), 'gw-bench-usage-'));
const platform = await createPlatform(loadConfig({ env: {}, cwd: dir, flags: { databaseUrl: url.toString() } }), {
  logger: silentLogger,
});
try {
  const version = (await platform.db.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version'])).rows[0]?.v;
  console.log(`Store: ${platform.db.mode} PostgreSQL ${version}`);
  const corpus = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'corpus');
  await addSource(platform.db, { name: 'examples', type: 'filesystem', path: corpus });
  await platform.ingestion.sync({ source: 'examples', trigger: 'cli' });
  const questions = [
    'What is the deductible for water damage?',
    'Who approves a claim over the limit?',
    'How long is the waiting period?',
  ];
  const caller = (i: number) => callerWithPrincipals([`user:bench${i % 50}@x.test`, `group:g${i % 5}`]);
  // Warm up (use-case cache, retriever, JIT).
  for (let i = 0; i < 20; i++) await platform.answerer.ask({ question: questions[i % 3] as string, caller: caller(i) });
  await platform.usage.flush();

  // 1. The answer path with the rollup subscriber, waiting for its write after each answer.
  const withRollup: number[] = [];
  for (let i = 0; i < answers; i++) {
    const t0 = performance.now();
    await platform.answerer.ask({ question: questions[i % 3] as string, caller: caller(i) });
    await platform.usage.flush();
    withRollup.push(performance.now() - t0);
  }
  // 1b. As a client sees it: the subscriber writes after the event, the answer does not wait for it.
  const notAwaited: number[] = [];
  for (let i = 0; i < answers; i++) {
    const t0 = performance.now();
    await platform.answerer.ask({ question: questions[i % 3] as string, caller: caller(i) });
    notAwaited.push(performance.now() - t0);
  }
  await platform.usage.flush();
  // 2. The rollup write alone (recordAnswerUsage), sequential, then 8 writers at once on 50 users.
  const alone: number[] = [];
  for (let i = 0; i < answers; i++) {
    const t0 = performance.now();
    await recordAnswerUsage(platform.db, {
      traceId: `bench_${i}`,
      useCase: 'default',
      userId: `user:bench${i % 50}@x.test`,
      principals: [`user:bench${i % 50}@x.test`],
      questionHash: `q${i % 7}`,
      refused: i % 10 === 0,
      at: new Date(),
    });
    alone.push(performance.now() - t0);
  }
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < answers / 2; i++) {
        const n = w * 100_000 + i;
        await recordAnswerUsage(platform.db, {
          traceId: `par_${n}`,
          useCase: 'default',
          userId: `user:bench${n % 50}@x.test`,
          principals: [],
          questionHash: `q${n}`,
          refused: false,
          at: new Date(),
        });
      }
    }),
  );
  const parallelPerSecond = (8 * (answers / 2)) / ((performance.now() - t0) / 1000);
  // 3. Baseline: the same answers with the subscriber removed.
  await platform.usage.close();
  const baseline: number[] = [];
  for (let i = 0; i < answers; i++) {
    const t1 = performance.now();
    await platform.answerer.ask({ question: questions[i % 3] as string, caller: caller(i) });
    baseline.push(performance.now() - t1);
  }
  const b = stats(baseline);
  const w = stats(withRollup);
  const a = stats(alone);
  console.log(`Answer path without rollup (${answers} extractive answers): ${fmt(b)}`);
  console.log(`Answer path + rollup write awaited:                     ${fmt(w)}`);
  console.log(`  → added per answer: p50 ${us(w.p50 - b.p50)}, mean ${us(w.mean - b.mean)}`);
  console.log(`Answer path with the subscriber, as the caller waits:  ${fmt(stats(notAwaited))}`);
  console.log(`Rollup write alone (recordAnswerUsage, sequential):     ${fmt(a)}`);
  console.log(`Rollup writes, 8 concurrent writers on 50 users:        ${parallelPerSecond.toFixed(0)} answers/s`);

  // 4. 1M answer events in bulk SQL: 20k users over 180 days, then the report.
  await platform.answerer.useCases.create('bench1m', {});
  const users = 20_000;
  const g0 = performance.now();
  await platform.db.query(`SELECT setseed(0.42)`);
  await platform.db.query(
    `INSERT INTO usage_users (simulated, use_case, user_id, principals, first_at)
     SELECT false, 'bench1m', 'user:u' || i || '@x.test', ARRAY['user:u' || i || '@x.test', 'group:g' || (i % 20)],
       date '2026-06-30' - 180 + (random() * 170)::int + make_interval(hours => 8 + (random() * 8)::int)
     FROM generate_series(0, $1 - 1) i`,
    [users],
  );
  await platform.db.query(
    `INSERT INTO usage_answers (trace_id, use_case, user_id, at, day, refused, abandoned, retried, rating)
     SELECT 'b' || e, 'bench1m', user_id, at, (at AT TIME ZONE 'UTC')::date, random() < 0.1, random() < 0.02,
       random() < 0.05, CASE WHEN random() < 0.3 THEN CASE WHEN random() < 0.2 THEN -1 ELSE 1 END END
     FROM (
       SELECT e, u.user_id,
         u.first_at + make_interval(secs => (random() ^ 2) * extract(epoch FROM timestamptz '2026-06-30 23:00Z' - u.first_at)) AS at
       FROM generate_series(0, $1 - 1) e
       JOIN usage_users u ON u.use_case = 'bench1m' AND u.user_id = 'user:u' || (e % $2) || '@x.test') x`,
    [events, users],
  );
  await platform.db.query(
    `INSERT INTO usage_daily (simulated, use_case, user_id, day, answers, refused, abandoned, retried, rated, negative, failed)
     SELECT false, use_case, user_id, day, count(*), count(*) FILTER (WHERE refused), count(*) FILTER (WHERE abandoned),
       count(*) FILTER (WHERE retried), count(rating), count(*) FILTER (WHERE rating < 0),
       count(*) FILTER (WHERE rating < 0 OR retried OR abandoned)
     FROM usage_answers WHERE use_case = 'bench1m' GROUP BY use_case, user_id, day`,
  );
  await platform.db.query(
    `UPDATE usage_users u SET first_at = s.first, first_success_at = s.success FROM (
       SELECT user_id, min(at) AS first, min(at) FILTER (WHERE NOT refused AND NOT abandoned AND coalesce(rating, 0) >= 0) AS success
       FROM usage_answers WHERE use_case = 'bench1m' GROUP BY user_id) s
     WHERE u.use_case = 'bench1m' AND u.user_id = s.user_id`,
  );
  await platform.db.query('ANALYZE usage_users');
  await platform.db.query('ANALYZE usage_daily');
  await platform.db.query('ANALYZE usage_answers');
  const counts = (
    await platform.db.query<{ a: string; d: string }>(
      `SELECT (SELECT count(*) FROM usage_answers WHERE use_case = 'bench1m') AS a, (SELECT count(*) FROM usage_daily WHERE use_case = 'bench1m') AS d`,
    )
  ).rows[0];
  console.log(
    `Generated ${counts?.a} answer events (${counts?.d} user-days, ${users} users) in ${((performance.now() - g0) / 1000).toFixed(1)} s`,
  );
  await createCohort(platform.db, localOperator, {
    name: 'five-groups',
    principals: ['group:g0', 'group:g1', 'group:g2', 'group:g3', 'group:g4'],
  });
  for (const [label, options] of [
    ['all users, monthly cohorts', { useCase: 'bench1m', asOf: '2026-06-30' }],
    ['all users, weekly cohorts', { useCase: 'bench1m', asOf: '2026-06-30', period: 'week' }],
    ['named cohort (5 of 20 groups)', { useCase: 'bench1m', asOf: '2026-06-30', cohort: 'five-groups' }],
  ] as const) {
    const times: number[] = [];
    let report: Awaited<ReturnType<typeof usageReport>> | undefined;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      report = await usageReport(platform.db, localOperator, options);
      times.push(performance.now() - t);
    }
    const s = stats(times);
    console.log(
      `Report over 1M events, ${label}: median ${s.p50.toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms (users ${report?.users}, answers ${report?.answers})`,
    );
  }

  // 5. Success criteria and program health over the same events: the first evaluation computes one report per
  //    complete weekly period (at most 26) and snapshots it; later evaluations read the snapshots.
  await addCriterion(platform.governance, platform.db, localOperator, 'bench1m', {
    id: 'active30',
    metric: 'active30',
    target: 0.5,
    cadence: 'weekly',
  });
  await addCriterion(platform.governance, platform.db, localOperator, 'bench1m', {
    id: 'completion',
    metric: 'taskCompletionRate',
    target: 0.9,
    cadence: 'weekly',
  });
  const c0 = performance.now();
  const cold = await listCriteria(platform.db, localOperator, 'bench1m', { asOf: '2026-06-30' });
  const coldMs = performance.now() - c0;
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await listCriteria(platform.db, localOperator, 'bench1m', { asOf: '2026-06-30' });
    warm.push(performance.now() - t);
  }
  const health: number[] = [];
  let flags: string[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    flags = (await healthOfUseCase(platform.db, localOperator, 'bench1m', { asOf: '2026-06-30' })).flags.map((f) => f.code);
    health.push(performance.now() - t);
  }
  console.log(
    `Criteria, first evaluation (${cold.criteria[0]?.points.length} weekly periods computed and snapshotted): ${coldMs.toFixed(0)} ms`,
  );
  console.log(`Criteria, later evaluations (snapshots + the current period live): median ${stats(warm).p50.toFixed(0)} ms`);
  console.log(
    `Program health (windows + criteria): median ${stats(health).p50.toFixed(0)} ms (flags: ${flags.join(', ') || 'none'})`,
  );
} finally {
  await platform.close();
  if (!values.keep) await onAdmin(`DROP DATABASE IF EXISTS ${dbName}`);
}
