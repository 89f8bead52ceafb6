import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';

describe('cli: chunks preview (real process, no store)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-chunks-'));
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
    assert.match(report.chunks[0].text, /\[EMAIL_1\]/);
    assert.doesNotMatch(result.stdout, /dana@example\.com/);
    assert.deepEqual(report.chunks.at(-1).sectionPath, ['Claims guide', 'Reserves']);
  });

  test('impossible sizes are a usage error', async () => {
    const result = await runGroundwork(['chunks', 'guide.md', '--target', '100', '--overlap', '80'], { cwd: dir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /chunking\.invalid_options/);
  });
});
