import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLoadShedder } from './load-shedder.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('load shedding on queueing delay', () => {
  test('a standing queue (even the fastest request of a window is slow) sheds; an idle window re-admits', async () => {
    const shedder = createLoadShedder({ maxQueueDelayMs: 50, eventLoop: false, windowMs: 100 });
    try {
      for (let i = 0; i < 6; i++) shedder.observe(80);
      assert.equal(shedder.shouldShed(), false, 'decided per window, not per request');
      await sleep(110);
      assert.equal(shedder.shouldShed(), false, 'one slow window may be a burst');
      for (let i = 0; i < 6; i++) shedder.observe(90);
      await sleep(110);
      assert.equal(shedder.shouldShed(), true, 'two in a row are a standing queue');
      assert.equal(shedder.queueDelayMs(), 80);
      // Shed requests are not observed: after a window without admitted requests, admission resumes.
      await sleep(110);
      assert.equal(shedder.shouldShed(), false);
    } finally {
      shedder.close();
    }
  });

  test('a burst with one fast request is not a standing queue; too few samples say nothing', async () => {
    const shedder = createLoadShedder({ maxQueueDelayMs: 50, eventLoop: false, windowMs: 100 });
    try {
      for (let i = 0; i < 6; i++) shedder.observe(300);
      await sleep(110);
      for (const ms of [5, 300, 300, 300, 300, 300]) shedder.observe(ms);
      await sleep(110);
      assert.equal(shedder.shouldShed(), false);
      for (let i = 0; i < 3; i++) shedder.observe(300);
      await sleep(110);
      assert.equal(shedder.shouldShed(), false);
    } finally {
      shedder.close();
    }
  });

  test('event-loop lag (a CPU-bound process) sheds until the loop catches up; 0 turns shedding off', async () => {
    const shedder = createLoadShedder({ maxQueueDelayMs: 40 });
    try {
      for (let i = 0; i < 4; i++) {
        const until = performance.now() + 150;
        while (performance.now() < until) {
          // busy: the loop cannot run timers
        }
        await sleep(1);
      }
      assert.equal(shedder.shouldShed(), true, `lag ${shedder.queueDelayMs()} ms`);
      await sleep(400);
      assert.equal(shedder.shouldShed(), false);
    } finally {
      shedder.close();
    }
    const off = createLoadShedder({ maxQueueDelayMs: 0 });
    off.observe(10_000);
    assert.equal(off.shouldShed(), false);
    off.close();
  });
});
