import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';
import { loadConfig, silentLogger } from '../../core/index.ts';
import { createPlatform } from '../../create-platform.ts';
import { parseSince } from './traces.ts';

/** Records one answer trace into an embedded data directory, as a server process would. */
async function recordAnswer(dataDir: string): Promise<string> {
  const platform = await createPlatform(loadConfig({ env: {}, flags: { dataDir }, cwd: '/nonexistent' }), {
    logger: silentLogger,
  });
  try {
    const root = platform.tracer.startSpan('answer', undefined, {
      'groundwork.operation': 'answer',
      'groundwork.caller': 'user:alice@example.com',
      'groundwork.use_case': 'underwriting-qa',
      'groundwork.question': 'What is the flood deductible?',
    });
    platform.tracer.startSpan('retrieve', root.context, { 'groundwork.retrieved': [] }).end();
    platform.tracer
      .startSpan('generate', root.context, {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 2000,
        'gen_ai.usage.output_tokens': 300,
      })
      .end();
    root.setAttributes({ 'groundwork.answer': 'It is $1,000 [1].', 'groundwork.refused': false });
    root.end();
    return root.context.traceId;
  } finally {
    await platform.close();
  }
}

describe('groundwork traces / cost / prompts (CLI process)', () => {
  test('--since parses durations and dates, and rejects the rest', () => {
    const now = new Date('2026-11-25T12:00:00Z');
    assert.equal(parseSince('7d', now).toISOString(), '2026-11-18T12:00:00.000Z');
    assert.equal(parseSince('30m', now).toISOString(), '2026-11-25T11:30:00.000Z');
    assert.equal(parseSince('2026-11-01', now).toISOString(), '2026-11-01T00:00:00.000Z');
    assert.throws(() => parseSince('yesterday', now), /neither a duration nor a date/);
  });

  test('traces list/show, cost report and a prompt round trip on an embedded data directory', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'gw-observe-cli-'));
    const dataDir = join(cwd, 'data');
    const traceId = await recordAnswer(dataDir);
    const flags = ['--data-dir', dataDir];

    const list = await runGroundwork(['traces', 'list', '--use-case', 'underwriting-qa', '--json', ...flags], { cwd });
    assert.equal(list.code, 0, list.stderr);
    const listed = JSON.parse(list.stdout) as { traces: Array<{ id: string; outcome: string; costUsd: number }> };
    assert.deepEqual(
      listed.traces.map((t) => [t.id, t.outcome]),
      [[traceId, 'answered']],
    );

    const show = await runGroundwork(['traces', 'show', traceId, ...flags], { cwd });
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /underwriting-qa/);
    assert.match(show.stdout, /answer\s+[\d.]+ ms/);
    assert.match(show.stdout, /├─ retrieve/);
    assert.match(show.stdout, /└─ generate .*openai:gpt-4o-mini, 2000 in \/ 300 out/);
    // Default retention is `redact`: the question is kept (it has no PII here).
    assert.match(show.stdout, /question\s+What is the flood deductible\?/);

    const missing = await runGroundwork(['traces', 'show', 'trc_missing', '--json', ...flags], { cwd });
    assert.equal(missing.code, 1);
    assert.equal(JSON.parse(missing.stdout).error.code, 'trace.not_found');

    const report = await runGroundwork(['cost', 'report', '--by', 'use-case', '--since', '1d', '--json', ...flags], { cwd });
    assert.equal(report.code, 0, report.stderr);
    const body = JSON.parse(report.stdout) as { rows: Array<{ key: string; costUsd: number }>; prices: { asOf: string } };
    assert.equal(body.rows[0]?.key, 'underwriting-qa');
    assert.ok(Math.abs((body.rows[0]?.costUsd ?? 0) - (2000 * 0.15 + 300 * 0.6) / 1e6) < 1e-12);
    assert.equal(body.prices.asOf, '2026-11');
    const bad = await runGroundwork(['cost', 'report', '--by', 'planet', ...flags], { cwd });
    assert.equal(bad.code, 2);

    writeFileSync(join(cwd, 'bad.txt'), 'Answer {{question}} from {{contxt}}');
    const invalid = await runGroundwork(['prompts', 'create', 'uw', '--file', 'bad.txt', '-m', 'typo', '--json', ...flags], {
      cwd,
    });
    assert.equal(invalid.code, 2);
    assert.equal(JSON.parse(invalid.stdout).error.code, 'prompts.invalid_template');
  });
});
