import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { type Role, roles } from '../core/index.ts';
import { createApiKey } from '../govern/index.ts';
import { createApp } from './index.ts';

describe(`prompts and model configs over HTTP (${testStoreKind})`, () => {
  test('roles × routes: reviewers read, builders write; versions, labels and rollback', async () => {
    const platform = await createTestPlatform();
    try {
      const tokens = {} as Record<Role, string>;
      for (const role of roles) {
        tokens[role] = (
          await createApiKey(platform.db, { name: role, role, principals: [`user:${role}@x.test`] }, { actor: 'local:operator' })
        ).token;
      }
      const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
      const call = (role: Role, path: string, body?: unknown) =>
        app.request(`http://127.0.0.1${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      const template = 'Answer from the context.\n{{context}}\nQuestion: {{question}}';
      for (const role of roles) {
        const canRead = role !== 'viewer' && role !== 'user';
        const canWrite = role === 'builder' || role === 'admin';
        assert.equal((await call(role, '/v1/prompts')).status, canRead ? 200 : 403, `${role} read`);
        const created = await call(role, `/v1/prompts/qa-${role}`, { template, message: 'first' });
        assert.equal(created.status, canWrite ? 201 : 403, `${role} write: ${await created.clone().text()}`);
      }
      await call('builder', '/v1/prompts/qa-builder', { template: `${template}\nBe brief.`, message: 'brief' });
      // `staging` is not a protected label: it moves at once (production needs approval: change-routes.test.ts).
      assert.equal((await call('builder', '/v1/prompts/qa-builder/labels', { label: 'staging', version: 1 })).status, 200);
      assert.equal((await call('builder', '/v1/prompts/qa-builder/labels', { label: 'staging', version: 2 })).status, 200);
      const rolledBack = await call('builder', '/v1/prompts/qa-builder/rollback', { label: 'staging' });
      assert.equal(rolledBack.status, 200, await rolledBack.clone().text());
      assert.equal((await call('builder', '/v1/prompts/qa-builder/labels', { label: 'production', version: 2 })).status, 202);
      const versions = (await (await call('reviewer', '/v1/prompts/qa-builder')).json()) as { versions: unknown[] };
      assert.equal(versions.versions.length, 2);
      assert.equal((await call('reviewer', '/v1/prompts/qa-builder/labels', { label: 'production', version: 2 })).status, 403);
      const config = await call('admin', '/v1/model-configs/claims-qa', {
        config: { provider: 'openai', model: 'gpt-4o-mini', parameters: { temperature: 0 } },
        message: 'baseline',
        labels: ['production'],
      });
      assert.equal(config.status, 201, await config.clone().text());
      assert.equal(
        (await call('builder', '/v1/model-configs/claims-qa', { config: { provider: 'x' }, message: 'm' })).status,
        400,
      );
    } finally {
      await platform.close();
    }
  });
});
