/**
 * Background work in real processes on loopback: an API-started sync is done by a separate `groundwork worker`
 * (server PostgreSQL) or by `serve`'s in-process worker (the embedded store, one process); a worker killed
 * with SIGKILL mid-job leaves the job to be retried and the sync finishes with nothing lost or duplicated
 * (the crash-safety check); a job failing N times lands in the dead letters, listed and retried by the CLI.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { assertIndexEqualsCleanIngest, expectedChunks, generateCorpus, groundworkBin } from '../test/helpers/crash-corpus.ts';
import { runGroundwork } from '../test/helpers/run-cli.ts';
import { testDatabaseUrl, testStoreKind } from '../test/helpers/test-platform.ts';
import { silentLogger } from './core/index.ts';
import { openStore } from './store/index.ts';

const fileCount = 400;

interface Running {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout+stderr satisfy `check`. */
  waitFor(check: (out: string) => boolean, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then the exit code (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[], cwd: string): Running {
  const child = spawn(process.execPath, [groundworkBin, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: cwd },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    pid: child.pid as number,
    stdout: () => stdout,
    stderr: () => stderr,
    async waitFor(check, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (!check(stdout + stderr)) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`groundwork ${args.join(' ')} exited (${child.exitCode}):\n${stderr}${stdout}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting on groundwork ${args.join(' ')}:\n${stderr}${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop(timeoutMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const { code } = await exit;
      clearTimeout(timer);
      return code;
    },
    exited: () => exit,
  };
}

async function startServe(store: string[], cwd: string): Promise<{ process: Running; url: string }> {
  const serve = start([...store, 'serve', '--port', '0', '--json'], cwd);
  let url = '';
  await serve.waitFor(() => {
    try {
      url = (JSON.parse(serve.stdout()) as { url: string }).url;
      return true;
    } catch {
      return false;
    }
  }, 180_000);
  return { process: serve, url };
}

async function json<T>(response: Response | Promise<Response>): Promise<T> {
  const r = await response;
  const text = await r.text();
  assert.ok(r.ok, `${r.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface JobBody {
  id: string;
  state: string;
  retryCount: number;
  name: string;
  failedJobId: string | null;
}

/** A fresh store for one test: a new database on the test server, or a data directory. */
async function freshStore(work: string): Promise<{ store: string[]; url?: string; drop(): Promise<void> }> {
  if (!testDatabaseUrl) return { store: ['--data-dir', join(work, 'data')], drop: async () => {} };
  const name = `gw_worker_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  return {
    store: ['--database-url', url.href],
    url: url.href,
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.end();
    },
  };
}

// Quick failure detection for the test: heartbeats every 5 s (a dead worker's job fails after 10 s),
// maintenance every second, retries after a second.
const config = {
  server: { rateLimit: { requestsPerSecond: 0 } },
  jobs: {
    pollingIntervalSeconds: 0.5,
    maintenanceIntervalSeconds: 1,
    shutdownTimeoutSeconds: 20,
    types: { 'sync-source': { heartbeatSeconds: 10, retryDelaySeconds: 1, retryLimit: 3 } },
  },
};

describe(`background work in real processes (${testStoreKind})`, () => {
  test('an API-started sync runs in a worker process; a worker killed mid-job leaves the job to be retried and nothing is lost or duplicated', {
    timeout: 600_000,
  }, async (t) => {
    const work = await mkdtemp(join(tmpdir(), 'gw-worker-'));
    const corpus = join(work, 'corpus');
    const refs = await generateCorpus(corpus, fileCount);
    await writeFile(join(work, 'groundwork.config.json'), JSON.stringify(config));
    const { store, url: databaseUrl, drop } = await freshStore(work);
    const running: Running[] = [];
    try {
      const expected = await expectedChunks(corpus, refs, work);
      const added = await runGroundwork([...store, 'sources', 'add', 'crash', '--path', corpus], {
        cwd: work,
        timeoutMs: 180_000,
      });
      assert.equal(added.code, 0, added.stderr);

      const serve = await startServe(store, work);
      running.push(serve.process);
      // Server mode: the API process runs no jobs; a separate worker does. Embedded: serve's own worker.
      let workerA: Running | undefined;
      if (databaseUrl) {
        workerA = start([...store, 'worker'], work);
        running.push(workerA);
        await workerA.waitFor((out) => out.includes('worker started'));
      }
      const killed = workerA ?? serve.process;

      const queued = await fetch(`${serve.url}/v1/sources/crash/sync`, { method: 'POST' });
      assert.equal(queued.status, 202);
      const { jobId } = (await queued.json()) as { jobId: string };
      // Kill the process doing the job once it is mid-sync (some documents written, not all).
      const progress = await until(
        async () => {
          const status = await json<{ documents: number; running: unknown }>(fetch(`${serve.url}/v1/sources/crash/status`));
          return status.documents >= 20 ? status.documents : undefined;
        },
        180_000,
        'the sync to write documents',
      );
      killed.child.kill('SIGKILL');
      assert.equal((await killed.exited()).signal, 'SIGKILL');
      t.diagnostic(`killed pid ${killed.pid} after ${progress} of ${fileCount} documents`);

      // The job is still `active`, held by a dead worker: the next worker's maintenance fails it once its
      // heartbeat is overdue, and it is retried.
      let api = serve.url;
      let workerB: Running;
      if (databaseUrl) {
        const stillActive = await json<JobBody>(fetch(`${api}/v1/jobs/${jobId}`));
        assert.equal(stillActive.state, 'active', 'killed mid-job');
        workerB = start([...store, 'worker'], work);
      } else {
        const again = await startServe(store, work);
        api = again.url;
        workerB = again.process;
      }
      running.push(workerB);
      const done = await until(
        async () => {
          const job = await json<JobBody>(fetch(`${api}/v1/jobs/${jobId}`));
          return job.state === 'completed' ? job : undefined;
        },
        300_000,
        'the retried job to complete',
      );
      assert.ok(done.retryCount >= 1, `the job ran again (attempt ${done.retryCount + 1})`);

      for (const process of running) assert.equal(await process.stop(), killed === process ? null : 0, 'graceful exit');
      const db = await openStore(
        { dataDir: join(work, 'data'), ...(databaseUrl ? { databaseUrl } : {}) },
        { logger: silentLogger, migrate: false },
      );
      try {
        const { runsByStatus } = await assertIndexEqualsCleanIngest(db, refs, expected);
        assert.equal(runsByStatus.interrupted, 1, "the killed worker's run is marked interrupted");
        const pids = await db.query<{ pid: number; status: string; trigger: string }>(
          'SELECT pid, status, trigger FROM sync_runs ORDER BY started_at',
        );
        assert.deepEqual(
          pids.rows.map((r) => [r.pid, r.status, r.trigger]),
          [
            [killed.pid, 'interrupted', 'api'],
            [workerB.pid, 'succeeded', 'api'],
          ],
          'the syncs ran in the worker processes (never in the API process in server mode)',
        );
        if (databaseUrl) assert.ok(!pids.rows.some((r) => r.pid === serve.process.pid));
      } finally {
        await db.close();
      }
    } finally {
      for (const process of running) await process.stop(5000).catch(() => {});
      await drop();
      await rm(work, { recursive: true, force: true });
    }
  });

  test('a job failing N times lands in the dead letters: `groundwork jobs list --state dead` shows it, `jobs retry` runs it again', {
    timeout: 300_000,
  }, async () => {
    const work = await mkdtemp(join(tmpdir(), 'gw-dead-'));
    const folder = join(work, 'share');
    await mkdir(folder);
    await writeFile(join(folder, 'a.md'), '# A\n\nSome text.\n');
    await writeFile(
      join(work, 'groundwork.config.json'),
      JSON.stringify({ jobs: { ...config.jobs, types: { 'sync-source': { retryLimit: 2, retryDelaySeconds: 1 } } } }),
    );
    const { store, drop } = await freshStore(work);
    const cli = (args: string[]) => runGroundwork([...store, ...args], { cwd: work, timeoutMs: 180_000 });
    try {
      assert.equal((await cli(['sources', 'add', 'share', '--path', folder])).code, 0);
      await rm(folder, { recursive: true });
      const enqueued = await cli(['sync', 'share', '--enqueue', '--json']);
      assert.equal(enqueued.code, 0, enqueued.stderr);
      const jobId = (JSON.parse(enqueued.stdout) as { enqueued: Array<{ jobId: string }> }).enqueued[0]?.jobId;
      assert.ok(jobId);
      const worker = start([...store, 'worker'], work);
      // 1 + retryLimit attempts, each ingest.source_unavailable (the share is gone), then dead.
      await worker.waitFor(
        (out) => (out.match(/\(sync-source, attempt \d\): failed \[ingest\.source_unavailable\]/g) ?? []).length === 3,
        120_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(await worker.stop(), 0);
      const listed = await cli(['jobs', 'list', '--state', 'dead', '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      const dead = (JSON.parse(listed.stdout) as { jobs: JobBody[] }).jobs;
      assert.equal(dead.length, 1);
      assert.equal(dead[0]?.failedJobId, jobId);
      assert.equal(dead[0]?.name, 'sync-source');
      assert.equal(dead[0]?.retryCount, 2);
      const human = await cli(['jobs', 'list', '--state', 'dead']);
      assert.match(human.stdout, /sync-source\s+dead\s+3\/3\s+\S+\s+ingest\.source_unavailable/);
      assert.equal((await cli(['jobs', 'list', '--state', 'nope'])).code, 2);

      // The share is back: retrying the dead letter syncs it.
      await mkdir(folder);
      await writeFile(join(folder, 'a.md'), '# A\n\nSome text.\n');
      const retried = await cli(['jobs', 'retry', dead[0]?.id as string, '--json']);
      assert.equal(retried.code, 0, retried.stderr);
      const rerun = JSON.parse(retried.stdout) as JobBody;
      assert.equal(rerun.state, 'created');
      // The local operator's retry is audited like the API's.
      const audited = await cli(['audit', 'list', '--action', 'job.retry', '--json']);
      assert.equal(audited.code, 0, audited.stderr);
      assert.match(audited.stdout, new RegExp(`job:${dead[0]?.id}`));
      const again = await cli(['jobs', 'retry', dead[0]?.id as string]);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /jobs\.not_found|jobs\.not_retryable/);
      const second = start([...store, 'worker', '--only', 'sync-source', '--concurrency', '1'], work);
      await second.waitFor((out) => out.includes(`job ${rerun.id} (sync-source, attempt 1): completed`), 120_000);
      assert.equal(await second.stop(), 0);
      const empty = await cli(['jobs', 'list', '--state', 'dead', '--json']);
      assert.deepEqual((JSON.parse(empty.stdout) as { jobs: unknown[] }).jobs, []);
      const status = await cli(['status', '--json']);
      assert.match(status.stdout, /"documents": 1/);
      assert.equal((await cli(['worker', '--only', 'nope'])).code, 2, 'unknown job type refused');
    } finally {
      await drop();
      await rm(work, { recursive: true, force: true });
    }
  });
});
