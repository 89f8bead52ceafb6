import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';
import { createTestPlatform, testStoreKind } from '../../../test/helpers/test-platform.ts';
import type { Platform } from '../../create-platform.ts';
import { type ChangeRequest, createApiKey, listAudit, verifyAuditChain } from '../../govern/index.ts';
import { createPrompt } from '../../prompts/index.ts';
import { type RunningServer, startServer } from '../../server/index.ts';

// `groundwork changes …` and governed CLI writes as real processes, against a running API (two people).
describe(`cli: changes list/show/approve/reject through --server (${testStoreKind})`, () => {
  let platform: Platform;
  let server: RunningServer;
  let alice: string;
  let bob: string;
  let viewer: string;

  before(async () => {
    platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    const key = async (name: string, role: 'builder' | 'admin' | 'viewer') =>
      (await createApiKey(platform.db, { name, role, principals: [`user:${name}@x.test`] }, { actor: 'local:operator' })).token;
    alice = await key('alice', 'builder');
    bob = await key('bob', 'admin');
    viewer = await key('vic', 'viewer');
    const template = 'Context:\n{{context}}\nQuestion: {{question}}';
    await createPrompt(platform.db, { name: 'uw', template, message: 'v1', labels: ['production'], author: 'local:operator' });
    await createPrompt(platform.db, { name: 'uw', template: `${template}\nBrief.`, message: 'v2', author: 'local:operator' });
    server = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false, authCacheMs: 0 });
  });
  after(async () => {
    await server.close(1000);
    await platform.close();
  });

  const as = (token: string, ...args: string[]) => runGroundwork(['--server', server.url, '--api-key', token, ...args]);

  test('a governed CLI write prints the request id and who may approve (exit 0); bob approves with --json', async () => {
    const text = await as(alice, 'prompts', 'label', 'uw', '2', 'production', '--reason', 'brief answers');
    assert.equal(text.code, 0, text.stderr);
    const id = /Change request (chg_[a-z0-9]+) is pending/.exec(text.stdout)?.[1];
    assert.ok(id, text.stdout);
    assert.match(text.stdout, /needs 1 approval\(s\) from someone other than user:alice@x\.test: admins/);
    assert.match(text.stdout, new RegExp(`groundwork changes approve ${id}`));

    const listed = await as(bob, 'changes', 'list', '--status', 'pending', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    const changes = (JSON.parse(listed.stdout) as { changes: ChangeRequest[] }).changes;
    assert.deepEqual(
      changes.map((c) => [c.id, c.kind, c.target, c.author]),
      [[id, 'prompt.label', 'uw:production', 'user:alice@x.test']],
    );
    const shown = await as(bob, 'changes', 'show', id);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /prompt uw: production 1 → 2/);

    const own = await as(alice, 'changes', 'approve', id, '--json');
    assert.notEqual(own.code, 0);
    assert.match(own.stderr, /govern\.(self_approval|not_an_approver)|auth\.forbidden/);
    const denied = await as(viewer, 'changes', 'list');
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /auth\.forbidden/);

    const approved = await as(bob, 'changes', 'approve', id, '--comment', 'ok', '--json');
    assert.equal(approved.code, 0, approved.stderr);
    const change = (JSON.parse(approved.stdout) as { changeRequest: ChangeRequest }).changeRequest;
    assert.equal(change.status, 'applied');
    assert.deepEqual(
      change.approvals.map((a) => [a.actor, a.comment]),
      [['user:bob@x.test', 'ok']],
    );
    const labels = await platform.db.query<{ version: number }>(
      `SELECT version FROM prompt_labels WHERE name = 'uw' AND label = 'production'`,
    );
    assert.equal(Number(labels.rows[0]?.version), 2);

    const json = await as(alice, 'prompts', 'rollback', 'uw', '--json');
    assert.equal(json.code, 0, json.stderr);
    const rollback = (JSON.parse(json.stdout) as { changeRequest: ChangeRequest }).changeRequest;
    assert.equal(rollback.status, 'pending');
    const rejected = await as(bob, 'changes', 'reject', rollback.id, '--comment', 'keep v2', '--json');
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.equal((JSON.parse(rejected.stdout) as { changeRequest: ChangeRequest }).changeRequest.status, 'rejected');

    const actions = (await listAudit(platform.db, { limit: 100 })).map((e) => e.action);
    for (const action of ['change.request', 'change.approve', 'change.apply', 'change.reject']) {
      assert.ok(actions.includes(action), action);
    }
    assert.equal((await verifyAuditChain(platform.db)).ok, true);
  });
});

describe('cli: sources add / remove write audit records on the store (local operator, direct)', () => {
  test('sources add, acl-map and remove are audited; with localOperator "request" they file change requests', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'gw-changes-cli-'));
    mkdirSync(join(cwd, 'docs'));
    writeFileSync(join(cwd, 'docs', 'a.md'), '# A\n\nSomething.\n');
    writeFileSync(join(cwd, 'acl.json'), JSON.stringify({ default: ['group:staff'], rules: [] }));
    const flags = ['--data-dir', join(cwd, 'data')];
    const run = (...args: string[]) => runGroundwork([...args, ...flags], { cwd });
    assert.equal((await run('sources', 'add', 'docs', '--path', 'docs')).code, 0);
    const acl = await run('sources', 'acl-map', 'docs', 'acl.json', '--json');
    assert.equal(acl.code, 0, acl.stderr);
    const removed = await run('sources', 'remove', 'docs', '--json');
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(JSON.parse(removed.stdout), { name: 'docs', documentsRemoved: 0 });
    const audit = await run('audit', 'list', '--json');
    assert.equal(audit.code, 0, audit.stderr);
    const actions = (JSON.parse(audit.stdout) as { entries: Array<{ action: string; actor: string }> }).entries.map(
      (e) => e.action,
    );
    for (const action of ['source.create', 'source.acl_map', 'source.delete', 'change.direct']) {
      assert.ok(actions.includes(action), `${action} in ${actions.join(', ')}`);
    }

    writeFileSync(join(cwd, 'groundwork.config.json'), JSON.stringify({ governance: { localOperator: 'request' } }));
    const requested = await run('sources', 'add', 'docs', '--path', 'docs', '--json');
    assert.equal(requested.code, 0, requested.stderr);
    const change = (JSON.parse(requested.stdout) as { changeRequest: ChangeRequest }).changeRequest;
    assert.equal(change.kind, 'source.add');
    assert.equal(change.status, 'pending');
    const list = await run('sources', 'list', '--json');
    assert.deepEqual((JSON.parse(list.stdout) as { sources: unknown[] }).sources, [], 'held for approval');
    const self = await run('changes', 'approve', change.id);
    assert.notEqual(self.code, 0);
    assert.match(self.stderr, /govern\.self_approval/);
  });
});
