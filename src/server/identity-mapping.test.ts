import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runGroundwork } from '../../test/helpers/run-cli.ts';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { localOperator, type Role } from '../core/index.ts';
import { callerFromClaims, createApiKey, listAudit, mapIdentity, type OidcConfig, unmapIdentity } from '../govern/index.ts';
import { addSource } from '../ingest/index.ts';
import { createAuthenticator } from './authenticator.ts';
import { createApp } from './index.ts';

type Json = Record<string, unknown> & { error?: { code: string; message: string } };

/** A folder whose claims files are readable by a legacy role (legacy:ADJ) that only a mapping turns into a principal. */
function claimsShare(): { folder: string; aclMap: string } {
  const folder = mkdtempSync(join(tmpdir(), 'gw-identities-'));
  mkdirSync(join(folder, 'claims'));
  writeFileSync(join(folder, 'claims', 'cl-0142.txt'), 'Claim CL-0142: water damage to the kitchen ceiling, payment 18,400.\n');
  writeFileSync(join(folder, 'hours.txt'), 'The office opens at nine.\n');
  const aclMap = `${folder}-acl.yaml`;
  writeFileSync(aclMap, 'default: [group:staff]\nrules:\n  - match: "claims/**"\n    principals: [legacy:ADJ]\n');
  return { folder, aclMap };
}

