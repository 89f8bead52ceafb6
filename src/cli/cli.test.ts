import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runGroundwork } from '../../test/helpers/run-cli.ts';
import { testDatabaseUrl } from '../../test/helpers/test-platform.ts';

const bin = fileURLToPath(new URL('../../bin/groundwork.js', import.meta.url));

describe('groundwork CLI', () => {
  test('--help lists the commands, global flags and exit codes', async () => {
    const result = await runGroundwork(['--help']);
    assert.equal(result.code, 0);
    for (const text of ['doctor', 'db', '--data-dir', '--database-url', '--config', '--json', '--quiet', 'Exit codes']) {
      assert.ok(result.stdout.includes(text), `help lacks ${text}`);
    }
  });

  test('a reader that closes the pipe early (`--help | head`) ends the CLI quietly, without an EPIPE stack trace', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const child = spawn(process.execPath, [bin, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // like `head` exiting before the help is written
      let stderr = '';
      child.stderr.on('data', (data) => {
        stderr += data;
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(stderr, '');
      assert.equal(code, 0);
    }
  });

  test('--version prints the package version', async () => {
    const result = await runGroundwork(['--version']);
    assert.equal(result.code, 0);
    assert.match(result.stdout.trim(), /^\d+\.\d+\.\d+/);
  });

  test('a wrong flag or command is a usage error (exit 2) with a pointer to --help', async () => {
    const flag = await runGroundwork(['doctor', '--bogus']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option '--bogus'/);
    assert.match(flag.stderr, /--help/);
    const command = await runGroundwork(['frobnicate']);
    assert.equal(command.code, 2);
  });

  test('a malformed config file is a usage error naming the file, with no stack trace', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'gw-cli-'));
    writeFileSync(join(cwd, 'groundwork.config.json'), '{ "server": { "port": "eighty" } ');
    const result = await runGroundwork(['doctor'], { cwd });
    assert.equal(result.code, 1);
    assert.match(result.stdout + result.stderr, /groundwork\.config\.json: is not valid JSON/);
    const db = await runGroundwork(['db', 'migrate'], { cwd });
    assert.equal(db.code, 2);
    assert.match(db.stderr, /groundwork\.config\.json: is not valid JSON/);
    assert.doesNotMatch(db.stderr, /at .*\.ts:\d+/);
  });

  test('an unreachable database is a failure (exit 1) with the fix', async () => {
    const result = await runGroundwork(['db', 'migrate', '--database-url', 'postgres://u:pw@127.0.0.1:1/x', '--json']);
    assert.equal(result.code, 1);
    const body = JSON.parse(result.stdout);
    assert.equal(body.error.code, 'store.unreachable');
    assert.match(body.error.fix, /DATABASE_URL/);
    assert.doesNotMatch(result.stdout + result.stderr, /:pw@/);
  });

  test('db migrate then doctor on a fresh embedded data directory', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'gw-cli-'));
    const migrate = await runGroundwork(['db', 'migrate', '--json', '--data-dir', join(cwd, 'data')], { cwd });
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.ok(JSON.parse(migrate.stdout).applied.length >= 1);
    const doctor = await runGroundwork(['doctor', '--json', '--data-dir', join(cwd, 'data')], { cwd });
    assert.equal(doctor.code, 0, doctor.stderr);
    const report = JSON.parse(doctor.stdout);
    assert.equal(report.ok, true);
    assert.equal(report.store.mode, 'embedded');
    assert.equal(report.store.extensions.pgTextSearch, true);
    assert.deepEqual(report.store.migrations.pending, []);
  });

  test('doctor reports server mode and the portable BM25 path when pg_textsearch is absent', {
    skip: !testDatabaseUrl,
  }, async () => {
    const doctor = await runGroundwork(['doctor', '--json'], { env: { DATABASE_URL: testDatabaseUrl ?? '' } });
    assert.equal(doctor.code, 0, doctor.stderr);
    const report = JSON.parse(doctor.stdout);
    assert.equal(report.store.mode, 'server');
    assert.ok(report.store.extensions.vector);
  });
});
