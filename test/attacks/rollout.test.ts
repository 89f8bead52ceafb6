/**
 * Attack tests on phased rollout (issue 16 item 3): low-privilege keys cannot set a stage or kill/restore a use
 * case (nothing written, nothing audited), a user outside the cohort cannot answer through either endpoint (nor
 * by spelling the use case differently, streaming, or naming a group they are not in), a restricted use case's
 * rollout is not found for outsiders, and an expansion cannot be approved by its author.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCohort } from '../../src/adoption/index.ts';
import { localOperator, type Role } from '../../src/core/index.ts';
import type { Platform } from '../../src/create-platform.ts';
import { type ChangeRequest, createApiKey, listAudit, verifyAuditChain } from '../../src/govern/index.ts';
import { createApp } from '../../src/server/index.ts';
import { createTestPlatform, testStoreKind } from '../helpers/test-platform.ts';

type Reply = { status: number; body: Record<string, unknown>; text: string };

async function keyFor(platform: Platform, principals: string[], role: Role): Promise<string> {
  return (await createApiKey(platform.db, { name: principals[0] as string, role, principals }, { actor: 'local:operator' }))
    .token;
}

const code = (reply: Reply) => (reply.body.error as { code?: string } | undefined)?.code;

describe(`attacks on rollout (${testStoreKind})`, () => {
  test('low-privilege keys cannot set a stage, kill or restore; outsiders cannot answer a pilot by any route', async () => {
    const platform = await createTestPlatform();
    const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
    const call = async (token: string, method: string, path: string, body?: unknown): Promise<Reply> => {
      const response = await app.request(`http://127.0.0.1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: Record<string, unknown> = {};
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        parsed = { raw: text };
      }
      return { status: response.status, body: parsed, text };
    };
    try {
      await platform.answerer.useCases.create('uw', { status: 'pilot', owner: 'user:olive@x.test', model: 'extractive' });
      await platform.answerer.useCases.create('secret', { status: 'general', principals: ['group:legal'] });
      await createCohort(platform.db, localOperator, { name: 'pilot', principals: ['group:pilot', 'user:ann@x.test'] });
      await call(await keyFor(platform, ['user:root@x.test'], 'admin'), 'PUT', '/v1/use-cases/uw/rollout', {
        stage: 'pilot',
        cohorts: ['pilot'],
      });
      const viewer = await keyFor(platform, ['user:vic@x.test', 'group:pilot'], 'viewer');
      const outsider = await keyFor(platform, ['user:mallory@x.test', 'group:staff'], 'user');
      const reviewer = await keyFor(platform, ['user:rita@x.test'], 'reviewer');
      const auditBefore = (await listAudit(platform.db, { limit: 1000 })).length;
      const writes = [
        ['PUT', '/v1/use-cases/uw/rollout', { stage: 'general' }],
        ['PUT', '/v1/use-cases/uw/rollout', { stage: 'limited', percent: 100, cohorts: ['pilot'] }],
        ['POST', '/v1/use-cases/uw/kill', { message: 'owned' }],
        ['POST', '/v1/use-cases/uw/restore', {}],
      ] as const;
      for (const token of [viewer, outsider, reviewer]) {
        for (const [method, path, body] of [...writes].sort(() => Math.random() - 0.5)) {
          const reply = await call(token, method, path, body);
          assert.equal(reply.status, 403, `${method} ${path}: ${reply.text}`);
          assert.ok(['auth.forbidden', 'rollout.forbidden'].includes(code(reply) ?? ''), reply.text);
        }
      }
      const added = (await listAudit(platform.db, { limit: 1000 })).slice(0, -auditBefore || undefined).map((e) => e.action);
      assert.deepEqual(
        added.filter((a) => a.startsWith('rollout.') || a.startsWith('change.')),
        [],
        `nothing was written: ${added.join(', ')}`,
      );
      const rollout = await call(reviewer, 'GET', '/v1/use-cases/uw/rollout');
      assert.equal(rollout.body.stage, 'pilot');
      assert.equal(rollout.body.killed, false);

      // The outsider, by every answering route and spelling: 403 rollout.not_available, never an answer.
      const question = 'What is the deductible?';
      const attempts: Array<[string, unknown]> = [
        ['/v1/answers', { question, useCase: 'uw' }],
        ['/v1/answers', { question, useCase: 'uw', stream: true }],
        ['/v1/chat/completions', { model: 'uw', messages: [{ role: 'user', content: question }] }],
        ['/v1/chat/completions', { model: 'uw', stream: true, messages: [{ role: 'user', content: question }] }],
        [
          '/v1/chat/completions',
          { model: 'uw', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: question }] },
        ],
      ];
      for (const [path, body] of attempts) {
        const reply = await call(outsider, 'POST', path, body);
        assert.equal(reply.status, 403, `${path}: ${reply.text}`);
        assert.equal(code(reply), 'rollout.not_available');
        assert.doesNotMatch(reply.text, /citations|"answer"/);
      }
      for (const spelled of ['UW', 'uw ', 'u%77']) {
        const reply = await call(outsider, 'POST', '/v1/answers', { question, useCase: spelled });
        assert.ok([400, 403, 404].includes(reply.status), `${spelled}: ${reply.status}`);
        assert.doesNotMatch(reply.text, /citations/);
      }
      // A key cannot claim a cohort's principal it was not given (principals come from the key, not the request).
      const claimed = await call(outsider, 'POST', '/v1/answers', { question, useCase: 'uw', principals: ['group:pilot'] });
      assert.ok([400, 403].includes(claimed.status), claimed.text);
      // A restricted use case's rollout is not found for those who may not use it; killing it too.
      assert.equal((await call(outsider, 'GET', '/v1/use-cases/secret/rollout')).status, 404);
      assert.equal((await call(outsider, 'POST', '/v1/use-cases/secret/kill', {})).status, 404);
      // An admin who may not use it can still kill it (the kill switch must always be reachable).
      const admin = await keyFor(platform, ['user:ada@x.test'], 'admin');
      assert.equal((await call(admin, 'POST', '/v1/use-cases/secret/kill', { message: 'Stop.' })).status, 200);
      assert.equal((await call(admin, 'POST', '/v1/use-cases/secret/restore', {})).status, 200);
      // A builder's expansion waits for someone else; its author cannot approve it.
      const builder = await keyFor(platform, ['user:alice@x.test'], 'builder');
      const requested = await call(builder, 'PUT', '/v1/use-cases/uw/rollout', { stage: 'general' });
      assert.equal(requested.status, 202, requested.text);
      const id = (requested.body.changeRequest as ChangeRequest).id;
      assert.equal((await call(builder, 'POST', `/v1/changes/${id}/approve`, {})).status, 403);
      assert.equal((await call(reviewer, 'GET', '/v1/use-cases/uw/rollout')).body.stage, 'pilot');
      assert.equal((await verifyAuditChain(platform.db)).ok, true);
    } finally {
      await platform.close();
    }
  });
});
