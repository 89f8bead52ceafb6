import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ocrSentence, rotatedTextImagePng, textImagePng, textImageTiff } from '../fixtures/generate-fixtures.ts';
import { terminateSharedOcr } from '../ocr/ocr-engine.ts';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';
import { parserContract } from '../parser.contract.ts';
import { imageParser } from './image-parser.ts';

after(() => terminateSharedOcr());

let png: Promise<Uint8Array> | undefined;
const sentencePng = () => {
  png ??= textImagePng([ocrSentence]);
  return png;
};

parserContract({
  parser: imageParser,
  samples: async () => [
    { fileName: 'scan.png', bytes: await sentencePng(), expectText: ['Water', 'damage', 'reported', '24 hours'] },
  ],
  // Each damaged input would cost an OCR run; one garbage image is checked below.
  skipDamagedInput: true,
});

test('a TIFF is OCRed as one page with its confidence recorded', async () => {
  const document = await parseDocument({
    bytes: await textImageTiff([ocrSentence]),
    fileName: 'fax.tif',
    limits: defaultParseLimits,
  });
  assert.equal(document.mediaType, 'image/tiff');
  assert.equal(document.stats.ocrPages, 1);
  assert.equal(document.pageCount, 1);
  const words = (document.sections[0]?.text ?? '').toLowerCase();
  for (const word of ['water', 'damage', 'claims', 'reported', 'hours'])
    assert.ok(words.includes(word), `"${word}" not recognised in ${words}`);
  const page = document.warnings.find((warning) => warning.code === 'ocr.page');
  assert.ok(page && page.page === 1 && (page.confidence ?? 0) > 0.6);
});

test('a damaged image fails with parse.corrupt; images without OCR fail with parse.empty', async () => {
  const damaged = new Uint8Array(3000);
  damaged.set((await sentencePng()).subarray(0, 64));
  await assert.rejects(parseDocument({ bytes: damaged, fileName: 'broken.png', limits: defaultParseLimits }), {
    code: 'parse.corrupt',
  });
  await assert.rejects(
    parseDocument({
      bytes: await sentencePng(),
      fileName: 'scan.png',
      limits: { ...defaultParseLimits, ocr: { enabled: false, minPageChars: 20 } },
    }),
    { code: 'parse.empty' },
  );
});

test('a page scanned sideways is turned upright and read', async () => {
  const document = await parseDocument({
    bytes: await rotatedTextImagePng([ocrSentence]),
    fileName: 'sideways.png',
    limits: defaultParseLimits,
  });
  const text = (document.sections[0]?.text ?? '').toLowerCase();
  for (const word of ['water', 'damage', 'claims', 'reported', 'hours'])
    assert.ok(text.includes(word), `"${word}" not recognised in ${text}`);
  const rotated = document.warnings.find((warning) => warning.code === 'ocr.rotated');
  assert.ok(rotated, 'expected an ocr.rotated warning');
  assert.match(rotated.message, /270°/);
});
