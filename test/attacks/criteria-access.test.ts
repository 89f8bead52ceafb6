/**
 * Attack tests on success criteria and program reviews (issue 16): an owner or builder who wants a target lowered
 * after launch without a second person, a low-privilege key that wants to define or remove success, forge a
 * manual value or record a "continue" review, and readers of a use case they may not use.
 * Runs on the embedded store and, with GROUNDWORK_TEST_DATABASE_URL, on server PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { listCriteria, listReviews } from '../../src/adoption/index.ts';
import { localOperator, type Role } from '../../src/core/index.ts';
import type { Platform } from '../../src/create-platform.ts';
import { createApiKey, listAudit, verifyAuditChain } from '../../src/govern/index.ts';
import { createApp } from '../../src/server/index.ts';
import { createTestPlatform, testStoreKind } from '../helpers/test-platform.ts';

type Reply = { status: number; body: Record<string, unknown> };

async function keyFor(platform: Platform, principal: string, role: Role, extra: string[] = []): Promise<string> {
  return (
    await createApiKey(
      platform.db,
      { name: `${principal}-${role}`, role, principals: [principal, ...extra] },
      { actor: 'local:operator' },
    )
  ).token;
}

describe(`attacks on success criteria and reviews (${testStoreKind})`, () => {
  test('past launch nobody lowers a target alone; low-privilege keys define, remove, record and review nothing', async () => {
    const platform = await createTestPlatform();
    const { app, close } = createApp(platform, { webRoot: false, authCacheMs: 0 });
    const call = async (token: string, method: string, path: string, body?: unknown): Promise<Reply> => {
      const response = await app.request(`http://127.0.0.1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    try {
      await platform.answerer.useCases.create('uw', {
        owner: 'user:olga@x.test',
        approvers: ['user:pete@x.test'],
        principals: ['group:uw'],
      });
      const builder = await keyFor(platform, 'user:bob@x.test', 'builder', ['group:uw']);
      const owner = await keyFor(platform, 'user:olga@x.test', 'reviewer', ['group:uw']);
      const approver = await keyFor(platform, 'user:pete@x.test', 'reviewer', ['group:uw']);
      const viewer = await keyFor(platform, 'user:vic@x.test', 'viewer', ['group:uw']);
      const user = await keyFor(platform, 'user:ursula@x.test', 'user', ['group:uw']);
      const outsider = await keyFor(platform, 'user:rita@x.test', 'reviewer', ['group:claims']);
      // Defined while draft (applies at once), then launched.
      const defined = await call(owner, 'POST', '/v1/use-cases/uw/criteria', {
        id: 'completion',
        metric: 'taskCompletionRate',
        target: 0.9,
      });
      assert.equal(defined.status, 201);
      await call(owner, 'POST', '/v1/use-cases/uw/criteria', {
        id: 'minutes',
        metric: 'manual:minutes',
        unit: 'minutes',
        target: 30,
        direction: 'down',
      });
      await platform.answerer.useCases.update('uw', { status: 'pilot' });

      // Low-privilege keys: every write refused, nothing written.
      const before = (await listAudit(platform.db, { limit: 1000 })).filter((e) => e.action !== 'access.denied').length;
      const writes: Array<[string, string, unknown?]> = [
        ['POST', '/v1/use-cases/uw/criteria', { id: 'easy', metric: 'feedbackRate', target: 0 }],
        ['DELETE', '/v1/use-cases/uw/criteria/completion'],
        ['POST', '/v1/use-cases/uw/criteria/minutes/measurements', { value: 1 }],
        ['POST', '/v1/use-cases/uw/reviews', { decision: 'continue', notes: 'all good' }],
      ];
      for (const key of [viewer, user, outsider]) {
        for (const [method, path, body] of writes) {
          const reply = await call(key, method, path, body);
          assert.equal(reply.status, 403, `${method} ${path}`);
        }
      }
      // An outsider reviewer may not even read the criteria or health of a use case they may not use.
      assert.equal((await call(outsider, 'GET', '/v1/use-cases/uw/criteria')).status, 403);
      assert.equal((await call(outsider, 'GET', '/v1/use-cases/uw/health')).status, 403);
      assert.equal((await call(outsider, 'GET', '/v1/use-cases/uw/reviews')).status, 403);
      assert.equal((await call(viewer, 'GET', '/v1/use-cases/uw/criteria')).status, 403);
      const after = (await listAudit(platform.db, { limit: 1000 })).filter((e) => e.action !== 'access.denied').length;
      assert.equal(after, before);
      assert.deepEqual(await listReviews(platform.db, localOperator, 'uw'), []);

      // The owner "lowers the target" (remove + add easier): both pending, and they cannot approve their own.
      const removal = await call(owner, 'DELETE', '/v1/use-cases/uw/criteria/completion');
      assert.equal(removal.status, 202);
      const removalId = (removal.body.changeRequest as { id: string }).id;
      const self = await call(owner, 'POST', `/v1/changes/${removalId}/approve`, {});
      assert.equal(self.status, 403, JSON.stringify(self.body));
      // A builder is no approver of this use case either (not an admin, not listed).
      assert.equal((await call(builder, 'POST', `/v1/changes/${removalId}/approve`, {})).status, 403);
      assert.deepEqual(
        (await listCriteria(platform.db, localOperator, 'uw')).criteria.map((c) => [c.id, c.target]),
        [
          ['completion', 0.9],
          ['minutes', 30],
        ],
        'nothing changed while pending',
      );
      // The use case's approver (someone else) may approve: then it applies, audited with who.
      assert.equal((await call(approver, 'POST', `/v1/changes/${removalId}/approve`, {})).status, 200);
      assert.deepEqual(
        (await listCriteria(platform.db, localOperator, 'uw')).criteria.map((c) => c.id),
        ['minutes'],
      );
      const audit = await listAudit(platform.db, { limit: 50 });
      assert.ok(audit.some((e) => e.action === 'criteria.remove' && e.actor === 'user:olga@x.test'));
      assert.ok((await verifyAuditChain(platform.db)).ok);
    } finally {
      await close();
      await platform.close();
    }
  });
});
