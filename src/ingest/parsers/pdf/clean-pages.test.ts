import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanPdfPages } from './clean-pages.ts';

test('running headers, footers and page numbers are removed; body lines that merely repeat are kept', () => {
  const bodies = [
    'Coverage A applies to the dwelling.',
    'Deductibles apply per occurrence.',
    'Exclusions: flood, earth movement.',
    'Conditions: notice of loss.',
  ];
  const pages = bodies.map((body, index) =>
    [
      'Meridian Mutual Insurance — Policy form HO-3',
      body,
      'See the Declarations.',
      `${body} (continued)`,
      `Page ${index + 1} of 4`,
    ].join('\n'),
  );
  const result = cleanPdfPages(pages);
  assert.deepEqual(
    result.pages[1],
    'Deductibles apply per occurrence.\nSee the Declarations.\nDeductibles apply per occurrence. (continued)',
  );
  assert.equal(result.removedLines, 8);
});

test('bare page numbers go; short documents are left alone; hyphenated words are joined', () => {
  const pages = ['Intro text line one.\nIntro line two.\n1', 'Second page text.\nMore.\n2', 'Third page text.\nEnd.\n3'];
  assert.deepEqual(cleanPdfPages(pages).pages, [
    'Intro text line one.\nIntro line two.',
    'Second page text.\nMore.',
    'Third page text.\nEnd.',
  ]);
  assert.deepEqual(cleanPdfPages(['Header\nText', 'Header\nOther']).pages, ['Header\nText', 'Header\nOther']);
  assert.equal(
    cleanPdfPages(['The claims proce-\ndure is simple; water-\nDamage stays.'])?.pages[0],
    'The claims procedure is simple; water-\nDamage stays.',
  );
});

test('pages that are only the recurring line keep it', () => {
  const pages = ['habibi حبيبي', 'habibi حبيبي', 'habibi حبيبي'];
  assert.deepEqual(cleanPdfPages(pages), { pages, removedLines: 0 });
});
