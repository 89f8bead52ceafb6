import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';
import { createTestPlatform, testStoreKind } from '../../../test/helpers/test-platform.ts';
import type { Platform } from '../../create-platform.ts';
import { createApiKey } from '../../govern/index.ts';
import { createPrompt } from '../../prompts/index.ts';
import { type RunningServer, startServer } from '../../server/index.ts';

describe(`cli: incidents (${testStoreKind})`, () => {
  let platform: Platform;
  let server: RunningServer;
  let reviewer: string;
  let user: string;
  let builder: string;

  before(async () => {
    platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    reviewer = (
      await createApiKey(
        platform.db,
        { name: 'rev', role: 'reviewer', principals: ['user:rita@x.test'] },
        { actor: 'local:operator' },
      )
    ).token;
    user = (
      await createApiKey(platform.db, { name: 'usr', role: 'user', principals: ['user:uma@x.test'] }, { actor: 'local:operator' })
    ).token;
    builder = (
      await createApiKey(
        platform.db,
        { name: 'bld', role: 'builder', principals: ['user:bea@x.test'] },
        { actor: 'local:operator' },
      )
    ).token;
    const template = 'Answer from the context.\n{{context}}\nQuestion: {{question}}';
    await createPrompt(platform.db, { name: 'qa', template, message: 'v1', labels: ['production'], author: 'local:operator' });
    await createPrompt(platform.db, {
      name: 'qa',
      template: `${template}\nBrief.`,
      message: 'v2',
      labels: ['production'],
      author: 'local:operator',
    });
    await platform.answerer.useCases.create('qa', { promptRef: 'qa', approvers: ['user:rita@x.test'], status: 'pilot' });
    server = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false, authCacheMs: 0 });
  });
  after(async () => {
    await server.close(1000);
    await platform.close();
  });

  test('open, list, update, resolve and show with --server --json; sev1 without a post-incident note exits 2 naming the fix', async () => {
    const as = (token: string, ...args: string[]) => runGroundwork(['--server', server.url, '--api-key', token, ...args]);
    const opened = await as(
      reviewer,
      'incidents',
      'open',
      'Answers cite the wrong policy',
      '--severity',
      'sev1',
      '--use-case',
      'default',
      '--json',
    );
    assert.equal(opened.code, 0, opened.stderr);
    const id = (JSON.parse(opened.stdout) as { id: string }).id;
    const listed = await as(reviewer, 'incidents', 'list', '--active', '--json');
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { incidents: Array<{ id: string }> }).incidents.map((i) => i.id),
      [id],
    );
    const updated = await as(reviewer, 'incidents', 'update', id, '--status', 'mitigated', '--note', 'Rolled back.', '--json');
    assert.equal(updated.code, 0, updated.stderr);
    assert.equal((JSON.parse(updated.stdout) as { status: string }).status, 'mitigated');
    const refused = await as(reviewer, 'incidents', 'resolve', id);
    assert.equal(refused.code, 2, 'a usage error');
    assert.match(refused.stderr, /post-incident note/);
    assert.match(refused.stderr, /incidents\.post_incident_note_required/);
    const resolved = await as(reviewer, 'incidents', 'resolve', id, '--post-incident-note', 'Label moved without an eval.');
    assert.equal(resolved.code, 0, resolved.stderr);
    const shown = await as(reviewer, 'incidents', 'show', id);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /status mitigated → resolved|resolved/);
    assert.match(shown.stdout, /post-incident note: Label moved without an eval\./);
    const forbidden = await as(user, 'incidents', 'list');
    assert.notEqual(forbidden.code, 0);
    assert.match(forbidden.stderr, /auth\.forbidden/);
  });

  test('rollback from an incident files a change request and says who may approve it', async () => {
    const as = (token: string, ...args: string[]) => runGroundwork(['--server', server.url, '--api-key', token, ...args]);
    const opened = await as(builder, 'incidents', 'open', 'Brief answers', '--severity', 'sev3', '--use-case', 'qa', '--json');
    assert.equal(opened.code, 0, opened.stderr);
    const id = (JSON.parse(opened.stdout) as { id: string }).id;
    const rolled = await as(builder, 'incidents', 'rollback', id, '--reason', 'v2 is too brief', '--target', 'prompt');
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.match(
      rolled.stdout,
      /Change request chg_\w+ filed: prompt qa production 2 → 1; it needs approval by .*user:rita@x\.test/,
    );
    const emergency = await as(builder, 'incidents', 'rollback', id, '--reason', 'now', '--emergency', '--json');
    assert.equal(emergency.code, 1);
    assert.match(emergency.stdout, /incidents\.emergency_not_allowed/);

    // The change log lists the pending rollback request and the incident.
    const log = await as(reviewer, 'use-cases', 'changes', 'qa', '--json');
    assert.equal(log.code, 0, log.stderr);
    const body = JSON.parse(log.stdout) as {
      entries: Array<{ action: string; summary: string }>;
      incidents: Array<{ id: string }>;
    };
    assert.ok(
      body.entries.some((e) => e.action === 'change.pending' && /rollback/.test(e.summary)),
      log.stdout,
    );
    assert.ok(body.entries.some((e) => e.action === 'prompt.label'));
    assert.deepEqual(
      body.incidents.map((i) => i.id),
      [id],
    );
    const human = await as(reviewer, 'use-cases', 'changes', 'qa');
    assert.match(human.stdout, /WHEN\s+AREA\s+CHANGE/);
    assert.match(human.stdout, /incidents:\n {2}inc_\w+ {2}sev3 {2}open {2}Brief answers/);
    assert.notEqual((await as(user, 'use-cases', 'changes', 'qa')).code, 0);
  });

  test('the local operator works on the store directly', { skip: testStoreKind === 'server' }, async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'gw-incidents-cli-')), 'data');
    const opened = await runGroundwork([
      'incidents',
      'open',
      'Slow answers',
      '--severity',
      'sev4',
      '--json',
      '--data-dir',
      dataDir,
    ]);
    assert.equal(opened.code, 0, opened.stderr);
    const id = (JSON.parse(opened.stdout) as { id: string; openedBy: string }).id;
    const resolved = await runGroundwork(['incidents', 'resolve', id, '--note', 'Fine now', '--json', '--data-dir', dataDir]);
    assert.equal(resolved.code, 0, resolved.stderr);
    const body = JSON.parse(resolved.stdout) as { status: string; resolvedBy: string };
    assert.equal(body.status, 'resolved');
    assert.equal(body.resolvedBy, 'local:operator');
  });
});
