import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { tablePage, turnedPage, twoColumnPage } from '../fixtures/ocr-pages.ts';
import { terminateSharedOcr } from '../ocr/ocr-engine.ts';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';

after(() => terminateSharedOcr());

// Small pages (a third of a Letter page at 200 dpi) keep OCR to a few seconds each.
const small = { dpi: 200, height: 0.33 } as const;

test('a two-column scan is read column by column, with its layout recorded', async () => {
  const page = await twoColumnPage({ ...small, seed: 21 });
  const document = await parseDocument({ bytes: page.png, fileName: 'article.png', limits: defaultParseLimits });
  const text = document.sections.map((section) => section.text).join('\n');
  const left = text.indexOf('Northfield');
  const right = text.indexOf('Southbank');
  assert.ok(left >= 0 && right >= 0, text);
  // The whole first column (its last words included) comes before the second column starts.
  const lastLeftWords = (page.truth.split('\n\n')[1] ?? '').split(' ').slice(-3).join(' ');
  const lastLeft = text.indexOf(lastLeftWords);
  assert.ok(lastLeft > left && lastLeft < right, `first column before the second:\n${text}`);
  assert.equal(document.pages?.length, 1);
  assert.equal(document.pages?.[0]?.ocr.columns, 2);
  assert.ok((document.pages?.[0]?.ocr.confidence ?? 0) > 0.6);
});

test('a scanned table keeps its rows, rendered as Header: value', async () => {
  const page = await tablePage({ dpi: 200, height: 0.4, rows: 4, seed: 22 });
  const document = await parseDocument({ bytes: page.png, fileName: 'rates.png', limits: defaultParseLimits });
  const table = document.sections.find((section) => section.kind === 'table');
  assert.ok(table, JSON.stringify(document.sections));
  const lines = table.text.split('\n');
  assert.equal(lines.length, 4, table.text);
  const [territory, construction] = page.rows?.[1] ?? [];
  assert.match(lines[0] ?? '', new RegExp(`^Territory: ${territory}; Construction: ${construction}; Deductible: \\$`));
  assert.equal(document.pages?.[0]?.ocr.tables, 1);
});

test('a page scanned upside down is detected, turned and read upright', async () => {
  const page = await turnedPage(await tablePage({ dpi: 200, height: 0.4, rows: 4, seed: 23 }), 180);
  const document = await parseDocument({ bytes: page.png, fileName: 'upside-down.png', limits: defaultParseLimits });
  const text = document.sections.map((section) => section.text).join('\n');
  assert.match(text, /Homeowners base rates effective 1 July 2026/);
  assert.equal(document.pages?.[0]?.ocr.rotated, 180);
  assert.ok(document.warnings.some((warning) => warning.code === 'ocr.rotated' && /180°/.test(warning.message)));
});
