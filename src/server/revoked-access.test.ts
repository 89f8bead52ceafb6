import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { callerWithPrincipals, localOperator, type Role } from '../core/index.ts';
import { collectCandidates, listCandidates } from '../evaluate/index.ts';
import { createApiKey } from '../govern/index.ts';
import { addSource, requestSourceAclMap } from '../ingest/index.ts';
import { startWorker } from '../worker.ts';
import { createApp } from './index.ts';

/**
 * An ACL change takes a document away from someone: everything recorded earlier that quotes or cites it —
 * their own traces, their feedback, evaluation rows, production candidates — withholds it from them now.
 */
describe(`revoked access reaches recorded content (${testStoreKind})`, () => {
  test('after an ACL change, the asker’s own trace, feedback, eval rows and candidates withhold the document', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'gw-revoke-'));
    mkdirSync(join(folder, 'claims'));
    writeFileSync(
      join(folder, 'claims', 'cl-0142.txt'),
      'Claim CL-0142 water damage. The adjuster approved a payment of 18,400 dollars for the kitchen ceiling.\n',
    );
    writeFileSync(join(folder, 'hours.txt'), 'The claims office is open from nine to five on weekdays.\n');
    const aclMap = join(folder, '..', `${folder.split('/').pop()}-acl.yaml`);
    writeFileSync(aclMap, 'default: [group:staff]\nrules:\n  - match: "claims/**"\n    principals: [group:claims]\n');
    const platform = await createTestPlatform();
    // Evaluation runs asked over the API are jobs: a worker runs them.
    const worker = await startWorker(platform);
    const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
    try {
      await addSource(platform.db, { name: 'share', type: 'filesystem', path: folder, aclMapPath: aclMap });
      await platform.ingestion.sync({ source: 'share' });
      const keys: Record<string, { role: Role; principals: string[] }> = {
        adjuster: { role: 'builder', principals: ['user:cal@x.test', 'group:claims', 'group:staff'] },
        admin: { role: 'admin', principals: ['user:ada@x.test', 'group:staff', 'group:claims'] },
      };
      const tokens: Record<string, string> = {};
      for (const [name, key] of Object.entries(keys)) {
        tokens[name] = (await createApiKey(platform.db, { name, ...key }, { actor: 'local:operator' })).token;
      }
      const call = async (who: string, path: string, method = 'GET', body?: unknown) => {
        const response = await built.app.request(`http://127.0.0.1${path}`, {
          method,
          headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        return { status: response.status, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
      };

      const asked = await call('adjuster', '/v1/answers', 'POST', {
        question: 'What payment did the adjuster approve for claim CL-0142?',
      });
      assert.equal(asked.status, 200, asked.text);
      const answer = asked.json as { answer: string; traceId: string; citations: Array<{ documentId: string }> };
      assert.match(answer.answer, /18,400/);
      const documentId = answer.citations[0]?.documentId as string;
      await platform.observe.recorder.flush();
      assert.equal(
        (await call('adjuster', '/v1/feedback', 'POST', { traceId: answer.traceId, rating: -1, comment: 'It said 18,400 but…' }))
          .status,
        201,
      );
      const dataset = JSON.stringify({
        id: 'payment',
        question: 'What payment did the adjuster approve for claim CL-0142?',
        relevant_documents: [documentId],
        principals: ['group:claims'],
      });
      assert.equal(
        (await call('adjuster', '/v1/eval/datasets', 'POST', { name: 'claims', format: 'jsonl', content: dataset })).status,
        201,
      );
      const run = await call('adjuster', '/v1/eval/runs?wait=true', 'POST', { dataset: 'claims', mode: 'answer' });
      assert.equal(run.status, 200, run.text);
      const runId = (run.json as { runId: string }).runId;
      assert.equal(await collectCandidates(platform.db), 1);

      // Before the change: everything is readable to the adjuster.
      const before = await call('adjuster', `/v1/traces/${answer.traceId}`);
      assert.match(before.text, /18,400/);
      assert.match(before.text, new RegExp(documentId));
      assert.match((await call('adjuster', `/v1/eval/runs/${runId}`)).text, /18,400/);

      // The claims folder moves to a narrower group; the adjuster is not in it.
      writeFileSync(aclMap, 'default: [group:staff]\nrules:\n  - match: "claims/**"\n    principals: [group:claims-leads]\n');
      // The edit takes effect through a source.acl change (the local operator's is direct), then a sync.
      await requestSourceAclMap(platform.governance, platform.db, localOperator, 'share', aclMap);
      await platform.ingestion.sync({ source: 'share' });

      for (const who of ['adjuster', 'admin']) {
        const trace = await call(who, `/v1/traces/${answer.traceId}`);
        assert.equal(trace.status, 200, trace.text);
        assert.equal(trace.json.answer, null, `${who}: the answer quoting it is withheld`);
        assert.equal(trace.json.answerWithheld, 'restricted');
        assert.doesNotMatch(trace.text, /18,400|kitchen ceiling/, `${who}: no quoted text`);
        assert.doesNotMatch(trace.text, new RegExp(documentId), `${who}: not even the document id`);
        assert.doesNotMatch(trace.text, /cl-0142\.txt|Cl 0142/i, `${who}: no title`);
      }
      assert.match((await call('adjuster', `/v1/traces/${answer.traceId}`)).text, /withheld: no longer readable/);

      const feedback = (await call('adjuster', '/v1/feedback')).json as {
        feedback: Array<{ comment: string | null; commentWithheld?: string }>;
      };
      assert.equal(feedback.feedback[0]?.comment, null);
      assert.equal(feedback.feedback[0]?.commentWithheld, 'no longer readable');

      const rows = await call('adjuster', `/v1/eval/runs/${runId}`);
      const cases = (rows.json as { cases: Array<{ answer: string | null; withheld?: string; retrievedDocumentIds: string[] }> })
        .cases;
      assert.equal(cases.length, 1);
      assert.equal(cases[0]?.answer, null);
      assert.equal(cases[0]?.withheld, 'no longer readable');
      assert.doesNotMatch(rows.text, /18,400/);
      assert.doesNotMatch(rows.text, new RegExp(documentId));

      const [candidate] = await listCandidates(
        platform.db,
        callerWithPrincipals(['user:cal@x.test', 'group:claims', 'group:staff']),
      );
      assert.equal(candidate?.answer, null);
      assert.equal(candidate?.answerWithheld, 'no longer readable');
      assert.ok(candidate?.question, 'the question (the asker’s own words) stays');

      // Given back, it is readable again.
      writeFileSync(aclMap, 'default: [group:staff]\nrules:\n  - match: "claims/**"\n    principals: [group:claims]\n');
      // The edit takes effect through a source.acl change (the local operator's is direct), then a sync.
      await requestSourceAclMap(platform.governance, platform.db, localOperator, 'share', aclMap);
      await platform.ingestion.sync({ source: 'share' });
      assert.match((await call('adjuster', `/v1/traces/${answer.traceId}`)).text, /18,400/);
    } finally {
      await worker.stop({ timeoutMs: 5000 });
      await built.close();
      await platform.close();
    }
  });
});
