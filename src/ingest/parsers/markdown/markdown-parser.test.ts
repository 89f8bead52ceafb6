import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';
import { parserContract } from '../parser.contract.ts';
import { markdownParser } from './markdown-parser.ts';

const encoder = new TextEncoder();
const guide = `---
title: Underwriting guide
author: Personal Lines
---

Intro paragraph with **bold** and a [link](https://example.com).

# Eligibility

## Roof

- Maximum roof age is *20 years* for \`asphalt\` shingles.

## Authority

| Role | Limit |
|------|------:|
| Underwriter I | 5,000,000 USD |
| Manager | 25,000,000 USD |

\`\`\`
# not a heading inside code
\`\`\`

Setext heading
--------------

Text under setext.
`;

parserContract({
  parser: markdownParser,
  samples: async () => [
    { fileName: 'guide.md', bytes: encoder.encode(guide), expectText: ['Maximum roof age is 20 years for asphalt shingles'] },
  ],
});

test('headings become paths, tables become table sections, front matter gives the title', async () => {
  const document = await parseDocument({ bytes: encoder.encode(guide), fileName: 'guide.md', limits: defaultParseLimits });
  assert.equal(document.title, 'Underwriting guide');
  assert.equal(document.metadata.author, 'Personal Lines');
  const byText = (needle: string) => document.sections.find((section) => section.text.includes(needle));
  assert.deepEqual(byText('Intro paragraph with bold and a link.')?.headingPath, []);
  assert.deepEqual(byText('Maximum roof age')?.headingPath, ['Eligibility', 'Roof']);
  const table = document.sections.find((section) => section.kind === 'table');
  assert.deepEqual(table?.headingPath, ['Eligibility', 'Authority']);
  assert.equal(table?.text, 'Role: Underwriter I; Limit: 5,000,000 USD\nRole: Manager; Limit: 25,000,000 USD');
  assert.deepEqual(byText('# not a heading inside code')?.headingPath, ['Eligibility', 'Authority']);
  assert.deepEqual(byText('Text under setext.')?.headingPath, ['Eligibility', 'Setext heading']);
  assert.ok(!document.sections.some((section) => section.text.includes('---')));
});

test('without front matter the first heading is the title', async () => {
  const document = await parseDocument({
    bytes: encoder.encode('# Claims glossary\n\nACV: actual cash value.'),
    fileName: 'g.md',
    limits: defaultParseLimits,
  });
  assert.equal(document.title, 'Claims glossary');
});
