import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { seedCorpus, settle } from '../../../test/helpers/review-corpus.ts';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';
import { createTestPlatform, testDatabaseUrl, testStoreKind } from '../../../test/helpers/test-platform.ts';
import { usageReport } from '../../adoption/index.ts';
import { callerWithPrincipals, loadConfig, localOperator, silentLogger } from '../../core/index.ts';
import { createPlatform, type Platform } from '../../create-platform.ts';
import { type AuditEntry, createApiKey, listAudit, verifyAuditChain } from '../../govern/index.ts';
import { createApp, type RunningServer, startServer } from '../../server/index.ts';

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

/** The shape of an audit record with the values that differ per call left out (as in write-path.test.ts). */
function shape(entry: AuditEntry): { action: string; target: string; after: unknown } {
  const keysOf = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(keysOf);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, inner]) => [key, keysOf(inner)]));
    }
    return typeof value;
  };
  return { action: entry.action, target: (entry.target ?? '').split(':')[0] as string, after: keysOf(entry.after) };
}

describe(`cli: review on the local store writes what the API writes (${testStoreKind})`, () => {
  test('review list/next/grade/candidate as the local operator; the same audit records as through the API', {
    timeout: 300_000,
  }, async () => {
    const work = await mkdtemp(join(tmpdir(), 'gw-review-cli-'));
    let admin: pg.Client | undefined;
    let database: string | undefined;
    let store = ['--data-dir', join(work, 'data')];
    let flags: Record<string, unknown> = { dataDir: join(work, 'data') };
    if (testDatabaseUrl) {
      database = `gw_review_cli_${process.pid}_${Date.now()}`;
      admin = new pg.Client({ connectionString: testDatabaseUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${database}`);
      const url = new URL(testDatabaseUrl);
      url.pathname = `/${database}`;
      store = ['--database-url', url.href];
      flags = { databaseUrl: url.href };
    }
    const open = () =>
      createPlatform(
        loadConfig({ env: {}, cwd: work, flags: { ...flags, observe: { textRetention: 'keep' }, review: { sampleRate: 1 } } }),
        {
          logger: silentLogger,
        },
      );
    const cli = async (args: string[], expected = 0) => {
      const result = await runGroundwork([...store, '--json', ...args], { cwd: work });
      assert.equal(result.code, expected, `${args.join(' ')}: ${result.stderr}`);
      return result.stdout ? JSON.parse(result.stdout) : undefined;
    };
    try {
      // Two answers by a user, sampled (the store is closed again before the CLI opens it: embedded is one process).
      let platform = await open();
      try {
        await seedCorpus(platform);
        const alice = callerWithPrincipals(['user:alice@x.test', 'group:underwriting']);
        for (const question of ['What is the flood deductible for coastal risks?', 'Is there a coastal flood deductible?']) {
          await platform.answerer.ask({ question, caller: alice, useCase: 'underwriting-qa' });
        }
        await settle(platform);
      } finally {
        await platform.close();
      }
      const listed = (await cli(['review', 'list', '--use-case', 'underwriting-qa'])).reviews as Array<{ id: string }>;
      assert.equal(listed.length, 2);
      await cli(['review', 'list', '--status', 'done'], 2);
      const { item } = (await cli(['review', 'next'])) as { item: { id: string; passages: Array<{ text: string }> } };
      assert.match(item.passages[0]?.text ?? '', /1000 euros/);
      await cli(['review', 'grade', item.id, '--verdict', 'wrong', '--grounded', 'no', '--corrected', 'It is 1000 euros.']);
      const candidate = await cli(['review', 'candidate', item.id]);
      assert.equal(candidate.expectedAnswer, 'It is 1000 euros.');
      const other = listed.find((i) => i.id !== item.id) as { id: string };

      platform = await open();
      const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
      try {
        const { token } = await createApiKey(
          platform.db,
          { name: 'rev', role: 'reviewer', principals: ['user:rita@x.test', 'group:underwriting'] },
          { actor: localOperator.id },
        );
        const call = async (path: string, body: unknown) => {
          const response = await built.app.request(`http://127.0.0.1${path}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          assert.ok(response.status < 300, `${path}: ${response.status} ${await response.clone().text()}`);
        };
        await call('/v1/reviews/next', {});
        await call(`/v1/reviews/${other.id}/grade`, { verdict: 'wrong', grounded: 'no', correctedAnswer: 'It is 1000 euros.' });
        for (const action of ['review.claim', 'review.grade']) {
          const entries = await listAudit(platform.db, { action });
          assert.deepEqual(
            entries.map((e) => e.actor).sort(),
            [localOperator.id, 'user:rita@x.test'],
            `${action}: one record from each edge`,
          );
          const [fromApi, fromCli] = entries.map(shape);
          assert.deepEqual(fromApi, fromCli, `${action}: the same record from the CLI and the API`);
        }
        // The CLI's grade reached the usage rollups too (its platform flushed them on close).
        assert.equal((await usageReport(platform.db, localOperator, { useCase: 'underwriting-qa' })).overrideRate, 1);
        assert.equal((await verifyAuditChain(platform.db)).ok, true);
      } finally {
        await built.close();
        await platform.close();
      }
    } finally {
      await rm(work, { recursive: true, force: true });
      if (admin && database) {
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
        await admin.end();
      }
    }
  });
});
