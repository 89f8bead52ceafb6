import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import type { GroundworkConfigInput, Role } from '../core/index.ts';
import type { Platform } from '../create-platform.ts';
import { type ChangeRequest, createApiKey, listAudit, verifyAuditChain } from '../govern/index.ts';
import { createPrompt } from '../prompts/index.ts';
import { createApp } from './index.ts';

const template = 'Answer from the context.\n{{context}}\nQuestion: {{question}}';

/** Keys for people; `by` = the identity that created the key (default the local operator). */
async function keyFor(platform: Platform, person: string, role: Role, by = 'local:operator'): Promise<string> {
  const principals = person.startsWith('service') ? [] : [`user:${person}@x.test`];
  return (await createApiKey(platform.db, { name: `${person}-${role}`, role, principals }, { actor: by })).token;
}

async function setup(config: GroundworkConfigInput = {}) {
  const platform = await createTestPlatform(config);
  const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const response = await app.request(`http://127.0.0.1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown>, text };
  };
  await createPrompt(platform.db, { name: 'qa', template, message: 'v1', labels: ['production'], author: 'local:operator' });
  await createPrompt(platform.db, { name: 'qa', template: `${template}\nBe brief.`, message: 'v2', author: 'local:operator' });
  return { platform, call };
}

const production = async (platform: Platform) =>
  Number(
    (await platform.db.query<{ version: number }>(`SELECT version FROM prompt_labels WHERE name = 'qa' AND label = 'production'`))
      .rows[0]?.version,
  );

describe(`change requests over HTTP (${testStoreKind})`, () => {
  test('alice requests a production label move (202), bob approves → applied; the audit chain has every step', async () => {
    const { platform, call } = await setup();
    try {
      const alice = await keyFor(platform, 'alice', 'builder');
      const bob = await keyFor(platform, 'bob', 'admin');
      const requested = await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2, reason: 'brief' });
      assert.equal(requested.status, 202, requested.text);
      const change = requested.body.changeRequest as ChangeRequest;
      assert.equal(change.status, 'pending');
      assert.equal(change.kind, 'prompt.label');
      assert.equal(change.target, 'qa:production');
      assert.deepEqual(change.before, { version: 1 });
      assert.deepEqual(change.after, { version: 2 });
      assert.equal(change.author, 'user:alice@x.test');
      assert.match(change.contentHash, /^[0-9a-f]{64}$/);
      assert.equal(await production(platform), 1, 'nothing changed yet');
      // An unprotected label moves at once.
      assert.equal((await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'staging', version: 2 })).status, 200);

      const listed = await call(bob, 'GET', '/v1/changes?status=pending');
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(
        (listed.body.changes as ChangeRequest[]).map((c) => c.id),
        [change.id],
      );
      const approved = await call(bob, 'POST', `/v1/changes/${change.id}/approve`, { comment: 'looks right' });
      assert.equal(approved.status, 200, approved.text);
      const after = approved.body.changeRequest as ChangeRequest;
      assert.equal(after.status, 'applied');
      assert.deepEqual(
        after.approvals.map((a) => [a.actor, a.comment]),
        [['user:bob@x.test', 'looks right']],
      );
      assert.equal(await production(platform), 2);
      const again = await call(bob, 'POST', `/v1/changes/${change.id}/approve`, {});
      assert.equal(again.status, 409);

      const actions = (await listAudit(platform.db, { limit: 50 })).map((e) => e.action).reverse();
      for (const action of ['change.request', 'change.approve', 'prompt.label_move', 'change.apply']) {
        assert.ok(actions.includes(action), `${action} in ${actions.join(', ')}`);
      }
      assert.equal((await verifyAuditChain(platform.db)).ok, true);
    } finally {
      await platform.close();
    }
  });
});
