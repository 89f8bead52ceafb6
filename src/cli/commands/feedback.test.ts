import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { insertInsurerCorpus, staff } from '../../../test/helpers/insurer-corpus.ts';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';
import { createTestPlatform, testDatabaseUrl, testStoreKind } from '../../../test/helpers/test-platform.ts';
import { callerWithPrincipals, loadConfig, localOperator, silentLogger } from '../../core/index.ts';
import type { Platform } from '../../create-platform.ts';
import { createPlatform } from '../../create-platform.ts';
import { createApiKey, listAudit, recordFeedback } from '../../govern/index.ts';
import { createApp, type RunningServer, startServer } from '../../server/index.ts';

describe(`cli: feedback mine|list|update, use-cases release-notes|card (${testStoreKind})`, () => {
  let platform: Platform;
  let server: RunningServer;
  const tokens: Record<string, string> = {};

  before(async () => {
    platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    await insertInsurerCorpus(platform.db);
    await platform.answerer.useCases.create('claims', {
      description: 'Home insurance questions',
      owner: 'user:olga@x.test',
      approvers: ['user:olga@x.test'],
      status: 'general',
    });
    for (const [name, role] of [
      ['ann', 'user'],
      ['olga', 'reviewer'],
      ['bea', 'builder'],
    ] as const) {
      tokens[name] = (
        await createApiKey(platform.db, { name, role, principals: [`user:${name}@x.test`, staff] }, { actor: 'local:operator' })
      ).token;
    }
    server = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false, authCacheMs: 0 });
  });
  after(async () => {
    await server.close(1000);
    await platform.close();
  });

  test('a user sees their feedback and its status; the owner triages it from the CLI; bad flags exit 2 naming the valid values', async () => {
    const as = (who: string, ...args: string[]) =>
      runGroundwork(['--server', server.url, '--api-key', tokens[who] as string, ...args]);
    const post = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.ann}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<Record<string, unknown>>);
    const answer = await post('/v1/answers', {
      question: 'What is the deductible for water damage under HO-3?',
      useCase: 'claims',
    });
    await platform.observe.recorder.flush();
    const fb = await post('/v1/feedback', { traceId: answer.traceId, rating: -1, category: 'wrong', comment: 'it is 500' });
    const id = fb.id as string;

    const mine = await as('ann', 'feedback', 'mine', '--json');
    assert.equal(mine.code, 0, mine.stderr);
    const mineJson = JSON.parse(mine.stdout) as { feedback: Array<{ id: string; status: string }> };
    assert.deepEqual(
      mineJson.feedback.map((f) => [f.id, f.status]),
      [[id, 'open']],
    );

    const refused = await as('ann', 'feedback', 'update', id, '--status', 'fixed');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /auth\.forbidden/);

    const inbox = await as('olga', 'feedback', 'list', '--inbox', '--status', 'open', '--rating', '-1', '--json');
    assert.equal(inbox.code, 0, inbox.stderr);
    assert.deepEqual(
      (JSON.parse(inbox.stdout) as { feedback: Array<{ id: string }> }).feedback.map((f) => f.id),
      [id],
    );
    const bad = await as('olga', 'feedback', 'list', '--status', 'closed');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /open, planned, fixed, wont_fix/);
    const badUpdate = await as('olga', 'feedback', 'update', id, '--status', 'closed');
    assert.equal(badUpdate.code, 2, badUpdate.stderr);
    assert.match(badUpdate.stderr, /wont_fix/);

    const fixed = await as(
      'olga',
      'feedback',
      'update',
      id,
      '--status',
      'fixed',
      '--note',
      'Corrected the HO-3 table.',
      '--json',
    );
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.equal((JSON.parse(fixed.stdout) as { updated: number }).updated, 1);
    const text = await as('ann', 'feedback', 'mine');
    assert.match(text.stdout, /fixed/);
    assert.match(text.stdout, /Corrected the HO-3 table/);

    const notes = await as('ann', 'use-cases', 'release-notes', 'claims', '--json');
    assert.equal(notes.code, 0, notes.stderr);
    assert.ok(
      (JSON.parse(notes.stdout) as { entries: Array<{ title: string }> }).entries.some(
        (e) => e.title === '1 reported problem fixed',
      ),
    );
    const card = await as('ann', 'use-cases', 'card', 'claims');
    assert.equal(card.code, 0, card.stderr);
    assert.match(card.stdout, /Can do:/);
    assert.match(card.stdout, /Home insurance questions/);
    const cardFile = join(mkdtempSync(join(tmpdir(), 'gw-card-')), 'card.json');
    writeFileSync(
      cardFile,
      JSON.stringify({ canDo: ['Quote deductibles'], cannotDo: ['Approve claims'], verifyWhen: ['Payouts'] }),
    );
    const written = await as('bea', 'use-cases', 'update', 'claims', '--card-file', cardFile, '--json');
    assert.equal(written.code, 0, written.stderr);
    // The use case is live (general): a card change is governed like every setting — olga approves it.
    const request = (JSON.parse(written.stdout) as { changeRequest: { id: string } }).changeRequest;
    const approved = await as('olga', 'changes', 'approve', request.id);
    assert.equal(approved.code, 0, approved.stderr);
    const shown = JSON.parse((await as('ann', 'use-cases', 'card', 'claims', '--json')).stdout) as {
      derived: boolean;
      cannotDo: string[];
    };
    assert.deepEqual([shown.derived, shown.cannotDo], [false, ['Approve claims']]);
    const badCard = await as('bea', 'use-cases', 'update', 'claims', '--card-file', join(tmpdir(), 'no-such-card.json'));
    assert.equal(badCard.code, 2, badCard.stderr);
    const missing = await as('ann', 'use-cases', 'card', 'nope');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /use_case\.not_found/);
  });
});

