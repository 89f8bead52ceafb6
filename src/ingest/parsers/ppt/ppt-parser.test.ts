import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectMediaType, mediaTypes } from '../detect-media-type.ts';
import { makePpt } from '../fixtures/generate-legacy-fixtures.ts';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';
import { parserContract } from '../parser.contract.ts';
import { pptParser } from './ppt-parser.ts';

parserContract({
  parser: pptParser,
  samples: async () => [{ fileName: 'flood.ppt', bytes: await makePpt(), expectText: ['Retention 5M', 'Elbe flood'] }],
});

test('.ppt: a page per slide, the title as heading, body text (UTF-16 and Latin-1 atoms), speaker notes on their slide', async () => {
  const bytes = await makePpt();
  assert.equal(detectMediaType('flood.pps', bytes), mediaTypes.ppt);
  const document = await parseDocument({ bytes, fileName: 'flood.ppt', limits: defaultParseLimits });
  assert.equal(document.title, 'Flood programme 2007');
  assert.equal(document.pageCount, 2);
  assert.deepEqual(
    document.sections.map((section) => [section.kind, section.headingPath, section.text, section.pageStart]),
    [
      ['text', ['Flood programme 2007'], 'Retention 5M\nLimit 50M', 1],
      ['notes', ['Flood programme 2007'], 'Ask the broker about the reinstatement.', 1],
      ['text', ['Loss history'], 'Three events since 1998\nLargest loss 12M — 2002 Elbe flood', 2],
    ],
  );
});
