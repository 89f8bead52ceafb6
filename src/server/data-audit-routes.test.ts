import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type AuditCorpus,
  assertCorpusFigures,
  assertSelfContainedHtml,
  writeAuditCorpus,
} from '../../test/helpers/audit-corpus.ts';
import { runGroundwork } from '../../test/helpers/run-cli.ts';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import type { Platform } from '../create-platform.ts';
import type { DataAuditReport } from '../data-audit/index.ts';
import { createApiKey } from '../govern/index.ts';
import { addSource } from '../ingest/index.ts';
import { type RunningServer, startServer } from './index.ts';

describe(`http: data audit (${testStoreKind})`, () => {
  let platform: Platform;
  let base: string;
  let corpus: AuditCorpus;

  before(async () => {
    platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    base = await mkdtemp(join(tmpdir(), 'gw-audit-http-'));
    corpus = await writeAuditCorpus(base);
    await addSource(platform.db, { name: 'share', type: 'filesystem', path: corpus.root, aclMapPath: corpus.aclMapPath });
  });
  after(async () => {
    await platform.close();
    await rm(base, { recursive: true, force: true });
  });

  test('GET /v1/sources/:name/audit: a builder gets the same JSON, a user key is refused; nothing indexed', async () => {
    const builder = (
      await createApiKey(platform.db, { name: 'ops', role: 'builder', principals: [] }, { actor: 'local:operator' })
    ).token;
    const user = (
      await createApiKey(platform.db, { name: 'usr', role: 'user', principals: ['group:claims'] }, { actor: 'local:operator' })
    ).token;
    const server: RunningServer = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false, authCacheMs: 0 });
    try {
      const indexed = async () =>
        (await platform.db.query<{ n: number }>('SELECT (SELECT count(*) FROM documents) + (SELECT count(*) FROM chunks) AS n'))
          .rows[0];
      const before = await indexed();
      const refused = await fetch(`${server.url}/v1/sources/share/audit`, { headers: { authorization: `Bearer ${user}` } });
      assert.equal(refused.status, 403);
      const response = await fetch(`${server.url}/v1/sources/share/audit`, { headers: { authorization: `Bearer ${builder}` } });
      assert.equal(response.status, 200);
      assertCorpusFigures((await response.json()) as DataAuditReport, corpus);
      const bad = await fetch(`${server.url}/v1/sources/share/audit?staleYears=0`, {
        headers: { authorization: `Bearer ${builder}` },
      });
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'data_audit.invalid_option');
      const html = await fetch(`${server.url}/v1/sources/share/audit?format=html`, {
        headers: { authorization: `Bearer ${builder}` },
      });
      assert.equal(html.status, 200);
      assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(html.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assertSelfContainedHtml(await html.text());
      // The CLI over --server: the same route, the same figures; a folder path is refused there.
      const cli = await runGroundwork(['--server', server.url, '--api-key', builder, 'audit-data', 'share', '--json']);
      assert.equal(cli.code, 0, cli.stderr);
      assertCorpusFigures(JSON.parse(cli.stdout) as DataAuditReport, corpus);
      const folder = await runGroundwork(['--server', server.url, '--api-key', builder, 'audit-data', corpus.root]);
      assert.equal(folder.code, 2);
      assert.match(folder.stderr, /only registered sources/);
      assert.deepEqual(await indexed(), before);
    } finally {
      await server.close(1000);
    }
  });
});
