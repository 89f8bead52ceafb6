import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openTestDatabase, testStoreKind } from '../../test/helpers/test-platform.ts';
import { GroundworkError, loadConfig, silentLogger } from '../core/index.ts';
import { createJobQueue } from './index.ts';

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const jobsConfig = (types: Record<string, unknown> = {}) =>
  loadConfig({ env: {}, cwd: '/nonexistent', flags: { jobs: { types, pollingIntervalSeconds: 0.5 } } }).config.jobs;

describe(`job queue (${testStoreKind})`, () => {
  test('validates payloads, runs handlers, retries retryable failures with backoff and dead-letters the rest', async () => {
    const db = await openTestDatabase();
    const config = jobsConfig({ 'sync-source': { retryLimit: 2, retryDelaySeconds: 1, retryBackoff: true } });
    const queue = createJobQueue(db, silentLogger, { config, role: 'worker' });
    try {
      await assert.rejects(
        queue.send('sync-source', { source: '' }),
        (error: GroundworkError) => error.code === 'jobs.invalid_payload',
      );
      const seen: { source: string; retryCount: number; at: number }[] = [];
      await queue.work(
        'sync-source',
        async (data, job) => {
          seen.push({ source: data.source, retryCount: job.retryCount, at: Date.now() });
          if (data.source === 'flaky' && job.retryCount === 0) {
            throw new GroundworkError('ingest.source_unavailable', 'share offline', { isRetryable: true });
          }
          if (data.source === 'offline')
            throw new GroundworkError('ingest.source_unavailable', 'share offline', { isRetryable: true });
          if (data.source === 'missing') throw new GroundworkError('ingest.source_not_found', 'no such source');
          return { ok: data.source };
        },
        { concurrency: 2 },
      );
      const okId = await queue.send('sync-source', { source: 'docs' });
      const missingId = await queue.send('sync-source', { source: 'missing' });
      const flakyId = await queue.send('sync-source', { source: 'flaky' });
      const offlineId = await queue.send('sync-source', { source: 'offline' });
      assert.ok(okId && missingId && flakyId && offlineId);
      await until(async () => (await queue.job('sync-source', okId))?.state === 'completed');
      assert.deepEqual((await queue.find(okId))?.output, { ok: 'docs' });
      // Not retryable: straight to the dead letters, after one attempt.
      await until(async () => (await queue.list({ state: 'dead' })).some((j) => j.failedJobId === missingId));
      assert.equal(seen.filter((s) => s.source === 'missing').length, 1);
      // Retryable once: the second attempt succeeds.
      await until(async () => (await queue.job('sync-source', flakyId))?.state === 'completed');
      // Always failing: 1 + retryLimit attempts, each later than the one before by the backoff, then dead.
      await until(async () => (await queue.list({ state: 'dead' })).some((j) => j.failedJobId === offlineId));
      const attempts = seen.filter((s) => s.source === 'offline');
      assert.deepEqual(
        attempts.map((a) => a.retryCount),
        [0, 1, 2],
      );
      assert.ok((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0) >= 900, 'the first retry waited about retryDelay');
      const dead = (await queue.list({ state: 'dead' })).find((j) => j.failedJobId === offlineId);
      assert.equal(dead?.name, 'sync-source');
      assert.equal(dead?.retryCount, 2);
      assert.equal((dead?.output as { error?: { code?: string } })?.error?.code, 'ingest.source_unavailable');
      assert.equal((await queue.find(offlineId))?.state, 'failed');
      assert.ok((await queue.list({ state: 'failed' })).some((j) => j.id === offlineId));

      // The retry and the caller's audit record are one transaction: when the record fails, nothing was retried.
      await assert.rejects(
        queue.retry(offlineId, {
          inTransaction: async (tx, job) => {
            assert.equal(job.name, 'sync-source');
            await tx.query('SELECT 1 FROM no_such_audit_table');
          },
        }),
      );
      assert.ok(
        (await queue.list({ state: 'dead' })).some((j) => j.failedJobId === offlineId),
        'still dead-lettered',
      );
      assert.equal(seen.filter((s) => s.source === 'offline').length, 3, 'and not run again');

      // Retrying the failed original retries its dead letter: the work runs once more, the dead letter is gone.
      let audited: string | undefined;
      const rerun = await queue.retry(offlineId, {
        inTransaction: async (tx, job) => {
          audited = job.id;
          await tx.query('SELECT 1');
        },
      });
      assert.equal(audited, rerun.id);
      assert.equal(rerun.name, 'sync-source');
      assert.notEqual(rerun.id, offlineId);
      assert.ok(!(await queue.list({ state: 'dead' })).some((j) => j.failedJobId === offlineId));
      await until(async () => seen.filter((s) => s.source === 'offline').length === 4);
      await assert.rejects(queue.retry(okId), (error: GroundworkError) => error.code === 'jobs.not_retryable');

      // A job sent inside a transaction exists only if the transaction commits.
      await assert.rejects(
        queue.send('sync-source', { source: 'docs' }, { tx: db }),
        (error: GroundworkError) => error.code === 'jobs.not_prepared',
      );
      await queue.prepare('sync-source');
      let rolledBack: string | null = null;
      await assert.rejects(
        db.transaction(async (tx) => {
          rolledBack = await queue.send('sync-source', { source: 'rolled-back' }, { tx });
          throw new Error('the write failed');
        }),
      );
      assert.ok(rolledBack);
      assert.equal(await queue.find(rolledBack), undefined, 'rolled back with the write');
      const committed = await db.transaction((tx) => queue.send('sync-source', { source: 'committed' }, { tx }));
      assert.ok(committed);
      await until(async () => (await queue.job('sync-source', committed))?.state === 'completed');
      assert.equal(seen.filter((s) => s.source === 'rolled-back').length, 0);
      await assert.rejects(queue.retry('not-a-job'), (error: GroundworkError) => error.code === 'jobs.not_found');
    } finally {
      await queue.stop({ timeoutMs: 5_000 });
      await db.query(`DROP SCHEMA IF EXISTS ${db.schema}_jobs CASCADE`).catch(() => {});
      await db.close();
    }
  });

  test('a bad cron is refused with jobs.invalid_schedule; schedules are keyed and replaced', async () => {
    const db = await openTestDatabase();
    const queue = createJobQueue(db, silentLogger, { config: jobsConfig() });
    try {
      for (const cron of ['every day', '61 * * * *', '* * * *', '']) {
        assert.throws(
          () => queue.assertCron(cron),
          (error: GroundworkError) => error.code === 'jobs.invalid_schedule' && /five fields/.test(error.fix ?? ''),
        );
      }
      await queue.schedule('sync-source', 'src_a', '0 2 * * *', { source: 'src_a', trigger: 'schedule' });
      await queue.schedule('sync-source', 'src_a', '*/5 * * * *', { source: 'src_a', trigger: 'schedule' });
      assert.deepEqual(
        (await queue.schedules('sync-source')).map((s) => [s.key, s.cron]),
        [['src_a', '*/5 * * * *']],
      );
      await queue.unschedule('sync-source', 'src_a');
      assert.deepEqual(await queue.schedules('sync-source'), []);
      await assert.rejects(
        queue.schedule('sync-source', 'x', 'nope', { source: 'x' }),
        (error: GroundworkError) => error.code === 'jobs.invalid_schedule',
      );
    } finally {
      await queue.stop({ timeoutMs: 5_000 });
      await db.query(`DROP SCHEMA IF EXISTS ${db.schema}_jobs CASCADE`).catch(() => {});
      await db.close();
    }
  });
});
