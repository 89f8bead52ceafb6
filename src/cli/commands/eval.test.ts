import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';
import { loadConfig } from '../../core/index.ts';
import { openStore } from '../../store/index.ts';

// The real executable on an embedded data directory (each command opens the store: a few seconds each).
describe('cli: groundwork eval (real process, embedded store)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-eval-'));
  const dataDir = join(dir, 'data');
  const gw = (...args: string[]) => runGroundwork(['--data-dir', dataDir, ...args], { cwd: dir });

  before(async () => {
    const db = await openStore(loadConfig({ env: {}, flags: { dataDir }, cwd: dir }).config);
    // Written as ingestion writes them; the retrieval triggers maintain the lexical postings.
    await db.query(`INSERT INTO sources (id, name, type) VALUES ('share', 'share', 'filesystem')`);
    const docs = [
      ['home', 'group:staff', 'Home insurance covers fire damage up to 500000 dollars.'],
      ['motor', 'group:staff', 'The motor deductible is 250 dollars.'],
      ['claims', 'group:claims', 'Claims must be reported within 24 hours.'],
    ];
    for (const [id, principal, text] of docs) {
      await db.query(
        `INSERT INTO documents (id, source_id, source_ref, uri, title, principals, status, chunk_count, content_hash)
         VALUES ($1, 'share', $1 || '.txt', 'file:///' || $1, $1, ARRAY[$2], 'indexed', 1, md5($3))`,
        [id, principal, text],
      );
      await db.query(
        `INSERT INTO chunks (id, document_id, source_id, ordinal, text, token_count, content_hash, principals)
         VALUES ($1 || '-c0', $1, 'share', 0, $3, 10, md5($3), ARRAY[$2])`,
        [id, principal, text],
      );
    }
    await db.close();
    writeFileSync(
      join(dir, 'cases.jsonl'),
      [
        { id: 'fire', question: 'fire damage home insurance', relevant_documents: ['home.txt'], principals: ['group:staff'] },
        { id: 'claims', question: 'claims reported hours', relevant_documents: ['claims'], principals: ['group:claims'] },
      ]
        .map((c) => JSON.stringify(c))
        .join('\n'),
    );
    writeFileSync(join(dir, 'bad.csv'), 'question,relevant_documents\nok,home\nmissing,nowhere.pdf\n,home\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('import reports every bad row at once and imports nothing (exit 2)', async () => {
    const bad = await gw('eval', 'import', 'broken', 'bad.csv', '--json');
    assert.equal(bad.code, 2, bad.stderr);
    const error = JSON.parse(bad.stdout).error;
    assert.equal(error.code, 'evaluate.invalid_dataset');
    assert.deepEqual(
      error.details.problems.map((p: { line: number }) => p.line),
      [3, 4],
    );
    const ok = await gw('eval', 'import', 'policies', 'cases.jsonl', '--json');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).version, 1);
  });

  test('run: a misspelt gate is a usage error; a failing gate exits 1 and writes a JUnit report', async () => {
    const typo = await gw('eval', 'run', 'policies', '--fail-if', 'ndgc@10 < 0.6');
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /Unknown metric "ndgc@10".*\n.*ndcg@K, recall@K, precision@K/);
    const passing = await gw('eval', 'run', 'policies', '--label', 'baseline', '--fail-if', 'ndcg@10 < 0.6', '--json');
    assert.equal(passing.code, 0, passing.stderr);
    assert.equal(JSON.parse(passing.stdout).passed, true);
    const failing = await gw(
      'eval',
      'run',
      'policies',
      '--baseline',
      'baseline',
      '--fail-if',
      'precision@5 < 0.5',
      '--report-format',
      'junit',
      '--out',
      'report.xml',
    );
    assert.equal(failing.code, 1, failing.stderr);
    const junit = readFileSync(join(dir, 'report.xml'), 'utf8');
    assert.match(junit, /name="gate: precision@5 &lt; 0.5"><failure message="precision@5 = 0.2000"/);
    assert.match(junit, /name="no regression: ndcg@10"\/>/);
  });

  test('runs, show (as principals) and compare print JSON', async () => {
    const runs = JSON.parse((await gw('eval', 'runs', '--json')).stdout);
    assert.equal(runs.length, 2);
    const shown = await gw('eval', 'show', 'baseline', '--as', 'group:staff', '--json');
    assert.equal(shown.code, 0, shown.stderr);
    const run = JSON.parse(shown.stdout);
    assert.deepEqual(
      run.cases.map((c: { externalId: string }) => c.externalId),
      ['fire'],
    );
    assert.equal(run.hiddenCases, 1);
    const compared = await gw('eval', 'compare', 'baseline', runs[0].id, '--json');
    assert.equal(compared.code, 0, compared.stderr);
    const comparison = JSON.parse(compared.stdout);
    assert.equal(comparison.regressed, false);
    assert.ok(comparison.metrics.some((m: { metric: string }) => m.metric === 'ndcg@10'));
  });
});
