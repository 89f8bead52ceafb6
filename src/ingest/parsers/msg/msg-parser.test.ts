import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectMediaType, mediaTypes } from '../detect-media-type.ts';
import { makeMsg, sampleMsg } from '../fixtures/generate-legacy-fixtures.ts';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';
import { parserContract } from '../parser.contract.ts';
import { msgParser } from './msg-parser.ts';

parserContract({
  parser: msgParser,
  samples: async () => [{ fileName: 'claim.msg', bytes: await makeMsg(), expectText: ['burst pipe flooded the basement'] }],
});

test('.msg: headers as metadata and a header block, the body, attachments and attached messages as children', async () => {
  const bytes = await makeMsg();
  assert.equal(detectMediaType('claim.bin', bytes), mediaTypes.msg);
  const document = await parseDocument({ bytes, fileName: 'mail/claim.msg', limits: defaultParseLimits });
  assert.equal(document.title, 'Claim CL-2012-0415 water damage');
  assert.equal(document.metadata.from, 'Dana Whitfield <dana.whitfield@example.com>');
  assert.equal(document.metadata.to, 'Claims Desk <claims@example.com>');
  assert.equal(document.metadata.cc, 'Lee Park <lee.park@example.com>');
  assert.equal(document.metadata.created, '2012-06-04T08:15:00.000Z');
  assert.deepEqual(document.sections[0]?.headingPath, ['Claim CL-2012-0415 water damage']);
  assert.match(
    document.sections[0]?.text ?? '',
    /^From: Dana Whitfield <dana\.whitfield@example\.com>\nTo: Claims Desk <claims@example\.com>\nCc: Lee Park .*\nSubject: .*\nDate: 2012-06-04T08:15:00\.000Z\n\nHello,\n\nthe burst pipe/,
  );
  assert.deepEqual(
    document.children.map((child) => [child.path, child.mediaType]),
    [
      ['attachments/invoice.txt', 'text/plain'],
      ['attachments/Re: basement photos.msg', mediaTypes.msg],
    ],
  );
  assert.equal(new TextDecoder().decode(document.children[0]?.bytes), 'Plumber invoice 2012-06-02: 480 USD');
  // The attached Outlook item is a message of its own.
  const inner = await parseDocument({
    bytes: document.children[1]?.bytes ?? new Uint8Array(),
    fileName: 'inner.msg',
    limits: defaultParseLimits,
    depth: 1,
  });
  assert.equal(inner.title, 'Re: basement photos');
  assert.match(inner.sections[0]?.text ?? '', /Photos of the flooded basement/);
});

test('.msg: an HTML body keeps its structure; attached messages beyond ingest.zip.maxDepth are skipped with a warning', async () => {
  const bytes = await makeMsg({
    ...sampleMsg(),
    body: 'plain fallback',
    html: '<html><body><h2>Reserve</h2><table><tr><th>Item</th><th>Amount</th></tr><tr><td>Drying</td><td>1,250</td></tr></table></body></html>',
  });
  const document = await parseDocument({ bytes, fileName: 'claim.msg', limits: defaultParseLimits, depth: 2 });
  assert.ok(document.sections.some((section) => section.kind === 'table' && /Item: Drying; Amount: 1,250/.test(section.text)));
  assert.deepEqual(
    document.children.map((child) => child.path),
    ['attachments/invoice.txt'],
  );
  assert.match(document.warnings.map((warning) => warning.message).join('\n'), /maxDepth/);
});
