import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { blankPage, pdfOfPages } from '../fixtures/ocr-pages.ts';
import { terminateSharedOcr } from '../ocr/ocr-engine.ts';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';

after(() => terminateSharedOcr());

test('a scanned page OCR cannot read is indexed with a warning and counted; the rest of the PDF is kept', async () => {
  const noise = await blankPage({ dpi: 100, height: 0.5, noise: true, seed: 31 });
  const pdf = await pdfOfPages([['The insured reported a burst pipe on 14 March 2026.'], noise.png]);
  const document = await parseDocument({ bytes: pdf, fileName: 'claim.pdf', limits: defaultParseLimits });
  assert.match(document.sections[0]?.text ?? '', /burst pipe/);
  assert.equal(document.stats.ocrPages, 1);
  assert.equal(document.stats.ocrUnreadablePages, 1);
  const unreadable = document.warnings.find((warning) => warning.code === 'ocr.unreadable');
  assert.equal(unreadable?.page, 2);
  assert.deepEqual(
    document.pages?.map((page) => [page.page, page.ocr.unreadable, page.ocr.lowConfidence]),
    [[2, true, true]],
  );
  // Whatever little text survives is only confident words, never a page of OCR garbage.
  const page2 = document.sections.filter((section) => section.pageStart === 2).map((section) => section.text);
  assert.ok(page2.join(' ').split(/\s+/).filter(Boolean).length < 3, page2.join(' '));
});
