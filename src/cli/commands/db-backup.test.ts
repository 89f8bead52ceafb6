import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';
import { openStore } from '../../store/index.ts';

// `groundwork db backup|restore` as real processes on embedded data directories.
describe('cli: db backup and restore (embedded store, real process)', () => {
  let dir: string;
  let dataDir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-backup-'));
    dataDir = join(dir, 'data');
    const docs = join(dir, 'docs');
    mkdirSync(docs);
    for (let i = 0; i < 3; i++)
      writeFileSync(join(docs, `note-${i}.md`), `# Note ${i}\n\nWater damage claims are reported within ${i + 1} days.\n`);
    const ingested = await runGroundwork(['--data-dir', dataDir, 'ingest', docs, '--readable-by', 'group:staff']);
    assert.equal(ingested.code, 0, ingested.stderr);
    const key = await runGroundwork(['--data-dir', dataDir, 'keys', 'create', '--role', 'viewer', '--name', 'backup-test']);
    assert.equal(key.code, 0, key.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;

  test('a backup restores into a new data directory with the same documents and keys', async () => {
    const file = join(dir, 'groundwork.backup.tgz');
    const backup = await runGroundwork(['--data-dir', dataDir, 'db', 'backup', file, '--json']);
    assert.equal(backup.code, 0, backup.stderr);
    assert.equal(json(backup.stdout).file, file);
    assert.equal(statSync(file).mode & 0o777, 0o600, 'a backup holds every document: owner only');
    assert.ok(!existsSync(`${file}.partial`));

    const restoredDir = join(dir, 'restored');
    const restore = await runGroundwork(['--data-dir', restoredDir, 'db', 'restore', file]);
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(restore.stdout, /Restored .* into .*restored/);
    for (const args of [
      ['documents', 'list'],
      ['keys', 'list'],
    ]) {
      const original = await runGroundwork(['--data-dir', dataDir, ...args, '--json']);
      const copy = await runGroundwork(['--data-dir', restoredDir, ...args, '--json']);
      assert.equal(copy.code, 0, copy.stderr);
      assert.deepEqual(json(copy.stdout), json(original.stdout), args.join(' '));
    }
    const doctor = await runGroundwork(['--data-dir', restoredDir, 'doctor', '--json']);
    assert.equal(doctor.code, 0, doctor.stdout);
  });

  test('refused: a store in use, a non-empty target, a file that is no backup, server PostgreSQL', async () => {
    const held = await openStore({ dataDir, databaseUrl: undefined });
    try {
      const busy = await runGroundwork(['--data-dir', dataDir, 'db', 'backup', join(dir, 'busy.tgz'), '--json']);
      assert.equal(busy.code, 1);
      assert.equal((json(busy.stdout).error as { code: string }).code, 'store.data_dir_locked');
      assert.ok(!existsSync(join(dir, 'busy.tgz')));
    } finally {
      await held.close();
    }
    const notEmpty = await runGroundwork(['--data-dir', dataDir, 'db', 'restore', join(dir, 'groundwork.backup.tgz'), '--json']);
    assert.equal((json(notEmpty.stdout).error as { code: string }).code, 'store.restore_target_not_empty');

    const garbage = join(dir, 'garbage.tgz');
    writeFileSync(garbage, 'not a backup');
    const target = join(dir, 'from-garbage');
    const failed = await runGroundwork(['--data-dir', target, 'db', 'restore', garbage, '--json']);
    assert.equal(failed.code, 2);
    assert.equal((json(failed.stdout).error as { code: string }).code, 'store.restore_failed');
    assert.ok(!existsSync(target) || readdirSync(target).length === 0, 'a failed restore leaves nothing behind');

    const server = await runGroundwork([
      '--database-url',
      'postgres://groundwork:s3cret@127.0.0.1:1/groundwork',
      'db',
      'backup',
      join(dir, 'server.tgz'),
      '--json',
    ]);
    assert.equal(server.code, 2);
    const error = json(server.stdout).error as { code: string; message: string; fix: string };
    assert.equal(error.code, 'store.backup_server_mode');
    assert.doesNotMatch(error.message, /s3cret/);
    assert.match(error.fix, /pg_dump --format=custom/);
  });
});
