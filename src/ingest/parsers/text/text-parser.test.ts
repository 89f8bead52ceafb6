import assert from 'node:assert/strict';
import { test } from 'node:test';
import iconv from 'iconv-lite';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';
import { parserContract } from '../parser.contract.ts';
import { textParser } from './text-parser.ts';

const encoder = new TextEncoder();

parserContract({
  parser: textParser,
  samples: async () => [
    {
      fileName: 'notes.txt',
      bytes: encoder.encode('Adjuster notes\n\nInsured called on 14 September.\n'),
      expectText: ['Insured called'],
    },
    {
      fileName: 'legacy.txt',
      bytes: new Uint8Array(iconv.encode('Loss cause codes – café – 25 € deductible, naïve reading.', 'windows-1252')),
      expectText: ['café', '€'],
    },
  ],
});

test('legacy-encoded text is decoded and the encoding recorded', async () => {
  const document = await parseDocument({
    bytes: new Uint8Array(iconv.encode('Schadenmeldung: Prüfung läuft, Selbstbehalt 500 € – Gebäude.', 'windows-1252')),
    fileName: 'meldung.txt',
    limits: defaultParseLimits,
  });
  assert.equal(document.stats.encoding, 'windows-1252');
  assert.match(document.sections[0]?.text ?? '', /Prüfung läuft, Selbstbehalt 500 €/);
  assert.equal(document.title, 'meldung');
});

test('an empty or whitespace-only file fails with parse.empty', async () => {
  await assert.rejects(parseDocument({ bytes: new Uint8Array(0), fileName: 'empty.txt', limits: defaultParseLimits }), {
    code: 'parse.empty',
  });
  await assert.rejects(parseDocument({ bytes: encoder.encode(' \n\n \t'), fileName: 'blank.txt', limits: defaultParseLimits }), {
    code: 'parse.empty',
  });
});

test('UTF-8 with a stray legacy byte stays UTF-8 and the document says how many bytes were replaced', async () => {
  const good = encoder.encode('Schadenmeldung: Prüfung läuft, Selbstbehalt 500 € – Gebäude. ');
  const bytes = new Uint8Array([...good, 0xe9, ...good]);
  const document = await parseDocument({ bytes, fileName: 'meldung.txt', limits: defaultParseLimits });
  assert.equal(document.stats.encoding, 'utf-8');
  assert.match(document.sections[0]?.text ?? '', /Gebäude\. \ufffdSchadenmeldung: Prüfung/);
  assert.deepEqual(
    document.warnings.map((warning) => warning.code),
    ['encoding.invalid_bytes'],
  );
});

test('a text file with more text than ingest.maxChunksPerDocument chunks hold fails with ingest.too_large', async () => {
  const bytes = encoder.encode('claim '.repeat(20_000));
  await assert.rejects(
    parseDocument({ bytes, fileName: 'dump.txt', limits: { ...defaultParseLimits, maxTextChars: 50_000 } }),
    (error: { code?: string; message?: string }) => error.code === 'ingest.too_large' && /^dump\.txt: /.test(error.message ?? ''),
  );
  const document = await parseDocument({ bytes, fileName: 'fits.txt', limits: { ...defaultParseLimits, maxTextChars: 100_000 } });
  assert.equal(document.sections.length, 1);
});
