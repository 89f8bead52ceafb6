import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { type Clock, isGroundworkError, localOperator } from '../core/index.ts';
import { setBudget } from '../observe/index.ts';
import type { Queryable } from '../store/index.ts';
import { listAlerts } from './alerts.ts';
import { evaluateMonitors } from './evaluate.ts';
import { createMonitor, listMonitors, type MonitorDeps } from './monitors.ts';

/** Every answer-side kind, evaluated on seeded traces with a fixed clock (no model, no network). */
const NOW = new Date('2026-11-30T12:00:00.000Z');
const clock: Clock = { now: () => NOW };
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);

interface SeedTrace {
  id: string;
  useCase?: string;
  at: Date;
  outcome?: 'answered' | 'refused';
  confidence?: number;
  cost?: number;
  tokens?: number;
  durationMs?: number;
  topScore?: number | null;
  cited?: string[];
  answer?: string | null;
  retention?: 'keep' | 'redact' | 'drop';
  groundedness?: number;
  egress?: { redacted: Record<string, number>; blocked: number };
}

async function seed(db: Queryable, t: SeedTrace): Promise<void> {
  const retrieved = t.topScore === null ? [] : [{ chunkId: `c_${t.id}`, documentId: 'doc_x', score: t.topScore ?? 0.8 }];
  const attributes = {
    'groundwork.retrieved': retrieved,
    'groundwork.citations': (t.cited ?? []).map((documentId, i) => ({ n: i + 1, chunkId: `c${i}`, documentId })),
    ...(t.egress
      ? {
          'groundwork.egress.provider': 'openai',
          'groundwork.egress.redacted': t.egress.redacted,
          'groundwork.egress.blocked': t.egress.blocked,
        }
      : {}),
  };
  await db.query(
    `INSERT INTO traces (id, operation, name, use_case, started_at, ended_at, duration_ms, status, outcome, confidence,
       cost_usd, input_tokens, answer, text_retention, attributes)
     VALUES ($1, 'answer', 'answer', $2, $3, $3, $4, 'ok', $5, $6, $7, $8, $9, $10, $11::jsonb)`,
    [
      t.id,
      t.useCase ?? 'qa',
      t.at,
      t.durationMs ?? 100,
      t.outcome ?? 'answered',
      t.confidence ?? 0.9,
      t.cost ?? 0.001,
      t.tokens ?? 500,
      t.answer === undefined ? 'A fine answer [1].' : t.answer,
      t.retention ?? 'keep',
      JSON.stringify(attributes),
    ],
  );
  if (t.groundedness !== undefined) {
    await db.query(
      `INSERT INTO spans (trace_id, span_id, name, started_at, ended_at, duration_ms, status, attributes)
       VALUES ($1, $2, 'groundedness', $3, $3, 1, 'ok', $4::jsonb)`,
      [t.id, `s_${t.id}`, t.at, JSON.stringify({ 'groundwork.groundedness': t.groundedness })],
    );
  }
}

