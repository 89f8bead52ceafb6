import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seedCorpus, settle } from '../../../test/helpers/review-corpus.ts';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';
import { createTestPlatform, testStoreKind } from '../../../test/helpers/test-platform.ts';
import { callerWithPrincipals } from '../../core/index.ts';
import type { Platform } from '../../create-platform.ts';
import { createApiKey } from '../../govern/index.ts';
import { type RunningServer, startServer } from '../../server/index.ts';

describe(`cli: review (${testStoreKind})`, () => {
  let platform: Platform;
  let server: RunningServer;
  let reviewer: string;
  let user: string;

  before(async () => {
    platform = await createTestPlatform({
      observe: { textRetention: 'keep' },
      review: { sampleRate: 1 },
      server: { rateLimit: { requestsPerSecond: 0 } },
    });
    await seedCorpus(platform);
    reviewer = (
      await createApiKey(
        platform.db,
        { name: 'rev', role: 'reviewer', principals: ['user:rita@x.test', 'group:underwriting'] },
        { actor: 'local:operator' },
      )
    ).token;
    user = (
      await createApiKey(
        platform.db,
        { name: 'usr', role: 'user', principals: ['user:uma@x.test', 'group:underwriting'] },
        { actor: 'local:operator' },
      )
    ).token;
    await platform.answerer.ask({
      question: 'What is the flood deductible for coastal risks?',
      caller: callerWithPrincipals(['user:alice@x.test', 'group:underwriting']),
      useCase: 'underwriting-qa',
    });
    await settle(platform);
    server = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false, authCacheMs: 0 });
  });
  after(async () => {
    await server.close(1000);
    await platform.close();
  });

  test('review list, next, grade --to-eval with --server --json; bad verdict exits 2 naming the valid ones; a user key is refused', async () => {
    const as = (token: string, ...args: string[]) => runGroundwork(['--server', server.url, '--api-key', token, ...args]);
    const listed = await as(reviewer, 'review', 'list', '--use-case', 'underwriting-qa', '--status', 'pending', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    const [item] = (JSON.parse(listed.stdout) as { reviews: Array<{ id: string; status: string }> }).reviews;
    assert.ok(item);
    const next = await as(reviewer, 'review', 'next', '--json');
    assert.equal(next.code, 0, next.stderr);
    const claimed = (JSON.parse(next.stdout) as { item: { id: string; passages: Array<{ text: string }>; question: string } })
      .item;
    assert.equal(claimed.id, item.id);
    assert.match(claimed.passages[0]?.text ?? '', /1000 euros/);
    const human = await as(reviewer, 'review', 'next');
    assert.match(human.stdout, /Question: What is the flood deductible/);
    assert.match(human.stdout, /Underwriting guide/);
    const bad = await as(reviewer, 'review', 'grade', item.id, '--verdict', 'meh');
    assert.equal(bad.code, 2, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /correct, partially, wrong/);
    const graded = await as(
      reviewer,
      'review',
      'grade',
      item.id,
      '--verdict',
      'partially',
      '--grounded',
      'yes',
      '--corrected',
      'The flood deductible is 1000 euros for coastal risks.',
      '--reason',
      'incomplete',
      '--to-eval',
      '--json',
    );
    assert.equal(graded.code, 0, graded.stderr);
    const body = JSON.parse(graded.stdout) as {
      verdict: string;
      overridden: boolean;
      candidate: { id: string; expectedAnswer: string };
    };
    assert.equal(body.verdict, 'partially');
    assert.equal(body.overridden, true);
    assert.equal(body.candidate.expectedAnswer, 'The flood deductible is 1000 euros for coastal risks.');
    const gradedList = await as(reviewer, 'review', 'list', '--status', 'graded');
    assert.equal(gradedList.code, 0);
    assert.match(gradedList.stdout, /partially/);
    const denied = await as(user, 'review', 'list');
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /reviews:read/);
  });
});
