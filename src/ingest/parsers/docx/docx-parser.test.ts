import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeDocx } from '../fixtures/generate-fixtures.ts';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';
import { parserContract } from '../parser.contract.ts';
import { docxParser } from './docx-parser.ts';

const handbook = () =>
  makeDocx([
    { heading: 'Claims procedures', level: 1 },
    { paragraph: 'Every claim is acknowledged within 2 business days.' },
    { heading: 'Water damage', level: 2 },
    { paragraph: 'Confirm the source of the water & whether the discharge was sudden.' },
    {
      table: [
        ['Severity', 'Adjuster'],
        ['1', 'Desk'],
        ['3', 'Field'],
      ],
    },
    { heading: 'Reserves', level: 1 },
    { paragraph: 'Reserves are reviewed every 30 days.' },
  ]);

parserContract({
  parser: docxParser,
  samples: async () => [{ fileName: 'handbook.docx', bytes: handbook(), expectText: ['sudden', 'Severity: 3; Adjuster: Field'] }],
});

test('Word headings become heading paths; tables are table sections; core properties are metadata', async () => {
  const document = await parseDocument({ bytes: handbook(), fileName: 'handbook.docx', limits: defaultParseLimits });
  assert.equal(document.title, 'Claims handbook');
  assert.equal(document.metadata.author, 'Claims Operations');
  assert.equal(document.metadata.created, '2026-02-01T09:00:00.000Z');
  assert.equal(document.metadata.modified, '2026-02-03T10:30:00.000Z');
  assert.deepEqual(
    document.sections.map((section) => [section.kind, section.headingPath, section.text]),
    [
      ['text', ['Claims procedures'], 'Every claim is acknowledged within 2 business days.'],
      ['text', ['Claims procedures', 'Water damage'], 'Confirm the source of the water & whether the discharge was sudden.'],
      ['table', ['Claims procedures', 'Water damage'], 'Severity: 1; Adjuster: Desk\nSeverity: 3; Adjuster: Field'],
      ['text', ['Reserves'], 'Reserves are reviewed every 30 days.'],
    ],
  );
});

test('a password-protected Word file (an OLE container) fails with parse.encrypted', async () => {
  const ole = new Uint8Array(4096);
  ole.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
  await assert.rejects(parseDocument({ bytes: ole, fileName: 'protected.docx', limits: defaultParseLimits }), {
    code: 'parse.encrypted',
  });
  // The same unreadable container named .doc goes to the Word 97-2003 parser, which finds no Word streams in it.
  await assert.rejects(parseDocument({ bytes: ole, fileName: 'legacy.doc', limits: defaultParseLimits }), {
    code: 'parse.corrupt',
  });
});
