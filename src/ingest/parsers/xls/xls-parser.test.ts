import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectMediaType, mediaTypes } from '../detect-media-type.ts';
import { makeXls } from '../fixtures/generate-legacy-fixtures.ts';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';
import { parserContract } from '../parser.contract.ts';
import { isDateFormat } from './biff-reader.ts';
import { xlsParser } from './xls-parser.ts';

parserContract({
  parser: xlsParser,
  samples: async () => [{ fileName: 'loss-runs.xls', bytes: await makeXls(), expectText: ['CL-2009-0031'] }],
});

test('.xls: sheets, shared strings, RK and NUMBER cells, dates by their cell format, the header row detected', async () => {
  const bytes = await makeXls();
  assert.equal(detectMediaType('loss-runs', bytes), mediaTypes.xls);
  const document = await parseDocument({ bytes, fileName: 'loss-runs.xls', limits: defaultParseLimits });
  assert.deepEqual(document.metadata.sheets, ['Loss runs 2009', 'Notes']);
  assert.deepEqual(
    document.sections.map((section) => [section.kind, section.headingPath, section.text]),
    [
      ['text', ['Loss runs 2009'], 'Loss run, commercial property, 2009'],
      [
        'table',
        ['Loss runs 2009'],
        'Claim: CL-2009-0031; Paid: 12500; Reported: 2009-11-02\nClaim: CL-2009-0044; Paid: 3812.75; Reported: 2009-12-14',
      ],
      ['table', ['Notes'], 'Reviewed: Yes'],
    ],
  );
});

test('date formats are told from number formats', () => {
  assert.equal(isDateFormat('dd/mm/yyyy'), true);
  assert.equal(isDateFormat('[$-409]mmmm d, yyyy;@'), true);
  assert.equal(isDateFormat('#,##0.00 "days"'), false);
  assert.equal(isDateFormat('[Red]0.00'), false);
});
