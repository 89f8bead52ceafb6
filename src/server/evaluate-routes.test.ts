import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { callerWithPrincipals, localOperator, type Role } from '../core/index.ts';
import { collectCandidates, listCandidates } from '../evaluate/index.ts';
import { createApiKey, listAudit } from '../govern/index.ts';
import type { Queryable } from '../store/index.ts';
import { startWorker } from '../worker.ts';
import { createApp } from './index.ts';

/** One chunk per document, written as ingestion writes it (the lexical index is kept by triggers). */
async function seed(db: Queryable, documents: Array<{ id: string; principals: string[]; text: string }>): Promise<void> {
  await db.query(`INSERT INTO sources (id, name, type) VALUES ('share', 'share', 'filesystem')`);
  for (const d of documents) {
    await db.query(
      `INSERT INTO documents (id, source_id, source_ref, uri, title, principals, status, chunk_count, content_hash)
       VALUES ($1, 'share', $1 || '.txt', 'file:///' || $1 || '.txt', $1, $2, 'indexed', 1, md5($1))`,
      [d.id, d.principals],
    );
    await db.query(
      `INSERT INTO chunks (id, document_id, source_id, ordinal, text, token_count, content_hash, principals)
       VALUES ($1 || '-c0', $1, 'share', 0, $2, 10, md5($2), $3)`,
      [d.id, d.text, d.principals],
    );
  }
}

const cases = [
  { id: 'flood', question: 'flood claims photos', relevant_documents: ['flood'], principals: ['group:claims'] },
  { id: 'roof', question: 'roof inspection older homes', relevant_documents: ['roof'], principals: ['group:uw'] },
  { id: 'hours', question: 'office opening hours', relevant_documents: ['hours'] },
];

