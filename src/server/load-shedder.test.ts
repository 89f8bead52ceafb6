import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLoadShedder } from './load-shedder.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const options = { maxConcurrentRequests: 64, congestedConcurrency: 10, maxQueueDelayMs: 50, eventLoop: false, windowMs: 100 };

describe('load shedding on queueing delay', () => {
  test('a standing queue (the fastest request of two windows is slow) caps admission; a fast request ends it', async () => {
    const shedder = createLoadShedder(options);
    try {
      for (let i = 0; i < 6; i++) shedder.observe(80);
      await sleep(110);
      assert.equal(shedder.shouldShed(20), undefined, 'one slow window may be a burst');
      for (let i = 0; i < 6; i++) shedder.observe(90);
      await sleep(110);
      assert.equal(shedder.shouldShed(20), 'queue_delay', 'two in a row are a standing queue: 10 in flight at most');
      assert.equal(shedder.shouldShed(9), undefined, 'admission never stops');
      assert.equal(shedder.queueDelayMs(), 90);
      // Few completions (all slow) say nothing: still congested.
      shedder.observe(200);
      await sleep(110);
      assert.equal(shedder.shouldShed(20), 'queue_delay');
      shedder.observe(10);
      await sleep(110);
      assert.equal(shedder.shouldShed(20), undefined, 'a request without queueing ends the congestion');
    } finally {
      shedder.close();
    }
  });

  test('a burst with one fast request is not a standing queue; the concurrency cap always holds', async () => {
    const shedder = createLoadShedder(options);
    try {
      for (let i = 0; i < 6; i++) shedder.observe(300);
      await sleep(110);
      for (const ms of [5, 300, 300, 300, 300, 300]) shedder.observe(ms);
      await sleep(110);
      assert.equal(shedder.shouldShed(20), undefined);
      assert.equal(shedder.shouldShed(64), 'concurrency');
    } finally {
      shedder.close();
    }
  });

  test('event-loop lag (a CPU-bound process) sheds every request until the loop catches up; 0 = cap only', async () => {
    const shedder = createLoadShedder({ ...options, maxQueueDelayMs: 40, eventLoop: true });
    try {
      for (let i = 0; i < 4; i++) {
        const until = performance.now() + 150;
        while (performance.now() < until) {
          // busy: the loop cannot run timers
        }
        await sleep(1);
      }
      assert.equal(shedder.shouldShed(0), 'queue_delay', `lag ${shedder.queueDelayMs()} ms`);
      await sleep(400);
      assert.equal(shedder.shouldShed(0), undefined);
    } finally {
      shedder.close();
    }
    const off = createLoadShedder({ ...options, maxQueueDelayMs: 0 });
    for (let i = 0; i < 10; i++) off.observe(10_000);
    assert.equal(off.shouldShed(63), undefined);
    assert.equal(off.shouldShed(64), 'concurrency');
    off.close();
  });
});
