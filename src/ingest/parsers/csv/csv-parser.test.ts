import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';
import { parserContract } from '../parser.contract.ts';
import { csvParser } from './csv-parser.ts';
import { detectDelimiter, parseCsv } from './parse-csv.ts';

const encoder = new TextEncoder();

parserContract({
  parser: csvParser,
  samples: async () => [
    {
      fileName: 'rates.csv',
      bytes: encoder.encode('Territory,Rate\nSpringfield,3.12\nShelbyville,3.43\n'),
      expectText: ['Territory: Springfield; Rate: 3.12'],
    },
    { fileName: 'claims.tsv', bytes: encoder.encode('Claim\tStatus\nCL-1\tOpen\n'), expectText: ['Claim: CL-1; Status: Open'] },
  ],
});

test('quoted fields keep delimiters, doubled quotes and line breaks', () => {
  const rows = parseCsv('name,comment\r\n"Smith, J.","said ""hello""\nthen left"\r\nDoe,plain\r\n', ',');
  assert.deepEqual(rows, [
    ['name', 'comment'],
    ['Smith, J.', 'said "hello"\nthen left'],
    ['Doe', 'plain'],
  ]);
});

test('the delimiter is detected: semicolon (European Excel), tab, pipe', () => {
  assert.equal(detectDelimiter('Betrag;Datum;Text\n1,50;2026-01-01;a, b\n2,75;2026-01-02;c\n'), ';');
  assert.equal(detectDelimiter('a\tb\tc\n1\t2\t3\n'), '\t');
  assert.equal(detectDelimiter('a|b\n1|2\n'), '|');
  assert.equal(detectDelimiter('a,b\n1,2\n'), ',');
});

test('rows render as "Header: value" and a big CSV is split into table sections of whole rows', async () => {
  const lines = ['Policy;Insured;Premium'];
  for (let i = 0; i < 2000; i++) lines.push(`HO3-${100000 + i};"Insured ${i}; Jr.";${(500 + i).toFixed(2).replace('.', ',')}`);
  const document = await parseDocument({
    bytes: encoder.encode(lines.join('\n')),
    fileName: 'policies.csv',
    limits: defaultParseLimits,
  });
  assert.ok(document.sections.length > 5, 'expected several row groups');
  for (const section of document.sections) {
    assert.equal(section.kind, 'table');
    assert.ok(section.text.length <= 6000);
    for (const line of section.text.split('\n'))
      assert.match(line, /^Policy: HO3-\d+; Insured: Insured \d+; Jr\.; Premium: \d+,\d\d$/);
  }
  const all = document.sections.flatMap((section) => section.text.split('\n'));
  assert.equal(all.length, 2000);
  assert.equal(all[0], 'Policy: HO3-100000; Insured: Insured 0; Jr.; Premium: 500,00');
});

test('a CSV without a header row renders values', async () => {
  const document = await parseDocument({
    bytes: encoder.encode('1,2,3\n4,5,6\n'),
    fileName: 'numbers.csv',
    limits: defaultParseLimits,
  });
  assert.equal(document.sections[0]?.text, '1; 2; 3\n4; 5; 6');
});

test('years in the header row are column names', async () => {
  const document = await parseDocument({
    bytes: encoder.encode('Region,2025,2026\nNorth,1.2,1.3\n'),
    fileName: 'loss-ratios.csv',
    limits: defaultParseLimits,
  });
  assert.equal(document.sections[0]?.text, 'Region: North; 2025: 1.2; 2026: 1.3');
});
