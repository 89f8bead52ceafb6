import assert from 'node:assert/strict';
import { test } from 'node:test';
import iconv from 'iconv-lite';
import { makeEml } from '../fixtures/generate-fixtures.ts';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';
import { parserContract } from '../parser.contract.ts';
import { emlParser } from './eml-parser.ts';

parserContract({
  parser: emlParser,
  samples: async () => [
    { fileName: 'receipts.eml', bytes: makeEml(), expectText: ['From: "Dana Whitfield"', 'total 1,890 USD'] },
  ],
});

test('headers become metadata and the top of the body; attachments become children', async () => {
  const document = await parseDocument({ bytes: makeEml(), fileName: 'receipts.eml', limits: defaultParseLimits });
  assert.equal(document.title, 'Claim CL-2026-0142 receipts');
  assert.equal(document.metadata.from, '"Dana Whitfield" <dana.whitfield@example.com>');
  assert.equal(document.metadata.to, '"Claims Desk" <claims@example.com>');
  assert.equal(document.metadata.created, '2026-09-21T13:14:00.000Z');
  const [section] = document.sections;
  assert.deepEqual(section?.headingPath, ['Claim CL-2026-0142 receipts']);
  assert.equal(
    section?.text,
    [
      'From: "Dana Whitfield" <dana.whitfield@example.com>',
      'To: "Claims Desk" <claims@example.com>',
      'Subject: Claim CL-2026-0142 receipts',
      'Date: 2026-09-21T13:14:00.000Z',
      '',
      'Hello, attached are the receipts for the drying service and the plumber — total 1,890 USD.',
    ].join('\n'),
  );
  assert.equal(document.children.length, 1);
  const [child] = document.children;
  assert.equal(child?.name, 'receipts.txt');
  assert.equal(child?.path, 'attachments/receipts.txt');
  assert.equal(child?.mediaType, 'text/plain');
  assert.match(new TextDecoder().decode(child?.bytes), /Plumber invoice 2026-09-18: 640 USD/);
});

test('an HTML-only e-mail is converted to text', async () => {
  const eml = [
    'From: a@example.com',
    'To: b@example.com',
    'Subject: Reserve update',
    'Date: Tue, 22 Sep 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/html; charset=iso-8859-1',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    '<html><body><h2>Reserve</h2><p>Reserve raised to 12.500 =80 after re-inspection, caf=E9 area.</p><script>x()</script></body></html>',
  ].join('\r\n');
  const document = await parseDocument({
    bytes: new TextEncoder().encode(eml),
    fileName: 'update.eml',
    limits: defaultParseLimits,
  });
  const reserve = document.sections.find((section) => section.text.includes('Reserve raised'));
  assert.deepEqual(reserve?.headingPath, ['Reserve update', 'Reserve']);
  assert.match(reserve?.text ?? '', /café area/);
  assert.ok(!document.sections.some((section) => section.text.includes('x()')));
});

test('8-bit headers and body without a declared charset are decoded by detection, not as UTF-8', async () => {
  const head = [
    'From: "Jürgen Müller" <legacy-claims@example.com>',
    'To: desk@example.com',
    'Subject: Schadenmeldung für das Gebäude',
    'Date: Tue, 22 Sep 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Transfer-Encoding: 8bit',
    '',
    '',
  ].join('\r\n');
  const body = iconv.encode('Prüfung läuft, Selbstbehalt 500 € – Gebäude beschädigt, Schätzung folgt.', 'windows-1252');
  // Legacy headers and body, then UTF-8 headers (added by a gateway) over a legacy body.
  for (const headBytes of [iconv.encode(head, 'windows-1252'), Buffer.from(head)]) {
    const document = await parseDocument({
      bytes: new Uint8Array(Buffer.concat([headBytes, body])),
      fileName: 'legacy.eml',
      limits: defaultParseLimits,
    });
    assert.match(document.sections[0]?.text ?? '', /Prüfung läuft, Selbstbehalt 500 € – Gebäude beschädigt, Schätzung folgt\.$/);
    assert.equal(document.title, 'Schadenmeldung für das Gebäude');
    assert.equal(document.metadata.from, '"Jürgen Müller" <legacy-claims@example.com>');
  }
});
