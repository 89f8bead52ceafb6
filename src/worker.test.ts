import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../test/helpers/test-platform.ts';
import type { Platform } from './create-platform.ts';
import { addSource } from './ingest/index.ts';
import { applySourceSchedule, startWorker, type WorkerJobHandler } from './worker.ts';

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    });
  });

async function withPlatform(config: Record<string, unknown>, run: (platform: Platform) => Promise<void>): Promise<void> {
  const platform = await createTestPlatform({ jobs: { pollingIntervalSeconds: 0.5, ...config } });
  try {
    await run(platform);
  } finally {
    await platform.jobs.stop();
    await platform.db.query(`DROP SCHEMA IF EXISTS ${platform.db.schema}_jobs CASCADE`).catch(() => {});
    await platform.close();
  }
}

describe(`worker (${testStoreKind})`, () => {
  test('per-type concurrency is honoured: never more jobs of a type at once than configured, and that many', async () => {
    await withPlatform({ types: { 'sync-source': { concurrency: 3 } } }, async (platform) => {
      let active = 0;
      let peak = 0;
      let done = 0;
      const handler: WorkerJobHandler<'sync-source'> = async () => {
        active += 1;
        peak = Math.max(peak, active);
        await sleep(400);
        active -= 1;
        done += 1;
        return { ok: true };
      };
      const worker = await startWorker(platform, { only: ['sync-source'], handlers: { 'sync-source': handler } });
      try {
        for (let i = 0; i < 9; i++) await platform.jobs.send('sync-source', { source: `s${i}` });
        await until(() => done === 9);
        assert.equal(peak, 3, 'jobs.types.sync-source.concurrency 3');
      } finally {
        await worker.stop({ timeoutMs: 5000 });
      }
      // A flag beats the configuration (`groundwork worker --concurrency sync-source=1`).
      peak = 0;
      done = 0;
      const one = await startWorker(platform, {
        only: ['sync-source'],
        handlers: { 'sync-source': handler },
        concurrency: { 'sync-source': 1 },
      });
      try {
        for (let i = 0; i < 3; i++) await platform.jobs.send('sync-source', { source: `t${i}` });
        await until(() => done === 3);
        assert.equal(peak, 1);
      } finally {
        await one.stop({ timeoutMs: 5000 });
      }
    });
  });

  test('graceful shutdown: no new jobs are fetched, a running job finishes within the timeout, one past it is released for a retry', async () => {
    await withPlatform({ types: { 'sync-source': { concurrency: 1, retryDelaySeconds: 0 } } }, async (platform) => {
      const started: string[] = [];
      let aborted = 0;
      const handler: WorkerJobHandler<'sync-source'> = async (_platform, data, job) => {
        started.push(data.source);
        try {
          await sleep(data.source === 'slow' ? 60_000 : 1500, job.signal);
        } catch (error) {
          aborted += 1;
          throw error;
        }
        return { finished: data.source };
      };
      // 1. A job that finishes within the timeout completes; the queued one behind it is left for later.
      let worker = await startWorker(platform, { handlers: { 'sync-source': handler } });
      const first = (await platform.jobs.send('sync-source', { source: 'quick' })) as string;
      const second = (await platform.jobs.send('sync-source', { source: 'next' })) as string;
      await until(() => started.length === 1);
      await worker.stop({ timeoutMs: 10_000 });
      assert.equal((await platform.jobs.find(first))?.state, 'completed');
      assert.deepEqual((await platform.jobs.find(first))?.output, { finished: 'quick' });
      assert.equal((await platform.jobs.find(second))?.state, 'created', 'not fetched after the stop began');
      assert.deepEqual(started, ['quick']);

      // 2. A job still running when the timeout ends is aborted and released: failed, to be retried.
      worker = await startWorker(platform, { handlers: { 'sync-source': handler } });
      await until(() => started.length === 2);
      await worker.stop({ timeoutMs: 5000 });
      assert.equal((await platform.jobs.find(second))?.state, 'completed');
      const slow = (await platform.jobs.send('sync-source', { source: 'slow' })) as string;
      worker = await startWorker(platform, { handlers: { 'sync-source': handler } });
      await until(() => started.includes('slow'));
      const stopping = performance.now();
      await worker.stop({ timeoutMs: 1500 });
      assert.ok(performance.now() - stopping < 10_000, 'stop returned after the timeout, not after the job');
      assert.equal(aborted, 1, "the job's signal was aborted");
      const released = await platform.jobs.find(slow);
      assert.equal(released?.state, 'retry');
      assert.equal(released?.retryCount, 0);
      // The next worker picks it up again (attempt 2).
      worker = await startWorker(platform, { handlers: { 'sync-source': async () => ({ again: true }) } });
      try {
        await until(async () => (await platform.jobs.find(slow))?.state === 'completed');
        assert.equal((await platform.jobs.find(slow))?.retryCount, 1);
      } finally {
        await worker.stop({ timeoutMs: 5000 });
      }
    });
  });

  test('a per-source schedule is sent by the cron pass once per occurrence although two workers run', {
    timeout: 180_000,
  }, async () => {
    await withPlatform({ cronIntervalSeconds: 1, maintenanceIntervalSeconds: 1 }, async (platform) => {
      const folder = await mkdtemp(join(tmpdir(), 'gw-sched-'));
      const source = await addSource(platform.db, { name: 'nightly', type: 'filesystem', path: folder });
      // Every minute (cron has minute resolution); the record on the source is what workers reconcile from.
      await applySourceSchedule(platform, 'nightly', '* * * * *');
      const runs: Array<{ worker: string; source: string; trigger: string }> = [];
      const handlerFor =
        (name: string): WorkerJobHandler<'sync-source'> =>
        async (_platform, data) => {
          runs.push({ worker: name, source: data.source, trigger: data.trigger });
          return { ok: true };
        };
      const a = await startWorker(platform, { only: ['sync-source'], handlers: { 'sync-source': handlerFor('a') } });
      const b = await startWorker(platform, { only: ['sync-source'], handlers: { 'sync-source': handlerFor('b') } });
      try {
        // Two occurrences: the first minute boundary after the start and the next one.
        await until(() => runs.length >= 2, 150_000);
        await sleep(5000);
        assert.equal(runs.length, 2, `one job per occurrence: ${JSON.stringify(runs)}`);
        assert.ok(runs.every((r) => r.source === source.id && r.trigger === 'schedule'));
        const sent = await platform.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${platform.db.schema}_jobs.job WHERE name = 'sync-source'`,
        );
        assert.equal(sent.rows[0]?.n, 2);
        // Clearing the schedule removes it from the queue.
        await applySourceSchedule(platform, 'nightly', null);
        assert.deepEqual(await platform.jobs.schedules('sync-source'), []);
      } finally {
        await Promise.all([a.stop({ timeoutMs: 5000 }), b.stop({ timeoutMs: 5000 })]);
      }
    });
  });
});
