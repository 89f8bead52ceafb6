import assert from 'node:assert/strict';
import { test } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import { detectMediaType, mediaTypes } from '../detect-media-type.ts';
import { makeOdp, makeOds, makeOdt } from '../fixtures/generate-legacy-fixtures.ts';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';
import { parserContract } from '../parser.contract.ts';
import { odfParser } from './odf-parser.ts';
import { parseXml } from './xml-tree.ts';

parserContract({
  parser: odfParser,
  samples: async () => [
    { fileName: 'subrogation.odt', bytes: makeOdt(), expectText: ['Subrogation recovers paid losses', 'Contractor'] },
    { fileName: 'reserves.ods', bytes: makeOds(), expectText: ['CL-2011-0077'] },
    { fileName: 'hail.odp', bytes: makeOdp(), expectText: ['Claims up 40%'] },
  ],
});

const parse = (bytes: Uint8Array, fileName: string) => parseDocument({ bytes, fileName, limits: defaultParseLimits });
const summary = (sections: readonly { kind: string; headingPath: readonly string[]; text: string; pageStart?: number }[]) =>
  sections.map((section) => [section.kind, section.headingPath, section.text, section.pageStart]);

test('ODT: outline headings, lists, tables and footnotes; tracked deletions and comments left out; meta.xml', async () => {
  // The mimetype member decides, whatever the extension says.
  assert.equal(detectMediaType('guide.zip', makeOdt()), mediaTypes.odt);
  const document = await parse(makeOdt(), 'guide.odt');
  assert.equal(document.title, 'Subrogation guide');
  assert.deepEqual(summary(document.sections), [
    ['text', ['Recovery'], 'Subrogation recovers paid losses from the party at fault.', undefined],
    ['text', ['Recovery', 'Deadlines'], '- Notify the carrier within 30 days\n- File suit within 2 years', undefined],
    ['table', ['Recovery', 'Deadlines'], 'Party: Contractor; Share: 60%', undefined],
    ['text', ['Footnotes'], 'See the 2011 recovery manual.', undefined],
  ]);
  const all = document.sections.map((section) => section.text).join('\n');
  assert.doesNotMatch(all, /Deleted clause|Reviewer: check/);
  assert.equal(document.metadata.author, 'Claims Operations');
  assert.equal(document.metadata.created, '2011-04-05T09:30:00.000Z');
  assert.equal(document.metadata.keywords, 'archive');
});

test('ODS: one heading per sheet, dates as ISO dates, a million repeated empty rows cost nothing', async () => {
  const document = await parse(makeOds(), 'reserves.ods');
  assert.equal(document.mediaType, mediaTypes.ods);
  assert.deepEqual(document.metadata.sheets, ['Reserves 2011', 'Notes']);
  assert.deepEqual(summary(document.sections), [
    ['text', ['Reserves 2011'], 'Open reserves, March 2011', undefined],
    [
      'table',
      ['Reserves 2011'],
      'Claim: CL-2011-0077; Reserve: 12500; Opened: 2011-03-01\nClaim: CL-2011-0081; Reserve: 4300.5; Opened: 2011-03-04',
      undefined,
    ],
    ['table', ['Notes'], 'Reviewed by the reserving committee', undefined],
  ]);
});

test('ODP: a page per slide, title frames as headings, tables, speaker notes; page numbers left out', async () => {
  const document = await parse(makeOdp(), 'hail.odp');
  assert.equal(document.pageCount, 2);
  assert.deepEqual(summary(document.sections), [
    ['text', ['Hail season 2011'], 'Claims up 40%\nAverage severity 8,200 USD', 1],
    ['notes', ['Hail season 2011'], 'Thank the field adjusters.', 1],
    ['table', ['Reinsurance'], 'Layer: First; Limit: 10M', 2],
  ]);
});

test('an encrypted package is parse.encrypted; a package without content.xml or with broken XML is parse.corrupt', async () => {
  const encrypted = zipSync({
    mimetype: [strToU8('application/vnd.oasis.opendocument.text'), { level: 0 }],
    'content.xml': new Uint8Array([1, 2, 3, 4]),
    'META-INF/manifest.xml': strToU8(
      '<manifest:manifest><manifest:file-entry><manifest:encryption-data/></manifest:file-entry></manifest:manifest>',
    ),
  });
  await assert.rejects(parse(encrypted, 'secret.odt'), { code: 'parse.encrypted' });
  const missing = zipSync({ mimetype: [strToU8('application/vnd.oasis.opendocument.text'), { level: 0 }] });
  await assert.rejects(parse(missing, 'empty.odt'), { code: 'parse.corrupt' });
  const broken = zipSync({
    mimetype: [strToU8('application/vnd.oasis.opendocument.text'), { level: 0 }],
    'content.xml': strToU8('<office:document-content><office:body><office:text><text:p>x</office:text>'),
  });
  await assert.rejects(parse(broken, 'broken.odt'), { code: 'parse.corrupt' });
});

test('the XML reader never expands DOCTYPE entities', () => {
  const root = parseXml('<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><r>&b; &amp; &#x41;</r>');
  const element = root.children.find((child) => typeof child !== 'string');
  assert.ok(element && typeof element !== 'string');
  assert.deepEqual(element.children, ['&b; & A']);
});
