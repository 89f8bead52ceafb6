import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type GroundworkError, loadConfig, silentLogger } from '../../src/core/index.ts';
import { createPlatform, type Platform } from '../../src/create-platform.ts';
import { insertDocument } from '../../src/retrieve/fixtures/corpus.ts';
import { openStore } from '../../src/store/index.ts';
import { testDatabaseUrl } from '../helpers/test-platform.ts';

/**
 * DATABASE_READ_URL against a real streaming replica of the local PostgreSQL, started here:
 * `pg_basebackup -R` of the test server into a temporary data directory, a second cluster on another
 * loopback port (`pg_ctl`, as the `postgres` OS user), stopped and removed afterwards.
 */
const bin = '/usr/lib/postgresql/15/bin';

function whyNot(): string | false {
  if (!testDatabaseUrl) return 'needs GROUNDWORK_TEST_DATABASE_URL (server PostgreSQL)';
  if (!existsSync(join(bin, 'pg_basebackup'))) return `no PostgreSQL binaries in ${bin}`;
  if (process.getuid?.() !== 0) return 'starts a PostgreSQL cluster as the postgres OS user: needs root';
  return false;
}

function asPostgres(command: string, args: string[], timeout = 300_000): string {
  return execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8', timeout, stdio: 'pipe' });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitFor<T>(probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const skip = whyNot();

describe('DATABASE_READ_URL without DATABASE_URL', () => {
  test('is refused with the fix (the embedded store has no replicas)', async () => {
    const loaded = loadConfig({ env: { DATABASE_READ_URL: 'postgres://127.0.0.1:1/none' }, cwd: '/nonexistent' });
    await assert.rejects(openStore(loaded.config), (error: GroundworkError) => {
      assert.equal(error.code, 'store.read_replica_without_server');
      assert.match(error.fix ?? '', /DATABASE_URL/);
      return true;
    });
  });
});

describe('read replica (DATABASE_READ_URL) on a streaming standby', { skip }, () => {
  const base = new URL(testDatabaseUrl ?? 'postgres://localhost/none');
  const name = `${base.pathname.slice(1)}_replica_${randomBytes(4).toString('hex')}`;
  const primaryUrl = Object.assign(new URL(base), { pathname: `/${name}` }).toString();
  let replicaUrl = '';
  let dataDir = '';
  let started = false;
  let platform: Platform | undefined;
  let replicationRefused: string | undefined;

  before(async () => {
    const admin = new pg.Client({ connectionString: base.toString() });
    await admin.connect();
    try {
      const rules = await admin.query(`SELECT count(*)::int AS n FROM pg_hba_file_rules WHERE 'replication' = ANY (database)`);
      if (rules.rows[0]?.n === 0) {
        replicationRefused = 'pg_hba.conf allows no replication connections: run scripts/enable-local-replication.sh';
        return;
      }
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    dataDir = mkdtempSync(join(tmpdir(), 'gw-replica-'));
    chmodSync(dataDir, 0o700);
    execFileSync('chown', ['postgres:postgres', dataDir]);
    const port = await freePort();
    asPostgres(join(bin, 'pg_basebackup'), [
      '-h',
      base.hostname,
      '-p',
      base.port || '5432',
      '-U',
      base.username || 'postgres',
      '-D',
      dataDir,
      '-R', // standby.signal + primary_conninfo: a streaming standby of the test server
      '-X',
      'stream',
      '-c',
      'fast',
    ]);
    // Debian keeps the configuration outside the data directory, so the copy has none: a minimal one (the
    // copied postgresql.auto.conf holds primary_conninfo, written by -R).
    writeFileSync(join(dataDir, 'postgresql.conf'), '');
    writeFileSync(join(dataDir, 'pg_ident.conf'), '');
    writeFileSync(join(dataDir, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
    execFileSync('chown', [
      'postgres:postgres',
      ...['postgresql.conf', 'pg_ident.conf', 'pg_hba.conf'].map((f) => join(dataDir, f)),
    ]);
    asPostgres(join(bin, 'pg_ctl'), [
      '-D',
      dataDir,
      '-l',
      join(dataDir, 'replica.log'),
      '-w',
      '-o',
      // Not the primary's unix socket directory, config or port; no archiving.
      `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dataDir} -c hot_standby=on -c archive_mode=off -c hba_file=${dataDir}/pg_hba.conf -c ident_file=${dataDir}/pg_ident.conf -c config_file=${dataDir}/postgresql.conf -c data_directory=${dataDir}`,
      'start',
    ]);
    started = true;
    replicaUrl = Object.assign(new URL(primaryUrl), { port: String(port) }).toString();
  });

  after(async () => {
    await platform?.close();
    if (started) asPostgres(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    else if (dataDir && existsSync(join(dataDir, 'replica.log')))
      process.stderr.write(readFileSync(join(dataDir, 'replica.log'), 'utf8'));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (!replicationRefused) {
      const admin = new pg.Client({ connectionString: base.toString() });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });

  test('search reads the replica, writes go to the primary, and data written there becomes searchable after replay', async (t) => {
    if (replicationRefused) return t.skip(replicationRefused);
    const loaded = loadConfig({ env: { DATABASE_URL: primaryUrl, DATABASE_READ_URL: replicaUrl }, cwd: '/nonexistent' });
    // Migrations run on the primary; the standby must first replay them.
    const opened = await createPlatform(loaded, { logger: silentLogger });
    platform = opened;
    const db = opened.db;
    const lsn = async () => (await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn;
    const replayed = async (target: string | undefined) =>
      waitFor(async () => {
        const row = (await db.read.query<{ ok: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [target]))
          .rows[0];
        return row?.ok ? true : undefined;
      });

    assert.equal((await db.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r, false);
    assert.equal((await db.read.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r, true, 'reads on a standby');
    assert.match(db.read.location, new RegExp(`:${new URL(replicaUrl).port}/`));
    // The standby has the schema only once it replayed the migrations (else: relation does not exist).
    await replayed(await lsn());
    await assert.rejects(db.read.query(`INSERT INTO sources (id, name, type) VALUES ('x', 'x', 'x')`), /read-only transaction/);

    const caller = { id: 'user:alice', role: 'user' as const, principals: ['group:all'], seesEverything: false };
    await insertDocument(db, { id: 'doc_one', chunks: [{ id: 'chk_one', text: 'Flood damage to the basement is excluded.' }] });
    await replayed(await lsn());
    const first = await opened.retriever.search({ query: 'basement flood', caller });
    assert.deepEqual(
      first.hits.map((hit) => hit.chunkId),
      ['chk_one'],
    );

    // A replica-only observation: with replay paused, a chunk committed on the primary is not found —
    // search does not read the primary.
    await db.read.query('SELECT pg_wal_replay_pause()');
    try {
      await insertDocument(db, { id: 'doc_two', chunks: [{ id: 'chk_two', text: 'Hail damage to the roof is covered.' }] });
      const primaryHas = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM chunks WHERE id = 'chk_two'`);
      assert.equal(primaryHas.rows[0]?.n, 1);
      const paused = await opened.retriever.search({ query: 'hail roof', caller });
      assert.deepEqual(paused.hits, [], 'the standby has not replayed it yet');
    } finally {
      await db.read.query('SELECT pg_wal_replay_resume()');
    }
    await replayed(await lsn());
    const resumed = await opened.retriever.search({ query: 'hail roof', caller });
    assert.deepEqual(
      resumed.hits.map((hit) => hit.chunkId),
      ['chk_two'],
    );
  });
});
