import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makePptx } from '../fixtures/generate-fixtures.ts';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';
import { parserContract } from '../parser.contract.ts';
import { pptxParser } from './pptx-parser.ts';

const deck = () =>
  makePptx([
    {
      title: 'Q3 claims review',
      body: ['Claims up 4% & severity stable', 'Water damage is the top cause'],
      notes: 'Mention the January freeze.',
    },
    {
      title: 'Next steps',
      body: ['Hire two field adjusters'],
      table: [
        ['Region', 'Adjusters'],
        ['North', '2'],
      ],
    },
    { title: 'Questions', body: [], notes: 'Leave ten minutes.' },
  ]);

parserContract({
  parser: pptxParser,
  samples: async () => [
    { fileName: 'review.pptx', bytes: deck(), expectText: ['Hire two field adjusters', 'Mention the January freeze.'] },
  ],
});

test('slides in presentation order, one page each, titles as headings, notes as notes sections', async () => {
  const document = await parseDocument({ bytes: deck(), fileName: 'review.pptx', limits: defaultParseLimits });
  assert.equal(document.title, 'Quarterly claims review');
  assert.equal(document.pageCount, 3);
  assert.deepEqual(
    document.sections.map((section) => [section.kind, section.headingPath, section.pageStart, section.text]),
    [
      ['text', ['Q3 claims review'], 1, 'Claims up 4% & severity stable\nWater damage is the top cause'],
      ['notes', ['Q3 claims review'], 1, 'Mention the January freeze.'],
      ['text', ['Next steps'], 2, 'Hire two field adjusters'],
      ['table', ['Next steps'], 2, 'Region: North; Adjusters: 2'],
      ['text', ['Questions'], 3, 'Questions'],
      ['notes', ['Questions'], 3, 'Leave ten minutes.'],
    ],
  );
});
