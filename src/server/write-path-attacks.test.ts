import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { type Caller, callerWithPrincipals, type GroundworkError, localOperator, type Role, roles } from '../core/index.ts';
import { importDataset, labelRun, rejectCandidate } from '../evaluate/index.ts';
import { createApiKey, hasScope, listAudit, recordFeedback, revokeKey, type Scope } from '../govern/index.ts';
import { retryQuarantined } from '../ingest/index.ts';
import { purgeTraces } from '../observe/index.ts';
import { retryJob } from '../worker.ts';
import { createApp } from './index.ts';

/** The write routes moved to one write function each, with the scope each needs. */
const writes: Array<{ method: string; path: string; scope: Scope; body?: unknown }> = [
  { method: 'POST', path: '/v1/quarantine/retry', scope: 'sources:write', body: {} },
  {
    method: 'POST',
    path: '/v1/eval/datasets',
    scope: 'eval:run',
    body: { name: 'stolen', format: 'jsonl', content: '{"question": "q"}' },
  },
  { method: 'POST', path: '/v1/eval/runs', scope: 'eval:run', body: { dataset: 'stolen' } },
  { method: 'POST', path: '/v1/jobs/00000000-0000-0000-0000-000000000000/retry', scope: 'jobs:write', body: {} },
  { method: 'DELETE', path: '/v1/keys/key_target', scope: 'keys:admin' },
];

describe(`attacks on the non-governed writes (${testStoreKind})`, () => {
  test('every role without the scope is refused over HTTP, leaves no audit record and changes nothing', async () => {
    const platform = await createTestPlatform();
    const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
    try {
      const tokens = new Map<Role, string>();
      for (const role of roles) {
        const { token } = await createApiKey(
          platform.db,
          { name: role, role, principals: [`user:${role}@x.test`] },
          { actor: localOperator.id },
        );
        tokens.set(role, token);
      }
      const before = (await listAudit(platform.db, { limit: 1000 })).length;
      // Randomized order: no request may depend on an earlier one having been refused.
      const attempts = roles.flatMap((role) => writes.map((write) => ({ role, write })));
      attempts.sort(() => Math.random() - 0.5);
      for (const { role, write } of attempts) {
        if (hasScope({ ...localOperator, role, seesEverything: false }, write.scope)) continue;
        const response = await built.app.request(`http://127.0.0.1${write.path}`, {
          method: write.method,
          headers: { authorization: `Bearer ${tokens.get(role)}`, 'content-type': 'application/json' },
          ...(write.body === undefined ? {} : { body: JSON.stringify(write.body) }),
        });
        assert.equal(response.status, 403, `${role} ${write.method} ${write.path}`);
        assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'auth.forbidden');
      }
      const after = await listAudit(platform.db, { limit: 1000 });
      assert.deepEqual(
        after.slice(0, after.length - before).filter((e) => e.action !== 'access.denied'),
        [],
        'only the refusals were audited',
      );
      assert.equal((await platform.db.query('SELECT count(*)::int AS n FROM eval_datasets')).rows[0]?.n, 0);
    } finally {
      await built.close();
      await platform.close();
    }
  });

  test('the write functions refuse a low-privilege caller themselves, whatever edge calls them', async () => {
    const platform = await createTestPlatform();
    try {
      const viewer: Caller = callerWithPrincipals(['user:vic@x.test'], 'viewer');
      const user: Caller = callerWithPrincipals(['user:ann@x.test']);
      const forbidden = (error: GroundworkError) => error.code === 'auth.forbidden';
      await assert.rejects(retryQuarantined(platform.db, user, {}), forbidden);
      await assert.rejects(importDataset(platform.db, [], { name: 'x', origin: 'jsonl', caller: user }), forbidden);
      await assert.rejects(labelRun(platform.db, user, 'nope', 'baseline'), forbidden);
      await assert.rejects(rejectCandidate(platform.db, 'nope', user), forbidden);
      await assert.rejects(purgeTraces(platform.db, user, new Date()), forbidden);
      await assert.rejects(revokeKey(platform.db, user, 'key_nope'), forbidden);
      await assert.rejects(retryJob(platform, user, 'nope'), forbidden);
      // Feedback: a viewer may not give any; a user only on their own trace (another's is "not found").
      const annTrace = 'trc_ann';
      const bobTrace = 'trc_bob';
      const traceOwner = async (id: string) =>
        id === annTrace ? 'user:ann@x.test' : id === bobTrace ? 'user:bob@x.test' : undefined;
      await assert.rejects(recordFeedback(platform.db, viewer, { traceId: annTrace, rating: -1 }, { traceOwner }), forbidden);
      await assert.rejects(
        recordFeedback(platform.db, user, { traceId: bobTrace, rating: -1 }, { traceOwner }),
        (error: GroundworkError) => error.code === 'feedback.trace_not_found',
      );
      assert.deepEqual(await listAudit(platform.db, { action: 'feedback.record' }), []);
      await recordFeedback(platform.db, user, { traceId: annTrace, rating: -1, comment: 'secret text' }, { traceOwner });
      const [audited] = await listAudit(platform.db, { action: 'feedback.record' });
      assert.equal(audited?.actor, 'user:ann@x.test');
      assert.doesNotMatch(JSON.stringify(audited), /secret text/);
    } finally {
      await platform.close();
    }
  });
});
