import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { createTestPlatform, testStoreKind } from '../../../test/helpers/test-platform.ts';
import { isGroundworkError } from '../../core/index.ts';
import { addSource } from '../index.ts';
import { registerConnector } from './registry.ts';

const coded = (code: string) => (error: unknown) => isGroundworkError(error) && error.code === code;

const sharepoint = {
  tenantId: 'contoso',
  clientId: 'app',
  clientSecretEnv: 'SP_SECRET',
  siteUrl: 'https://contoso.sharepoint.com/sites/claims',
};

// A connector with secret references nested in an object and a list: the allowedSecretEnv check must see them.
registerConnector({
  kind: 'nested-env-test',
  title: 'Nested env (test)',
  description: 'A test connector whose …Env settings are nested.',
  settingsSchema: z.strictObject({
    auth: z.strictObject({ tokenEnv: z.string() }).optional(),
    targets: z.array(z.strictObject({ url: z.string(), keyEnv: z.string() })).default([]),
  }),
  settingHints: [],
  capabilities: { incremental: false, renames: false, contentHash: false, permissions: false, deletes: true },
  create: () => {
    throw new Error('not synced in this test');
  },
});

describe(`sources added over the API: secrets and origins (${testStoreKind})`, () => {
  test('…Env settings at any depth, web origins, s3 endpoints and credentials are checked; the CLI is not restricted', async () => {
    const platform = await createTestPlatform({});
    const api = { allowedSecretEnv: ['SP_SECRET', 'S3_KEY', 'S3_SECRET'], allowedWebOrigins: ['https://intranet.example.com'] };
    try {
      // SharePoint: clientSecretEnv / certificatePathEnv go through sources.allowedSecretEnv.
      await assert.rejects(
        addSource(platform.db, {
          name: 'sp1',
          type: 'sharepoint',
          settings: { ...sharepoint, clientSecretEnv: 'GROUNDWORK_DATABASE_URL' },
          ...api,
        }),
        coded('ingest.secret_env_not_allowed'),
      );
      const { clientSecretEnv: _s, ...noSecret } = sharepoint;
      await assert.rejects(
        addSource(platform.db, {
          name: 'sp2',
          type: 'sharepoint',
          settings: { ...noSecret, certificatePathEnv: 'HOME', certificateThumbprint: 'a'.repeat(40) },
          ...api,
        }),
        coded('ingest.secret_env_not_allowed'),
      );
      assert.equal(
        (await addSource(platform.db, { name: 'sp3', type: 'sharepoint', settings: sharepoint, ...api })).type,
        'sharepoint',
      );

      // Web: headersEnv is a secret reference; every URL must be on an allowed origin.
      await assert.rejects(
        addSource(platform.db, {
          name: 'w1',
          type: 'web',
          settings: { startUrls: ['https://intranet.example.com/'], headersEnv: 'AWS_SECRET_ACCESS_KEY' },
          ...api,
        }),
        coded('ingest.secret_env_not_allowed'),
      );
      await assert.rejects(
        addSource(platform.db, { name: 'w2', type: 'web', settings: { startUrls: ['http://169.254.169.254/latest/'] }, ...api }),
        (error: unknown) =>
          coded('ingest.origin_not_allowed')(error) &&
          isGroundworkError(error) &&
          error.category === 'forbidden' &&
          /sources\.allowedWebOrigins/.test(error.fix ?? ''),
      );
      await assert.rejects(
        addSource(platform.db, {
          name: 'w3',
          type: 'web',
          settings: { sitemapUrls: ['http://127.0.0.1:5432/sitemap.xml'] },
          allowedSecretEnv: [],
          allowedWebOrigins: [],
        }),
        (error: unknown) =>
          coded('ingest.origin_not_allowed')(error) && /allowedWebOrigins is empty/.test((error as Error).message),
      );
      const web = await addSource(platform.db, {
        name: 'w4',
        type: 'web',
        settings: { startUrls: ['https://intranet.example.com/handbook/'] },
        ...api,
      });
      assert.deepEqual(web.settings.startUrls, ['https://intranet.example.com/handbook/']);
      // The operator's CLI (no allow-lists given) may add any site.
      assert.equal(
        (await addSource(platform.db, { name: 'w5', type: 'web', settings: { startUrls: ['http://127.0.0.1:8080/'] } })).type,
        'web',
      );

      // S3: a custom endpoint only on an allowed origin (the keys are sent there); no SDK default chain.
      const keys = { accessKeyIdEnv: 'S3_KEY', secretAccessKeyEnv: 'S3_SECRET' };
      await assert.rejects(
        addSource(platform.db, {
          name: 's1',
          type: 's3',
          settings: { bucket: 'docs', endpoint: 'http://10.0.0.5:9000', ...keys },
          ...api,
        }),
        coded('ingest.origin_not_allowed'),
      );
      await assert.rejects(
        addSource(platform.db, { name: 's2', type: 's3', settings: { bucket: 'docs' }, ...api }),
        coded('ingest.secret_env_not_allowed'),
      );
      assert.equal(
        (
          await addSource(platform.db, {
            name: 's3',
            type: 's3',
            settings: { bucket: 'docs', endpoint: 'https://intranet.example.com', ...keys },
            ...api,
          })
        ).type,
        's3',
      );
      assert.equal((await addSource(platform.db, { name: 's4', type: 's3', settings: { bucket: 'docs' } })).type, 's3');

      // Nested and listed …Env keys are checked like top-level ones.
      await assert.rejects(
        addSource(platform.db, { name: 'n1', type: 'nested-env-test', settings: { auth: { tokenEnv: 'DATABASE_URL' } }, ...api }),
        (error: unknown) =>
          coded('ingest.secret_env_not_allowed')(error) && isGroundworkError(error) && error.details?.key === 'auth.tokenEnv',
      );
      await assert.rejects(
        addSource(platform.db, {
          name: 'n2',
          type: 'nested-env-test',
          settings: {
            targets: [
              { url: 'x', keyEnv: 'SP_SECRET' },
              { url: 'y', keyEnv: 'PGPASSWORD' },
            ],
          },
          ...api,
        }),
        (error: unknown) => isGroundworkError(error) && error.details?.key === 'targets.1.keyEnv',
      );
      await assert.rejects(
        addSource(platform.db, { name: 'n3', type: 'nested-env-test', settings: { auth: { tokenEnv: 'not a name' } } }),
        coded('ingest.invalid_settings'),
      );
      assert.equal(
        (
          await addSource(platform.db, {
            name: 'n4',
            type: 'nested-env-test',
            settings: { auth: { tokenEnv: 'SP_SECRET' } },
            ...api,
          })
        ).type,
        'nested-env-test',
      );
    } finally {
      await platform.close();
    }
  });
});
