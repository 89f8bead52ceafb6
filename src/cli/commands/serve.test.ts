import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';

const bin = fileURLToPath(new URL('../../../bin/groundwork.js', import.meta.url));

/** Starts `groundwork serve --json` and resolves with its URL once it listens. */
function serve(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args, 'serve', '--port', '0', '--json'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 60_000);
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.on('data', (d) => {
      stdout += d;
      try {
        const { url } = JSON.parse(stdout) as { url: string };
        clearTimeout(timer);
        resolve({ child, url, stderr: () => stderr });
      } catch {
        // not complete yet
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${stderr}`));
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('groundwork serve, keys and audit (as processes)', () => {
  test('keys and audit on the store; serve refuses 0.0.0.0 without keys; --server routes the CLI through the API', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-serve-'));
    const globals = ['--data-dir', dataDir];

    const refused = await runGroundwork([...globals, 'serve', '--host', '0.0.0.0', '--port', '0']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /Refusing to listen on 0\.0\.0\.0/);
    assert.match(refused.stderr, /keys create --admin/);

    const created = await runGroundwork([...globals, 'keys', 'create', '--admin', '--name', 'ops', '--json']);
    assert.equal(created.code, 0, created.stderr);
    const { token, key } = JSON.parse(created.stdout) as { token: string; key: { id: string; role: string } };
    assert.equal(key.role, 'admin');
    const human = await runGroundwork([
      ...globals,
      'keys',
      'create',
      '--role',
      'viewer',
      '--principals',
      'group:claims',
      '--expires',
      '30',
    ]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /shown once/);
    const bad = await runGroundwork([...globals, 'keys', 'create', '--role', 'emperor']);
    assert.equal(bad.code, 2);

    const corpus = mkdtempSync(join(tmpdir(), 'gw-serve-corpus-'));
    mkdirSync(join(corpus, 'docs'));
    writeFileSync(
      join(corpus, 'docs', 'flood.txt'),
      'Flood claims need photos of the water damage and an adjuster report within 30 days.\n',
    );
    writeFileSync(join(corpus, 'acl.yaml'), 'default: [group:claims]\n');
    const ingested = await runGroundwork([
      ...globals,
      'ingest',
      join(corpus, 'docs'),
      '--source',
      'claims',
      '--acl-map',
      join(corpus, 'acl.yaml'),
    ]);
    assert.equal(ingested.code, 0, ingested.stderr);
    const reader = JSON.parse(
      (
        await runGroundwork([
          ...globals,
          'keys',
          'create',
          '--role',
          'user',
          '--principals',
          'user:ann@x.test,group:claims',
          '--json',
        ])
      ).stdout,
    ) as { token: string };

    const listed = await runGroundwork([...globals, 'keys', 'list']);
    assert.match(listed.stdout, new RegExp(key.id));
    assert.ok(!listed.stdout.includes(token.slice(16)));

    const server = await serve(globals);
    try {
      const env = { GROUNDWORK_API_KEY: token };
      const viaApi = await runGroundwork(['--server', server.url, 'keys', 'list', '--json'], { env });
      assert.equal(viaApi.code, 0, viaApi.stderr);
      assert.equal((JSON.parse(viaApi.stdout) as { keys: unknown[] }).keys.length, 3);
      const asReader = { GROUNDWORK_API_KEY: reader.token };
      const search = await runGroundwork(['--server', server.url, '--json', 'search', 'flood', 'photos'], { env: asReader });
      assert.equal(search.code, 0, search.stderr);
      assert.equal((JSON.parse(search.stdout) as { hits: Array<{ uri: string }> }).hits.length, 1);
      const ask = await runGroundwork(['--server', server.url, '--json', 'ask', 'What do flood claims need?'], { env: asReader });
      assert.equal(ask.code, 0, ask.stderr);
      assert.ok((JSON.parse(ask.stdout) as { citations: unknown[] }).citations.length > 0);
      const sources = await runGroundwork(['--server', server.url, '--json', 'sources', 'list'], { env: asReader });
      assert.equal((JSON.parse(sources.stdout) as { sources: Array<{ name: string; path: string }> }).sources[0]?.path, '');
      const status = await runGroundwork(['--server', server.url, 'status'], { env: asReader });
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /claims \(filesystem\)/);
      const readerKeys = await runGroundwork(['--server', server.url, 'keys', 'list'], { env: asReader });
      assert.equal(readerKeys.code, 1);
      assert.match(readerKeys.stderr, /auth\.forbidden/);

      const unauthenticated = await runGroundwork(['--server', server.url, 'keys', 'list']);
      assert.equal(unauthenticated.code, 1);
      assert.match(unauthenticated.stderr, /auth\.missing/);
      const revoked = await runGroundwork(['--server', server.url, 'keys', 'revoke', key.id], { env });
      assert.equal(revoked.code, 0, revoked.stderr);
      const afterRevoke = await runGroundwork(['--server', server.url, 'audit', 'verify'], { env });
      assert.equal(afterRevoke.code, 1);
      assert.match(afterRevoke.stderr, /auth\.invalid_key/);
    } finally {
      assert.equal(await stop(server.child), 0, server.stderr());
    }

    const audit = await runGroundwork([...globals, 'audit', 'list', '--json']);
    const actions = (JSON.parse(audit.stdout) as { entries: Array<{ action: string; actor: string }> }).entries.map(
      (e) => e.action,
    );
    // Newest first. The local operator's governed changes (the admin key, the ingested source) apply directly
    // and are audited as such (`change.direct`, governance.localOperator: direct); the CLI's ingest is audited too.
    assert.deepEqual(actions, [
      'key.revoke',
      'access.denied',
      'key.create',
      'change.direct',
      'source.create',
      'key.create',
      'change.direct',
      'key.create',
    ]);
    const verified = await runGroundwork([...globals, 'audit', 'verify']);
    assert.equal(verified.code, 0);
    assert.match(verified.stdout, /intact: 8 entries/);
  });

  test('serve on a taken port fails at once (exit 2, server.port_in_use, fix --port) before preparing indexes', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = blocker.address() as AddressInfo;
      const dataDir = mkdtempSync(join(tmpdir(), 'gw-serve-port-'));
      const result = await runGroundwork(['--data-dir', dataDir, 'serve', '--port', String(port)]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use`));
      assert.match(result.stderr, /--port/);
      assert.match(result.stderr, /server\.port_in_use/);
      assert.doesNotMatch(result.stderr, /preparing retrieval indexes|This is a bug|at .*\.ts:\d+/);
    } finally {
      blocker.close();
    }
  });

  test('a demo does not wipe the data directory of a running Groundwork process (the data-dir lock holds)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-serve-demo-lock-'));
    // As an earlier `groundwork demo` leaves it: its marker, then a process serving from the directory.
    writeFileSync(join(dataDir, '.groundwork-demo'), 'Created by `groundwork demo`\n');
    const server = await serve(['--data-dir', dataDir]);
    try {
      const demo = await runGroundwork(['demo', '--no-serve', '--data-dir', dataDir]);
      assert.equal(demo.code, 1, demo.stderr);
      assert.match(demo.stderr, /store\.data_dir_locked/);
      assert.match(demo.stderr, /in use by another Groundwork process \(pid \d+/);
      assert.ok(existsSync(join(dataDir, 'pgdata')), 'the running store was not touched');
      const health = await fetch(`${server.url}/readyz`);
      assert.equal(health.status, 200);
    } finally {
      assert.equal(await stop(server.child), 0, server.stderr());
    }
  });
});
