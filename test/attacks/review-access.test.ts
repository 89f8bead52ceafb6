/**
 * Attack tests on the human review queue (issue 17 item 3) with low-privilege keys over HTTP: users and viewers
 * are refused everywhere alike for existing and unknown ids; a reviewer of one use case cannot list, read,
 * claim, grade or turn into a candidate an item of another (404, no existence oracle); a passage from a
 * document the reviewer may not read now is never shown (the ACL changes after the answer: it disappears); a
 * reviewer cannot grade their own answer; bad input gets a 400 naming the valid values.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Role } from '../../src/core/index.ts';
import type { Platform } from '../../src/create-platform.ts';
import { createApiKey, listAudit } from '../../src/govern/index.ts';
import { createApp } from '../../src/server/index.ts';
import { restrictDocument, seedCorpus, settle } from '../helpers/review-corpus.ts';
import { createTestPlatform, testStoreKind } from '../helpers/test-platform.ts';

type Reply = { status: number; body: Record<string, unknown>; text: string };

async function keyFor(platform: Platform, principals: string[], role: Role): Promise<string> {
  return (await createApiKey(platform.db, { name: principals[0] as string, role, principals }, { actor: 'local:operator' }))
    .token;
}

async function setup() {
  const platform = await createTestPlatform({
    observe: { textRetention: 'keep' },
    review: { sampleRate: 1 },
    server: { rateLimit: { requestsPerSecond: 0 } },
  });
  await seedCorpus(platform);
  const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
  const call = async (token: string, method: string, path: string, body?: unknown): Promise<Reply> => {
    const response = await app.request(`http://127.0.0.1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, text };
  };
  const ask = async (token: string, useCase: string, question: string): Promise<string> => {
    const reply = await call(token, 'POST', '/v1/answers', { question, useCase });
    assert.equal(reply.status, 200, reply.text);
    await settle(platform);
    return reply.body.traceId as string;
  };
  return { platform, call, ask };
}

describe(`attacks on the review queue (${testStoreKind})`, () => {
  test('users and viewers are refused on every review route alike (randomized); nothing written', async () => {
    const { platform, call, ask } = await setup();
    try {
      const alice = await keyFor(platform, ['user:alice@x.test', 'group:underwriting'], 'user');
      const viewer = await keyFor(platform, ['user:vic@x.test', 'group:underwriting'], 'viewer');
      await ask(alice, 'underwriting-qa', 'What is the flood deductible for coastal risks?');
      const [item] = (await call(await keyFor(platform, ['user:root@x.test'], 'admin'), 'GET', '/v1/reviews')).body
        .reviews as Array<{ id: string }>;
      assert.ok(item);
      const before = (await listAudit(platform.db, { limit: 1000 })).length;
      const attempts: Array<[string, string, unknown?]> = [];
      for (const id of [item.id, 'rev_01aaaaaaaaaaaaaaaaaaaaaaaa']) {
        attempts.push(
          ['GET', '/v1/reviews'],
          ['GET', '/v1/reviews?useCase=underwriting-qa'],
          ['POST', '/v1/reviews/next', {}],
          ['GET', `/v1/reviews/${id}`],
          ['POST', `/v1/reviews/${id}/grade`, { verdict: 'wrong' }],
          ['POST', `/v1/reviews/${id}/candidate`],
        );
      }
      const shuffled = [alice, viewer].flatMap((token) => attempts.map((a) => ({ token, a }))).sort(() => Math.random() - 0.5);
      for (const { token, a } of shuffled) {
        const reply = await call(token, a[0], a[1], a[2]);
        assert.equal(reply.status, 403, `${a[0]} ${a[1]}: ${reply.text}`);
        assert.equal((reply.body.error as { code: string }).code, 'auth.forbidden');
        assert.ok(!reply.text.includes('flood'));
      }
      const audit = await listAudit(platform.db, { limit: 1000 });
      assert.deepEqual(
        audit.slice(0, audit.length - before).filter((e) => e.action !== 'access.denied'),
        [],
      );
    } finally {
      await platform.close();
    }
  });

  test('a reviewer of claims-qa never sees underwriting-qa items; passages vanish when the ACL changes; no grading of one’s own answer', async () => {
    const { platform, call, ask } = await setup();
    try {
      const alice = await keyFor(platform, ['user:alice@x.test', 'group:underwriting'], 'user');
      const bob = await keyFor(platform, ['user:bob@x.test', 'group:claims'], 'user');
      const rita = await keyFor(platform, ['user:rita@x.test', 'group:underwriting'], 'reviewer');
      const carl = await keyFor(platform, ['user:carl@x.test', 'group:claims'], 'reviewer');
      const uw = await ask(alice, 'underwriting-qa', 'What is the flood deductible for coastal risks?');
      const cl = await ask(bob, 'claims-qa', 'When do claims need a second adjuster?');
      const carlsList = (await call(carl, 'GET', '/v1/reviews')).body.reviews as Array<{ id: string; traceId: string }>;
      assert.deepEqual(
        carlsList.map((i) => i.traceId),
        [cl],
      );
      const ritasList = (await call(rita, 'GET', '/v1/reviews')).body.reviews as Array<{ id: string; traceId: string }>;
      assert.deepEqual(
        ritasList.map((i) => i.traceId),
        [uw],
      );
      const uwId = ritasList[0]?.id as string;
      // Carl: the underwriting item does not exist for him — same answer as an unknown id.
      for (const id of [uwId, 'rev_01aaaaaaaaaaaaaaaaaaaaaaaa']) {
        for (const [method, path, body] of [
          ['GET', `/v1/reviews/${id}`, undefined],
          ['POST', `/v1/reviews/${id}/grade`, { verdict: 'wrong' }],
          ['POST', `/v1/reviews/${id}/candidate`, undefined],
        ] as const) {
          const reply = await call(carl, method, path, body);
          assert.equal(reply.status, 404, `${method} ${path}`);
          assert.equal((reply.body.error as { code: string }).code, 'review.not_found');
          assert.ok(!reply.text.includes('flood'));
        }
      }
      const forbidden = await call(carl, 'GET', '/v1/reviews?useCase=underwriting-qa');
      assert.equal(forbidden.status, 403);
      assert.equal((forbidden.body.error as { code: string }).code, 'review.use_case_not_reviewable');
      assert.equal((await call(carl, 'POST', '/v1/reviews/next', { useCase: 'underwriting-qa' })).status, 403);
      const carlsNext = (await call(carl, 'POST', '/v1/reviews/next', {})).body.item as { traceId: string };
      assert.equal(carlsNext.traceId, cl);
      // Rita reads the cited passage now…
      const visible = (await call(rita, 'POST', '/v1/reviews/next', {})).body.item as {
        id: string;
        passages: Array<{ text: string }>;
        withheldPassages: number;
        answer: string | null;
      };
      assert.equal(visible.id, uwId);
      assert.match(visible.passages[0]?.text ?? '', /1000 euros/);
      assert.equal(visible.withheldPassages, 0);
      // …the document's ACL changes: the passage (and the answer built on it) disappears, counted as withheld.
      await restrictDocument(platform, 'doc_uw', ['group:legal']);
      const after = await call(rita, 'GET', `/v1/reviews/${uwId}`);
      assert.equal(after.status, 200);
      assert.deepEqual(after.body.passages, []);
      assert.equal(after.body.withheldPassages, 1);
      assert.equal(after.body.answer, null);
      assert.ok(
        !after.text.includes('1000 euros') && !after.text.includes('doc_uw') && !after.text.includes('Underwriting guide'),
      );
      // Four eyes: a reviewer who asked the question may not grade it, and is never handed it.
      const ravi = await keyFor(platform, ['user:ravi@x.test', 'group:underwriting'], 'reviewer');
      const own = await ask(ravi, 'underwriting-qa', 'Is there a coastal flood deductible?');
      const ownItem = ((await call(rita, 'GET', '/v1/reviews')).body.reviews as Array<{ id: string; traceId: string }>).find(
        (i) => i.traceId === own,
      );
      assert.ok(ownItem);
      const refused = await call(ravi, 'POST', `/v1/reviews/${ownItem.id}/grade`, { verdict: 'correct' });
      assert.equal(refused.status, 403);
      assert.equal((refused.body.error as { code: string }).code, 'review.own_answer');
      const ravisNext = (await call(ravi, 'POST', '/v1/reviews/next', {})).body.item as { traceId: string } | null;
      assert.notEqual(ravisNext?.traceId, own);
    } finally {
      await platform.close();
    }
  });

  test('grading over HTTP: bad input → 400 naming the valid values; a grade moves the override rate; one click → candidate', async () => {
    const { platform, call, ask } = await setup();
    try {
      const alice = await keyFor(platform, ['user:alice@x.test', 'group:underwriting'], 'user');
      const rita = await keyFor(platform, ['user:rita@x.test', 'group:underwriting'], 'reviewer');
      await ask(alice, 'underwriting-qa', 'What is the flood deductible for coastal risks?');
      const item = (await call(rita, 'POST', '/v1/reviews/next', {})).body.item as { id: string };
      const bad = await call(rita, 'POST', `/v1/reviews/${item.id}/grade`, { verdict: 'great' });
      assert.equal(bad.status, 400);
      assert.equal((bad.body.error as { code: string }).code, 'review.invalid_verdict');
      assert.match((bad.body.error as { message: string }).message, /correct, partially, wrong/);
      const grounded = await call(rita, 'POST', `/v1/reviews/${item.id}/grade`, { verdict: 'wrong', grounded: 'maybe' });
      assert.equal(grounded.status, 400);
      assert.match((grounded.body.error as { message: string }).message, /yes, no/);
      const status = await call(rita, 'GET', '/v1/reviews?status=done');
      assert.equal(status.status, 400);
      assert.match((status.body.error as { message: string }).message, /pending, graded/);
      const early = await call(rita, 'POST', `/v1/reviews/${item.id}/candidate`);
      assert.equal(early.status, 409);
      assert.equal((early.body.error as { code: string }).code, 'review.not_graded');
      assert.equal((await call(rita, 'GET', '/v1/usage?useCase=underwriting-qa')).body.overrideRate, null);
      const graded = await call(rita, 'POST', `/v1/reviews/${item.id}/grade`, {
        verdict: 'wrong',
        grounded: 'no',
        correctedAnswer: 'It is 1000 euros.',
        reason: 'wrong amount',
      });
      assert.equal(graded.status, 200, graded.text);
      assert.equal(graded.body.overridden, true);
      await settle(platform);
      assert.equal((await call(rita, 'GET', '/v1/usage?useCase=underwriting-qa')).body.overrideRate, 1);
      const candidate = await call(rita, 'POST', `/v1/reviews/${item.id}/candidate`);
      assert.equal(candidate.status, 201, candidate.text);
      assert.equal((candidate.body.candidate as { expectedAnswer: string }).expectedAnswer, 'It is 1000 euros.');
      const again = await call(rita, 'POST', `/v1/reviews/${item.id}/grade`, { verdict: 'correct' });
      assert.equal(again.status, 409);
      assert.ok(Array.isArray((await call(rita, 'GET', '/v1/reviews?status=graded')).body.reviews));
    } finally {
      await platform.close();
    }
  });
});
