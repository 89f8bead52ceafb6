import assert from 'node:assert/strict';
import { test } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import { detectMediaType, mediaTypes } from './detect-media-type.ts';
import { makeDocx, makePptx, makeXlsx } from './fixtures/generate-fixtures.ts';
import { defaultParseLimits, parseDocument } from './parse-document.ts';

const text = (value: string) => new TextEncoder().encode(value);

test('magic bytes win over a wrong extension; OOXML kinds come from the part names', async () => {
  assert.equal(detectMediaType('report.txt', text('%PDF-1.7\n...')), mediaTypes.pdf);
  assert.equal(detectMediaType('handbook.zip', makeDocx([{ paragraph: 'x' }])), mediaTypes.docx);
  assert.equal(detectMediaType('rates', await makeXlsx()), mediaTypes.xlsx);
  assert.equal(detectMediaType('deck.bin', makePptx([{ title: 't', body: [] }])), mediaTypes.pptx);
  assert.equal(detectMediaType('archive.docx', zipSync({ 'a.txt': strToU8('a') })), mediaTypes.zip);
  assert.equal(detectMediaType('x', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a])), mediaTypes.png);
  assert.equal(detectMediaType('x', new Uint8Array([0xff, 0xd8, 0xff, 0xe0])), mediaTypes.jpeg);
  assert.equal(detectMediaType('x', new Uint8Array([0x49, 0x49, 0x2a, 0x00])), mediaTypes.tiff);
});

test('text content: HTML and e-mail by their start, then the extension, then text/plain', () => {
  assert.equal(detectMediaType('page.txt', text('  <!DOCTYPE html><html><body>x')), mediaTypes.html);
  assert.equal(
    detectMediaType('message', text('Received: from mx\r\nFrom: a@b.c\r\nTo: d@e.f\r\nSubject: hi\r\n\r\nbody')),
    mediaTypes.eml,
  );
  assert.equal(detectMediaType('rates.csv', text('a,b\n1,2')), mediaTypes.csv);
  assert.equal(detectMediaType('README.md', text('# Title')), mediaTypes.markdown);
  assert.equal(detectMediaType('notes', text('just some words')), mediaTypes.text);
  assert.equal(
    detectMediaType('pdf-notes.md', text('# PDF notes\n\nA PDF starts with %PDF-1.7 and ends with %%EOF.')),
    mediaTypes.markdown,
  );
  assert.equal(detectMediaType('saved.pdf', text('HTTP/1.1 200 OK\r\n\r\n%PDF-1.4\n')), mediaTypes.pdf);
  assert.equal(detectMediaType('notes.txt', new Uint8Array([0x00, 0x01, 0x02, 0x03, 0xff, 0xfe, 0x00, 0x05])), mediaTypes.octet);
});

test('unsupported types fail with parse.unsupported_type and advice', async () => {
  await assert.rejects(
    parseDocument({
      bytes: new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61]),
      fileName: 'anim.gif',
      limits: defaultParseLimits,
    }),
    (error: Error & { code: string; fix: string }) => {
      assert.equal(error.code, 'parse.unsupported_type');
      assert.match(error.fix, /PNG/);
      return true;
    },
  );
  await assert.rejects(
    parseDocument({
      bytes: new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]),
      fileName: 'tool',
      limits: defaultParseLimits,
    }),
    {
      code: 'parse.unsupported_type',
    },
  );
});

test('a media type given by the source is used when the bytes are only "some text"', async () => {
  const document = await parseDocument({
    bytes: text('Claim;Status\nCL-1;Open\n'),
    fileName: 'export',
    mediaType: 'text/csv',
    limits: defaultParseLimits,
  });
  assert.equal(document.mediaType, 'text/csv');
  assert.equal(document.sections[0]?.text, 'Claim: CL-1; Status: Open');
});
