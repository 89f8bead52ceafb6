import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';
import { testDatabaseUrl } from '../../../test/helpers/test-platform.ts';

const bin = fileURLToPath(new URL('../../../bin/groundwork.js', import.meta.url));

/** `groundwork serve --json …` as a process; resolves once it prints its URL (every API process listens). */
function serve(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--json', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', GROUNDWORK_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 60_000);
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    child.stdout?.on('data', (d) => {
      stdout += d;
      try {
        const { url } = JSON.parse(stdout) as { url: string };
        clearTimeout(timer);
        resolve({ child, url });
      } catch {
        // not complete yet
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${stdout}${stderr}`));
    });
  });
}

/** One request on its own connection (the primary hands each connection to the next API process). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close', ...headers } }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    if (child.exitCode !== null) resolve(child.exitCode);
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('groundwork serve --processes', () => {
  test('refuses several processes on the embedded store, with the fix', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-processes-'));
    const result = await runGroundwork(['--data-dir', dataDir, 'serve', '--processes', '2', '--port', '0', '--json']);
    assert.equal(result.code, 2, result.stderr);
    const { error } = JSON.parse(result.stdout) as { error: { code: string; fix: string } };
    assert.equal(error.code, 'serve.processes_embedded');
    assert.match(error.fix, /DATABASE_URL/);
    const bad = await runGroundwork(['--data-dir', dataDir, 'serve', '--processes', 'many', '--json']);
    assert.equal(bad.code, 2);
    assert.equal((JSON.parse(bad.stdout) as { error: { code: string } }).error.code, 'serve.bad_processes');
  });
});

// Server PostgreSQL only (the embedded store is one process). Each run gets its own database: the
// processes use its public schema.
describe('groundwork serve --processes on server PostgreSQL', {
  skip: testDatabaseUrl ? false : 'needs GROUNDWORK_TEST_DATABASE_URL',
}, () => {
  const base = new URL(testDatabaseUrl ?? 'postgres://localhost/none');
  const name = `${base.pathname.slice(1)}_procs_${randomBytes(4).toString('hex')}`;
  const databaseUrl = Object.assign(new URL(base), { pathname: `/${name}` }).toString();
  const admin = () => new pg.Client({ connectionString: base.toString() });
  before(async () => {
    const client = admin();
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`);
    await client.end();
  });
  after(async () => {
    const client = admin();
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });

  test('two processes share one rate limit; a crashed process is replaced; SIGTERM stops all', async () => {
    const { child, url } = await serve(['--processes', '2'], {
      DATABASE_URL: databaseUrl,
      GROUNDWORK_SERVER__RATE_LIMIT__REQUESTS_PER_SECOND: '0.05',
      GROUNDWORK_SERVER__RATE_LIMIT__BURST: '4',
    });
    try {
      const pid = child.pid as number;
      assert.equal(childrenOf(pid).length, 2, 'two API processes');
      assert.equal((await get(`${url}/readyz`)).status, 200);
      // Ten connections, alternating between the processes: the caller's burst of 4 holds in total.
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await get(`${url}/v1/me`)).status);
      assert.equal(statuses.filter((s) => s === 200).length, 4, `statuses: ${statuses.join(',')}`);
      assert.equal(statuses.filter((s) => s === 429).length, 6);

      const [victim] = childrenOf(pid);
      process.kill(victim as number, 'SIGKILL');
      const replaced = await waitFor(() => {
        const now = childrenOf(pid);
        return now.length === 2 && !now.includes(victim as number) ? now : undefined;
      });
      assert.equal(replaced.length, 2);
      // Both serve: every connection of a run of them is answered.
      await waitFor(async () => ((await get(`${url}/readyz`)).status === 200 ? true : undefined));
      for (let i = 0; i < 6; i++) assert.equal((await get(`${url}/healthz`)).status, 200);

      const children = childrenOf(pid);
      assert.equal(await stop(child), 0);
      for (const c of children) assert.throws(() => process.kill(c, 0), 'every API process has exited');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('a key created by another process makes every API process require authentication at once', async () => {
    const { child, url } = await serve(['--processes', '2'], {
      DATABASE_URL: databaseUrl,
      GROUNDWORK_SERVER__RATE_LIMIT__REQUESTS_PER_SECOND: '0',
    });
    try {
      // No key yet: loopback requests act as the operator, in both processes (each caches that answer).
      for (let i = 0; i < 4; i++) assert.equal((await get(`${url}/v1/me`)).status, 200);
      const created = await runGroundwork([
        '--database-url',
        databaseUrl,
        'keys',
        'create',
        '--admin',
        '--name',
        'first',
        '--json',
      ]);
      assert.equal(created.code, 0, created.stderr);
      const { token } = JSON.parse(created.stdout) as { token: string };
      // Without the notification each process would keep its cached "no keys" for up to 5 s.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await get(`${url}/v1/me`)).status);
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401]);
      assert.equal((await get(`${url}/v1/me`, { authorization: `Bearer ${token}` })).status, 200);
      assert.equal(await stop(child), 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
