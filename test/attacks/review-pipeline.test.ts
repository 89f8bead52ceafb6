/**
 * Attack tests on what review grades feed (issue 17 items 3–4) with low-privilege keys over HTTP: users and
 * viewers get no pipeline dashboard at all; a reviewer of one use case sees neither the review queue of another
 * nor, through a review-graded monitor's alert, the traces of its wrong answers (withheld, counted).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { localOperator, type Role } from '../../src/core/index.ts';
import type { Platform } from '../../src/create-platform.ts';
import { createApiKey } from '../../src/govern/index.ts';
import { createMonitor, evaluateMonitors } from '../../src/monitor/index.ts';
import { gradeReview, nextReview } from '../../src/review/index.ts';
import { createApp } from '../../src/server/index.ts';
import { ask, bob, carl, seedCorpus } from '../helpers/review-corpus.ts';
import { createTestPlatform, testStoreKind } from '../helpers/test-platform.ts';

type Json = Record<string, unknown>;

async function keyFor(platform: Platform, principals: readonly string[], role: Role): Promise<string> {
  return (
    await createApiKey(
      platform.db,
      { name: principals[0] as string, role, principals: [...principals] },
      { actor: 'local:operator' },
    )
  ).token;
}

describe(`attacks on the review-fed monitors and the pipeline review queue (${testStoreKind})`, () => {
  test('users and viewers get 403; an underwriting reviewer sees no claims queue and no claims trace behind a review alert', async () => {
    const platform = await createTestPlatform({
      observe: { textRetention: 'keep' },
      review: { sampleRate: 1 },
      server: { rateLimit: { requestsPerSecond: 0 } },
    });
    const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
    try {
      await seedCorpus(platform);
      const call = async (token: string, path: string) => {
        const response = await built.app.request(`http://127.0.0.1${path}`, { headers: { authorization: `Bearer ${token}` } });
        const text = await response.text();
        return { status: response.status, text, json: (text ? JSON.parse(text) : {}) as Json };
      };
      const user = await keyFor(platform, ['user:uli@x.test', 'group:claims'], 'user');
      const viewer = await keyFor(platform, ['user:vic@x.test', 'group:claims'], 'viewer');
      const rita = await keyFor(platform, ['user:rita@x.test', 'group:underwriting'], 'reviewer');
      const carlKey = await keyFor(platform, carl.principals, 'reviewer');
      const trace = await ask(platform, bob, 'claims-qa', 'When do claims need a second adjuster?');
      const item = await nextReview(platform.db, carl);
      assert.ok(item);
      await gradeReview(platform.db, carl, item.id, { verdict: 'wrong', correctedAnswer: 'Above 50000 euros.' });
      const deps = { db: platform.db, config: platform.config };
      await createMonitor(deps, localOperator, {
        name: 'claims-wrong',
        kind: 'review-wrong-rate',
        useCase: 'claims-qa',
        threshold: '>0.3',
        params: { minSample: 1 },
      });
      const [result] = await evaluateMonitors(deps, localOperator, { monitors: ['claims-wrong'] });
      assert.equal(result?.state, 'firing', JSON.stringify(result));

      for (const token of [user, viewer]) {
        for (const path of ['/v1/pipeline', '/v1/alerts']) {
          const reply = await call(token, path);
          assert.equal(reply.status, 403, `${path}: ${reply.text}`);
          assert.ok(!reply.text.includes(trace) && !reply.text.includes('adjuster'));
        }
      }
      // Rita reviews underwriting only: no claims queue, and the review alert's trace is withheld from her.
      const pipeline = await call(rita, '/v1/pipeline');
      assert.equal(pipeline.status, 200, pipeline.text);
      for (const row of pipeline.json.useCases as Json[]) {
        if (row.useCase === 'claims-qa') assert.equal(row.reviewQueue, null);
      }
      assert.ok(!pipeline.text.includes(trace), 'no claims trace id on her dashboard');
      assert.ok(!pipeline.text.includes('50000') && !pipeline.text.includes('adjuster'));
      const alerts = await call(rita, '/v1/alerts?monitor=claims-wrong');
      assert.equal(alerts.status, 200, alerts.text);
      assert.ok(!alerts.text.includes(trace), alerts.text);
      // (The alert of a use case she may not use is not listed for her at all; if it were, its trace is withheld.)
      const shown = alerts.json.alerts as Json[];
      for (const alert of shown) assert.equal(alert.withheldExampleTraces, 1);
      // Carl reviews claims: he sees the queue and the trace behind the alert.
      const carls = await call(carlKey, '/v1/pipeline');
      const claims = (carls.json.useCases as Json[]).find((row) => row.useCase === 'claims-qa') as Json;
      assert.equal((claims.reviewQueue as Json).graded24h, 1);
      assert.equal((claims.reviewQueue as Json).wrongShare7d, 1);
      const his = await call(carlKey, '/v1/alerts?monitor=claims-wrong');
      assert.ok(his.text.includes(trace), his.text);
    } finally {
      await built.close();
      await platform.close();
    }
  });
});
