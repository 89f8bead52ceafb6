import assert from 'node:assert/strict';
import { test } from 'node:test';
import iconv from 'iconv-lite';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';
import { parserContract } from '../parser.contract.ts';
import { htmlParser } from './html-parser.ts';

const encoder = new TextEncoder();
const page = `<!doctype html><html><head><title>Claims Procedures</title><meta name="author" content="Claims Ops">
<style>body { color: red }</style><script>var tracking = 1;</script></head>
<body>
<header><nav><a href="/">Home</a> · <a href="/forms">Forms</a></nav></header>
<nav>Portal menu</nav>
<h1>Property claims</h1>
<p>Chapter 4 of the manual.</p>
<h2>First notice of loss</h2>
<ol><li>Verify the policy.</li><li>Record the &amp; cause of loss.</li></ol>
<div style="display:none">Hidden text</div>
<h3>Severity</h3>
<table><tr><th>Severity</th><th>Adjuster</th></tr><tr><td>1</td><td>Desk</td></tr><tr><td>3</td><td>Field</td></tr></table>
<h2>Reserves</h2><p>Set within 5 business days.<br>Review every 30 days.</p>
<aside>Related links</aside>
<footer>Internal use only</footer>
</body></html>`;

parserContract({
  parser: htmlParser,
  samples: async () => [
    { fileName: 'claims.html', bytes: encoder.encode(page), expectText: ['Verify the policy.', 'Record the & cause of loss.'] },
  ],
});

test('boilerplate is dropped, headings are paths, tables are rows with headers', async () => {
  const document = await parseDocument({ bytes: encoder.encode(page), fileName: 'claims.html', limits: defaultParseLimits });
  assert.equal(document.title, 'Claims Procedures');
  assert.equal(document.metadata.author, 'Claims Ops');
  const all = document.sections.map((section) => section.text).join('\n');
  for (const boilerplate of [
    'Home',
    'Portal menu',
    'tracking',
    'color: red',
    'Hidden text',
    'Related links',
    'Internal use only',
  ]) {
    assert.ok(!all.includes(boilerplate), `boilerplate "${boilerplate}" kept`);
  }
  assert.deepEqual(document.sections.find((section) => section.text.includes('Verify'))?.headingPath, [
    'Property claims',
    'First notice of loss',
  ]);
  const table = document.sections.find((section) => section.kind === 'table');
  assert.deepEqual(table?.headingPath, ['Property claims', 'First notice of loss', 'Severity']);
  assert.equal(table?.text, 'Severity: 1; Adjuster: Desk\nSeverity: 3; Adjuster: Field');
  assert.equal(
    document.sections.find((section) => section.text.includes('Set within'))?.text,
    'Set within 5 business days.\nReview every 30 days.',
  );
});

test('<main> is preferred over the rest of the page; the first h1 is the title without <title>', async () => {
  const html =
    '<html><body><div>Site banner text</div><main><h1>Endorsement MM-HO-WD-04</h1><p>Deductible 2,500 USD.</p></main><div>Cookie notice</div></body></html>';
  const document = await parseDocument({ bytes: encoder.encode(html), fileName: 'e.html', limits: defaultParseLimits });
  assert.equal(document.title, 'Endorsement MM-HO-WD-04');
  assert.deepEqual(
    document.sections.map((section) => section.text),
    ['Deductible 2,500 USD.'],
  );
});

test('<meta charset> is honoured for legacy pages', async () => {
  const html =
    '<html><head><meta charset="iso-8859-2"><title>Szkoda</title></head><body><p>Zgłoszenie szkody: łazienka, żółć.</p></body></html>';
  const document = await parseDocument({
    bytes: new Uint8Array(iconv.encode(html, 'iso-8859-2')),
    fileName: 'szkoda.html',
    limits: defaultParseLimits,
  });
  assert.equal(document.sections[0]?.text, 'Zgłoszenie szkody: łazienka, żółć.');
  assert.equal(document.stats.encoding, 'iso-8859-2');
});
