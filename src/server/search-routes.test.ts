import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { createApiKey } from '../govern/index.ts';
import { insertAclCorpus, principalPool, prng, words } from './fixtures/acl-corpus.ts';
import { createApp } from './index.ts';

describe(`search over HTTP (${testStoreKind})`, () => {
  test('randomized ACL leak test: random principals never see a document they may not read', async () => {
    const platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    try {
      const random = prng(20261125);
      const corpus = await insertAclCorpus(platform.db, random);
      const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
      let totalHits = 0;
      for (let k = 0; k < 8; k++) {
        const principals = principalPool.filter(() => random() < 0.3);
        const { token } = await createApiKey(
          platform.db,
          { name: `k${k}`, role: 'viewer', principals },
          { actor: 'local:operator' },
        );
        for (let q = 0; q < 12; q++) {
          const query = Array.from(
            { length: 1 + Math.floor(random() * 3) },
            () => words[Math.floor(random() * words.length)],
          ).join(' ');
          const response = await app.request('http://127.0.0.1/v1/search', {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ query, k: 20, level: q % 2 === 0 ? 'chunk' : 'document' }),
          });
          assert.equal(response.status, 200);
          const { hits } = (await response.json()) as { hits: Array<{ documentId: string }> };
          totalHits += hits.length;
          for (const hit of hits) {
            const allowed = corpus.principalsOf.get(hit.documentId) ?? [];
            assert.ok(
              allowed.some((p) => principals.includes(p)),
              `caller [${principals}] got ${hit.documentId} readable by [${allowed}] for "${query}"`,
            );
          }
        }
      }
      assert.ok(totalHits > 0, 'the test searched something');
    } finally {
      await platform.close();
    }
  });

  test('validation and scope: empty queries are 400; an admin does not bypass ACLs on search', async () => {
    const platform = await createTestPlatform();
    try {
      await insertAclCorpus(platform.db, prng(7), 10);
      const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
      const { token } = await createApiKey(
        platform.db,
        { name: 'a', role: 'admin', principals: [] },
        { actor: 'local:operator' },
      );
      const post = (body: unknown) =>
        app.request('http://127.0.0.1/v1/search', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const empty = await post({ query: '  ' });
      assert.equal(empty.status, 400);
      const searched = (await (await post({ query: words.slice(0, 10).join(' ') })).json()) as { hits: unknown[] };
      assert.equal(searched.hits.length, 0, 'an admin key without principals reads nothing through search');
    } finally {
      await platform.close();
    }
  });
});