describe(`cli: feedback on the local store, same audit record as the API (${testStoreKind})`, () => {
  test('feedback list|update and use-cases card without --server act as the local operator', { timeout: 300_000 }, async () => {
    const work = await mkdtemp(join(tmpdir(), 'gw-feedback-cli-'));
    let admin: pg.Client | undefined;
    let database: string | undefined;
    let store = ['--data-dir', join(work, 'data')];
    let flags: Record<string, unknown> = { dataDir: join(work, 'data') };
    if (testDatabaseUrl) {
      database = `gw_feedback_cli_${process.pid}_${Date.now()}`;
      admin = new pg.Client({ connectionString: testDatabaseUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${database}`);
      const url = new URL(testDatabaseUrl);
      url.pathname = `/${database}`;
      store = ['--database-url', url.href];
      flags = { databaseUrl: url.href };
    }
    const open = () => createPlatform(loadConfig({ env: {}, cwd: work, flags }), { logger: silentLogger });
    try {
      const ann = callerWithPrincipals(['user:ann@x.test']);
      const traceOwner = async () => ({ callerId: ann.id, useCase: 'default' });
      let platform = await open();
      const ids: string[] = [];
      for (const traceId of ['t1', 't2']) {
        ids.push((await recordFeedback(platform.db, ann, { traceId, rating: -1, comment: 'stale' }, { traceOwner })).id);
      }
      await platform.close();

      const cli = async (args: string[], expected = 0) => {
        const result = await runGroundwork([...store, '--json', ...args], { cwd: work });
        assert.equal(result.code, expected, `${args.join(' ')}: ${result.stderr}`);
        return result.stdout ? JSON.parse(result.stdout) : undefined;
      };
      const listed = (await cli(['feedback', 'list', '--status', 'open', '--use-case', 'default'])).feedback as Array<{
        id: string;
      }>;
      assert.deepEqual(listed.map((f) => f.id).sort(), [...ids].sort());
      const updated = await cli(['feedback', 'update', ids[0] as string, '--status', 'fixed', '--note', 'Re-indexed.']);
      assert.equal(updated.updated, 1);
      await cli(['feedback', 'update', ids[0] as string, '--status', 'fixed'], 1);
      const card = await cli(['use-cases', 'card', 'default']);
      assert.equal(card.derived, true);

      platform = await open();
      const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
      try {
        const { token } = await createApiKey(
          platform.db,
          { name: 'ops', role: 'admin', principals: ['user:ops@x.test'] },
          { actor: localOperator.id },
        );
        const response = await built.app.request(`http://127.0.0.1/v1/feedback/${ids[1]}`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ status: 'fixed', note: 'Re-indexed.' }),
        });
        assert.equal(response.status, 200);
        const entries = await listAudit(platform.db, { action: 'feedback.status' });
        assert.deepEqual(entries.map((e) => e.actor).sort(), [localOperator.id, 'user:ops@x.test']);
        const [fromApi, fromCli] = entries.map((e) => ({ target: e.target?.split(':')[0], before: e.before, after: e.after }));
        assert.deepEqual(fromApi, fromCli, 'the same record from the CLI and the API');
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
