import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { callerWithPrincipals, fixedClock, type GroundworkError, localOperator } from '../core/index.ts';
import { importDataset, parseJsonlCases, runEvaluation } from '../evaluate/index.ts';
import { approveChange, listAudit } from '../govern/index.ts';
import { addSource } from '../ingest/index.ts';
import { purgeTraces } from '../observe/index.ts';
import {
  addCriterion,
  criteriaStatusFor,
  criterionStatus,
  healthOfUseCase,
  listCriteria,
  listReviews,
  periodEnd,
  periodStart,
  purgeUsageAnswers,
  recordAnswerUsage,
  recordMeasurement,
  recordReview,
  removeCriterion,
  simulateUsage,
} from './index.ts';

const builder = callerWithPrincipals(['user:bob@x.test'], 'builder');
const reviewer = callerWithPrincipals(['user:rita@x.test'], 'reviewer');
const owner = callerWithPrincipals(['user:olga@x.test'], 'reviewer');
const admin = callerWithPrincipals(['user:ada@x.test'], 'admin');

const point = (day: string, value: number, met: boolean, complete = true) => ({ period: day, day, value, met, complete });

describe('success criteria: the status rule (pure, fixed days)', () => {
  const up = { direction: 'up' as const, target: 0.6, baseline: 0.3, due: null };
  test('no points → no_data; latest meets target → on_track', () => {
    assert.equal(criterionStatus(up, [], '2026-06-30').status, 'no_data');
    assert.equal(
      criterionStatus(up, [point('2026-06-01', 0.4, false), point('2026-06-08', 0.62, true, false)], '2026-06-10').status,
      'on_track',
    );
  });
  test('without a due date: one short period → at_risk, two complete short periods in a row → missed', () => {
    const one = criterionStatus(up, [point('2026-06-01', 0.7, true), point('2026-06-08', 0.5, false)], '2026-06-20');
    assert.equal(one.status, 'at_risk');
    assert.equal(one.missedPeriodsInARow, 1);
    const two = criterionStatus(
      up,
      [point('2026-06-01', 0.5, false), point('2026-06-08', 0.5, false), point('2026-06-15', 0.5, false, false)],
      '2026-06-20',
    );
    assert.equal(two.status, 'missed');
    assert.equal(two.missedPeriodsInARow, 2);
  });
  test('with a due date: passed and short → missed; trend reaching it by then → on_track; worse than baseline → at_risk', () => {
    const due = { ...up, due: '2026-07-31' };
    assert.equal(criterionStatus(due, [point('2026-07-27', 0.5, false)], '2026-08-01').status, 'missed');
    const rising = [point('2026-06-01', 0.35, false), point('2026-06-08', 0.4, false), point('2026-06-15', 0.45, false)];
    const onTrack = criterionStatus(due, rising, '2026-06-16');
    assert.equal(onTrack.status, 'on_track', onTrack.reason);
    assert.ok((onTrack.trendPerDay ?? 0) > 0);
    const flat = [point('2026-06-01', 0.45, false), point('2026-06-08', 0.45, false), point('2026-06-15', 0.45, false)];
    assert.equal(criterionStatus(due, flat, '2026-06-16').status, 'at_risk');
    const falling = [point('2026-06-01', 0.3, false), point('2026-06-08', 0.25, false)];
    assert.match(criterionStatus(due, falling, '2026-06-10').reason, /worse than the baseline/);
    const down = { direction: 'down' as const, target: 0.1, baseline: null, due: null };
    assert.equal(criterionStatus(down, [point('2026-06-01', 0.08, true)], '2026-06-10').status, 'on_track');
  });
  test('periods: weeks start on Monday, months on the 1st', () => {
    assert.equal(periodStart('weekly', '2026-06-03'), '2026-06-01');
    assert.equal(periodEnd('weekly', '2026-06-01'), '2026-06-07');
    assert.equal(periodStart('monthly', '2026-02-17'), '2026-02-01');
    assert.equal(periodEnd('monthly', '2026-02-01'), '2026-02-28');
  });
});

