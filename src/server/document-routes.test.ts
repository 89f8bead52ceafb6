import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import type { Role } from '../core/index.ts';
import { createApiKey } from '../govern/index.ts';
import { setSourceAclMap } from '../ingest/index.ts';
import { startWorker } from '../worker.ts';
import { insertAclCorpus, principalPool, prng } from './fixtures/acl-corpus.ts';
import { createApp } from './index.ts';

interface DocumentView {
  id: string;
  sourceRef: string;
  principals: string[];
  principalsDetermined: boolean;
}

describe(`documents and ACL explanations over HTTP (${testStoreKind})`, () => {
  test('metadata filtered by principals (404 for unreadable), explanations by rule, alias, sidecar and deny-by-default', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'gw-api-docs-'));
    mkdirSync(join(folder, 'corpus', 'claims'), { recursive: true });
    mkdirSync(join(folder, 'corpus', 'underwriting'));
    writeFileSync(join(folder, 'corpus', 'claims', 'flood.txt'), 'Flood claims need photos of the damage.\n');
    writeFileSync(join(folder, 'corpus', 'underwriting', 'guide.md'), '# Guide\n\nRoofs older than 20 years need inspection.\n');
    writeFileSync(join(folder, 'corpus', 'notice.md'), '# Notice\n\nThe office closes at five.\n');
    writeFileSync(join(folder, 'corpus', 'notice.md.meta.json'), JSON.stringify({ principals: ['group:everyone'] }));
    writeFileSync(join(folder, 'corpus', 'orphan.txt'), 'Nobody decided who may read this.\n');
    const aclMap = join(folder, 'acl.json');
    writeFileSync(
      aclMap,
      JSON.stringify({
        rules: [
          { match: 'claims/**', principals: ['CORP\\Claims'] },
          { match: 'underwriting/**', principals: ['group:underwriting'] },
        ],
        aliases: { 'CORP\\Claims': 'group:claims' },
      }),
    );

    // Source changes are governed by default (change-routes.test.ts); here they apply at once.
    const platform = await createTestPlatform({ governance: { governedKinds: [] }, sources: { allowedRoots: [folder] } });
    const worker = await startWorker(platform);
    const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
    try {
      const keys: Record<string, { role: Role; principals: string[] }> = {
        admin: { role: 'admin', principals: ['user:admin@x.test'] },
        claimsBuilder: { role: 'builder', principals: ['group:claims'] },
        claimsUser: { role: 'user', principals: ['group:claims'] },
        uwUser: { role: 'user', principals: ['group:underwriting'] },
      };
      const tokens: Record<string, string> = {};
      for (const [name, key] of Object.entries(keys)) {
        tokens[name] = (await createApiKey(platform.db, { name, ...key }, { actor: 'local:operator' })).token;
      }
      const call = async (who: string, path: string, method = 'GET', body?: unknown) =>
        built.app.request(`http://127.0.0.1${path}`, {
          method,
          headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });

      const added = await call('admin', '/v1/sources', 'POST', {
        name: 'docs',
        path: join(folder, 'corpus'),
        aclMapPath: aclMap,
      });
      assert.equal(added.status, 201, await added.clone().text());
      assert.equal((await call('admin', '/v1/sources/docs/sync?wait=true', 'POST')).status, 200);

      const all = (await (await call('admin', '/v1/documents')).json()) as { documents: DocumentView[]; total: number };
      assert.equal(all.total, 4);
      const byRef = new Map(all.documents.map((d) => [d.sourceRef, d]));
      const flood = byRef.get('claims/flood.txt');
      const guide = byRef.get('underwriting/guide.md');
      const orphan = byRef.get('orphan.txt');
      const notice = byRef.get('notice.md');
      assert.ok(flood && guide && orphan && notice);
      assert.deepEqual(flood.principals, ['group:claims']);
      assert.equal(orphan.principalsDetermined, false);

      const claimsView = (await (await call('claimsUser', '/v1/documents')).json()) as {
        documents: DocumentView[];
        total: number;
      };
      assert.deepEqual(
        claimsView.documents.map((d) => d.sourceRef),
        ['claims/flood.txt'],
        'a user lists only what their principals may read',
      );
      assert.equal(claimsView.total, 1);
      const undetermined = (await (await call('admin', '/v1/documents?undetermined=true')).json()) as {
        documents: DocumentView[];
      };
      assert.deepEqual(
        undetermined.documents.map((d) => d.sourceRef),
        ['orphan.txt'],
      );

      // Object-level: an unreadable document is a 404, indistinguishable from a missing one.
      assert.equal((await call('claimsUser', `/v1/documents/${guide.id}`)).status, 404);
      assert.equal((await call('claimsUser', '/v1/documents/doc_missing')).status, 404);
      const detail = await call('uwUser', `/v1/documents/${guide.id}`);
      assert.equal(detail.status, 200);
      const detailBody = (await detail.json()) as Record<string, unknown>;
      assert.equal(detailBody.title, 'Guide');
      assert.equal(detailBody.text, undefined, 'metadata only, never chunk text');

      // Explanations need documents:explain (builders and admins) and a document the caller may read.
      assert.equal((await call('claimsUser', `/v1/documents/${flood.id}/access?principals=group:claims`)).status, 403);
      assert.equal((await call('claimsBuilder', `/v1/documents/${guide.id}/access?principals=group:claims`)).status, 404);
      assert.equal((await call('claimsBuilder', `/v1/documents/${flood.id}/access`)).status, 400);
      const viaAlias = (await (
        await call('claimsBuilder', `/v1/documents/${flood.id}/access?principals=Group:Claims`)
      ).json()) as {
        allowed: boolean;
        asked: string[];
        reason: string;
        via: Array<{ principal: string; alias?: string; source: { kind: string; ruleIndex?: number } }>;
        explanationCurrent: boolean;
      };
      assert.equal(viaAlias.allowed, true);
      assert.deepEqual(viaAlias.asked, ['group:claims']);
      assert.equal(viaAlias.via[0]?.alias, 'CORP\\Claims');
      assert.deepEqual(viaAlias.via[0]?.source, { kind: 'rule', ruleIndex: 0, match: ['claims/**'] });
      assert.equal(viaAlias.explanationCurrent, true);

      const denied = (await (await call('admin', `/v1/documents/${guide.id}/access?principals=user:bob@x.test`)).json()) as {
        allowed: boolean;
        reason: string;
      };
      assert.equal(denied.allowed, false);
      assert.match(denied.reason, /^Denied/);
      const sidecar = (await (await call('admin', `/v1/documents/${notice.id}/access?principals=group:everyone`)).json()) as {
        allowed: boolean;
        explanation: { decidedBy: string };
      };
      assert.equal(sidecar.allowed, true);
      assert.equal(sidecar.explanation.decidedBy, 'sidecar');
      const nobody = (await (await call('admin', `/v1/documents/${orphan.id}/access?principals=group:claims`)).json()) as {
        allowed: boolean;
        determined: boolean;
        reason: string;
      };
      assert.equal(nobody.allowed, false);
      assert.equal(nobody.determined, false);
      assert.match(nobody.reason, /deny by default/);

      // The map changes: the explanation says the enforced decision is stale until the next sync.
      writeFileSync(aclMap, JSON.stringify({ rules: [{ match: 'claims/**', principals: ['group:adjusters'] }] }));
      await setSourceAclMap(platform.db, 'docs', aclMap);
      const stale = (await (await call('admin', `/v1/documents/${flood.id}/access?principals=group:claims`)).json()) as {
        allowed: boolean;
        explanationCurrent: boolean;
        reason: string;
      };
      assert.equal(stale.allowed, true, 'the stored principals are what is enforced');
      assert.equal(stale.explanationCurrent, false);
      assert.match(stale.reason, /Re-sync source "docs"/);
    } finally {
      await worker.stop({ timeoutMs: 5000 });
      await built.close();
      await platform.close();
    }
  });

  test('randomized: the document list is exactly the readable documents; every other id is a 404', async () => {
    const platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
    try {
      const random = prng(777);
      const corpus = await insertAclCorpus(platform.db, random, 40);
      for (let k = 0; k < 6; k++) {
        const principals = principalPool.filter(() => random() < 0.3);
        const { token } = await createApiKey(
          platform.db,
          { name: `u${k}`, role: 'user', principals },
          { actor: 'local:operator' },
        );
        const get = (path: string) =>
          built.app.request(`http://127.0.0.1${path}`, { headers: { authorization: `Bearer ${token}` } });
        const readable = [...corpus.principalsOf]
          .filter(([, allowed]) => allowed.some((p) => principals.includes(p)))
          .map(([id]) => id)
          .sort();
        const listed = (await (await get('/v1/documents?limit=500')).json()) as {
          documents: Array<{ id: string }>;
          total: number;
        };
        assert.deepEqual(listed.documents.map((d) => d.id).sort(), readable, `[${principals}]`);
        assert.equal(listed.total, readable.length);
        for (const id of corpus.principalsOf.keys()) {
          assert.equal((await get(`/v1/documents/${id}`)).status, readable.includes(id) ? 200 : 404, `[${principals}] ${id}`);
        }
      }
    } finally {
      await built.close();
      await platform.close();
    }
  });
});
