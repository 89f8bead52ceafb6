import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { insertInsurerCorpus, staff } from '../../../test/helpers/insurer-corpus.ts';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';
import { createTestPlatform, testStoreKind } from '../../../test/helpers/test-platform.ts';
import type { Platform } from '../../create-platform.ts';
import { createApiKey } from '../../govern/index.ts';
import { type RunningServer, startServer } from '../../server/index.ts';

// `groundwork --server URL ask …` as a real process against a running API (Server-Sent Events).
describe(`cli: ask --server (${testStoreKind})`, () => {
  let platform: Platform;
  let server: RunningServer;
  let token: string;

  before(async () => {
    platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    await insertInsurerCorpus(platform.db);
    await platform.answerer.useCases.create('managers-only', { principals: ['group:claims-managers'] });
    ({ token } = await createApiKey(
      platform.db,
      { name: 'ask-cli', role: 'user', principals: [staff] },
      { actor: 'local:operator' },
    ));
    server = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false, authCacheMs: 0 });
  });
  after(async () => {
    await server.close(1000);
    await platform.close();
  });

  test('streams the answer from the server as the key’s caller; forbidden use cases exit 1 with the code', async () => {
    const result = await runGroundwork([
      '--server',
      server.url,
      '--api-key',
      token,
      'ask',
      'What is the deductible for water damage under policy form HO-3?',
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const answer = JSON.parse(result.stdout) as { answer: string; mode: string; citations: Array<{ chunkId: string }> };
    assert.equal(answer.mode, 'extractive');
    assert.match(answer.answer, /^The deductible for water damage under HO-3 is \$1,000 per occurrence \[1\]\./);
    assert.equal(answer.citations[0]?.chunkId, 'ho3-c0');

    const forbidden = await runGroundwork([
      '--server',
      server.url,
      '--api-key',
      token,
      'ask',
      'reserves?',
      '--use-case',
      'managers-only',
    ]);
    assert.equal(forbidden.code, 1);
    assert.match(forbidden.stderr, /auth\.forbidden/);
    const withAs = await runGroundwork(['--server', server.url, '--api-key', token, 'ask', 'x', '--as', 'group:staff']);
    assert.equal(withAs.code, 2);
  });

  test('use-cases over --server: create, update (merging retrieval), list, show, delete — as a builder key', async () => {
    const { token: builder } = await createApiKey(
      platform.db,
      { name: 'builder', role: 'builder', principals: [staff] },
      { actor: 'local:operator' },
    );
    const gw = (...args: string[]) => runGroundwork(['--server', server.url, '--api-key', builder, 'use-cases', ...args]);
    const created = await gw('create', 'claims-qa', '--sources', 'claims', '--k', '4', '--style', 'detailed', '--json');
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual((JSON.parse(created.stdout) as { sources: string[] }).sources, ['claims']);
    const again = await gw('create', 'claims-qa');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /use_case\.exists/);
    const updated = await gw('update', 'claims-qa', '--mode', 'lexical', '--json');
    assert.equal(updated.code, 0, updated.stderr);
    assert.deepEqual((JSON.parse(updated.stdout) as { retrieval: object }).retrieval, { k: 4, mode: 'lexical' });
    const listed = JSON.parse((await gw('list', '--json')).stdout) as { useCases: Array<{ name: string }> };
    assert.ok(listed.useCases.some((u) => u.name === 'claims-qa'));
    assert.ok(!listed.useCases.some((u) => u.name === 'managers-only'), 'only use cases the caller may ask are listed');
    const shown = await gw('show', 'claims-qa');
    assert.match(shown.stdout, /style: +detailed/);
    assert.equal((await gw('delete', 'claims-qa')).code, 0);
    assert.equal(await platform.answerer.useCases.get('claims-qa'), undefined);
    const viewerWrite = await runGroundwork(['--server', server.url, '--api-key', token, 'use-cases', 'create', 'nope']);
    assert.equal(viewerWrite.code, 1);
  });
});
