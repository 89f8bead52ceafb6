import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FakeGraph, permissionFixtures as perm, startFakeGraph } from '../../../../test/helpers/fake-graph-server.ts';
import { createTestPlatform } from '../../../../test/helpers/test-platform.ts';
import { isGroundworkError, silentLogger, systemClock } from '../../../core/index.ts';
import { addSource, createIngestion, parseDocument } from '../../index.ts';
import { sourceContract } from '../source.contract.ts';
import type { Source, SourceChange, SourceCursor, SourceItem } from '../source.ts';
import { createSharepointSource, type SharepointSettings, sharepointConnector, sharepointSettingsSchema } from './index.ts';

const secret = 'fake-secret-value';
const env: Record<string, string> = { SP_SECRET: secret };

function settingsFor(graph: FakeGraph, extra: Partial<SharepointSettings> = {}): SharepointSettings {
  return sharepointSettingsSchema.parse({
    tenantId: graph.tenantId,
    clientId: graph.clientId,
    clientSecretEnv: 'SP_SECRET',
    siteUrl: graph.siteUrl,
    graphBaseUrl: graph.graphBaseUrl,
    authorityUrl: graph.authorityUrl,
    ...extra,
  });
}

const waits: number[] = [];
function sourceFor(graph: FakeGraph, extra: Partial<SharepointSettings> = {}, secrets = env) {
  return createSharepointSource(settingsFor(graph, extra), {
    secrets: (name) => secrets[name],
    logger: silentLogger,
    clock: systemClock,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
}

async function list(source: Source, cursor?: SourceCursor) {
  const upserts = new Map<string, SourceItem>();
  const deletes: string[] = [];
  let checkpoint: SourceCursor | undefined;
  for await (const change of source.listChanges(cursor, () => {})) {
    if (change.kind === 'upsert') upserts.set(change.item.ref, change.item);
    else if (change.kind === 'delete') deletes.push(change.ref);
    else checkpoint = change.cursor;
  }
  assert.ok(checkpoint, 'the listing ends with a checkpoint');
  return { upserts, deletes: deletes.sort(), cursor: checkpoint };
}

async function collect(iterable: AsyncIterable<SourceChange>): Promise<SourceChange[]> {
  const out: SourceChange[] = [];
  for await (const change of iterable) out.push(change);
  return out;
}

sourceContract('sharepoint (loopback fake Graph)', {
  async setup() {
    const graph = await startFakeGraph({ clientSecret: secret });
    return {
      source: sourceFor(graph, { drives: ['Documents'] }),
      write: async (ref, bytes) => graph.put('Documents', ref, bytes),
      remove: async (ref) => graph.remove('Documents', ref),
      cleanup: () => graph.close(),
    };
  },
});

describe('sharepoint source against a loopback fake Graph', () => {
  let graph: FakeGraph;
  before(async () => {
    graph = await startFakeGraph({ clientSecret: secret, drives: ['Documents', 'Policies'], pageSize: 3 });
  });
  after(() => graph.close());

  test('follows nextLink pages to the deltaLink, prefixes refs with the library, maps permissions to principals', async () => {
    for (let i = 0; i < 7; i++) graph.put('Documents', `claims/c${i}.txt`, `claim ${i}`);
    graph.put('Policies', 'motor.txt', 'motor policy');
    graph.setPermissions('Documents', 'claims', [perm.entraGroup('5f6c1d2e-0000-4000-8000-00000000aaaa', 'Claims Adjusters')]);
    graph.setPermissions('Documents', 'claims/c0.txt', [perm.user('Ann@Contoso.com'), perm.siteGroup('Claims Members')]);
    graph.setPermissions('Documents', 'claims/c1.txt', [perm.organizationLink()]);
    graph.setPermissions('Policies', 'motor.txt', [perm.anonymousLink()]);
    const source = sourceFor(graph, { organizationPrincipal: 'group:all-staff' });
    const before = graph.requests.length;
    const first = await list(source);
    const deltaCalls = graph.requests.slice(before).filter((r) => r.path.includes('/root/delta'));
    assert.ok(deltaCalls.length >= 4, 'several pages per drive were read');
    assert.ok(deltaCalls.every((r) => r.prefer?.includes('deltashowsharingchanges')));
    assert.equal(first.upserts.size, 8);
    assert.deepEqual(first.upserts.get('Documents/claims/c0.txt')?.principals, [
      'group:5f6c1d2e-0000-4000-8000-00000000aaaa',
      'group:sp:claims:claims members',
      'user:ann@contoso.com',
    ]);
    assert.deepEqual(first.upserts.get('Documents/claims/c1.txt')?.principals, [
      'group:5f6c1d2e-0000-4000-8000-00000000aaaa',
      'group:all-staff',
    ]);
    // Anonymous links are flagged and grant nobody by default.
    assert.deepEqual(first.upserts.get('Policies/motor.txt')?.principals, []);
    const fetched = await source.fetch('Policies/motor.txt');
    assert.deepEqual(fetched.sidecar, { principals: [], sharingFlags: ['anonymous-link'] });
    assert.equal(new TextDecoder().decode(fetched.bytes), 'motor policy');
    assert.equal(graph.stats.downloadsWithAuth, 0, 'no bearer token is sent to the pre-authenticated download URL');

    // Nothing changed: only the delta links are asked, nothing is listed.
    const again = await list(sourceFor(graph, { organizationPrincipal: 'group:all-staff' }), first.cursor);
    assert.equal(again.upserts.size, 0);
    assert.deepEqual(again.deletes, []);

    // A permission change on a folder reaches every file below it (sharing changes are requested).
    graph.setPermissions('Documents', 'claims', [perm.entraGroup('0000aaaa-0000-4000-8000-00000000bbbb', 'Fraud')]);
    const revoked = await list(sourceFor(graph, { organizationPrincipal: 'group:all-staff' }), again.cursor);
    assert.equal(revoked.upserts.size, 7);
    const c3 = revoked.upserts.get('Documents/claims/c3.txt');
    assert.deepEqual(c3?.principals, ['group:0000aaaa-0000-4000-8000-00000000bbbb']);
    assert.notEqual(c3?.sidecarVersion, first.upserts.get('Documents/claims/c3.txt')?.sidecarVersion);
    assert.equal(c3?.version, first.upserts.get('Documents/claims/c3.txt')?.version, 'content unchanged');

    // A folder rename returns only the folder: the files' old paths are reported deleted, the new ones listed.
    graph.move('Documents', 'claims', 'archive/claims-2019');
    graph.remove('Policies', 'motor.txt');
    const moved = await list(sourceFor(graph), revoked.cursor);
    assert.deepEqual(
      [...moved.upserts.keys()].sort(),
      [0, 1, 2, 3, 4, 5, 6].map((i) => `Documents/archive/claims-2019/c${i}.txt`),
    );
    assert.deepEqual(
      moved.deletes,
      [...[0, 1, 2, 3, 4, 5, 6].map((i) => `Documents/claims/c${i}.txt`), 'Policies/motor.txt'].sort(),
    );
  });

  test('410 Gone restarts the delta; only files missing from the completed resync are deleted', async () => {
    const local = await startFakeGraph({ clientSecret: secret, pageSize: 2 });
    try {
      for (const name of ['a', 'b', 'c', 'd']) local.put('Documents', `${name}.txt`, name);
      const first = await list(sourceFor(local, { drives: ['Documents'] }));
      local.remove('Documents', 'c.txt');
      local.put('Documents', 'e.txt', 'e');
      local.expireDeltaTokens();
      const source = sourceFor(local, { drives: ['Documents'] });
      const changes = await collect(source.listChanges(first.cursor, () => {}));
      const firstDelete = changes.findIndex((c) => c.kind === 'delete');
      const lastUpsert = changes.map((c) => c.kind).lastIndexOf('upsert');
      assert.ok(firstDelete > lastUpsert, 'deletions only after the full resync listing');
      assert.deepEqual(
        changes.filter((c) => c.kind === 'delete').map((c) => (c as { ref: string }).ref),
        ['c.txt'],
      );
      assert.deepEqual(
        changes
          .filter((c) => c.kind === 'upsert')
          .map((c) => (c as { item: SourceItem }).item.ref)
          .sort(),
        ['a.txt', 'b.txt', 'd.txt', 'e.txt'],
      );
      assert.ok(
        local.requests.some((r) => r.path.endsWith('/root/delta')),
        'restarted from the Location of the 410',
      );
    } finally {
      await local.close();
    }
  });

  test('token expiry mid-sync refreshes once; throttling honours Retry-After; persistent throttling is coded', async () => {
    const local = await startFakeGraph({ clientSecret: secret, pageSize: 1 });
    try {
      for (const name of ['a', 'b', 'c']) local.put('Documents', `${name}.txt`, name);
      const source = sourceFor(local, { drives: ['Documents'] });
      const first = await list(source);
      const tokensBefore = local.stats.tokens;
      // The cached token expires between two listings of the same source (a long sync): 401, refresh, retry.
      local.put('Documents', 'd.txt', 'd');
      local.expireAccessTokens();
      const second = await list(source, first.cursor);
      assert.deepEqual([...second.upserts.keys()], ['d.txt']);
      assert.equal(local.stats.tokens, tokensBefore + 1, 'exactly one new token was requested');

      waits.length = 0;
      local.throttleNext(2, 7);
      const throttled = await list(sourceFor(local, { drives: ['Documents'] }));
      assert.equal(throttled.upserts.size, 4);
      assert.deepEqual(waits.slice(0, 2), [7000, 7000], 'Retry-After seconds are waited');

      local.throttleNext(50, 1, 503);
      await assert.rejects(
        list(sourceFor(local, { drives: ['Documents'] })),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.source_throttled',
      );
      local.throttleNext(0, 0);
    } finally {
      await local.close();
    }
  });

  test('bad input: malformed JSON, bad secret, missing secret variable, unreachable endpoint, unknown library', async () => {
    const local = await startFakeGraph({ clientSecret: secret });
    try {
      local.put('Documents', 'a.txt', 'a');
      local.malformNextDelta();
      await assert.rejects(
        list(sourceFor(local)),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.source_bad_response',
      );
      await assert.rejects(
        list(sourceFor(local, {}, { SP_SECRET: 'wrong' })),
        (error: unknown) =>
          isGroundworkError(error) &&
          error.code === 'ingest.source_auth_failed' &&
          /AADSTS7000215/.test(error.message) &&
          !error.message.includes('wrong'),
      );
      assert.throws(
        () => sourceFor(local, {}, {}),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.missing_secret',
      );
      await assert.rejects(
        list(sourceFor(local, { drives: ['Nope'] })),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.source_not_found_remote',
      );
      local.failAll(500);
      await assert.rejects(
        list(sourceFor(local)),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.source_unreachable',
      );
      local.failAll(undefined);
      const dead = sourceFor(local, { graphBaseUrl: 'http://127.0.0.1:9/v1.0', authorityUrl: 'http://127.0.0.1:9' });
      await assert.rejects(
        list(dead),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.source_unreachable',
      );
      const exfiltrate = sharepointConnector.settingsSchema.safeParse({
        tenantId: 't',
        clientId: 'c',
        clientSecretEnv: 'GROUNDWORK_DATABASE_PASSWORD',
        siteUrl: 'https://x.sharepoint.com/sites/a',
        authorityUrl: 'https://attacker.example',
      });
      assert.equal(exfiltrate.success, false, 'the token request (carrying the secret) only goes to Microsoft or loopback');
      const viaDefinition = await sharepointConnector.create(settingsFor(local), {
        secrets: (name) => env[name],
        logger: silentLogger,
        clock: systemClock,
      });
      assert.equal(viaDefinition.type, sharepointConnector.kind);
      assert.deepEqual(viaDefinition.capabilities, { incremental: true, renames: false, contentHash: false, permissions: true });
      assert.equal(
        sharepointConnector.settingsSchema.safeParse({
          tenantId: 't',
          clientId: 'c',
          siteUrl: 'https://x.sharepoint.com/sites/a',
        }).success,
        false,
        'a credential is required',
      );
    } finally {
      await local.close();
    }
  });

  test('a delta feed without the root item: the root is asked for, top-level files keep their paths', async () => {
    const local = await startFakeGraph({ clientSecret: secret, omitRootFromDelta: true });
    try {
      local.put('Documents', 'top.txt', 'top');
      local.put('Documents', 'folder/inner.txt', 'inner');
      const listed = await list(sourceFor(local, { drives: ['Documents'] }));
      assert.deepEqual([...listed.upserts.keys()].sort(), ['folder/inner.txt', 'top.txt']);
      assert.ok(local.requests.some((r) => r.path.endsWith('/root')));
    } finally {
      await local.close();
    }
  });

  test('certificate credentials: a signed client assertion with the x5t thumbprint', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const thumbprint = createHash('sha1').update('fake certificate der').digest('hex');
    const local = await startFakeGraph({
      certificatePublicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      certificateThumbprint: thumbprint,
    });
    const dir = await mkdtemp(join(tmpdir(), 'gw-sp-cert-'));
    try {
      const pemPath = join(dir, 'app.pem');
      await writeFile(
        pemPath,
        `${privateKey.export({ type: 'pkcs8', format: 'pem' })}-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n`,
      );
      local.put('Documents', 'a.txt', 'a');
      const source = createSharepointSource(
        sharepointSettingsSchema.parse({
          tenantId: local.tenantId,
          clientId: local.clientId,
          certificatePathEnv: 'SP_CERT',
          certificateThumbprint: thumbprint,
          siteId: local.siteId,
          graphBaseUrl: local.graphBaseUrl,
          authorityUrl: local.authorityUrl,
        }),
        { secrets: (name) => (name === 'SP_CERT' ? pemPath : undefined), logger: silentLogger, clock: systemClock },
      );
      const listed = await list(source);
      assert.deepEqual([...listed.upserts.keys()], ['Documents/a.txt']);
    } finally {
      await local.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('sharepoint source end to end through the sync', () => {
  test('indexes with principals, revokes at the next sync, keeps documents when a listing fails or the token expires', async () => {
    const graph = await startFakeGraph({ clientSecret: secret, pageSize: 2 });
    const platform = await createTestPlatform({});
    try {
      graph.put('Documents', 'claims/fnol.txt', 'First notice of loss for claim 4711: water damage in the kitchen.');
      graph.put('Documents', 'policies/motor.txt', 'Motor policy wording: comprehensive cover.');
      graph.setPermissions('Documents', 'claims', [perm.entraGroup('claims-team', 'Claims')]);
      graph.setPermissions('Documents', 'policies', [perm.user('ann@contoso.com')]);
      // The real path: a registered `sharepoint` source, opened by the sync through the connector registry.
      const added = await addSource(platform.db, {
        name: 'sp',
        type: 'sharepoint',
        settings: {
          tenantId: graph.tenantId,
          clientId: graph.clientId,
          clientSecretEnv: 'SP_SECRET',
          siteUrl: graph.siteUrl,
          graphBaseUrl: graph.graphBaseUrl,
          authorityUrl: graph.authorityUrl,
          drives: ['Documents'],
        },
      });
      assert.equal(added.type, 'sharepoint');
      assert.equal(added.settings.clientSecretEnv, 'SP_SECRET', 'the variable name is stored, never the secret');
      assert.ok(!JSON.stringify(added.settings).includes(secret));
      const ingestion = createIngestion({
        db: platform.db,
        events: platform.events,
        logger: platform.logger,
        config: platform.config,
        parse: (input) => parseDocument(input),
        secrets: (name) => env[name],
      });
      const principals = async () =>
        Object.fromEntries(
          (
            await platform.db.query<{ source_ref: string; principals: string[] }>(
              'SELECT source_ref, principals FROM documents WHERE parent_id IS NULL ORDER BY source_ref',
            )
          ).rows.map((r) => [r.source_ref, r.principals]),
        );
      const first = await ingestion.sync({ source: 'sp' });
      assert.equal(first.added, 2);
      assert.deepEqual(await principals(), {
        'claims/fnol.txt': ['group:claims-team'],
        'policies/motor.txt': ['user:ann@contoso.com'],
      });

      const unchanged = await ingestion.sync({ source: 'sp' });
      assert.equal(unchanged.added + unchanged.updated + unchanged.deleted, 0);

      // Revocation: the claims folder is now for the fraud team only.
      graph.setPermissions('Documents', 'claims', [perm.entraGroup('fraud-team', 'Fraud')]);
      const revoked = await ingestion.sync({ source: 'sp' });
      assert.equal(revoked.updated, 1);
      assert.deepEqual((await principals())['claims/fnol.txt'], ['group:fraud-team']);

      // A failing listing deletes nothing; the run is failed with a coded error.
      graph.failAll(500);
      await assert.rejects(
        ingestion.sync({ source: 'sp' }),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.source_unreachable',
      );
      graph.failAll(undefined);
      const failedRun = await platform.db.query<{ status: string; error: string }>(
        `SELECT status, error FROM sync_runs ORDER BY started_at DESC LIMIT 1`,
      );
      assert.equal(failedRun.rows[0]?.status, 'failed');
      assert.match(failedRun.rows[0]?.error ?? '', /^ingest\.source_unreachable: /);
      assert.equal(Object.keys(await principals()).length, 2);

      // An expired delta token: full resync, documents kept, the removed one deleted.
      graph.remove('Documents', 'policies/motor.txt');
      graph.expireDeltaTokens();
      graph.expireAccessTokens();
      const resync = await ingestion.sync({ source: 'sp' });
      assert.equal(resync.deleted, 1);
      assert.equal(resync.added, 0);
      assert.deepEqual(Object.keys(await principals()), ['claims/fnol.txt']);
      await ingestion.close();
    } finally {
      await platform.close();
      await graph.close();
    }
  });
});
