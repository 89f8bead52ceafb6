import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { twoColumnPage } from '../../../test/helpers/ocr-pages.ts';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';

describe('cli: chunks preview (real process, no store)', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-chunks-'));
    writeFileSync(join(dir, 'article.png'), (await twoColumnPage({ dpi: 200, height: 0.33, seed: 41 })).png);
    const body = Array.from(
      { length: 40 },
      (_, i) => `Step ${i}: record the loss and call the insured at dana@example.com.`,
    ).join(' ');
    writeFileSync(
      join(dir, 'guide.md'),
      `# Claims guide\n\n## First notice of loss\n\n${body}\n\n## Reserves\n\nSet a reserve within 48 hours.\n`,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('shows sizes, sections and PII counts with redacted previews', async () => {
    const result = await runGroundwork(['chunks', 'guide.md', '--target', '120', '--overlap', '20', '--json'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(report.options, { targetTokens: 120, overlapTokens: 20 });
    assert.ok(report.summary.chunks >= 4);
    assert.ok(report.summary.maxTokens <= 120 + 24);
    assert.deepEqual(report.chunks[0].sectionPath, ['Claims guide', 'First notice of loss']);
    assert.ok(report.chunks[0].pii.email >= 1);
    assert.ok(report.chunks[0].piiTypes.includes('email'));
    // Why the document would be labelled as it is: the reasons name PII types and counts, never values.
    assert.ok(report.sensitivity.label);
    assert.ok(report.sensitivity.reasons.some((reason: { detail: string }) => /email/.test(reason.detail)));
    assert.deepEqual(report.pages, []);
    assert.match(report.chunks[0].text, /\[EMAIL_1\]/);
    assert.doesNotMatch(result.stdout, /dana@example\.com/);
    assert.deepEqual(report.chunks.at(-1).sectionPath, ['Claims guide', 'Reserves']);
  });

  test('a scanned page shows its OCR confidence and the layout found', async () => {
    const result = await runGroundwork(['chunks', 'article.png', '--json'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.pages.length, 1);
    const [page] = report.pages;
    assert.equal(page.page, 1);
    assert.equal(page.ocr.columns, 2);
    assert.equal(page.ocr.tables, 0);
    assert.equal(page.ocr.rotated, 0);
    assert.ok(page.ocr.confidence > 0.6 && page.ocr.lowConfidence === false, JSON.stringify(page));
    // The claims prose holds no personal data. Its column marker, "Northfield", is a surname as well as a
    // place: alone at the start of a line, with no context, the detector counts it as a name (recall first).
    assert.ok(
      report.chunks[0].piiTypes.every((type: string) => type === 'person'),
      JSON.stringify(report.chunks[0].piiTypes),
    );
    assert.ok((report.chunks[0].text.match(/\[PERSON_\d+\]/g) ?? []).length <= 1, report.chunks[0].text);
  });

  test('impossible sizes are a usage error', async () => {
    const result = await runGroundwork(['chunks', 'guide.md', '--target', '100', '--overlap', '80'], { cwd: dir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /chunking\.invalid_options/);
  });
});