describe(`evaluation over HTTP (${testStoreKind})`, () => {
  test('import, run (wait and background), gates, compare; cases filtered by principals; roles enforced', async () => {
    const platform = await createTestPlatform();
    // Evaluation runs asked over the API are jobs: a worker runs them.
    const worker = await startWorker(platform);
    const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
    try {
      await seed(platform.db, [
        { id: 'flood', principals: ['group:claims'], text: 'Flood claims need photos of the damage and a report.' },
        { id: 'roof', principals: ['group:uw'], text: 'Roof inspection is required for older homes.' },
        { id: 'hours', principals: ['group:claims', 'group:uw'], text: 'The office opening hours are nine to five.' },
      ]);
      const keys: Record<string, { role: Role; principals: string[] }> = {
        admin: { role: 'admin', principals: ['user:admin@x.test', 'group:claims', 'group:uw'] },
        outsiderAdmin: { role: 'admin', principals: ['user:it@x.test'] },
        builder: { role: 'builder', principals: ['group:claims'] },
        reviewer: { role: 'reviewer', principals: ['group:uw'] },
        user: { role: 'user', principals: ['group:claims'] },
      };
      const tokens: Record<string, string> = {};
      for (const [name, key] of Object.entries(keys)) {
        tokens[name] = (await createApiKey(platform.db, { name, ...key }, { actor: 'local:operator' })).token;
      }
      const call = (who: string, path: string, method = 'GET', body?: unknown) =>
        built.app.request(`http://127.0.0.1${path}`, {
          method,
          headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      const content = cases.map((c) => JSON.stringify(c)).join('\n');

      assert.equal((await call('reviewer', '/v1/eval/datasets', 'POST', { name: 'qa', format: 'jsonl', content })).status, 403);
      const bad = await call('builder', '/v1/eval/datasets', 'POST', {
        name: 'qa',
        format: 'jsonl',
        content: `${content}\n{"question": "x", "relevant_document": ["flood"]}`,
      });
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /line 4/);
      const imported = await call('builder', '/v1/eval/datasets', 'POST', { name: 'qa', format: 'jsonl', content });
      assert.equal(imported.status, 201, await imported.clone().text());
      assert.equal(((await imported.json()) as { caseCount: number }).caseCount, 3);
      assert.ok((await listAudit(platform.db, {})).some((e) => e.action === 'eval.dataset.import'));

      assert.equal((await call('user', '/v1/eval/runs?wait=true', 'POST', { dataset: 'qa' })).status, 403);
      assert.equal((await call('builder', '/v1/eval/runs', 'POST', { dataset: 'nope' })).status, 404);
      assert.equal((await call('builder', '/v1/eval/runs', 'POST', { dataset: 'qa', failIf: ['ndcg@10 <'] })).status, 400);

      // Admin keys never read past ACLs: principal-less cases are asked as the admin's own principals, so an
      // admin of another department finds nothing for "hours" (only the local CLI runs as the operator); the
      // cases that name principals are asked as those, and their results stay hidden from this admin.
      const outsider = (await (await call('outsiderAdmin', '/v1/eval/runs?wait=true', 'POST', { dataset: 'qa' })).json()) as {
        runId: string;
        metrics: Record<string, { mean: number }>;
      };
      assert.ok(Math.abs((outsider.metrics['ndcg@10']?.mean ?? 0) - 2 / 3) < 1e-9);
      const outsiderView = (await (await call('outsiderAdmin', `/v1/eval/runs/${outsider.runId}`)).json()) as {
        hiddenCases: number;
      };
      assert.equal(outsiderView.hiddenCases, 2, 'no case result of another department reaches this admin');
      // The gate fails nothing at 0.5 for an admin who holds the groups.
      const adminRun = await call('admin', '/v1/eval/runs?wait=true', 'POST', {
        dataset: 'qa',
        failIf: ['ndcg@10 < 0.5'],
        labels: ['baseline'],
      });
      assert.equal(adminRun.status, 200, await adminRun.clone().text());
      const baseline = (await adminRun.json()) as {
        runId: string;
        passed: boolean;
        metrics: Record<string, { mean: number }>;
      };
      assert.equal(baseline.passed, true);
      assert.equal(baseline.metrics['ndcg@10']?.mean, 1);

      // A builder's run, in the background: principal-less cases are asked as the builder, not the operator.
      const started = await call('builder', '/v1/eval/runs', 'POST', { dataset: 'qa', failIf: ['recall@10 < 1'] });
      assert.equal(started.status, 202);
      const { runId } = (await started.json()) as { runId: string };
      let run: { status?: string; cases?: Array<{ caseId: string }>; hiddenCases?: number } = {};
      for (let i = 0; i < 100 && run.status !== 'succeeded'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const response = await call('builder', `/v1/eval/runs/${runId}`);
        if (response.status === 200) run = (await response.json()) as typeof run;
      }
      assert.equal(run.status, 'succeeded');
      // Per-case results: the builder (group:claims) sees the claims case and the one it was asked as itself.
      assert.equal(run.cases?.length, 2);
      assert.equal(run.hiddenCases, 1);

      const asReviewer = (await (await call('reviewer', `/v1/eval/runs/${baseline.runId}`)).json()) as {
        cases: unknown[];
        hiddenCases: number;
      };
      assert.equal(asReviewer.cases.length, 1, 'the reviewer (group:uw) sees the underwriting case only');
      const asAdmin = (await (await call('admin', `/v1/eval/runs/${baseline.runId}`)).json()) as { cases: unknown[] };
      assert.equal(asAdmin.cases.length, 3);

      const compared = await call('reviewer', `/v1/eval/compare?baseline=${baseline.runId}&candidate=${runId}`);
      assert.equal(compared.status, 200, await compared.clone().text());
      const comparison = (await compared.json()) as { metrics: Array<{ metric: string }>; pairedCases: number };
      assert.ok(comparison.metrics.some((m) => m.metric === 'ndcg@10'));
      assert.equal(comparison.pairedCases, 3);
      assert.equal((await call('user', `/v1/eval/compare?baseline=${baseline.runId}&candidate=${runId}`)).status, 403);

      // Production: an answer with negative feedback becomes a candidate case asked as the asker's principals.
      const asked = await call('user', '/v1/answers', 'POST', { question: 'What do flood claims need?' });
      assert.equal(asked.status, 200, await asked.clone().text());
      const { traceId } = (await asked.json()) as { traceId: string };
      await platform.observe.recorder.flush();
      assert.equal((await call('user', '/v1/feedback', 'POST', { traceId, rating: -1, category: 'wrong' })).status, 201);
      assert.equal(await collectCandidates(platform.db), 1);
      const [candidate] = await listCandidates(platform.db, localOperator);
      assert.deepEqual(candidate?.principals, ['group:claims']);
      assert.equal((await listCandidates(platform.db, callerWithPrincipals(['group:uw']))).length, 0);
    } finally {
      await worker.stop({ timeoutMs: 5000 });
      await built.close();
      await platform.close();
    }
  });
});