describe(`monitor: kinds on seeded traces (${testStoreKind})`, () => {
  let platform: Awaited<ReturnType<typeof createTestPlatform>>;
  let deps: MonitorDeps;

  before(async () => {
    platform = await createTestPlatform();
    deps = { db: platform.db, clock, config: platform.config };
    await platform.answerer.useCases.create('qa', {});
    const db = platform.db;
    // Baseline (2–8 hours ago): cheap, confident, high top scores.
    for (let i = 0; i < 40; i++) {
      await seed(db, { id: `b${i}`, at: minutesAgo(120 + i * 5), cost: 0.001, tokens: 500, topScore: 0.7 + (i % 10) / 40 });
    }
    // The window (last hour): 20 answers; 6 refused, 5 low confidence, 3 without retrieval results, 4 slow,
    // expensive (context blow-up), low top scores, 4 with PII in the stored answer, 5 citing a deleted document.
    for (let i = 0; i < 20; i++) {
      await seed(db, {
        id: `w${i}`,
        at: minutesAgo(1 + i * 2),
        outcome: i < 6 ? 'refused' : 'answered',
        confidence: i >= 6 && i < 11 ? 0.2 : 0.9,
        topScore: i >= 17 ? null : 0.1 + (i % 5) / 50,
        cost: 0.01,
        tokens: 5000,
        durationMs: i < 4 ? 30_000 : 200,
        answer: i >= 11 && i < 15 ? 'Mail jane.doe@example.com or call +1 415 555 0100 [1].' : 'The policy covers it [1].',
        cited: i >= 6 && i < 11 ? ['doc_deleted'] : [],
        groundedness: i >= 6 ? 0.4 : undefined,
        // Sent to a provider: 4 of 10 with PII redacted, 1 with a restricted passage withheld.
        egress: i >= 10 ? { redacted: i < 14 ? { email: 1 } : {}, blocked: i === 19 ? 1 : 0 } : undefined,
      });
    }
    // Feedback in the window: 3 of 5 negative.
    for (let i = 0; i < 5; i++) {
      await db.query(`INSERT INTO feedback (id, trace_id, caller_id, rating, created_at) VALUES ($1, $2, 'user:x', $3, $4)`, [
        `fb${i}`,
        `w${10 + i}`,
        i < 3 ? -1 : 1,
        minutesAgo(5),
      ]);
    }
    await setBudget(db, { useCase: 'qa', dailyUsd: 0.05, actor: 'local:operator' });
  });
  after(async () => {
    await platform.close();
  });

  test('each kind measures its metric and fires past its threshold; healthy ones stay ok', async () => {
    const small = { minSample: 3 };
    const specs: Array<{
      name: string;
      kind: string;
      threshold?: string;
      params?: Record<string, number | string>;
      expect: string;
    }> = [
      { name: 'refusals', kind: 'refusal-rate', threshold: '>0.2', expect: 'firing' },
      { name: 'refusals-ok', kind: 'refusal-rate', threshold: '>0.5', expect: 'ok' },
      { name: 'low-confidence', kind: 'low-confidence-rate', threshold: '>0.2', params: { below: 0.5 }, expect: 'firing' },
      { name: 'no-result', kind: 'no-result-rate', threshold: '>0.1', expect: 'firing' },
      { name: 'latency', kind: 'latency-p95', threshold: '>10000', expect: 'firing' },
      { name: 'cost', kind: 'cost-per-answer', threshold: 'rise>0.5', expect: 'firing' },
      { name: 'tokens', kind: 'tokens-per-answer', expect: 'firing' },
      { name: 'drift', kind: 'score-drift', threshold: '>0.2', expect: 'firing' },
      { name: 'grounded', kind: 'groundedness', threshold: '<0.7', expect: 'firing' },
      { name: 'pii', kind: 'pii-in-output', threshold: '>0', expect: 'firing' },
      { name: 'egress', kind: 'pii-to-provider', threshold: '>0.4', expect: 'firing' },
      { name: 'egress-ok', kind: 'pii-to-provider', threshold: '>0.6', expect: 'ok' },
      { name: 'stale', kind: 'stale-citations', threshold: '>0.1', expect: 'firing' },
      { name: 'feedback', kind: 'negative-feedback-rate', threshold: '>0.5', expect: 'firing' },
      { name: 'spend', kind: 'daily-spend', threshold: '>1', expect: 'firing' },
    ];
    for (const spec of specs) {
      await createMonitor(deps, localOperator, {
        name: spec.name,
        kind: spec.kind,
        useCase: 'qa',
        window: '1h',
        baseline: '7h',
        ...(spec.threshold ? { threshold: spec.threshold } : {}),
        params: { ...small, ...(spec.params ?? {}) },
      });
    }
    const results = await evaluateMonitors(deps, localOperator);
    const byName = new Map(results.map((r) => [r.name, r]));
    for (const spec of specs) {
      const result = byName.get(spec.name);
      assert.ok(result, spec.name);
      assert.equal(result.state, spec.expect, `${spec.name}: ${JSON.stringify(result)}`);
    }
    assert.equal(byName.get('refusals')?.value, 6 / 20);
    assert.equal(byName.get('low-confidence')?.value, 5 / 20);
    assert.equal(byName.get('no-result')?.value, 3 / 20);
    assert.equal(byName.get('feedback')?.value, 3 / 5);
    assert.equal(byName.get('stale')?.value, 1); // only the answers citing something count: all 5 cite a deleted document
    assert.ok(Math.abs((byName.get('cost')?.reference ?? 0) - 0.001) < 1e-9);
    assert.ok((byName.get('pii')?.value ?? 0) > 0.25);
    assert.equal(byName.get('grounded')?.value, 0.4);
    assert.equal(byName.get('egress')?.value, 5 / 10);
    // Example traces are those behind the value (refused ones for the refusal rate).
    const alerts = await listAlerts(platform.db, localOperator, { monitor: 'refusals' });
    assert.equal(alerts.length, 1);
    assert.ok(alerts[0]?.exampleTraces.every((t) => t.outcome === 'refused') && alerts[0].exampleTraces.length > 0);

    // Not due again within `every` (5m): nothing is evaluated; forced, the open alerts are refreshed, not duplicated.
    assert.equal((await evaluateMonitors(deps, localOperator)).length, 0);
    const again = await evaluateMonitors(deps, localOperator, { force: true });
    assert.equal(again.find((r) => r.name === 'refusals')?.alert?.action, 'updated');
    assert.equal((await listAlerts(platform.db, localOperator, { monitor: 'refusals' })).length, 1);
    const listed = await listMonitors(platform.db, localOperator);
    assert.equal(listed.find((m) => m.name === 'refusals')?.lastState, 'firing');
  });

  test('two evaluations of one monitor at once open one alert (the second refreshes it)', async () => {
    await createMonitor(deps, localOperator, {
      name: 'race',
      kind: 'refusal-rate',
      useCase: 'qa',
      threshold: '>0.2',
      params: { minSample: 3 },
    });
    const both = await Promise.all([
      evaluateMonitors(deps, localOperator, { monitors: ['race'] }),
      evaluateMonitors(deps, localOperator, { monitors: ['race'] }),
    ]);
    assert.deepEqual(both.map(([r]) => r?.alert?.action).sort(), ['fired', 'updated']);
    assert.equal((await listAlerts(platform.db, localOperator, { monitor: 'race' })).length, 1);
  });

  test('evaluation history older than monitoring.historyDays is pruned, except the reference (last healthy value)', async () => {
    const monitor = await createMonitor(deps, localOperator, {
      name: 'history',
      kind: 'refusal-rate',
      useCase: 'qa',
      window: '5m',
    });
    const old = (days: number) => new Date(NOW.getTime() - days * 86_400_000);
    for (const [days, state, value] of [
      [45, 'ok', 0.1],
      [40, 'firing', 0.9],
      [35, 'ok', 0.2],
      [31, 'firing', 0.8],
    ] as const) {
      await platform.db.query('INSERT INTO monitor_evaluations (monitor_id, at, value, state) VALUES ($1, $2, $3, $4)', [
        monitor.id,
        old(days),
        value,
        state,
      ]);
    }
    await evaluateMonitors(deps, localOperator, { monitors: ['history'] }); // no data now: nothing healthier to keep
    const { rows } = await platform.db.query<{ value: number; state: string }>(
      'SELECT value, state FROM monitor_evaluations WHERE monitor_id = $1 ORDER BY at',
      [monitor.id],
    );
    assert.deepEqual(
      rows.map((r) => [r.state, r.value === null ? null : Number(r.value)]),
      [
        ['ok', 0.2],
        ['no_data', null],
      ],
    );
  });

  test('too few answers is no data (neither fires nor resolves); bad kinds and thresholds are 400s naming the fix', async () => {
    // 3 answers in the last 5 minutes, below the default minSample of 10.
    await createMonitor(deps, localOperator, { name: 'sparse', kind: 'refusal-rate', useCase: 'qa', window: '5m' });
    const [result] = await evaluateMonitors(deps, localOperator, { monitors: ['sparse'] });
    assert.equal(result?.state, 'no_data');
    assert.equal(result?.alert, null);
    const failures: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ name: 'x1', kind: 'answer-quality' }, 'monitor.unknown_kind', /Valid kinds: groundedness, refusal-rate/],
      [{ name: 'x2', kind: 'refusal-rate', threshold: 'spike>2' }, 'monitor.invalid_threshold', /drop>R/],
      [{ name: 'x3', kind: 'refusal-rate', threshold: 'age>1h' }, 'monitor.invalid_threshold', /age/],
      [{ name: 'x4', kind: 'documents-count' }, 'monitor.invalid', /--source/],
      [{ name: 'x5', kind: 'refusal-rate', window: 'forever' }, 'monitor.invalid', /duration/],
    ];
    for (const [input, expected, message] of failures) {
      await assert.rejects(
        createMonitor(deps, localOperator, input as never),
        (error: unknown) => isGroundworkError(error) && error.code === expected && message.test(error.message),
        JSON.stringify(input),
      );
    }
  });
});
