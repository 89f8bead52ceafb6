import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import type { Role } from '../core/index.ts';
import { createApiKey } from '../govern/index.ts';
import { createApp } from './index.ts';

describe(`connectors over HTTP (${testStoreKind})`, () => {
  test('GET /v1/connectors lists kinds with settings schema, hints and capabilities; POST /v1/sources is generic', async () => {
    const folder = realpathSync(mkdtempSync(join(tmpdir(), 'gw-conn-')));
    const platform = await createTestPlatform({
      governance: { governedKinds: [] },
      sources: { allowedRoots: [folder], allowedSecretEnv: ['CLAIMS_S3_KEY', 'CLAIMS_S3_SECRET'] },
    });
    const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
    try {
      const tokens = {} as Record<Role, string>;
      for (const role of ['viewer', 'builder'] as const) {
        tokens[role] = (
          await createApiKey(platform.db, { name: role, role, principals: [`user:${role}@x.test`] }, { actor: 'local:operator' })
        ).token;
      }
      const call = (role: 'viewer' | 'builder', path: string, body?: unknown) =>
        built.app.request(`http://127.0.0.1${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });

      const listed = await call('viewer', '/v1/connectors');
      assert.equal(listed.status, 200);
      const { connectors } = (await listed.json()) as {
        connectors: Array<{
          kind: string;
          settingsSchema: { properties?: Record<string, unknown>; required?: string[] };
          settingHints: Array<{ key: string; kind: string; required: boolean }>;
          capabilities: Record<string, boolean>;
        }>;
      };
      const kinds = connectors.map((c) => c.kind);
      for (const kind of ['filesystem', 's3', 'sql', 'sharepoint', 'web']) assert.ok(kinds.includes(kind), kind);
      const sharepoint = connectors.find((c) => c.kind === 'sharepoint');
      assert.equal(sharepoint?.settingHints.find((h) => h.key === 'clientSecretEnv')?.kind, 'env');
      assert.deepEqual(sharepoint?.settingsSchema.required, ['tenantId', 'clientId']);
      const web = connectors.find((c) => c.kind === 'web');
      assert.equal(web?.settingHints.find((h) => h.key === 'startUrls')?.kind, 'list');
      assert.equal(web?.settingHints.find((h) => h.key === 'headersEnv')?.kind, 'env');
      const s3 = connectors.find((c) => c.kind === 's3');
      assert.ok(s3?.settingsSchema.properties?.bucket);
      assert.deepEqual(s3?.settingsSchema.required, ['bucket']);
      assert.equal(s3?.settingHints.find((h) => h.key === 'secretAccessKeyEnv')?.kind, 'env');
      assert.equal(s3?.capabilities.permissions, true);
      assert.equal(
        connectors.find((c) => c.kind === 'sql')?.settingHints.find((h) => h.key === 'connectionStringEnv')?.required,
        true,
      );

      // The generic body: {name, type, settings}; secrets only as names in sources.allowedSecretEnv.
      const added = await call('builder', '/v1/sources', {
        name: 'claims-archive',
        type: 's3',
        settings: {
          bucket: 'claims-archive',
          prefix: 'scans/',
          accessKeyIdEnv: 'CLAIMS_S3_KEY',
          secretAccessKeyEnv: 'CLAIMS_S3_SECRET',
        },
      });
      assert.equal(added.status, 201, await added.clone().text());
      const source = (await added.json()) as { type: string; settings: Record<string, unknown> };
      assert.equal(source.type, 's3');
      assert.equal(source.settings.bucket, 'claims-archive');
      assert.equal(source.settings.secretAccessKeyEnv, 'CLAIMS_S3_SECRET');

      const error = async (response: Response) => {
        const body = (await response.json()) as { error: { code: string; message: string; fix?: string } };
        return { status: response.status, ...body.error };
      };
      const secret = await error(
        await call('builder', '/v1/sources', {
          name: 'x1',
          type: 'sql',
          settings: { connectionStringEnv: 'DATABASE_URL', table: 'notes' },
        }),
      );
      assert.equal(secret.status, 403);
      assert.equal(secret.code, 'ingest.secret_env_not_allowed');
      assert.match(secret.fix ?? '', /allowedSecretEnv/);
      const typo = await error(await call('builder', '/v1/sources', { name: 'x2', type: 's3', settings: { bukket: 'a' } }));
      assert.equal(typo.status, 400);
      assert.equal(typo.code, 'ingest.invalid_settings');
      assert.match(typo.message, /bucket/);
      const unknown = await error(await call('builder', '/v1/sources', { name: 'x3', type: 'ftp', settings: {} }));
      assert.equal(unknown.status, 400);
      assert.equal(unknown.code, 'ingest.invalid_source');
      assert.match(unknown.fix ?? '', /filesystem, s3, sql, sharepoint, web/);

      // SharePoint and web over the API: secrets only from sources.allowedSecretEnv, sites only from
      // sources.allowedWebOrigins (empty here: the API may not make the server crawl anything).
      const spSettings = {
        tenantId: 'contoso',
        clientId: 'app',
        siteUrl: 'https://contoso.sharepoint.com/sites/claims',
        clientSecretEnv: 'GROUNDWORK_DATABASE_URL',
      };
      const spSecret = await error(
        await call('builder', '/v1/sources', { name: 'sp1', type: 'sharepoint', settings: spSettings }),
      );
      assert.equal(spSecret.status, 403);
      assert.equal(spSecret.code, 'ingest.secret_env_not_allowed');
      const spAdded = await call('builder', '/v1/sources', {
        name: 'sp2',
        type: 'sharepoint',
        settings: { ...spSettings, clientSecretEnv: 'CLAIMS_S3_SECRET' },
      });
      assert.equal(spAdded.status, 201, await spAdded.clone().text());
      const crawl = await error(
        await call('builder', '/v1/sources', { name: 'w1', type: 'web', settings: { startUrls: ['http://127.0.0.1:5432/'] } }),
      );
      assert.equal(crawl.status, 403);
      assert.equal(crawl.code, 'ingest.origin_not_allowed');
      assert.match(crawl.fix ?? '', /allowedWebOrigins/);
      const endpoint = await error(
        await call('builder', '/v1/sources', {
          name: 's9',
          type: 's3',
          settings: {
            bucket: 'claims-archive',
            endpoint: 'http://10.0.0.5:9000',
            accessKeyIdEnv: 'CLAIMS_S3_KEY',
            secretAccessKeyEnv: 'CLAIMS_S3_SECRET',
          },
        }),
      );
      assert.equal(endpoint.status, 403);
      assert.equal(endpoint.code, 'ingest.origin_not_allowed');

      // The filesystem source either way: generic settings, or the old shape.
      const generic = await call('builder', '/v1/sources', { name: 'fs1', type: 'filesystem', settings: { path: folder } });
      assert.equal(generic.status, 201, await generic.clone().text());
      const legacy = await call('builder', '/v1/sources', { name: 'fs2', path: folder, readableBy: ['group:staff'] });
      assert.equal(legacy.status, 201, await legacy.clone().text());
      assert.deepEqual(((await legacy.json()) as { settings: { readableBy: string[] } }).settings.readableBy, ['group:staff']);
      const outside = await error(
        await call('builder', '/v1/sources', { name: 'fs3', type: 'filesystem', settings: { path: '/etc' } }),
      );
      assert.equal(outside.status, 403);
      assert.equal(outside.code, 'ingest.path_not_allowed');
    } finally {
      await built.close();
      await platform.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
