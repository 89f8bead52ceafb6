import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { makeEncryptedPdf, makePdf, ocrSentence } from '../fixtures/generate-fixtures.ts';
import { terminateSharedOcr } from '../ocr/ocr-engine.ts';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';
import { parserContract } from '../parser.contract.ts';
import { pdfDate, pdfParser } from './pdf-parser.ts';

after(() => terminateSharedOcr());

const textPdf = () =>
  makePdf(
    [
      { text: ['Section I - Coverages', 'Coverage A - Dwelling. We cover the dwelling on the residence premises.'] },
      { text: ['Section I - Deductibles', 'The water damage deductible is 2,500 USD per occurrence.'] },
      { text: ['Section II - Liability', 'Coverage E - Personal Liability limit is 300,000 USD.'] },
    ],
    { title: 'Homeowners 3 - Special Form', author: 'Policy Forms' },
  );

const noOcr = { ...defaultParseLimits, ocr: { enabled: false, minPageChars: 20 } };

parserContract({
  parser: pdfParser,
  samples: async () => [{ fileName: 'ho3.pdf', bytes: await textPdf(), expectText: ['water damage deductible is 2,500 USD'] }],
  // Truncated PDFs recover as blank pages, which would be OCRed: checked with OCR off below instead.
  limits: noOcr,
});

test('a text PDF keeps its pages and metadata and needs no OCR', async () => {
  const document = await parseDocument({ bytes: await textPdf(), fileName: 'ho3.pdf', limits: defaultParseLimits });
  assert.equal(document.title, 'Homeowners 3 - Special Form');
  assert.equal(document.metadata.author, 'Policy Forms');
  assert.equal(document.metadata.created, '2026-03-01T00:00:00.000Z');
  assert.equal(document.pageCount, 3);
  assert.equal(document.stats.ocrPages, 0);
  assert.deepEqual(
    document.sections.map((section) => [section.pageStart, section.pageEnd, section.text.split('\n')[0]]),
    [
      [1, 1, 'Section I - Coverages'],
      [2, 2, 'Section I - Deductibles'],
      [3, 3, 'Section II - Liability'],
    ],
  );
});

test('bookmarks become heading paths; embedded files become children', async () => {
  const bytes = await makePdf(
    [
      { text: ['Table of contents, nothing else on this page.'] },
      { text: ['Deductibles apply per occurrence, as scheduled.'] },
      { text: ['Exclusions continue from the previous page here.'] },
    ],
    {
      outline: [
        { title: 'Deductibles', page: 2 },
        { title: 'Exclusions', page: 3 },
      ],
      attachments: [{ name: 'schedule.txt', bytes: new TextEncoder().encode('Deductible schedule: 1,000 USD') }],
    },
  );
  const document = await parseDocument({ bytes, fileName: 'form.pdf', limits: defaultParseLimits });
  assert.deepEqual(
    document.sections.map((section) => [section.pageStart, section.headingPath]),
    [
      [1, []],
      [2, ['Deductibles']],
      [3, ['Exclusions']],
    ],
  );
  assert.equal(document.title, 'Deductibles');
  assert.deepEqual(
    document.children.map((child) => [child.path, new TextDecoder().decode(child.bytes)]),
    [['attachments/schedule.txt', 'Deductible schedule: 1,000 USD']],
  );
});

test('in a mixed PDF only the page without a text layer is OCRed', async () => {
  const bytes = await makePdf([
    { text: ['Field report cover page with a proper text layer.'] },
    { scanned: [ocrSentence] },
    { text: ['Adjuster signature page with a proper text layer.'] },
    { text: ['4'] },
  ]);
  const document = await parseDocument({ bytes, fileName: 'field-report.pdf', limits: defaultParseLimits });
  // Page 4 has no image (a page number only): nothing for OCR to read, so it is not OCRed.
  assert.equal(document.stats.ocrPages, 1);
  assert.equal(document.stats.pages, 4);
  const page2 = document.sections.find((section) => section.pageStart === 2);
  for (const word of ['Water', 'damage', 'claims', 'reported', '24', 'hours'])
    assert.ok(page2?.text.includes(word), `"${word}" not in ${page2?.text}`);
  assert.deepEqual(
    document.warnings.filter((warning) => warning.code.startsWith('ocr.')).map((warning) => [warning.code, warning.page]),
    [['ocr.page', 2]],
  );

  const withoutOcr = await parseDocument({ bytes, fileName: 'field-report.pdf', limits: noOcr });
  assert.equal(withoutOcr.stats.ocrPages, 0);
  assert.deepEqual(
    withoutOcr.sections.map((section) => section.pageStart),
    [1, 3, 4],
  );
  assert.deepEqual(
    withoutOcr.warnings.map((warning) => [warning.code, warning.page]),
    [['ocr.disabled', 2]],
  );
});

test('a scanned PDF without OCR fails with parse.empty and says to enable OCR', async () => {
  const bytes = await makePdf([{ scanned: ['Scanned page'] }]);
  await assert.rejects(
    parseDocument({ bytes, fileName: 'scan.pdf', limits: noOcr }),
    (error: Error & { code: string; fix: string }) => {
      assert.equal(error.code, 'parse.empty');
      assert.match(error.fix, /ocr/i);
      return true;
    },
  );
});

test('an encrypted PDF fails with parse.encrypted; a damaged one with parse.corrupt', async () => {
  await assert.rejects(
    parseDocument({ bytes: await makeEncryptedPdf(), fileName: 'secret.pdf', limits: defaultParseLimits }),
    (error: Error & { code: string; fix: string }) => {
      assert.equal(error.code, 'parse.encrypted');
      assert.match(error.fix, /unprotected copy/);
      return true;
    },
  );
  const damaged = new TextEncoder().encode('%PDF-1.7\n1 0 obj <<>> garbage garbage');
  await assert.rejects(parseDocument({ bytes: damaged, fileName: 'damaged.pdf', limits: defaultParseLimits }), {
    code: 'parse.corrupt',
  });
});

test('PDF dates become ISO 8601', () => {
  assert.equal(pdfDate("D:20260815120000+02'00'"), '2026-08-15T10:00:00.000Z');
  assert.equal(pdfDate('D:20260815'), '2026-08-15T00:00:00.000Z');
  assert.equal(pdfDate('nonsense'), undefined);
});
