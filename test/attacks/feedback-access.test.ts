/**
 * Attack tests on feedback users can see (issue 16 item 5): low-privilege keys cannot change a status, cannot
 * see anyone else's feedback or notices, cannot read the release notes or card of a use case they may not use
 * (and cannot tell it from one that does not exist); an owner of one use case cannot triage another's feedback,
 * and an owner who may not read a use case's traces gets its feedback without the question and answer.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Role } from '../../src/core/index.ts';
import { createApiKey, verifyAuditChain } from '../../src/govern/index.ts';
import { createApp } from '../../src/server/index.ts';
import { insertInsurerCorpus, staff } from '../helpers/insurer-corpus.ts';
import { createTestPlatform, testStoreKind } from '../helpers/test-platform.ts';

type Reply = { status: number; body: Record<string, unknown>; text: string };

describe(`attacks on feedback, notices, release notes and cards (${testStoreKind})`, () => {
  test('low-privilege keys, other people’s feedback, other use cases, trace text through the inbox', async () => {
    const platform = await createTestPlatform({ observe: { textRetention: 'keep' } });
    try {
      await insertInsurerCorpus(platform.db);
      await platform.answerer.useCases.create('claims', {
        principals: ['group:claims'],
        owner: 'user:olga@x.test',
        status: 'general',
      });
      await platform.answerer.useCases.create('home', { owner: 'user:hank@x.test', status: 'general' });
      const keys: Record<string, [Role, string[]]> = {
        ann: ['user', ['user:ann@x.test', staff, 'group:claims']],
        mal: ['user', ['user:mal@x.test', staff]],
        vic: ['viewer', ['user:vic@x.test', staff, 'group:claims']],
        olga: ['reviewer', ['user:olga@x.test', staff]],
        hank: ['reviewer', ['user:hank@x.test', staff, 'group:claims']],
      };
      const tokens: Record<string, string> = {};
      for (const [name, [role, principals]] of Object.entries(keys)) {
        tokens[name] = (await createApiKey(platform.db, { name, role, principals }, { actor: 'local:operator' })).token;
      }
      const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
      const call = async (who: string, method: string, path: string, body?: unknown): Promise<Reply> => {
        const response = await app.request(`http://127.0.0.1${path}`, {
          method,
          headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json', host: '127.0.0.1' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, text };
      };
      const rate = async (who: string, useCase: string, comment: string) => {
        const answer = await call(who, 'POST', '/v1/answers', {
          question: 'What is the deductible for water damage under HO-3?',
          useCase,
        });
        assert.equal(answer.status, 200, answer.text);
        await platform.observe.recorder.flush();
        const fb = await call(who, 'POST', '/v1/feedback', { traceId: answer.body.traceId, rating: -1, comment });
        assert.equal(fb.status, 201, fb.text);
        return fb.body.id as string;
      };
      const annClaims = await rate('ann', 'claims', 'ann-secret-comment');
      const annHome = await rate('ann', 'home', 'ann-home-comment');

      // 1. Users and viewers cannot change a status: the same 403 for an existing id and an unknown one.
      for (const who of ['mal', 'ann', 'vic']) {
        for (const id of [annClaims, 'fb_doesnotexist']) {
          const patch = await call(who, 'PATCH', `/v1/feedback/${id}`, { status: 'fixed', note: 'x' });
          assert.equal(patch.status, 403, `${who} PATCH ${id}`);
          assert.equal((patch.body.error as { code: string }).code, 'auth.forbidden');
          const bulk = await call(who, 'POST', '/v1/feedback/bulk', { ids: [id], status: 'wont_fix', note: 'x' });
          assert.equal(bulk.status, 403, `${who} bulk ${id}`);
        }
        assert.equal((await call(who, 'GET', '/v1/feedback?inbox=true')).status, 403);
      }

      // 2. Nobody sees anyone else's feedback: every list and filter, and notices.
      for (const path of [
        '/v1/feedback',
        '/v1/feedback?mine=false',
        '/v1/feedback?useCase=claims',
        `/v1/feedback?traceId=${encodeURIComponent('x')}`,
        '/v1/feedback?q=ann-secret',
        '/v1/feedback/mine',
      ]) {
        const reply = await call('mal', 'GET', path);
        assert.equal(reply.status, 200, path);
        assert.deepEqual(reply.body.feedback, [], path);
        assert.ok(!reply.text.includes('ann-'), path);
      }

      // 3. Owners triage only their use cases; a mixed bulk request changes nothing.
      const notOwner = await call('hank', 'PATCH', `/v1/feedback/${annClaims}`, { status: 'planned' });
      assert.equal(notOwner.status, 403);
      assert.equal((notOwner.body.error as { code: string }).code, 'feedback.not_triager');
      const mixed = await call('hank', 'POST', '/v1/feedback/bulk', { ids: [annHome, annClaims], status: 'planned' });
      assert.equal(mixed.status, 403);
      const annMine = (await call('ann', 'GET', '/v1/feedback/mine')).body.feedback as Array<{ id: string; status: string }>;
      assert.ok(
        annMine.every((f) => f.status === 'open'),
        'nothing changed',
      );
      assert.equal((await call('hank', 'PATCH', `/v1/feedback/${annHome}`, { status: 'fixed', note: 'done' })).status, 200);

      // Notices are the reporter's alone; marking someone else's seen does nothing.
      const annNotices = (await call('ann', 'GET', '/v1/notices')).body.notices as Array<{ id: string }>;
      assert.equal(annNotices.length, 1);
      assert.deepEqual((await call('mal', 'GET', '/v1/notices')).body.notices, []);
      assert.equal((await call('mal', 'POST', '/v1/notices/seen', { ids: annNotices.map((n) => n.id) })).body.seen, 0);
      assert.equal(((await call('ann', 'GET', '/v1/notices')).body.notices as unknown[]).length, 1);

      // 4. The owner of `claims` may not use it (not in group:claims): its feedback reaches their inbox, but the
      //    question and answer follow the trace access rules — withheld.
      const inbox = (await call('olga', 'GET', '/v1/feedback?inbox=true')).body.feedback as Array<{
        id: string;
        question: string | null;
        answer: string | null;
      }>;
      assert.deepEqual(
        inbox.map((f) => f.id),
        [annClaims],
      );
      assert.equal(inbox[0]?.question, null);
      assert.equal(inbox[0]?.answer, null);

      // 5. Release notes and cards of a use case the caller may not use look exactly like a missing one.
      for (const suffix of ['release-notes', 'card']) {
        const hidden = await call('mal', 'GET', `/v1/use-cases/claims/${suffix}`);
        const missing = await call('mal', 'GET', `/v1/use-cases/no-such-case/${suffix}`);
        assert.equal(hidden.status, 404, suffix);
        assert.equal(missing.status, 404, suffix);
        assert.equal((hidden.body.error as { code: string }).code, (missing.body.error as { code: string }).code);
        assert.equal(
          (hidden.body.error as { message: string }).message.replace('claims', 'X'),
          (missing.body.error as { message: string }).message.replace('no-such-case', 'X'),
        );
      }
      assert.equal((await call('mal', 'POST', '/v1/use-cases/claims/card/seen')).status, 404);
      assert.equal((await call('ann', 'GET', '/v1/use-cases/claims/card')).status, 200);

      // 6. The plain feedback list (feedback:read) shows others' feedback only on use cases the reader may use:
      // olga may not use `claims`, so ann's feedback there is not listed to her, not even by filtering on it.
      const listedTo = async (who: string, query = '') =>
        ((await call(who, 'GET', `/v1/feedback${query}`)).body.feedback as Array<{ id: string }>).map((f) => f.id);
      assert.deepEqual(await listedTo('olga'), [annHome]);
      assert.deepEqual(await listedTo('olga', '?useCase=claims'), []);
      assert.deepEqual((await listedTo('hank')).sort(), [annClaims, annHome].sort());

      assert.equal((await verifyAuditChain(platform.db)).ok, true);
    } finally {
      await platform.close();
    }
  });
});
