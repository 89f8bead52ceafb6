import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makePdf } from './fixtures/generate-fixtures.ts';
import { pageSkipped, runPage } from './page-budget.ts';
import { defaultParseLimits, parseDocument } from './parse-document.ts';
import type { ParseInput, ParseWarning } from './parser.ts';

const input = (pages?: ParseInput['pages'], onPage?: (page: number) => void): ParseInput => ({
  bytes: new Uint8Array(0),
  fileName: 'x.pdf',
  limits: defaultParseLimits,
  ...(pages ? { pages } : {}),
  ...(onPage ? { onPage } : {}),
});

test('runPage: a page that never finishes is skipped at its budget, one that throws is skipped, both with a warning', async () => {
  const warnings: ParseWarning[] = [];
  const started: number[] = [];
  const never = await runPage(
    input({ timeoutMs: 50 }, (page) => started.push(page)),
    4,
    warnings,
    () => new Promise<string>(() => {}),
  );
  assert.equal(never, pageSkipped);
  const failed = await runPage(input({ timeoutMs: 60_000 }), 5, warnings, async () => {
    throw new TypeError('bad operator');
  });
  assert.equal(failed, pageSkipped);
  assert.equal(await runPage(input({ timeoutMs: 60_000 }), 6, warnings, async () => 'text'), 'text');
  assert.deepEqual(started, [4]);
  assert.deepEqual(
    warnings.map((warning) => [warning.code, warning.page]),
    [
      ['page.timeout', 4],
      ['page.failed', 5],
    ],
  );
});

test('a long PDF is read page by page: each page reported as it starts; pages to skip are never touched', async () => {
  const pages = Array.from({ length: 150 }, (_, index) => ({
    text: [`Schedule page ${index + 1}: coverage, limits and deductibles apply.`],
  }));
  const bytes = await makePdf(pages);
  const started: number[] = [];
  const document = await parseDocument({
    ...input({ timeoutMs: 60_000 }, (page) => started.push(page)),
    bytes,
    fileName: 'long.pdf',
  });
  assert.equal(document.sections.length, 150);
  assert.deepEqual(
    started.slice(0, 150),
    Array.from({ length: 150 }, (_, index) => index + 1),
  );
  const skipping = await parseDocument({ ...input({ timeoutMs: 60_000, skip: [2, 149] }), bytes, fileName: 'long.pdf' });
  assert.deepEqual(
    skipping.sections.filter((section) => section.pageStart === 2 || section.pageStart === 149),
    [],
  );
  assert.equal(skipping.sections.length, 148);
  assert.equal(skipping.stats.skippedPages, 2);
  assert.deepEqual(
    skipping.warnings.map((warning) => [warning.code, warning.page]),
    [
      ['page.skipped', 2],
      ['page.skipped', 149],
    ],
  );
});
