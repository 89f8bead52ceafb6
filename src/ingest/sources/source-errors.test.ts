import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GroundworkError } from '../../core/index.ts';
import { failureKindOfStatus, retryAfterMs, sourceFailure, withSourceRetry } from './source-errors.ts';

describe('withSourceRetry', () => {
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
  };

  test('retries unreachable and throttled calls with backoff, honouring retryAfterMs', async () => {
    waits.length = 0;
    let calls = 0;
    const value = await withSourceRetry(
      async () => {
        calls += 1;
        if (calls === 1) throw sourceFailure('unreachable', { what: 'X' });
        if (calls === 2) throw sourceFailure('throttled', { what: 'X', retryAfterMs: 1234 });
        return 'ok';
      },
      { sleep, baseDelayMs: 100 },
    );
    assert.equal(value, 'ok');
    assert.equal(calls, 3);
    assert.ok((waits[0] as number) >= 50 && (waits[0] as number) <= 100);
    assert.equal(waits[1], 1234);
  });

  test('does not retry auth failures, expired cursors or other errors; gives up after the attempts', async () => {
    for (const error of [
      sourceFailure('auth', { what: 'X' }),
      sourceFailure('cursor_expired', { what: 'X' }),
      new GroundworkError('ingest.not_found', 'gone', { category: 'not_found' }),
      new Error('bug'),
    ]) {
      let calls = 0;
      await assert.rejects(
        withSourceRetry(
          async () => {
            calls += 1;
            throw error;
          },
          { sleep },
        ),
        (thrown: unknown) => thrown === error,
      );
      assert.equal(calls, 1);
    }
    let calls = 0;
    await assert.rejects(
      withSourceRetry(
        async () => {
          calls += 1;
          throw sourceFailure('unreachable', { what: 'X' });
        },
        { sleep, attempts: 3 },
      ),
      (error: GroundworkError) => error.code === 'ingest.source_unreachable',
    );
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(
      withSourceRetry(
        async () => {
          calls += 1;
          throw sourceFailure('bad_response', { what: 'X' });
        },
        { sleep },
      ),
    );
    assert.equal(calls, 2, 'a malformed response is retried once');
  });

  test('HTTP statuses and Retry-After map onto the failure kinds', () => {
    assert.equal(failureKindOfStatus(401), 'auth');
    assert.equal(failureKindOfStatus(403), 'auth');
    assert.equal(failureKindOfStatus(429), 'throttled');
    assert.equal(failureKindOfStatus(503, true), 'throttled');
    assert.equal(failureKindOfStatus(503), 'unreachable');
    assert.equal(failureKindOfStatus(410), 'cursor_expired');
    assert.equal(failureKindOfStatus(404), undefined);
    assert.equal(retryAfterMs('2'), 2000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6000);
    assert.equal(retryAfterMs('soon'), undefined);
    const error = sourceFailure('auth', { what: 'Graph site "x"', detail: 'HTTP 401' });
    assert.equal(error.code, 'ingest.source_auth_failed');
    assert.equal(error.isRetryable, false);
    assert.ok(error.fix);
  });
});
