import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';

/** `groundwork vocabulary …` as a process on the local store (the local operator). */
describe('groundwork vocabulary (CLI, embedded)', () => {
  test('add, list, suggest, export-pairs --format jsonl, remove; bad input exits with a coded error', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'gw-vocabulary-cli-'));
    mkdirSync(join(cwd, 'docs'));
    writeFileSync(join(cwd, 'docs', 'intake.md'), '# Intake\n\nSubmit the first notice of loss (FNOL) within three days.\n');
    writeFileSync(join(cwd, 'docs', 'hours.md'), '# Hours\n\nThe office opens at nine and closes at five.\n');
    const run = (...args: string[]) => runGroundwork([...args, '--data-dir', join(cwd, 'data')], { cwd });
    assert.equal((await run('ingest', 'docs', '--readable-by', 'group:staff')).code, 0);

    const bad = await run('vocabulary', 'add', '***', 'x');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /vocabulary\.invalid_term/);

    const suggested = JSON.parse((await run('vocabulary', 'suggest', '--json')).stdout);
    assert.deepEqual(
      suggested.acronyms.map((a: { term: string; expansion: string }) => [a.term, a.expansion]),
      [['FNOL', 'first notice of loss']],
    );
    const added = await run('vocabulary', 'add', 'FNOL', 'first notice of loss');
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /FNOL = first notice of loss {2}\(acronym, every use case, version 1\)/);
    const listed = JSON.parse((await run('vocabulary', 'list', '--json')).stdout);
    assert.equal(listed.version, 1);
    assert.deepEqual(listed.entries[0].expansions, ['first notice of loss']);

    const dataset = join(cwd, 'cases.jsonl');
    writeFileSync(
      dataset,
      `${JSON.stringify({ id: 'q1', question: 'first notice of loss deadline', relevant_documents: ['intake.md'] })}\n`,
    );
    const imported = await run('eval', 'import', 'intake', dataset);
    assert.equal(imported.code, 0, imported.stderr);
    const exported = await run('vocabulary', 'export-pairs', '--format', 'jsonl', '--out', 'pairs.jsonl');
    assert.equal(exported.code, 0, exported.stderr);
    const pairs = readFileSync(join(cwd, 'pairs.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(pairs.length, 1);
    assert.equal(pairs[0].query, 'first notice of loss deadline');
    assert.match(pairs[0].positive, /Submit the first notice of loss/);
    assert.deepEqual(pairs[0].hardNegatives.length <= 3, true);
    const badFormat = await run('vocabulary', 'export-pairs', '--format', 'csv');
    assert.match(badFormat.stderr, /vocabulary\.invalid_option/);

    assert.equal((await run('vocabulary', 'remove', 'fnol')).code, 0);
    const history = JSON.parse((await run('vocabulary', 'list', '--history', '--json')).stdout);
    assert.deepEqual(
      history.versions.map((v: { action: string }) => v.action),
      ['remove', 'add'],
    );
  });
});
