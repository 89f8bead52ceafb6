import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openTestDatabase, testStoreKind } from '../../test/helpers/test-platform.ts';
import { GroundworkError, silentLogger } from '../core/index.ts';
import { createJobQueue } from './index.ts';

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe(`job queue (${testStoreKind})`, () => {
  test('validates payloads, runs handlers, retries retryable failures and settles non-retryable ones', async () => {
    const db = await openTestDatabase();
    const queue = createJobQueue(db, silentLogger);
    try {
      await assert.rejects(
        queue.send('sync-source', { source: '' }),
        (error: GroundworkError) => error.code === 'jobs.invalid_payload',
      );
      const seen: { source: string; retryCount: number }[] = [];
      await queue.work(
        'sync-source',
        async (data, job) => {
          seen.push({ source: data.source, retryCount: job.retryCount });
          if (data.source === 'flaky' && job.retryCount === 0) {
            throw new GroundworkError('ingest.source_unavailable', 'share offline', { isRetryable: true });
          }
          if (data.source === 'missing') throw new GroundworkError('ingest.source_not_found', 'no such source');
          return { ok: data.source };
        },
        { pollingIntervalSeconds: 0.5 },
      );
      const okId = await queue.send('sync-source', { source: 'docs' });
      const missingId = await queue.send('sync-source', { source: 'missing' });
      assert.ok(okId && missingId);
      await until(async () => (await queue.job('sync-source', okId))?.state === 'completed');
      const missing = await (async () => {
        await until(async () => (await queue.job('sync-source', missingId))?.state === 'completed');
        return queue.job('sync-source', missingId);
      })();
      assert.deepEqual((missing?.output as { error?: { code: string } } | undefined)?.error?.code, 'ingest.source_not_found');
      assert.equal(missing?.retryCount, 0);
      assert.equal(seen.find((s) => s.source === 'docs')?.retryCount, 0);
      // A retryable failure is retried later with backoff (state `retry`), not dropped.
      const flakyId = await queue.send('sync-source', { source: 'flaky' });
      assert.ok(flakyId);
      await until(async () => (await queue.job('sync-source', flakyId))?.state === 'retry');
      assert.equal(await queue.pending('sync-source'), 1);
    } finally {
      await queue.stop({ timeoutMs: 5_000 });
      await db.query(`DROP SCHEMA IF EXISTS ${db.schema}_jobs CASCADE`).catch(() => {});
      await db.close();
    }
  });
});
