import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { localOperator, newId, type Role } from '../core/index.ts';
import { importDataset, parseJsonlCases } from '../evaluate/index.ts';
import { createApiKey } from '../govern/index.ts';
import { addSource } from '../ingest/index.ts';
import { createPrompt, labelPrompt } from '../prompts/index.ts';
import { evaluationRunBody, runApiEvaluation } from '../worker.ts';
import { createApp } from './index.ts';

type Json = Record<string, unknown>;

describe(`use-case change log over HTTP (${testStoreKind})`, () => {
  test('prompt label moves with their eval delta, source changes, incidents; low-privilege keys get 403', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'gw-changelog-'));
    writeFileSync(join(folder, 'hours.txt'), 'The claims office is open from nine to five on weekdays.\n');
    writeFileSync(join(folder, 'flood.txt'), 'Flood damage is excluded unless the flood rider was bought.\n');
    const platform = await createTestPlatform();
    const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
    try {
      await addSource(platform.db, { name: 'share', type: 'filesystem', path: folder, readableBy: ['group:staff'] });
      await platform.ingestion.sync({ source: 'share' });
      const template = 'Answer from the context.\n{{context}}\nQuestion: {{question}}';
      await createPrompt(platform.db, { name: 'uw-prompt', template, message: 'first', author: 'user:pat@x.test' });
      await labelPrompt(platform.db, 'uw-prompt', 1, 'production', { actor: 'user:pat@x.test', reason: 'launch' });
      await platform.answerer.useCases.create('uw', { promptRef: 'uw-prompt', sources: ['share'] });
      const dataset = parseJsonlCases(
        [
          JSON.stringify({
            id: 'hours',
            question: 'When is the claims office open?',
            reference_answer: 'nine to five',
            principals: ['group:staff'],
          }),
          JSON.stringify({
            id: 'flood',
            question: 'Is flood damage covered?',
            reference_answer: 'excluded',
            principals: ['group:staff'],
          }),
        ].join('\n'),
      );
      await importDataset(platform.db, dataset.cases, { name: 'uw-set', origin: 'jsonl', caller: localOperator });
      const run = () =>
        runApiEvaluation(
          platform,
          localOperator,
          evaluationRunBody.parse({ dataset: 'uw-set', mode: 'answer', useCase: 'uw' }),
          newId('run'),
        );
      const first = await run();
      await createPrompt(platform.db, {
        name: 'uw-prompt',
        template: `${template}\nBe brief.`,
        message: 'brief',
        author: 'user:pat@x.test',
      });
      await labelPrompt(platform.db, 'uw-prompt', 2, 'production', { actor: 'user:pat@x.test', reason: 'shorter answers' });
      const second = await run();

      const tokens: Record<string, string> = {};
      for (const role of ['viewer', 'user', 'reviewer', 'builder', 'admin'] as Role[]) {
        tokens[role] = (
          await createApiKey(
            platform.db,
            { name: role, role, principals: [`user:${role}@x.test`, 'group:staff'] },
            { actor: 'local:operator' },
          )
        ).token;
      }
      const call = async (who: string, path: string, method = 'GET', body?: unknown) => {
        const response = await built.app.request(`http://127.0.0.1${path}`, {
          method,
          headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        return { status: response.status, text, json: (text ? JSON.parse(text) : {}) as Json };
      };
      const scheduled = await call('admin', '/v1/sources/share', 'PATCH', { schedule: '0 3 * * *' });
      assert.equal(scheduled.status, 200, scheduled.text);
      // A governed use-case change: requested by a builder, approved by the use case's approver.
      await platform.answerer.useCases.update('uw', { status: 'general', approvers: ['user:reviewer@x.test'] });
      const requested = await call('builder', '/v1/use-cases/uw', 'PUT', { description: 'Underwriting answers' });
      assert.equal(requested.status, 202, requested.text);
      const changeId = (requested.json.changeRequest as Json).id as string;
      assert.equal((await call('reviewer', `/v1/changes/${changeId}/approve`, 'POST', { comment: 'fine' })).status, 200);
      const pending = await call('builder', '/v1/use-cases/uw', 'PUT', { description: 'Underwriting answers, cited' });
      assert.equal(pending.status, 202, pending.text);
      const opened = await call('reviewer', '/v1/incidents', 'POST', {
        title: 'Answers too short',
        severity: 'sev3',
        useCase: 'uw',
      });
      assert.equal(opened.status, 201, opened.text);

      const log = await call('reviewer', '/v1/use-cases/uw/changes');
      assert.equal(log.status, 200, log.text);
      const entries = log.json.entries as Json[];
      const labelMove = entries.find((e) => e.action === 'prompt.label' && (e.after as Json).version === 2) as Json;
      assert.ok(labelMove, log.text);
      assert.equal(labelMove.author, 'user:pat@x.test');
      assert.match(labelMove.summary as string, /label production → version 2 \(was 1\) — shorter answers/);
      const delta = labelMove.evalDelta as Json;
      assert.equal(delta.baselineRunId, first.runId);
      assert.equal(delta.candidateRunId, second.runId);
      assert.equal(typeof delta.regressed, 'boolean');
      assert.ok((delta.metrics as Json[]).length > 0);
      const sourceChange = entries.find((e) => e.area === 'source') as Json;
      assert.equal(sourceChange.action, 'source.update');
      assert.match(sourceChange.target as string, /^source:/);
      // Source details (paths, ACL maps) only for sources:write, as everywhere else.
      assert.deepEqual(sourceChange.after, { withheld: true });
      assert.doesNotMatch(log.text, new RegExp(folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      const adminLog = await call('admin', '/v1/use-cases/uw/changes');
      const adminSource = (adminLog.json.entries as Json[]).find((e) => e.area === 'source') as Json;
      assert.deepEqual((adminSource.after as Json).schedule, '0 3 * * *');
      const useCaseChange = entries.find(
        (e) => e.area === 'use_case' && (e.changeRequest as Json | null)?.id === changeId,
      ) as Json;
      assert.ok(useCaseChange, log.text);
      assert.equal(useCaseChange.author, 'user:builder@x.test');
      assert.deepEqual(useCaseChange.approvers, ['user:reviewer@x.test']);
      const stillPending = entries.filter((e) => e.area === 'change_request');
      assert.deepEqual(
        stillPending.map((e) => e.action),
        ['change.pending'],
        'the applied request is one entry (its audited write), the pending one its own',
      );
      // Changes before the first run have no eval delta to show (no run before them).
      const launch = entries.find((e) => e.action === 'prompt.label' && (e.after as Json).version === 1) as Json;
      assert.equal(launch.evalDelta, null);
      assert.deepEqual(
        (log.json.incidents as Json[]).map((i) => i.id),
        [opened.json.id],
      );
      assert.equal((log.json.evalRuns as Json[]).length, 2);
      // Newest first.
      const times = entries.map((e) => Date.parse(e.at as string));
      assert.deepEqual(
        times,
        [...times].sort((a, b) => b - a),
      );

      for (const who of ['viewer', 'user']) {
        const denied = await call(who, '/v1/use-cases/uw/changes');
        assert.equal(denied.status, 403, `${who}: ${denied.text}`);
        assert.doesNotMatch(denied.text, /uw-prompt|shorter/);
      }
      assert.equal((await call('reviewer', '/v1/use-cases/nope/changes')).status, 404);
    } finally {
      await built.close();
      await platform.close();
    }
  });
});
