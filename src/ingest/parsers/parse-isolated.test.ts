import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { makePdf } from './fixtures/generate-fixtures.ts';
import { defaultParseLimits } from './parse-document.ts';
import { closeParsers, createParserPool, parseIsolated } from './parse-isolated.ts';
import type { ParseInput } from './parser.ts';

const misbehaving = new URL('./fixtures/misbehaving-parse-worker.ts', import.meta.url);
const input = (fileName: string, text = 'hello'): ParseInput => ({
  bytes: new TextEncoder().encode(text),
  fileName,
  limits: defaultParseLimits,
});

after(() => closeParsers());

describe('parseIsolated (real parse worker)', () => {
  test('parses in a worker thread with the same result as in-process, errors keep their code and fix', async () => {
    const bytes = await makePdf([{ text: ['Coverage A - Dwelling is covered against sudden water damage.'] }], { title: 'Form' });
    const document = await parseIsolated({ bytes, fileName: 'form.pdf', limits: defaultParseLimits }, { timeoutMs: 60_000 });
    assert.equal(document.title, 'Form');
    assert.equal(document.sections[0]?.pageStart, 1);
    assert.match(document.sections[0]?.text ?? '', /sudden water damage/);
    await assert.rejects(
      parseIsolated(input('blank.txt', '   '), { timeoutMs: 60_000 }),
      (error: Error & { code: string; fix: string }) => {
        assert.equal(error.name, 'GroundworkError');
        assert.equal(error.code, 'parse.empty');
        assert.ok(error.fix);
        return true;
      },
    );
  });
});

describe('createParserPool (real parse worker)', () => {
  test('transfer moves whole buffers to the worker instead of copying them; slices are copied', async () => {
    const pool = createParserPool({ size: 1, timeoutMs: 60_000 });
    try {
      const text = 'Water damage must be reported within 24 hours. '.repeat(2000);
      const whole = new Uint8Array(Buffer.byteLength(text));
      whole.set(Buffer.from(text));
      const document = await pool.parse({ bytes: whole, fileName: 'notes.txt', limits: defaultParseLimits }, { transfer: true });
      assert.match(document.sections[0]?.text ?? '', /^Water damage/);
      assert.equal(whole.byteLength, 0, 'moved, not copied');

      const backing = new TextEncoder().encode(`${text}tail`);
      const slice = backing.subarray(0, backing.length - 4);
      await pool.parse({ bytes: slice, fileName: 'slice.txt', limits: defaultParseLimits }, { transfer: true });
      assert.equal(backing.byteLength, text.length + 4, 'a slice of a larger buffer is copied');

      const copied = new TextEncoder().encode(text);
      await pool.parse({ bytes: copied, fileName: 'copy.txt', limits: defaultParseLimits });
      assert.equal(copied.byteLength, text.length, 'without transfer the caller keeps its bytes');
    } finally {
      await pool.close();
    }
  });
});

describe('createParserPool (misbehaving worker)', () => {
  test('a hang fails with parse.timeout and the worker is replaced', async () => {
    // Only the hang gets a short timeout: booting a worker thread on a loaded CI machine can take longer.
    const pool = createParserPool({ size: 1, timeoutMs: 60_000, workerEntry: misbehaving });
    try {
      const first = await pool.parse(input('a.txt'));
      const started = Date.now();
      await assert.rejects(pool.parse(input('hang.txt'), { timeoutMs: 300 }), { code: 'parse.timeout' });
      assert.ok(Date.now() - started < 5000);
      const after = await pool.parse(input('b.txt'));
      assert.notEqual(after.sections[0]?.text, first.sections[0]?.text, 'expected a new worker thread');
    } finally {
      await pool.close();
    }
  });

  test('a crash, an exit and running out of memory fail with parse.crashed; the pool goes on', async () => {
    const pool = createParserPool({ size: 2, timeoutMs: 30_000, maxMemoryMb: 48, workerEntry: misbehaving });
    try {
      const results = await Promise.allSettled([
        pool.parse(input('crash.txt')),
        pool.parse(input('ok-1.txt')),
        pool.parse(input('exit.txt')),
        pool.parse(input('oom.txt')),
        pool.parse(input('ok-2.txt')),
      ]);
      const outcome = results.map((result) => (result.status === 'fulfilled' ? 'ok' : (result.reason as { code: string }).code));
      assert.deepEqual(outcome, ['parse.crashed', 'ok', 'parse.crashed', 'parse.crashed', 'ok']);
      const oom = results[3];
      assert.ok(
        oom?.status === 'rejected' && /memory/i.test(String((oom.reason as Error).message)),
        String(oom?.status === 'rejected' && oom.reason),
      );
    } finally {
      await pool.close();
    }
  });

  test('aborting fails a queued or running parse with parse.aborted; close rejects what is pending', async () => {
    const pool = createParserPool({ size: 1, timeoutMs: 30_000, workerEntry: misbehaving });
    const controller = new AbortController();
    const running = pool.parse({ ...input('hang.txt'), signal: controller.signal });
    const queued = pool.parse(input('later.txt'));
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(running, { code: 'parse.aborted' });
    assert.equal((await queued).title, 'later.txt');
    const pending = assert.rejects(pool.parse(input('hang.txt')), { code: 'parse.aborted' });
    await pool.close();
    await pending;
    await assert.rejects(pool.parse(input('x.txt')), { code: 'parse.aborted' });
  });
});

describe('createParserPool: per-page budget (misbehaving worker)', () => {
  const paged = (spec: string): ParseInput => ({
    bytes: new TextEncoder().encode(`%PDF-${spec}`),
    fileName: 'pages.pdf',
    limits: defaultParseLimits,
  });

  test('a page that blocks its worker is skipped: the worker is replaced and the rest of the document is kept', async () => {
    // Generous budgets: only the deliberately hung page can exceed them.
    const pool = createParserPool({ size: 1, timeoutMs: 60_000, pageTimeoutMs: 2_000, workerEntry: misbehaving });
    try {
      const document = await pool.parse(paged('6:3'));
      assert.deepEqual(
        document.sections.map((section) => section.pageStart),
        [1, 2, 4, 5, 6],
      );
      assert.deepEqual(
        document.warnings.map((warning) => [warning.code, warning.page]),
        [['page.skipped', 3]],
      );
      assert.equal(document.stats.skippedPages, 1);
    } finally {
      await pool.close();
    }
  });

  test('a document that keeps hanging fails with parse.timeout after a bounded number of restarts', async () => {
    const pool = createParserPool({ size: 1, timeoutMs: 60_000, pageTimeoutMs: 1_000, workerEntry: misbehaving });
    try {
      await assert.rejects(pool.parse(paged('8:1,2,3,4,5')), { code: 'parse.timeout' });
      // The pool goes on.
      assert.equal((await pool.parse(paged('2:'))).sections.length, 2);
    } finally {
      await pool.close();
    }
  });

  test('the document cap bounds a file however steadily it progresses', async () => {
    const pool = createParserPool({
      size: 1,
      timeoutMs: 60_000,
      pageTimeoutMs: 30_000,
      documentTimeoutMs: 1_500,
      workerEntry: misbehaving,
    });
    try {
      await assert.rejects(pool.parse(paged('3:2')), (error: Error & { code: string }) => {
        assert.equal(error.code, 'parse.timeout');
        assert.match(error.message, /ingest\.documentTimeoutMs/);
        return true;
      });
    } finally {
      await pool.close();
    }
  });
});
