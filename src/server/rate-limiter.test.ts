import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openTestDatabase, testStoreKind } from '../../test/helpers/test-platform.ts';
import type { Database } from '../store/index.ts';
import { createRateLimiter, createSharedRateLimiter } from './rate-limiter.ts';

describe(`rate limiter (${testStoreKind})`, () => {
  let db: Database;
  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => {
    await db.close();
  });

  test('two limiters on one database (two processes) enforce one bucket per key', async () => {
    const first = createSharedRateLimiter(db, { requestsPerSecond: 0.5, burst: 3 });
    const second = createSharedRateLimiter(db, { requestsPerSecond: 0.5, burst: 3 });
    const decisions = [];
    for (let i = 0; i < 6; i++) decisions.push(await (i % 2 === 0 ? first : second).take('caller:alice'));
    assert.deepEqual(
      decisions.map((d) => d.allowed),
      [true, true, true, false, false, false],
      'burst 3 in total, not 3 per process',
    );
    assert.ok((decisions[3]?.retryAfterSeconds ?? 0) >= 1 && (decisions[3]?.retryAfterSeconds ?? 0) <= 2);
    assert.equal((await first.take('caller:bob')).allowed, true, 'keys are independent');
  });

  test('concurrent takes are atomic: exactly `burst` of 20 simultaneous requests pass', async () => {
    const limiter = createSharedRateLimiter(db, { requestsPerSecond: 0.01, burst: 5 });
    const results = await Promise.all(Array.from({ length: 20 }, () => limiter.take('caller:burst')));
    assert.equal(results.filter((r) => r.allowed).length, 5);
  });

  test('tokens refill at the configured rate (database clock)', async () => {
    const limiter = createSharedRateLimiter(db, { requestsPerSecond: 20, burst: 1 });
    assert.equal((await limiter.take('caller:refill')).allowed, true);
    assert.equal((await limiter.take('caller:refill')).allowed, false);
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal((await limiter.take('caller:refill')).allowed, true);
  });

  test('zero requests per second disables the limit; the in-memory limiter keeps its contract', async () => {
    const off = createSharedRateLimiter(db, { requestsPerSecond: 0, burst: 1 });
    for (let i = 0; i < 3; i++) assert.equal((await off.take('caller:any')).allowed, true);
    const memory = createRateLimiter({ requestsPerSecond: 1, burst: 2 });
    assert.equal((await memory.take('k', 0)).allowed, true);
    assert.equal((await memory.take('k', 0)).allowed, true);
    assert.deepEqual(await memory.take('k', 0), { allowed: false, retryAfterSeconds: 1 });
    assert.equal((await memory.take('k', 1000)).allowed, true);
  });
});