describe(`identity mappings (${testStoreKind})`, () => {
  test('a governed mapping grants access at the next sync and request; unmapping revokes it; explain shows the chain', async () => {
    const { folder, aclMap } = claimsShare();
    const platform = await createTestPlatform();
    const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
    try {
      await addSource(platform.db, { name: 'share', type: 'filesystem', path: folder, aclMapPath: aclMap });
      await platform.ingestion.sync({ source: 'share' });
      const keys: Record<string, { role: Role; principals: string[] }> = {
        ada: { role: 'admin', principals: ['user:ada@x.test'] },
        bea: { role: 'admin', principals: ['user:bea@x.test'] },
        // An Entra group object id (as OIDC with principalPrefix entra: gives it) and a legacy role on the key.
        cal: { role: 'user', principals: ['user:cal@x.test', 'entra:5f1c0a2e-77aa-4b1e-9d3c-0c2a1b3c4d5e', 'group:staff'] },
        dan: { role: 'user', principals: ['user:dan@x.test', 'group:claims'] },
        viv: { role: 'builder', principals: ['user:viv@x.test'] },
      };
      const tokens: Record<string, string> = {};
      for (const [name, key] of Object.entries(keys)) {
        tokens[name] = (await createApiKey(platform.db, { name, ...key }, { actor: 'local:operator' })).token;
      }
      const call = async (who: string, method: string, path: string, body?: unknown) => {
        const response = await built.app.request(`http://127.0.0.1${path}`, {
          method,
          headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: response.status, body: (await response.json()) as Json };
      };
      const finds = async (who: string) => {
        const found = await call(who, 'POST', '/v1/search', { query: 'water damage kitchen ceiling', k: 5 });
        assert.equal(found.status, 200, JSON.stringify(found.body));
        return (found.body.hits as Array<{ title: string; uri: string }>).some((h) => h.uri.includes('cl-0142'));
      };
      /** A governed edit: 202 with a change request, which the author may not approve and another admin does. */
      const governed = async (path: string, body: unknown) => {
        const requested = await call('ada', 'POST', path, body);
        assert.equal(requested.status, 202, JSON.stringify(requested.body));
        const change = requested.body.changeRequest as { id: string; kind: string; summary: string };
        assert.equal(change.kind, 'identity.map');
        const own = await call('ada', 'POST', `/v1/changes/${change.id}/approve`, {});
        assert.equal(own.status, 403, JSON.stringify(own.body));
        const approved = await call('bea', 'POST', `/v1/changes/${change.id}/approve`, {});
        assert.equal(approved.status, 200, JSON.stringify(approved.body));
        return change;
      };

      // Before any mapping: legacy:ADJ is an unknown identity, the claim file is operator-only.
      assert.equal(await finds('dan'), false);
      assert.equal(await finds('cal'), false);

      // Attacks: nobody below admin maps identities; bad input is a coded 400.
      for (const who of ['cal', 'viv']) {
        const refused = await call(who, 'POST', '/v1/identity-mappings', {
          identity: 'legacy:ADJ',
          principals: ['group:claims'],
        });
        assert.equal(refused.status, 403, JSON.stringify(refused.body));
      }
      assert.equal((await call('viv', 'GET', '/v1/identity-mappings')).status, 200);
      assert.equal((await call('cal', 'GET', '/v1/identity-mappings')).status, 403);
      const badIdentity = await call('ada', 'POST', '/v1/identity-mappings', {
        identity: 'group:claims',
        principals: ['group:x'],
      });
      assert.equal(badIdentity.status, 400);
      assert.equal(badIdentity.body.error?.code, 'identity.invalid_identity');
      const badPrincipal = await call('ada', 'POST', '/v1/identity-mappings', {
        identity: 'legacy:ADJ',
        principals: ['legacy:X'],
      });
      assert.equal(badPrincipal.body.error?.code, 'identity.invalid_principal');

      // The governed edit waits for approval: nothing changes while it is pending.
      const pending = await call('ada', 'POST', '/v1/identity-mappings', {
        identity: 'legacy:ADJ',
        principals: ['group:claims'],
      });
      assert.equal(pending.status, 202);
      assert.equal(((await call('viv', 'GET', '/v1/identity-mappings')).body.mappings as unknown[]).length, 0);
      const pendingId = (pending.body.changeRequest as { id: string }).id;
      assert.equal((await call('bea', 'POST', `/v1/changes/${pendingId}/approve`, {})).status, 200);

      // Documents: the mapping applies at the next sync.
      assert.equal(await finds('dan'), false, 'no sync yet: the stored principals are unchanged');
      await platform.ingestion.sync({ source: 'share' });
      assert.equal(await finds('dan'), true);

      // Callers: the Entra group on cal's key maps at the next request.
      assert.equal(await finds('cal'), false);
      await governed('/v1/identity-mappings', {
        identity: 'entra:5f1c0a2e-77aa-4b1e-9d3c-0c2a1b3c4d5e',
        principals: ['group:claims'],
        note: 'Entra group Claims Adjusters',
      });
      assert.equal(await finds('cal'), true);

      // The whole chain, over the API (documents explain): user → group:claims via the Entra group and the legacy role.
      const listed = await call('ada', 'GET', '/v1/documents?q=cl-0142');
      const documentId = (listed.body.documents as Array<{ id: string }>)[0]?.id as string;
      const explained = await call(
        'ada',
        'GET',
        `/v1/documents/${documentId}/access?principals=${encodeURIComponent('user:cal@x.test,entra:5f1c0a2e-77aa-4b1e-9d3c-0c2a1b3c4d5e,legacy:ADJ')}`,
      );
      assert.equal(explained.status, 200, JSON.stringify(explained.body));
      assert.equal(explained.body.allowed, true);
      assert.match(
        explained.body.reason as string,
        /^user:cal@x\.test → group:claims via Entra group 5f1c0a2e-77aa-4b1e-9d3c-0c2a1b3c4d5e and legacy role adj\. Allowed: group:claims via rule #1 \(claims\/\*\*\) \(legacy role ADJ → group:claims, identity mapping v1\)/,
      );

      // Unmapping the Entra group: cal loses access at the next request (dan still reads through group:claims).
      await governed('/v1/identity-mappings/unmap', { identity: 'entra:5f1c0a2e-77aa-4b1e-9d3c-0c2a1b3c4d5e' });
      assert.equal(await finds('cal'), false);
      assert.equal(await finds('dan'), true);

      // Unmapping the legacy role: the document loses group:claims at the next sync.
      await governed('/v1/identity-mappings/unmap', { identity: 'legacy:adj', principals: ['group:claims'] });
      assert.equal(await finds('dan'), true, 'until the next sync the stored principals stand');
      await platform.ingestion.sync({ source: 'share' });
      assert.equal(await finds('dan'), false);

      // Versioned and audited: every change is a version, with who and which change request.
      const history = await call('viv', 'GET', '/v1/identity-mappings/history');
      const versions = history.body.versions as Array<{
        version: number;
        identity: string;
        after: string[] | null;
        changeRequestId: string;
      }>;
      assert.deepEqual(
        versions.map((v) => [v.version, v.identity, v.after]),
        [
          [4, 'legacy:adj', null],
          [3, 'entra:5f1c0a2e-77aa-4b1e-9d3c-0c2a1b3c4d5e', null],
          [2, 'entra:5f1c0a2e-77aa-4b1e-9d3c-0c2a1b3c4d5e', ['group:claims']],
          [1, 'legacy:adj', ['group:claims']],
        ],
      );
      assert.ok(versions.every((v) => v.changeRequestId?.startsWith('chg_')));
      const audit = (await listAudit(platform.db, { limit: 200 })).filter((e) => e.action.startsWith('identity.'));
      assert.deepEqual(audit.map((e) => e.action).sort(), ['identity.map', 'identity.map', 'identity.unmap', 'identity.unmap']);
    } finally {
      await built.close();
      await platform.close();
    }
  });

  test('CLI: identities import|list|map|unmap (local operator, direct) and acl check --as shows the chain', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'gw-identities-cli-'));
    const run = (...args: string[]) => runGroundwork([...args, '--data-dir', join(cwd, 'data')], { cwd });
    writeFileSync(
      join(cwd, 'mappings.csv'),
      'identity,principals\n# the legacy role table\nlegacy:ADJ,group:claims\nCORP\\Claims Adjusters,group:claims\nentra:G-1,group:claims\n',
    );
    writeFileSync(join(cwd, 'bad.csv'), 'legacy:ADJ,claims\ngroup:x,group:y\n');
    const bad = await run('identities', 'import', 'bad.csv', '--json');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /identity\.invalid_import/);
    assert.match(bad.stderr, /line 1: "claims" not user:\/group: principals; line 2: "group:x" is not a source identity/);

    const imported = await run('identities', 'import', 'mappings.csv', '--json');
    assert.equal(imported.code, 0, imported.stderr);
    assert.deepEqual((({ applied, pending, unchanged }) => ({ applied, pending, unchanged }))(JSON.parse(imported.stdout)), {
      applied: 3,
      pending: 0,
      unchanged: 0,
    });
    const mapped = await run('identities', 'map', 'legacy:ADJ', 'group:staff', '--json');
    assert.equal(mapped.code, 0, mapped.stderr);
    assert.deepEqual(JSON.parse(mapped.stdout).principals, ['group:claims', 'group:staff']);
    const unmapped = await run('identities', 'unmap', 'legacy:ADJ', 'group:staff', '--json');
    assert.equal(unmapped.code, 0, unmapped.stderr);
    const listed = JSON.parse((await run('identities', 'list', '--json')).stdout) as {
      version: number;
      mappings: Array<{ identity: string; principals: string[] }>;
    };
    assert.equal(listed.version, 5);
    assert.deepEqual(
      listed.mappings.map((m) => [m.identity, m.principals]),
      [
        ['ad:corp\\claims adjusters', ['group:claims']],
        ['entra:g-1', ['group:claims']],
        ['legacy:adj', ['group:claims']],
      ],
    );
    const history = JSON.parse((await run('identities', 'list', '--history', '--identity', 'legacy:ADJ', '--json')).stdout);
    assert.equal(history.versions.length, 3);

    writeFileSync(join(cwd, 'acl.yaml'), 'rules:\n  - match: "claims/**"\n    principals: ["CORP\\\\Claims Adjusters"]\n');
    // search --as with a source identity maps it like a key's (the mapping granted at ingestion, too).
    mkdirSync(join(cwd, 'share', 'claims'), { recursive: true });
    writeFileSync(join(cwd, 'share', 'claims', 'cl-7.txt'), 'Claim CL-7: hail damage to the greenhouse roof.\n');
    assert.equal((await run('ingest', 'share', '--acl-map', 'acl.yaml')).code, 0);
    const asRole = JSON.parse((await run('search', 'hail greenhouse', '--as', 'user:ana@x.test,legacy:ADJ', '--json')).stdout);
    assert.equal(asRole.hits.length, 1);
    const asNobody = JSON.parse((await run('search', 'hail greenhouse', '--as', 'user:ana@x.test', '--json')).stdout);
    assert.equal(asNobody.hits.length, 0);
    const checked = await run(
      'acl',
      'check',
      'acl.yaml',
      '--path',
      'claims/cl-1.pdf',
      '--as',
      'user:ana@x.test,entra:G-1,legacy:ADJ',
    );
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(
      checked.stdout,
      /claims\/cl-1\.pdf: group:claims \(rules\)\n {2}user:ana@x\.test → group:claims via Entra group g-1 and legacy role adj\. Allowed: group:claims via rule #1 \(claims\/\*\*\) \(AD identity CORP\\Claims Adjusters → group:claims, identity mapping v2\)/,
    );
  });

  test('OIDC: Entra group claims (principalPrefix entra:) map to principals at every authentication', async () => {
    const platform = await createTestPlatform();
    try {
      const config = {
        issuer: 'https://login.example.test',
        audience: 'groundwork',
        userClaim: 'preferred_username',
        principalsClaim: 'groups',
        principalPrefix: 'entra:',
        rolesClaim: 'roles',
        roleMapping: {},
        defaultRole: 'user',
      } as unknown as OidcConfig;
      const claims = { preferred_username: 'ana@x.test', groups: ['5F1C0A2E-77AA-4B1E-9D3C-0C2A1B3C4D5E', 'other-group'] };
      const authenticator = createAuthenticator({
        db: platform.db,
        oidc: { verify: async () => callerFromClaims(claims, config) },
        cacheMs: 0,
      });
      const before = await authenticator.authenticate('Bearer some.jwt.token', '127.0.0.1');
      assert.deepEqual([...before.principals].sort(), [
        'entra:5f1c0a2e-77aa-4b1e-9d3c-0c2a1b3c4d5e',
        'entra:other-group',
        'user:ana@x.test',
      ]);
      await mapIdentity(platform.governance, platform.db, localOperator, 'entra:5f1c0a2e-77aa-4b1e-9d3c-0c2a1b3c4d5e', [
        'group:claims',
      ]);
      const after = await authenticator.authenticate('Bearer some.jwt.token', '127.0.0.1');
      assert.ok(after.principals.includes('group:claims'));
      assert.deepEqual(after.identityChain, [{ principal: 'group:claims', via: ['entra:5f1c0a2e-77aa-4b1e-9d3c-0c2a1b3c4d5e'] }]);
      await unmapIdentity(platform.governance, platform.db, localOperator, 'entra:5f1c0a2e-77aa-4b1e-9d3c-0c2a1b3c4d5e');
      const revoked = await authenticator.authenticate('Bearer some.jwt.token', '127.0.0.1');
      assert.ok(!revoked.principals.includes('group:claims'), 'the next request no longer has it');
    } finally {
      await platform.close();
    }
  });
});
