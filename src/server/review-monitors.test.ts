import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { alice, ask, bob, carl, ravi, rita, seedCorpus } from '../../test/helpers/review-corpus.ts';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { setUseCaseStage } from '../answer/index.ts';
import { localOperator, type Role } from '../core/index.ts';
import type { Platform } from '../create-platform.ts';
import { createApiKey } from '../govern/index.ts';
import { createMonitor, evaluateMonitors, listAlerts, type MonitorDeps } from '../monitor/index.ts';
import { gradeReview, listReviews, nextReview } from '../review/index.ts';
import { createApp } from './index.ts';

type Json = Record<string, unknown>;

/**
 * Issue 17 items 3–4: review grades feed the monitors (review-wrong-rate, review-override-rate,
 * review-ungrounded-rate), and the pipeline dashboard shows each use case's review queue to those who review it.
 * Answers are real (extractive), sampled by the real review sampler, graded through gradeReview.
 */
describe(`monitor: review-graded kinds and the pipeline review queue (${testStoreKind})`, () => {
  let platform: Platform;
  let deps: MonitorDeps;
  let built: ReturnType<typeof createApp>;
  const tokens: Record<string, string> = {};
  const call = async (who: string, path: string) => {
    const response = await built.app.request(`http://127.0.0.1${path}`, {
      headers: { authorization: `Bearer ${tokens[who]}` },
    });
    const text = await response.text();
    return { status: response.status, text, json: (text ? JSON.parse(text) : {}) as Json };
  };

  before(async () => {
    platform = await createTestPlatform({
      observe: { textRetention: 'keep' },
      review: { sampleRate: 1, lowConfidenceRate: 1, refusedRate: 1, negativeFeedbackRate: 1 },
    });
    deps = { db: platform.db, config: platform.config };
    await seedCorpus(platform);
    // Use cases start as drafts (rollout): these two are in general availability.
    for (const useCase of ['underwriting-qa', 'claims-qa']) await setUseCaseStage(platform.db, useCase, 'general');
    built = createApp(platform, { webRoot: false, authCacheMs: 0 });
    const keys: Record<string, { role: Role; principals: string[] }> = {
      rita: { role: 'reviewer', principals: [...rita.principals] },
      carl: { role: 'reviewer', principals: [...carl.principals] },
      admin: { role: 'admin', principals: ['user:ada@example.com'] },
    };
    for (const [name, key] of Object.entries(keys)) {
      tokens[name] = (await createApiKey(platform.db, { name, ...key }, { actor: 'local:operator' })).token;
    }
  });
  after(async () => {
    await built.close();
    await platform.close();
  });

  test('review-wrong-rate >0.3 is no data below minSample, then fires once graded reviews cross it; override and ungrounded rates too', async () => {
    for (let i = 0; i < 6; i++)
      await ask(platform, alice, 'underwriting-qa', `What is the flood deductible for coastal risks ${i}?`);
    const items = await listReviews(platform.db, localOperator, { useCase: 'underwriting-qa', status: 'pending' });
    assert.equal(items.length, 6);
    for (const [name, kind, threshold] of [
      ['uw-wrong', 'review-wrong-rate', '>0.3'],
      ['uw-override', 'review-override-rate', '>0.3'],
      ['uw-ungrounded', 'review-ungrounded-rate', '>0.1'],
      ['claims-wrong', 'review-wrong-rate', '>0.3'],
    ] as const) {
      await createMonitor(deps, localOperator, {
        name,
        kind,
        useCase: name.startsWith('uw') ? 'underwriting-qa' : 'claims-qa',
        threshold,
        window: '1h',
      });
    }
    // Four graded (1 wrong): below the default minSample of 5 → no data, no alert.
    const grades = [
      { verdict: 'correct' },
      { verdict: 'correct' },
      { verdict: 'wrong', grounded: 'no', correctedAnswer: 'It is 1000 euros.' },
      { verdict: 'correct', grounded: 'yes' },
      { verdict: 'wrong', grounded: 'yes' },
      { verdict: 'partially' },
    ];
    const wrongTraces: string[] = [];
    for (let i = 0; i < 4; i++) {
      const item = await nextReview(platform.db, rita);
      assert.ok(item);
      await gradeReview(platform.db, rita, item.id, grades[i] as never);
      if (grades[i]?.verdict === 'wrong') wrongTraces.push(item.traceId);
    }
    let results = await evaluateMonitors(deps, localOperator, { force: true });
    const byName = (name: string) => results.find((r) => r.name === name);
    assert.equal(byName('uw-wrong')?.state, 'no_data', JSON.stringify(byName('uw-wrong')));
    assert.equal(byName('uw-wrong')?.alert, null);
    assert.equal(byName('claims-wrong')?.state, 'no_data');
    // Two more graded (another wrong): 2 of 6 wrong (> 0.3) → firing; overridden: both wrong and the partially one.
    for (let i = 4; i < 6; i++) {
      const item = await nextReview(platform.db, ravi);
      assert.ok(item);
      await gradeReview(platform.db, ravi, item.id, grades[i] as never);
      if (grades[i]?.verdict === 'wrong') wrongTraces.push(item.traceId);
    }
    results = await evaluateMonitors(deps, localOperator, { force: true });
    assert.equal(byName('uw-wrong')?.state, 'firing', JSON.stringify(byName('uw-wrong')));
    assert.equal(byName('uw-wrong')?.value, 2 / 6);
    assert.equal(byName('uw-wrong')?.alert?.action, 'fired');
    assert.equal(byName('uw-override')?.state, 'firing');
    assert.equal(byName('uw-override')?.value, 3 / 6);
    assert.equal(byName('uw-ungrounded')?.state, 'firing');
    assert.equal(byName('uw-ungrounded')?.value, 1 / 6);
    assert.equal(byName('claims-wrong')?.state, 'no_data', 'grades of another use case do not count');
    // The alert links the traces of the wrong answers.
    const [alert] = await listAlerts(platform.db, localOperator, { monitor: 'uw-wrong' });
    assert.ok(alert);
    assert.deepEqual(alert.exampleTraces.map((t) => t.id).sort(), [...wrongTraces].sort());
    // Outside the window (1h), the grades no longer count: no data again (neither fires nor resolves).
    const later = { ...deps, clock: { now: () => new Date(Date.now() + 2 * 3_600_000) } };
    results = await evaluateMonitors(later, localOperator, { force: true, monitors: ['uw-wrong'] });
    assert.equal(byName('uw-wrong')?.state, 'no_data');
    assert.equal((await listAlerts(platform.db, localOperator, { monitor: 'uw-wrong', open: true })).length, 1);
  });

  test('the pipeline JSON shows the review queue per use case, only to those who review it', async () => {
    // Two more underwriting answers (one claimed by ravi), two claims answers.
    await ask(platform, alice, 'underwriting-qa', 'What is the coastal flood deductible again?');
    await ask(platform, alice, 'underwriting-qa', 'Which deductible applies to coastal flood risks?');
    await ask(platform, bob, 'claims-qa', 'When do claims need a second adjuster?');
    await ask(platform, bob, 'claims-qa', 'Which claims need a second adjuster before payment?');
    assert.ok(await nextReview(platform.db, ravi, { useCase: 'underwriting-qa' }));

    const ritas = await call('rita', '/v1/pipeline');
    assert.equal(ritas.status, 200, ritas.text);
    const rowsOf = (json: Json) => json.useCases as Json[];
    const uw = rowsOf(ritas.json).find((u) => u.useCase === 'underwriting-qa') as Json;
    const queue = uw.reviewQueue as Json;
    assert.equal(queue.pending, 2);
    assert.equal(queue.claimed, 1);
    assert.equal(queue.unclaimed, 1);
    assert.equal(queue.graded24h, 6);
    assert.equal(queue.graded7d, 6);
    assert.equal(queue.wrongShare7d, 2 / 6);
    assert.ok(typeof queue.oldestPendingAgeSeconds === 'number' && queue.oldestPendingAgeSeconds >= 0);
    assert.equal(typeof queue.oldestPendingAt, 'string');
    assert.deepEqual((uw.monitors as Json[]).map((m) => m.name).sort(), ['uw-override', 'uw-ungrounded', 'uw-wrong']);
    // Rita does not review claims-qa: its queue is not shown to her (the use case's row, if its monitor is
    // visible to her, has no queue).
    const claimsForRita = rowsOf(ritas.json).find((u) => u.useCase === 'claims-qa');
    assert.equal(claimsForRita?.reviewQueue ?? null, null);
    assert.doesNotMatch(JSON.stringify(ritas.json), /second adjuster/);

    const carls = await call('carl', '/v1/pipeline');
    assert.equal(carls.status, 200, carls.text);
    const claims = rowsOf(carls.json).find((u) => u.useCase === 'claims-qa') as Json;
    assert.equal((claims.reviewQueue as Json).pending, 2);
    assert.equal((claims.reviewQueue as Json).graded7d, 0);
    assert.equal((claims.reviewQueue as Json).wrongShare7d, null);
    assert.equal(rowsOf(carls.json).find((u) => u.useCase === 'underwriting-qa')?.reviewQueue ?? null, null);

    // An admin reviews every use case.
    const admins = await call('admin', '/v1/pipeline');
    const queued = rowsOf(admins.json)
      .filter((u) => u.reviewQueue)
      .map((u) => [u.useCase, (u.reviewQueue as Json).pending]);
    assert.deepEqual(queued, [
      ['claims-qa', 2],
      ['underwriting-qa', 2],
    ]);
  });
});
