import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { type Role, roles } from '../core/index.ts';
import { createApiKey, listAudit, verifyAuditChain } from '../govern/index.ts';
import { createApp } from './index.ts';

describe(`sources, status and quarantine over HTTP (${testStoreKind})`, () => {
  test('roles × routes; add, sync, status, quarantine and remove; changes audited; settings only for writers', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'gw-api-src-'));
    mkdirSync(join(folder, 'claims'));
    writeFileSync(join(folder, 'claims', 'flood.txt'), 'Flood claims need photos of the damage and a loss adjuster report.\n');
    writeFileSync(join(folder, 'fire.md'), '# Fire\n\nFire policies exclude arson by the insured.\n');
    writeFileSync(join(folder, 'broken.pdf'), 'this is not a pdf');
    const platform = await createTestPlatform();
    const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
    try {
      const tokens = {} as Record<Role, string>;
      for (const role of roles) {
        tokens[role] = (
          await createApiKey(platform.db, { name: role, role, principals: [`user:${role}@x.test`] }, { actor: 'local:operator' })
        ).token;
      }
      const call = (role: Role, path: string, init: { method?: string; body?: unknown } = {}) =>
        built.app.request(`http://127.0.0.1${path}`, {
          method: init.method ?? 'GET',
          headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' },
          ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        });

      for (const role of ['viewer', 'user', 'reviewer'] as const) {
        assert.equal((await call(role, '/v1/sources', { method: 'POST', body: { name: 'x', path: folder } })).status, 403, role);
      }
      const added = await call('builder', '/v1/sources', { method: 'POST', body: { name: 'policies', path: folder } });
      assert.equal(added.status, 201, await added.clone().text());
      assert.equal(
        (await call('builder', '/v1/sources', { method: 'POST', body: { name: 'policies', path: folder } })).status,
        409,
      );

      for (const role of roles) {
        const expected = role === 'builder' || role === 'admin' ? 200 : 403;
        if (expected === 403)
          assert.equal((await call(role, '/v1/sources/policies/sync?wait=true', { method: 'POST' })).status, 403);
      }
      const synced = await call('builder', '/v1/sources/policies/sync?wait=true', { method: 'POST' });
      assert.equal(synced.status, 200, await synced.clone().text());
      const summary = (await synced.json()) as { added: number; quarantined: Array<{ path: string }> };
      assert.equal(summary.added, 2);
      assert.equal(summary.quarantined.length, 1);

      const asViewer = (await (await call('viewer', '/v1/sources')).json()) as { sources: Array<Record<string, unknown>> };
      assert.equal(asViewer.sources[0]?.name, 'policies');
      assert.equal(asViewer.sources[0]?.settings, undefined, 'viewers do not see server paths');
      const asBuilder = (await (await call('builder', '/v1/sources')).json()) as {
        sources: Array<{ settings: { path: string } }>;
      };
      assert.equal(asBuilder.sources[0]?.settings.path, folder);

      const status = (await (await call('viewer', '/v1/status')).json()) as {
        sources: Array<{ documents: number; path?: string }>;
      };
      assert.equal(status.sources[0]?.documents, 2);
      assert.equal(status.sources[0]?.path, undefined);
      assert.equal((await call('viewer', '/v1/sources/nope/status')).status, 404);

      for (const role of roles) {
        const response = await call(role, '/v1/quarantine');
        assert.equal(response.status, role === 'builder' || role === 'admin' ? 200 : 403, `${role} quarantine`);
      }
      const quarantine = (await (await call('builder', '/v1/quarantine')).json()) as { entries: Array<{ sourceRef: string }> };
      assert.equal(quarantine.entries[0]?.sourceRef, 'broken.pdf');

      assert.equal((await call('user', '/v1/sources/policies', { method: 'DELETE' })).status, 403);
      const removed = await call('admin', '/v1/sources/policies', { method: 'DELETE' });
      assert.deepEqual(await removed.json(), { source: 'policies', documents: 2 });

      const actions = (await listAudit(platform.db, { limit: 1000 })).map((e) => e.action);
      assert.ok(actions.includes('source.create') && actions.includes('source.delete'));
      assert.equal((await verifyAuditChain(platform.db)).ok, true);
    } finally {
      await built.close();
      await platform.close();
    }
  });
});
