import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectMediaType, mediaTypes } from '../detect-media-type.ts';
import { makeDoc } from '../fixtures/generate-legacy-fixtures.ts';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';
import { parserContract } from '../parser.contract.ts';
import { docParser } from './doc-parser.ts';

parserContract({
  parser: docParser,
  samples: async () => [{ fileName: 'wording.doc', bytes: await makeDoc(), expectText: ['sudden and accidental'] }],
});

test('.doc: paragraphs through the piece table, table rows as a table section; the stream names decide the type', async () => {
  const bytes = await makeDoc();
  // A .doc renamed .docx is still a .doc: the container's streams say so.
  assert.equal(detectMediaType('wording.docx', bytes), mediaTypes.doc);
  const document = await parseDocument({ bytes, fileName: 'wording.doc', limits: defaultParseLimits });
  assert.equal(document.title, 'Homeowners policy wording 2008');
  assert.deepEqual(
    document.sections.map((section) => [section.kind, section.text]),
    [
      [
        'text',
        'Homeowners policy wording 2008\nSection I covers the dwelling against sudden and accidental direct physical loss.\nExclusions: flood, earth movement and wear and tear.',
      ],
      ['table', 'Deductible; 500 USD'],
    ],
  );
});

test('.doc: an encrypted document is parse.encrypted', async () => {
  const bytes = await makeDoc(['Secret wording']);
  // Set fEncrypted in the FIB inside the WordDocument stream (the stream starts with the FIB's 0xA5EC).
  const at = Buffer.from(bytes).indexOf(Buffer.from([0xec, 0xa5, 0xc1, 0x00]));
  assert.ok(at > 0);
  bytes[at + 0x0b] = (bytes[at + 0x0b] ?? 0) | 0x01;
  await assert.rejects(parseDocument({ bytes, fileName: 'secret.doc', limits: defaultParseLimits }), { code: 'parse.encrypted' });
});
