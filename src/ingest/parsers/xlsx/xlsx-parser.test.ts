import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeXlsx } from '../fixtures/generate-fixtures.ts';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';
import { parserContract } from '../parser.contract.ts';
import { xlsxParser } from './xlsx-parser.ts';

parserContract({
  parser: xlsxParser,
  samples: async () => [
    { fileName: 'rates.xlsx', bytes: await makeXlsx(), expectText: ['Territory: Springfield; Construction: Frame'] },
  ],
});

test('each sheet is a heading; the header row is found below a title row; formulas give results; dates are ISO', async () => {
  const document = await parseDocument({ bytes: await makeXlsx(), fileName: 'rates.xlsx', limits: defaultParseLimits });
  assert.equal(document.title, 'Homeowners rates 2026');
  assert.equal(document.metadata.author, 'Pricing Team');
  assert.deepEqual(document.metadata.sheets, ['Base rates', 'Deductibles']);
  assert.deepEqual(
    document.sections.map((section) => [section.kind, section.headingPath, section.text]),
    [
      ['text', ['Base rates'], 'HO-3 base rates, effective 1 March 2026'],
      [
        'table',
        ['Base rates'],
        [
          'Territory: Springfield; Construction: Frame; Rate per 1,000: 3.12; Effective: 2026-03-01',
          'Territory: Springfield; Construction: Masonry; Rate per 1,000: 2.87; Effective: 2026-03-01',
          'Territory: Shelbyville; Construction: Frame; Rate per 1,000: 3.432; Effective: 2026-03-01',
        ].join('\n'),
      ],
      ['table', ['Deductibles'], 'Deductible: 500; Factor: 1.08\nDeductible: 1000; Factor: 1'],
    ],
  );
});
