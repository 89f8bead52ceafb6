import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import type { ChangeRequest } from '../govern/index.ts';
import { createApiKey } from '../govern/index.ts';
import { createPrompt } from '../prompts/index.ts';
import { startWorker } from '../worker.ts';
import { createApp } from './index.ts';

const template = 'Answer from the context.\n{{context}}\nQuestion: {{question}}';

/**
 * The eval-run gate end to end: a candidate prompt version is evaluated before its production label moves
 * (`promptVersion` pins it), the run records which version its answers ran with, and a label move accepts
 * only a passing run of the version it moves to.
 */
describe(`evaluation of a candidate prompt version gates its label move (${testStoreKind})`, () => {
  test('a pinned run of v2 admits the move to v2; a run of production (v1) is refused as a mismatch', async () => {
    const platform = await createTestPlatform({ governance: { requireEvalRunFor: ['prompt.label'] } });
    const worker = await startWorker(platform);
    const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
    try {
      await platform.db.query(`INSERT INTO sources (id, name, type) VALUES ('share', 'share', 'filesystem')`);
      await platform.db.query(
        `INSERT INTO documents (id, source_id, source_ref, uri, title, principals, status, chunk_count, content_hash)
         VALUES ('flood', 'share', 'flood.txt', 'file:///flood.txt', 'flood', '{group:claims}', 'indexed', 1, md5('flood'))`,
      );
      await platform.db.query(
        `INSERT INTO chunks (id, document_id, source_id, ordinal, text, token_count, content_hash, principals)
         VALUES ('flood-c0', 'flood', 'share', 0, 'Flood claims need photos of the damage and a report.', 10, md5('f'), '{group:claims}')`,
      );
      await createPrompt(platform.db, { name: 'qa', template, message: 'v1', labels: ['production'], author: 'local:operator' });
      await createPrompt(platform.db, {
        name: 'qa',
        template: `${template}\nBe brief.`,
        message: 'v2',
        author: 'local:operator',
      });
      await platform.answerer.useCases.create('claims', { promptRef: 'qa', model: 'extractive' });
      await platform.answerer.useCases.create('inline', { prompt: 'Answer briefly.', model: 'extractive' });
      const alice = (
        await createApiKey(
          platform.db,
          { name: 'alice', role: 'builder', principals: ['user:alice@x.test', 'group:claims'] },
          { actor: 'local:operator' },
        )
      ).token;
      const call = async (method: string, path: string, body?: unknown) => {
        const response = await app.request(`http://127.0.0.1${path}`, {
          method,
          headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown>, text };
      };
      const content = JSON.stringify({ id: 'flood', question: 'What do flood claims need?', relevant_documents: ['flood'] });
      assert.equal((await call('POST', '/v1/eval/datasets', { name: 'gold', format: 'jsonl', content })).status, 201);
      const configOf = async (runId: string) =>
        (
          await platform.db.query<{ config: { promptVersion: string | null } }>('SELECT config FROM eval_runs WHERE id = $1', [
            runId,
          ])
        ).rows[0]?.config;

      const pinned = await call('POST', '/v1/eval/runs?wait=true', {
        dataset: 'gold',
        mode: 'answer',
        useCase: 'claims',
        promptVersion: 2,
        failIf: ['recall@10 < 0.5'],
      });
      assert.equal(pinned.status, 200, pinned.text);
      const pinnedRun = pinned.body.runId as string;
      assert.equal((await configOf(pinnedRun))?.promptVersion, 'qa@2');
      const current = await call('POST', '/v1/eval/runs?wait=true', { dataset: 'gold', mode: 'answer', useCase: 'claims' });
      assert.equal(current.status, 200, current.text);
      const currentRun = current.body.runId as string;
      assert.equal((await configOf(currentRun))?.promptVersion, 'qa@1', 'an unpinned run records the production version');

      // Bad pins are usage errors that name the fix.
      const retrieval = await call('POST', '/v1/eval/runs?wait=true', { dataset: 'gold', promptVersion: 2 });
      assert.equal(retrieval.status, 400, retrieval.text);
      assert.equal((retrieval.body.error as { code: string }).code, 'evaluate.pin_needs_answer_mode');
      const inline = await call('POST', '/v1/eval/runs?wait=true', {
        dataset: 'gold',
        mode: 'answer',
        useCase: 'inline',
        promptVersion: 2,
      });
      assert.equal(inline.status, 400, inline.text);
      assert.equal((inline.body.error as { code: string }).code, 'answer.pin_without_prompt');
      const missing = await call('POST', '/v1/eval/runs', {
        dataset: 'gold',
        mode: 'answer',
        useCase: 'claims',
        promptVersion: 9,
      });
      assert.equal(missing.status, 404, missing.text);
      // None of the refused runs left a job behind.
      assert.equal(
        Number(
          (await platform.db.query<{ n: string }>(`SELECT count(*) AS n FROM audit_log WHERE action = 'eval.run.request'`))
            .rows[0]?.n,
        ),
        2,
      );

      const mismatch = await call('POST', '/v1/prompts/qa/labels', { label: 'production', version: 2, evalRunId: currentRun });
      assert.equal(mismatch.status, 409, mismatch.text);
      assert.equal((mismatch.body.error as { code: string }).code, 'govern.eval_run_mismatch');
      const requested = await call('POST', '/v1/prompts/qa/labels', { label: 'production', version: 2, evalRunId: pinnedRun });
      assert.equal(requested.status, 202, requested.text);
      assert.equal((requested.body.changeRequest as ChangeRequest).evalRunId, pinnedRun);
    } finally {
      await worker.stop();
      await platform.close();
    }
  });
});
