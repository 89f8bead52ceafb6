import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { createApp } from './index.ts';

describe(`GET /v1/auth/config (${testStoreKind})`, () => {
  test('public: API keys always; OIDC issuer and client id only when both are configured', async () => {
    const plain = await createTestPlatform();
    const withOidc = await createTestPlatform({
      auth: { oidc: { issuer: 'https://login.example.test/', audience: 'groundwork', clientId: 'groundwork-web' } },
    });
    const noClient = await createTestPlatform({
      auth: { oidc: { issuer: 'https://login.example.test/', audience: 'groundwork' } },
    });
    try {
      const get = async (platform: typeof plain) => {
        const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
        const response = await app.request('http://127.0.0.1/v1/auth/config', { headers: { host: '127.0.0.1' } });
        assert.equal(response.status, 200);
        return response.json();
      };
      assert.deepEqual(await get(plain), { apiKeys: true, oidc: null });
      assert.deepEqual(await get(noClient), { apiKeys: true, oidc: null });
      assert.deepEqual(await get(withOidc), {
        apiKeys: true,
        oidc: {
          issuer: 'https://login.example.test/',
          clientId: 'groundwork-web',
          audience: 'groundwork',
          scopes: ['openid', 'profile', 'email'],
        },
      });
    } finally {
      await Promise.all([plain.close(), withOidc.close(), noClient.close()]);
    }
  });
});
