import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seedCorpus } from '../../../test/helpers/review-corpus.ts';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';
import { createTestPlatform, testStoreKind } from '../../../test/helpers/test-platform.ts';
import type { Platform } from '../../create-platform.ts';
import { createApiKey, listAudit } from '../../govern/index.ts';
import { type RunningServer, startServer } from '../../server/index.ts';

describe(`cli: actions (${testStoreKind})`, () => {
  let platform: Platform;
  let server: RunningServer;
  let proposer: string;
  let approver: string;

  before(async () => {
    platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    await seedCorpus(platform);
    const key = async (name: string, role: 'user' | 'reviewer', principals: string[]) =>
      (await createApiKey(platform.db, { name, role, principals }, { actor: 'local:operator' })).token;
    proposer = await key('usr', 'user', ['user:uma@x.test', 'group:underwriting']);
    approver = await key('rev', 'reviewer', ['user:rita@x.test', 'group:underwriting']);
    server = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false, authCacheMs: 0 });
  });
  after(async () => {
    await server.close(1000);
    await platform.close();
  });

  test('actions list, proposals, show, approve, deny with --server --json; own approval and replay exit non-zero', async () => {
    const as = (token: string, ...args: string[]) => runGroundwork(['--server', server.url, '--api-key', token, ...args]);
    const listed = await as(proposer, 'actions', 'list', '--use-case', 'underwriting-qa', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok((JSON.parse(listed.stdout) as { actions: Array<{ name: string }> }).actions.some((a) => a.name === 'create_note'));
    const post = (body: unknown) =>
      fetch(`${server.url}/v1/proposals`, {
        method: 'POST',
        headers: { authorization: `Bearer ${proposer}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<{ id: string; inputHash: string }>);
    const first = await post({
      action: 'create_note',
      input: { useCase: 'underwriting-qa', text: 'one' },
      useCase: 'underwriting-qa',
    });
    const second = await post({
      action: 'create_note',
      input: { useCase: 'underwriting-qa', text: 'two' },
      useCase: 'underwriting-qa',
    });
    const pending = await as(approver, 'actions', 'proposals', '--status', 'proposed', '--json');
    assert.equal(pending.code, 0, pending.stderr);
    assert.equal((JSON.parse(pending.stdout) as { proposals: unknown[] }).proposals.length, 2);
    const shown = await as(approver, 'actions', 'show', first.id);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`--input-hash ${first.inputHash}`));
    const own = await as(proposer, 'actions', 'approve', first.id, '--input-hash', first.inputHash);
    assert.notEqual(own.code, 0);
    const approved = await as(approver, 'actions', 'approve', first.id, '--input-hash', first.inputHash, '--json');
    assert.equal(approved.code, 0, approved.stderr);
    assert.equal((JSON.parse(approved.stdout) as { status: string }).status, 'approved');
    const replay = await as(approver, 'actions', 'approve', first.id, '--input-hash', first.inputHash);
    assert.notEqual(replay.code, 0);
    assert.match(replay.stderr, /actions\.not_pending|single-use/);
    const denied = await as(approver, 'actions', 'deny', second.id, '--reason', 'duplicate');
    assert.equal(denied.code, 0, denied.stderr);
    const stats = await as(approver, 'actions', 'stats', '--json');
    const note = (
      JSON.parse(stats.stdout) as { actions: Array<{ action: string; approved: number; denied: number }> }
    ).actions.find((a) => a.action === 'create_note');
    assert.deepEqual([note?.approved, note?.denied], [1, 1]);
    const audit = await listAudit(platform.db, { limit: 100 });
    assert.ok(audit.some((e) => e.action === 'action.deny' && e.target === `proposal:${second.id}`));
  });
});
