import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { permissionFixtures as perm, startFakeGraph } from '../../../test/helpers/fake-graph-server.ts';
import { startFakeSite } from '../../../test/helpers/fake-web-site.ts';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';
import { testDatabaseUrl } from '../../../test/helpers/test-platform.ts';

const sqlUrl = process.env.GROUNDWORK_TEST_SQL_URL || testDatabaseUrl || 'postgres://postgres@127.0.0.1:5432/postgres';

describe('sources add --type KIND --setting / --settings as a process', () => {
  test('sources types; a sql source from --setting flags, a second from --settings FILE; sync; bad input is coded', {
    timeout: 300_000,
  }, async () => {
    const work = await mkdtemp(join(tmpdir(), 'gw-cli-conn-'));
    const admin = new pg.Client({ connectionString: sqlUrl });
    await admin.connect();
    const schema = `gw_cli_sql_${randomBytes(4).toString('hex')}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.notes (id int PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now(),
      subject text, body text, roles text)`);
    await admin.query(`INSERT INTO ${schema}.notes (id, subject, body, roles) VALUES
      (1, 'Hail', 'Hail damage to the car roof; photos attached.', 'group:claims,user:ann@example.com'),
      (2, 'Flood', 'Flooded cellar; pump hired for two days.', 'group:claims')`);
    const store = ['--data-dir', join(work, 'data')];
    const env = { CLAIMS_DB_URL: sqlUrl };
    try {
      const types = await runGroundwork([...store, '--json', 'sources', 'types']);
      assert.equal(types.code, 0, types.stderr);
      const kinds = (JSON.parse(types.stdout) as { connectors: { kind: string }[] }).connectors.map((c) => c.kind);
      for (const kind of ['filesystem', 's3', 'sql']) assert.ok(kinds.includes(kind));
      const text = await runGroundwork([...store, 'sources', 'types']);
      assert.match(text.stdout, /secretAccessKeyEnv \[env var name\]/);

      const added = await runGroundwork(
        [
          ...store,
          '--json',
          'sources',
          'add',
          'claims',
          '--type',
          'sql',
          '--setting',
          'connectionStringEnv=CLAIMS_DB_URL',
          '--setting',
          `table=${schema}.notes`,
          '--setting',
          'titleColumn=subject',
          '--setting',
          'principalsColumn=roles',
          '--setting',
          'readableBy=group:staff',
        ],
        { env },
      );
      assert.equal(added.code, 0, added.stderr);
      const source = JSON.parse(added.stdout) as { type: string; settings: Record<string, unknown> };
      assert.equal(source.type, 'sql');
      assert.deepEqual(source.settings.readableBy, ['group:staff']);
      assert.doesNotMatch(added.stdout, /postgres:\/\//);

      const synced = await runGroundwork([...store, '--json', 'sync', 'claims'], { env });
      assert.equal(synced.code, 0, synced.stderr);
      assert.equal((JSON.parse(synced.stdout) as { added: number }).added, 2);

      await writeFile(
        join(work, 'settings.yaml'),
        `connectionStringEnv: CLAIMS_DB_URL\nquery: SELECT * FROM ${schema}.notes WHERE id = 2\n`,
      );
      const fromFile = await runGroundwork([
        ...store,
        '--json',
        'sources',
        'add',
        'flood',
        '--type',
        'sql',
        '--settings',
        join(work, 'settings.yaml'),
      ]);
      assert.equal(fromFile.code, 0, fromFile.stderr);
      // Without the variable the sync names the missing setting (and never a value).
      const missing = await runGroundwork([...store, '--json', 'sync', 'flood']);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr + missing.stdout, /ingest\.missing_secret/);
      const status = await runGroundwork([...store, 'sources', 'status', 'flood']);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /FAILING ingest\.missing_secret: the last sync failed and deleted nothing/);

      const typo = await runGroundwork([...store, 'sources', 'add', 'x', '--type', 'sql', '--setting', 'tabel=notes']);
      assert.equal(typo.code, 2, typo.stderr);
      assert.match(typo.stderr, /ingest\.invalid_settings|tabel/);
      const badFlag = await runGroundwork([...store, 'sources', 'add', 'x', '--type', 's3', '--setting', 'bucket']);
      assert.equal(badFlag.code, 2);
      assert.match(badFlag.stderr, /key=value/);
      const unknown = await runGroundwork([...store, 'sources', 'add', 'x', '--type', 'ftp']);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /filesystem, s3, sql/);

      const list = await runGroundwork([...store, '--json', 'sources', 'list']);
      const rows = (JSON.parse(list.stdout) as { sources: { name: string; path: string }[] }).sources;
      assert.equal(rows.find((r) => r.name === 'claims')?.path, `sql:${schema}.notes`);
    } finally {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
      await rm(work, { recursive: true, force: true });
    }
  });

  test('a web and a sharepoint source from --setting flags, synced against loopback fakes', { timeout: 300_000 }, async () => {
    const work = await mkdtemp(join(tmpdir(), 'gw-cli-gw-'));
    const site = await startFakeSite();
    const graph = await startFakeGraph({ clientSecret: 'cli-secret' });
    const store = ['--data-dir', join(work, 'data')];
    try {
      site.put('/robots.txt', 'User-agent: *\n', { type: 'text/plain' });
      site.put('/docs/', '<html><head><title>Handbook</title></head><body><p>Handbook.</p><a href="a.html">a</a></body></html>');
      site.put('/docs/a.html', '<html><head><title>Claims</title></head><body><p>The claims process.</p></body></html>');
      const web = await runGroundwork([
        ...store,
        '--json',
        'sources',
        'add',
        'intranet',
        '--type',
        'web',
        '--setting',
        `startUrls=${site.origin}/docs/`,
        '--setting',
        'rateLimitPerSecond=50',
        '--setting',
        'readableBy=group:staff',
      ]);
      assert.equal(web.code, 0, web.stderr);
      assert.deepEqual((JSON.parse(web.stdout) as { settings: { startUrls: string[] } }).settings.startUrls, [
        `${site.origin}/docs/`,
      ]);
      const webSync = await runGroundwork([...store, '--json', 'sync', 'intranet']);
      assert.equal(webSync.code, 0, webSync.stderr);
      assert.equal((JSON.parse(webSync.stdout) as { added: number }).added, 2);

      graph.put('Documents', 'claims/fnol.txt', 'First notice of loss for claim 4711.');
      graph.setPermissions('Documents', 'claims', [perm.entraGroup('claims-team', 'Claims')]);
      const flags = [
        `tenantId=${graph.tenantId}`,
        `clientId=${graph.clientId}`,
        'clientSecretEnv=SP_SECRET',
        `siteUrl=${graph.siteUrl}`,
        `graphBaseUrl=${graph.graphBaseUrl}`,
        `authorityUrl=${graph.authorityUrl}`,
        'drives=Documents',
      ].flatMap((flag) => ['--setting', flag]);
      const sp = await runGroundwork([...store, '--json', 'sources', 'add', 'sp', '--type', 'sharepoint', ...flags]);
      assert.equal(sp.code, 0, sp.stderr);
      assert.doesNotMatch(sp.stdout, /cli-secret/);
      const spSync = await runGroundwork([...store, '--json', 'sync', 'sp'], { env: { SP_SECRET: 'cli-secret' } });
      assert.equal(spSync.code, 0, spSync.stderr);
      assert.equal((JSON.parse(spSync.stdout) as { added: number }).added, 1);
      const refused = await runGroundwork([...store, '--json', 'sync', 'sp'], { env: { SP_SECRET: 'wrong' } });
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr + refused.stdout, /ingest\.source_auth_failed/);
      assert.doesNotMatch(refused.stderr + refused.stdout, /wrong|cli-secret/);

      const list = await runGroundwork([...store, '--json', 'sources', 'list']);
      const rows = (JSON.parse(list.stdout) as { sources: { name: string; path: string }[] }).sources;
      assert.equal(rows.find((r) => r.name === 'intranet')?.path, `${site.origin}/docs/`);
      assert.equal(rows.find((r) => r.name === 'sp')?.path, graph.siteUrl);
    } finally {
      await site.close();
      await graph.close();
      await rm(work, { recursive: true, force: true });
    }
  });
});
