import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { type Role, roles } from '../core/index.ts';
import { createApiKey } from '../govern/index.ts';
import { createApp } from './index.ts';

describe(`traces, costs and feedback over HTTP (${testStoreKind})`, () => {
  test('roles × own/other traces: only your own (admins all); feedback only on your own; reviewers read all feedback', async () => {
    const platform = await createTestPlatform({ observe: { recorder: { flushIntervalMs: 60_000 } } });
    try {
      const tokens = {} as Record<Role, string>;
      for (const role of roles) {
        tokens[role] = (
          await createApiKey(platform.db, { name: role, role, principals: [`user:${role}@x.test`] }, { actor: 'local:operator' })
        ).token;
      }
      const traceOf = {} as Record<Role, string>;
      for (const role of roles) {
        const span = platform.tracer.startSpan('search', undefined, {
          'groundwork.operation': 'search',
          'groundwork.caller': `user:${role}@x.test`,
        });
        span.end();
        traceOf[role] = span.context.traceId;
      }
      const reviewed = platform.tracer.startSpan('answer', undefined, {
        'groundwork.operation': 'answer',
        'groundwork.caller': 'user:someone@x.test',
        'groundwork.use_case': 'default',
      });
      reviewed.end();
      await platform.observe.recorder.flush();
      const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
      const call = (path: string, token: string, init: RequestInit = {}) =>
        app.request(`http://127.0.0.1${path}`, {
          ...init,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', host: '127.0.0.1' },
        });

      for (const reader of roles) {
        const list = (await (await call('/v1/traces', tokens[reader])).json()) as {
          traces: Array<{ id: string; callerId: string }>;
        };
        const ids = new Set(list.traces.map((t) => t.id));
        for (const owner of roles) {
          const visible = reader === owner || reader === 'admin';
          assert.equal(ids.has(traceOf[owner]), visible, `${reader} listing ${owner}'s trace`);
          const one = await call(`/v1/traces/${traceOf[owner]}`, tokens[reader]);
          assert.equal(one.status, visible ? 200 : 404, `${reader} reading ${owner}'s trace`);

          const feedback = await call('/v1/feedback', tokens[reader], {
            method: 'POST',
            body: JSON.stringify({ traceId: traceOf[owner], rating: -1, category: 'wrong', comment: 'c' }),
          });
          const expected = reader === 'viewer' ? 403 : reader === owner ? 201 : 404;
          assert.equal(feedback.status, expected, `${reader} rating ${owner}'s trace`);
        }
      }
      // Use-case review: reviewers and builders see traces of use cases they may use; users do not.
      for (const role of roles) {
        const status = (await call(`/v1/traces/${reviewed.context.traceId}`, tokens[role])).status;
        assert.equal(status, ['reviewer', 'builder', 'admin'].includes(role) ? 200 : 404, `${role} reviewing a use-case trace`);
      }
      const own = (await (await call('/v1/feedback', tokens.user)).json()) as { feedback: Array<{ callerId: string }> };
      assert.deepEqual(
        own.feedback.map((f) => f.callerId),
        ['user:user@x.test'],
      );
      const all = (await (await call('/v1/feedback', tokens.reviewer)).json()) as { feedback: unknown[] };
      assert.equal(all.feedback.length, 4);

      assert.equal((await call('/v1/costs?by=user', tokens.user)).status, 403);
      const costs = await call('/v1/costs?by=user', tokens.reviewer);
      assert.equal(costs.status, 200);
      assert.ok(Array.isArray(((await costs.json()) as { rows: unknown[] }).rows));
      const metrics = await (await app.request('http://127.0.0.1/metrics')).text();
      assert.match(metrics, /groundwork_http_requests_total/);
    } finally {
      await platform.close();
    }
  });
});
