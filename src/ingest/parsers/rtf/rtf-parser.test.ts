import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectMediaType, mediaTypes } from '../detect-media-type.ts';
import { makeRtf } from '../fixtures/generate-legacy-fixtures.ts';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';
import { parserContract } from '../parser.contract.ts';
import { rtfParser } from './rtf-parser.ts';
import { rtfToText } from './rtf-to-text.ts';

parserContract({
  parser: rtfParser,
  samples: async () => [{ fileName: 'fire-claim.rtf', bytes: makeRtf(), expectText: ['kitchen fire', 'Smoke cleaning'] }],
});

const rtf = (body: string) => new TextEncoder().encode(`{\\rtf1\\ansi ${body}}`);

test('RTF: headings from outline levels, code-page bytes, \\u escapes, fields, tables and footnotes; tables of fonts, pictures and headers skipped', async () => {
  assert.equal(detectMediaType('letter.txt', makeRtf()), mediaTypes.rtf);
  const document = await parseDocument({ bytes: makeRtf(), fileName: 'fire-claim.rtf', limits: defaultParseLimits });
  assert.equal(document.title, 'Fire claim CL-2009-0031');
  assert.equal(document.metadata.author, 'René Dubois');
  assert.equal(document.metadata.created, '2009-11-02T14:05:00.000Z');
  assert.equal(document.stats.encoding, 'cp1252');
  assert.deepEqual(
    document.sections.map((section) => [section.kind, section.headingPath, section.text]),
    [
      ['text', ['Loss description'], 'The café kitchen fire caused €12 500 of damage.\nBrigade report online'],
      ['text', ['Loss description', 'Settlement'], 'Принято'],
      ['table', ['Loss description', 'Settlement'], 'Item: Kitchen; Amount: 9,000\nItem: Smoke cleaning; Amount: 3,500'],
      ['text', ['Loss description', 'Settlement'], 'Paid in full.'],
      ['text', ['Footnotes'], 'See the fire brigade report.'],
    ],
  );
  const text = document.sections.map((section) => section.text).join('\n');
  assert.doesNotMatch(text, /Times New Roman|HYPERLINK|89504e|Confidential|Riched/);
});

test('rtfToText: \\uc fallbacks, surrogate pairs, double-byte code pages, \\bin data, encapsulated HTML, unknown \\* groups', () => {
  const paragraphs = (bytes: Uint8Array) =>
    rtfToText(bytes).blocks.flatMap((block) => (block.type === 'paragraph' ? [block.text] : [block.cells.join('|')]));
  assert.deepEqual(paragraphs(rtf("\\uc2 caf\\u233\\'65\\'65 ok\\par")), ['café ok']);
  assert.deepEqual(paragraphs(rtf('\\u-10179?\\u-8704? smile\\par')), ['\u{1F600} smile']);
  assert.deepEqual(paragraphs(rtf("{\\fonttbl{\\f1\\fcharset128 MS Mincho;}}{\\f1 \\'93\\'fa\\'96\\'7b}\\par")), ['日本']);
  assert.deepEqual(paragraphs(rtf('before{\\pict\\bin4 }}}}} after\\par')), ['before after']);
  assert.deepEqual(paragraphs(rtf('{\\*\\unknowndest hidden}shown\\par')), ['shown']);
  const html = rtfToText(rtf('\\fromhtml1 {\\*\\htmltag64 <p>}{\\htmlrtf \\pard }Hello{\\htmlrtf0 } world\\par'));
  assert.equal(html.fromHtml, true);
  assert.deepEqual(
    html.blocks.map((block) => (block.type === 'paragraph' ? block.text : '')),
    ['Hello world'],
  );
  assert.equal(rtfToText(rtf("{\\*\\generator x}{\\info{\\title T}}\\ansicpg1251 \\'cf\\par")).codePage, 'cp1251');
});

test('deeply nested groups and unterminated input do not overflow or hang', () => {
  const deep = `${'{'.repeat(200_000)}deep text${'}'.repeat(200_000)}`;
  assert.deepEqual(
    rtfToText(rtf(deep)).blocks.map((block) => (block.type === 'paragraph' ? block.text : '')),
    ['deep text'],
  );
  const unterminated = new TextEncoder().encode('{\\rtf1\\ansi {\\b bold text\\par more');
  assert.ok(rtfToText(unterminated).blocks.length > 0);
});