describe(`success criteria and program health (${testStoreKind})`, () => {
  let platform: Awaited<ReturnType<typeof createTestPlatform>>;
  before(async () => {
    platform = await createTestPlatform();
    await platform.answerer.useCases.create('claims', { owner: 'user:olga@x.test' });
  });
  after(async () => {
    await platform?.close();
  });

  test('add / list / remove on a draft use case: applied at once, audited; bad input names the fix', async () => {
    const added = await addCriterion(platform.governance, platform.db, builder, 'claims', {
      metric: 'refusalRate',
      target: 0.1,
      baseline: 0.2,
      cadence: 'weekly',
    });
    assert.equal(added.status, 'applied');
    const listed = await listCriteria(platform.db, reviewer, 'claims', { asOf: '2026-06-30' });
    assert.deepEqual(
      listed.criteria.map((c) => [c.id, c.metric, c.source, c.direction, c.owner, c.status]),
      [['refusalrate', 'refusalRate', 'usage', 'down', 'user:olga@x.test', 'no_data']],
    );
    assert.equal(listed.allOnTrack, false, 'no_data is not on track');
    await assert.rejects(
      addCriterion(platform.governance, platform.db, builder, 'claims', { metric: 'happiness', target: 1 }),
      (e: GroundworkError) => {
        assert.equal(e.code, 'criteria.unknown_metric');
        assert.match(e.message, /activeUsers\.daily.*taskCompletionRate.*eval:.*manual:/s);
        return true;
      },
    );
    await assert.rejects(
      addCriterion(platform.governance, platform.db, builder, 'claims', { metric: 'refusalRate', target: Number.NaN, id: 'x' }),
      (e: GroundworkError) => e.code === 'criteria.invalid',
    );
    await assert.rejects(
      addCriterion(platform.governance, platform.db, builder, 'claims', {
        metric: 'refusalRate',
        target: 0.1,
        cadence: 'hourly',
      }),
      /valid: daily, weekly, monthly/,
    );
    await assert.rejects(
      addCriterion(platform.governance, platform.db, builder, 'claims', { metric: 'manual:minutes', target: 5 }),
      /needs a --unit/,
    );
    await assert.rejects(
      addCriterion(platform.governance, platform.db, builder, 'claims', { metric: 'refusalRate', target: 0.05 }),
      (e: GroundworkError) => e.code === 'criteria.exists',
    );
    await assert.rejects(
      addCriterion(platform.governance, platform.db, builder, 'nope', { metric: 'refusalRate', target: 0.05 }),
      (e: GroundworkError) => e.code === 'use_case.not_found',
    );
    await assert.rejects(
      addCriterion(platform.governance, platform.db, reviewer, 'claims', { metric: 'feedbackRate', target: 0.3 }),
      (e: GroundworkError) => e.code === 'auth.forbidden',
    );
    // The owner (a reviewer) may.
    const byOwner = await addCriterion(platform.governance, platform.db, owner, 'claims', {
      metric: 'feedbackRate',
      target: 0.3,
    });
    assert.equal(byOwner.status, 'applied');
    await assert.rejects(
      removeCriterion(platform.governance, platform.db, builder, 'claims', 'ghost'),
      /valid: refusalrate, feedbackrate/,
    );
    assert.equal((await removeCriterion(platform.governance, platform.db, builder, 'claims', 'feedbackrate')).status, 'applied');
    const audit = await listAudit(platform.db, { limit: 50 });
    assert.ok(audit.some((e) => e.action === 'criteria.add' && e.actor === builder.id));
    assert.ok(audit.some((e) => e.action === 'criteria.remove' && e.actor === builder.id));
  });

  test('past draft, a criteria change is a change request: lowering a target needs another person to approve', async () => {
    await platform.answerer.useCases.create('pilot-qa', { status: 'pilot', owner: 'user:olga@x.test' });
    const submitted = await addCriterion(platform.governance, platform.db, builder, 'pilot-qa', {
      metric: 'taskCompletionRate',
      target: 0.7,
    });
    assert.equal(submitted.status, 'pending');
    assert.equal((await listCriteria(platform.db, builder, 'pilot-qa', { asOf: '2026-06-30' })).criteria.length, 0);
    const id = 'changeRequest' in submitted ? submitted.changeRequest.id : '';
    await assert.rejects(approveChange(platform.governance, platform.db, builder, id), /approve/);
    await approveChange(platform.governance, platform.db, admin, id);
    const listed = await listCriteria(platform.db, builder, 'pilot-qa', { asOf: '2026-06-30' });
    assert.deepEqual(
      listed.criteria.map((c) => [c.id, c.target]),
      [['taskcompletionrate', 0.7]],
    );
  });

  test('usage criteria: progress per weekly period from the rollups, snapshots of complete periods', async () => {
    await platform.answerer.useCases.create('weekly', {});
    // Week of 2026-06-01: 2 answers, 1 refused; week of 06-08: 4 answers, none refused; current week (06-15): 2, none refused.
    const answers: Array<[string, string, boolean]> = [
      ['2026-06-02', 'user:a@x.test', true],
      ['2026-06-03', 'user:b@x.test', false],
      ['2026-06-09', 'user:a@x.test', false],
      ['2026-06-09', 'user:b@x.test', false],
      ['2026-06-10', 'user:c@x.test', false],
      ['2026-06-11', 'user:a@x.test', false],
      ['2026-06-15', 'user:c@x.test', false],
      ['2026-06-16', 'user:d@x.test', false],
    ];
    let i = 0;
    for (const [day, user, refused] of answers) {
      await recordAnswerUsage(platform.db, {
        traceId: `w${i++}`,
        useCase: 'weekly',
        userId: user,
        principals: [user],
        questionHash: `q${i}`,
        refused,
        at: new Date(`${day}T10:00:00Z`),
      });
    }
    await addCriterion(platform.governance, platform.db, builder, 'weekly', {
      id: 'refusals',
      metric: 'refusalRate',
      target: 0.2,
      cadence: 'weekly',
    });
    const first = await listCriteria(platform.db, builder, 'weekly', { asOf: '2026-06-17' });
    const c = first.criteria[0];
    assert.ok(c);
    assert.deepEqual(
      c.points.map((p) => [p.period, p.value, p.met, p.complete]),
      [
        ['2026-06-01', 0.5, false, true],
        ['2026-06-08', 0, true, true],
        ['2026-06-15', 0, true, false],
      ],
    );
    assert.equal(c.status, 'on_track');
    assert.equal(c.latest, 0);
    // Complete periods were snapshotted; a second read uses them (same points).
    const second = await listCriteria(platform.db, builder, 'weekly', { asOf: '2026-06-17' });
    assert.deepEqual(second.criteria[0]?.points, c.points);
    assert.equal((await criteriaStatusFor(platform.db, 'weekly', { asOf: '2026-06-17' })).allOnTrack, true);
    assert.deepEqual(await criteriaStatusFor(platform.db, 'claims-none', { asOf: '2026-06-17' }), {
      criteria: [],
      allOnTrack: false,
    });
  });

  test('eval criteria read the mean of a real evaluation run of the use case', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'gw-criteria-'));
    writeFileSync(join(folder, 'home.txt'), 'Home insurance covers fire damage up to 500000 dollars.\n');
    writeFileSync(join(folder, 'motor.txt'), 'Motor insurance covers collision repairs at the garage.\n');
    await addSource(platform.db, { name: 'share', type: 'filesystem', path: folder });
    await platform.ingestion.sync({ source: 'share' });
    const parsed = parseJsonlCases(
      [
        { id: 'fire', question: 'home insurance fire damage', relevant_documents: ['home.txt'] },
        { id: 'motor', question: 'motor collision repairs', relevant_documents: ['motor.txt'] },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    await importDataset(platform.db, parsed.cases, { name: 'claims-set', origin: 'jsonl', caller: localOperator });
    await assert.rejects(
      addCriterion(platform.governance, platform.db, builder, 'claims', { metric: 'eval:nonsense', target: 0.8 }),
      (e: GroundworkError) => e.code === 'criteria.unknown_metric',
    );
    const run = await runEvaluation(
      {
        db: platform.db,
        tracer: platform.tracer,
        events: platform.events,
        clock: platform.clock,
        search: (request) => platform.retriever.search(request),
      },
      { dataset: 'claims-set@1', mode: 'retrieval', caller: localOperator, depth: 10, useCase: 'claims' },
    );
    assert.equal(run.errors, 0);
    const recall = run.metrics['recall@10']?.mean;
    assert.equal(typeof recall, 'number');
    await addCriterion(platform.governance, platform.db, builder, 'claims', {
      id: 'recall',
      metric: 'eval:recall@10',
      target: 0.9,
    });
    const today = new Date().toISOString().slice(0, 10);
    const listed = await listCriteria(platform.db, builder, 'claims', { asOf: today });
    const c = listed.criteria.find((x) => x.id === 'recall');
    assert.equal(c?.source, 'eval');
    assert.equal(c?.latest, recall);
    assert.equal(c?.status, (recall ?? 0) >= 0.9 ? 'on_track' : 'at_risk');
  });

  test('manual criteria: values recorded with a date (audited; a day again replaces it); usage criteria refuse values', async () => {
    await addCriterion(platform.governance, platform.db, owner, 'claims', {
      id: 'uw-minutes',
      metric: 'manual:underwriting-minutes',
      unit: 'minutes',
      target: 30,
      baseline: 55,
      direction: 'down',
      cadence: 'monthly',
      due: '2026-09-30',
    });
    await recordMeasurement(platform.db, owner, 'claims', 'uw-minutes', { value: 50, date: '2026-05-10' });
    await recordMeasurement(platform.db, owner, 'claims', 'uw-minutes', { value: 48, date: '2026-06-12' });
    await recordMeasurement(platform.db, builder, 'claims', 'uw-minutes', {
      value: 40,
      date: '2026-06-12',
      note: 'after training',
    });
    await assert.rejects(
      recordMeasurement(platform.db, owner, 'claims', 'uw-minutes', { value: Number.POSITIVE_INFINITY }),
      (e: GroundworkError) => e.code === 'criteria.invalid',
    );
    await assert.rejects(
      recordMeasurement(platform.db, owner, 'claims', 'uw-minutes', { value: 3, date: '2026-13-01' }),
      (e: GroundworkError) => e.code === 'criteria.invalid',
    );
    await assert.rejects(
      recordMeasurement(platform.db, owner, 'claims', 'refusalrate', { value: 0.1 }),
      (e: GroundworkError) => e.code === 'criteria.not_manual',
    );
    await assert.rejects(
      recordMeasurement(platform.db, reviewer, 'claims', 'uw-minutes', { value: 1 }),
      (e: GroundworkError) => e.code === 'auth.forbidden',
    );
    const listed = await listCriteria(platform.db, reviewer, 'claims', { asOf: '2026-06-20' });
    const c = listed.criteria.find((x) => x.id === 'uw-minutes');
    assert.deepEqual(
      c?.points.map((p) => [p.period, p.value]),
      [
        ['2026-05-01', 50],
        ['2026-06-01', 40],
      ],
    );
    // 50 → 40 in a month: the trend reaches 30 minutes by the end of September.
    assert.equal(c?.status, 'on_track', c?.reason);
    const audit = await listAudit(platform.db, { limit: 50 });
    const replaced = audit.find((e) => e.action === 'criteria.record' && e.actor === builder.id);
    assert.deepEqual((replaced?.before as { value?: number } | undefined)?.value, 48);
  });

  test('health flags from a seeded simulation (fixed end day), and a recorded review', async () => {
    await platform.answerer.useCases.create('sim', { owner: 'user:olga@x.test' });
    await simulateUsage(platform.db, localOperator, { useCase: 'sim', endDay: '2026-06-30' });
    await addCriterion(platform.governance, platform.db, builder, 'sim', {
      id: 'completion',
      metric: 'taskCompletionRate',
      target: 0.99,
      cadence: 'weekly',
    });
    const real = await healthOfUseCase(platform.db, reviewer, 'sim', { asOf: '2026-06-30' });
    assert.equal(real.users, 0, 'simulated rows are left out unless asked for');
    assert.deepEqual(real.flags, []);
    const health = await healthOfUseCase(platform.db, reviewer, 'sim', { asOf: '2026-06-30', includeSimulated: true });
    assert.equal(health.includesSimulated, true);
    assert.equal(health.liveSince, '2026-03-03');
    assert.ok(health.liveDays >= 90);
    const codes = health.flags.map((f) => f.code);
    assert.ok(codes.includes('criteria_missed'), JSON.stringify(health.flags));
    assert.ok(codes.includes('adoption_falling'), JSON.stringify(health.flags));
    for (const flag of health.flags) {
      assert.ok(flag.suggestion.length > 0);
      assert.ok(['interview', 'fix', 'pivot', 'stop'].includes(flag.action));
      assert.ok(Object.keys(flag.data).length > 0);
    }
    assert.ok(health.activePrevious30 > health.activeLast30);
    await assert.rejects(
      recordReview(platform.db, reviewer, 'sim', { decision: 'fix', notes: 'x' }),
      (e: GroundworkError) => e.code === 'auth.forbidden',
    );
    await assert.rejects(
      recordReview(platform.db, owner, 'sim', { decision: 'abandon' }),
      (e: GroundworkError) => e.code === 'health.invalid_review' && /continue, fix, pivot, stop/.test(e.message),
    );
    const review = await recordReview(
      platform.db,
      owner,
      'sim',
      { decision: 'fix', notes: 'Interview claims-ops about drop-off' },
      { includeSimulated: true, clock: fixedClock(new Date('2026-06-30T15:00:00Z')) },
    );
    assert.equal(review.reviewer, owner.id);
    assert.ok(review.flags.some((f) => f.code === 'adoption_falling'));
    assert.deepEqual(
      (await listReviews(platform.db, reviewer, 'sim')).map((r) => r.decision),
      ['fix'],
    );
    assert.equal((await healthOfUseCase(platform.db, reviewer, 'sim', { asOf: '2026-06-30' })).latestReview?.id, review.id);
    const audit = await listAudit(platform.db, { limit: 20 });
    assert.ok(audit.some((e) => e.action === 'usecase.review' && e.actor === owner.id));
  });

  test('health: 90+ days live, under 20% active, no upward trend → the walk-away flag', async () => {
    await platform.answerer.useCases.create('quiet', {});
    // 10 users first exposed in February; only one still asks in May/June.
    for (let u = 0; u < 10; u++) {
      await recordAnswerUsage(platform.db, {
        traceId: `q-first-${u}`,
        useCase: 'quiet',
        userId: `user:q${u}@x.test`,
        principals: [],
        questionHash: `h${u}`,
        refused: false,
        at: new Date(`2026-02-0${(u % 9) + 1}T09:00:00Z`),
      });
    }
    for (const day of ['2026-05-10', '2026-06-10']) {
      await recordAnswerUsage(platform.db, {
        traceId: `q-late-${day}`,
        useCase: 'quiet',
        userId: 'user:q0@x.test',
        principals: [],
        questionHash: day,
        refused: false,
        at: new Date(`${day}T09:00:00Z`),
      });
    }
    const health = await healthOfUseCase(platform.db, builder, 'quiet', { asOf: '2026-06-20' });
    const flag = health.flags.find((f) => f.code === 'low_adoption');
    assert.ok(flag, JSON.stringify(health));
    assert.deepEqual(flag.data, { liveDays: 139, users: 10, activeLast30: 1, activePrevious30: 1, activeShare: 0.1 });
    assert.equal(flag.action, 'interview');
  });

  test('trace retention purges the per-answer usage rows with the traces (one audited transaction); aggregates stay', async () => {
    await platform.answerer.useCases.create('retained', {});
    const old = new Date(Date.now() - 200 * 86_400_000);
    await recordAnswerUsage(platform.db, {
      traceId: 'old-trace',
      useCase: 'retained',
      userId: 'user:r@x.test',
      principals: [],
      questionHash: 'h',
      refused: false,
      at: old,
    });
    const purged = await purgeTraces(platform.db, localOperator, new Date(Date.now() - 90 * 86_400_000), {
      alsoPurge: [purgeUsageAnswers],
    });
    assert.ok((purged.usageAnswers ?? 0) >= 1, JSON.stringify(purged));
    const left = await platform.db.query("SELECT 1 FROM usage_answers WHERE trace_id = 'old-trace'");
    assert.equal(left.rows.length, 0);
    const daily = await platform.db.query("SELECT answers FROM usage_daily WHERE use_case = 'retained'");
    assert.equal(daily.rows.length, 1, 'the daily aggregate stays');
    const audit = await listAudit(platform.db, { action: 'traces.purge' });
    assert.ok(((audit[0]?.after as { usageAnswers?: number } | undefined)?.usageAnswers ?? 0) >= 1);
  });

  test('health: refusal and override rates rising (last 30 vs previous 30 days), and nobody in the last 30 days', async () => {
    await platform.answerer.useCases.create('rising', {});
    await platform.db.query(
      `INSERT INTO usage_users (simulated, use_case, user_id, first_at) VALUES (false, 'rising', 'user:x@x.test', '2026-04-01T09:00:00Z')`,
    );
    // Previous 30 days (ending 2026-05-21): 60 answers, 3 refused, 20 reviewed, 2 overridden.
    // Last 30 days: 60 answers, 12 refused, 20 reviewed, 8 overridden.
    await platform.db.query(
      `INSERT INTO usage_daily (simulated, use_case, user_id, day, answers, refused, reviewed, overridden) VALUES
         (false, 'rising', 'user:x@x.test', '2026-05-10', 60, 3, 20, 2),
         (false, 'rising', 'user:x@x.test', '2026-06-10', 60, 12, 20, 8)`,
    );
    const health = await healthOfUseCase(platform.db, builder, 'rising', { asOf: '2026-06-20' });
    const byCode = new Map(health.flags.map((f) => [f.code, f]));
    assert.deepEqual(byCode.get('refusal_rate_rising')?.data, {
      refusalRecent: 0.2,
      refusalPrevious: 0.05,
      answersRecent: 60,
      answersPrevious: 60,
    });
    assert.equal(byCode.get('override_rate_rising')?.action, 'fix');
    assert.deepEqual(
      [byCode.get('override_rate_rising')?.data.overrideRecent, byCode.get('override_rate_rising')?.data.overridePrevious],
      [0.4, 0.1],
    );
    const later = await healthOfUseCase(platform.db, builder, 'rising', { asOf: '2026-08-30' });
    assert.deepEqual(
      later.flags.map((f) => [f.code, f.action]),
      [
        ['low_adoption', 'interview'],
        ['no_recent_users', 'stop'],
      ],
    );
  });
});
