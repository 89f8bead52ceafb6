import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type OpenAICompatibleServer, startOpenAICompatibleServer } from '../../../test/helpers/openai-compatible-server.ts';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));

interface ForecastJson {
  useCase: string;
  model: string | null;
  modelTier: string;
  perQuery: { tokensIn: number; tokensOut: number; cost: number; allInCost: number };
  monthly: { total: number; model: number; embedding: number; ocr: number; infrastructure: number; engineering: number };
  perUser: { monthly: number; queriesPerDay: number } | null;
  ruleOfThumb: { tier: string; position: string; ranges: Record<string, { min: number; max: number }>; summary: string };
  assumptions: Record<string, { value: number | string | null; unit: string; source: string; note?: string }>;
}

// A real `groundwork` process on an embedded data directory: the example corpus (with its OCRed scan) ingested,
// answers asked extractively and through a loopback OpenAI-compatible model, an answer evaluation run.
describe('cli: cost forecast (embedded store, real process)', () => {
  let dir: string;
  let configFile: string;
  let server: OpenAICompatibleServer;
  const gw = (...args: string[]) =>
    runGroundwork(['--data-dir', join(dir, 'data'), '--config', configFile, ...args], { timeoutMs: 300_000 });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-forecast-cli-'));
    server = await startOpenAICompatibleServer({
      chat: () => ({ text: 'The deductible is $1,000 per occurrence [1].', promptTokens: 2400, completionTokens: 60 }),
    });
    configFile = join(dir, 'groundwork.config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        models: { providers: { local: { type: 'openai-compatible', baseUrl: server.baseUrl, trusted: true } } },
        observe: { prices: { models: { 'mid-model': { inputPerMillion: 0.4, outputPerMillion: 1.6 } } } },
      }),
    );
    const ingest = await gw('ingest', join(examples, 'corpus'), '--acl-map', join(examples, 'acl-map.yaml'));
    assert.equal(ingest.code, 0, ingest.stderr);
    for (const args of [
      ['use-cases', 'create', 'lookup', '--model', 'extractive'],
      ['use-cases', 'create', 'underwriting-qa', '--model', 'local:mid-model'],
    ]) {
      const created = await gw(...args);
      assert.equal(created.code, 0, created.stderr);
    }
    for (const useCase of ['lookup', 'underwriting-qa']) {
      for (const question of ['What is the water damage deductible?', 'What is the maximum roof age for a new policy?']) {
        const asked = await gw('ask', question, '--use-case', useCase);
        assert.equal(asked.code, 0, asked.stderr);
      }
    }
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('--json has perQuery, monthly, assumptions and the rule of thumb; the numbers add up', async () => {
    const result = await gw(
      'cost',
      'forecast',
      '--use-case',
      'underwriting-qa',
      '--queries-per-day',
      '5000',
      '--users',
      '400',
      '--json',
    );
    assert.equal(result.code, 0, result.stderr);
    const f = JSON.parse(result.stdout) as ForecastJson;
    assert.deepEqual(Object.keys(f.perQuery).sort(), ['allInCost', 'cost', 'tokensIn', 'tokensOut']);
    assert.deepEqual(Object.keys(f.monthly).sort(), ['embedding', 'engineering', 'infrastructure', 'model', 'ocr', 'total']);
    assert.equal(f.model, 'local:mid-model');
    assert.equal(f.modelTier, 'mid-tier');
    // Every answer of the use case called the model with the scripted usage (or was refused before it: 0).
    const answers = Number(f.assumptions.answersMeasured?.value);
    const called = Number(f.assumptions.answersWithModelCall?.value);
    assert.equal(answers, 2);
    assert.equal(f.perQuery.tokensIn, (2400 * called) / answers);
    assert.equal(f.perQuery.tokensOut, (60 * called) / answers);
    const perQuery = (f.perQuery.tokensIn * 0.4 + f.perQuery.tokensOut * 1.6) / 1_000_000;
    assert.ok(Math.abs(f.perQuery.cost - perQuery) < 1e-12);
    assert.ok(Math.abs(f.monthly.model - perQuery * 5000 * (365 / 12)) < 1e-9);
    const parts = f.monthly.model + f.monthly.embedding + f.monthly.ocr + f.monthly.infrastructure + f.monthly.engineering;
    assert.ok(Math.abs(f.monthly.total - parts) < 1e-9);
    assert.equal(f.monthly.engineering, 16 * 100);
    assert.ok(Math.abs((f.perUser?.monthly ?? 0) - f.monthly.total / 400) < 1e-9);
    // The example corpus has one scanned page: its OCR share is measured from the sync trace.
    assert.equal(f.assumptions.ocrPagesPerMonth?.source, 'measured');
    assert.ok(Number(f.assumptions.ocrPagesPerMonth?.value) > 0);
    assert.ok(f.monthly.ocr > 0);
    assert.equal(f.assumptions.inputPricePerMillion?.source, 'table');
    assert.equal(f.assumptions.engineeringRatePerHour?.source, 'default');
    assert.deepEqual(f.ruleOfThumb.ranges, { 'mid-tier': { min: 0.002, max: 0.008 }, flagship: { min: 0.02, max: 0.1 } });
    assert.equal(f.ruleOfThumb.position, perQuery < 0.002 ? 'below' : perQuery > 0.008 ? 'above' : 'within');

    const flags = await gw(
      'cost',
      'forecast',
      '--use-case',
      'underwriting-qa',
      '--queries-per-day',
      '5000',
      '--engineering-hours-per-month',
      '0',
      '--core-price',
      '10',
      '--min-cores',
      '3',
      '--storage-price',
      '0',
      '--json',
    );
    assert.equal(flags.code, 0, flags.stderr);
    const g = JSON.parse(flags.stdout) as ForecastJson;
    assert.equal(g.monthly.engineering, 0);
    assert.equal(g.monthly.infrastructure, 3 * 10);
    assert.equal(g.assumptions.minCores?.source, 'flag');
  });

  test('the terminal shows the table, the bar chart, the rule of thumb and the assumptions', async () => {
    const result = await gw('cost', 'forecast', '--use-case', 'lookup', '--queries-per-day', '1200');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Cost forecast for use case lookup: 1,200 queries\/day, model extractive \(no model\)\./);
    assert.match(result.stdout, /MONTHLY +USD +SHARE/);
    assert.match(result.stdout, /engineering +\$1,600\.00 +\d+\.\d% +█+/);
    assert.match(result.stdout, /Rule of thumb: Extractive answers call no model/);
    assert.match(result.stdout, /tokensInPerAnswer +0 +tokens \(mean\) +default/);
  });

  test('tokens measured on an answer evaluation run (--dataset)', async () => {
    const cases = join(dir, 'cases.jsonl');
    writeFileSync(
      cases,
      ['What is the water damage deductible?', 'Which roofs are declined?', 'How soon is a claim reported?']
        .map((question, i) => JSON.stringify({ id: `q${i}`, question }))
        .join('\n'),
    );
    assert.equal((await gw('eval', 'import', 'qa', cases)).code, 0);
    const missing = await gw(
      'cost',
      'forecast',
      '--use-case',
      'underwriting-qa',
      '--queries-per-day',
      '10',
      '--dataset',
      'qa',
      '--json',
    );
    assert.equal(missing.code, 1);
    const error = (JSON.parse(missing.stdout) as { error: { code: string; fix: string } }).error;
    assert.equal(error.code, 'evaluate.no_answer_run');
    assert.match(error.fix, /groundwork eval run qa --mode answer --use-case underwriting-qa/);

    const run = await gw('eval', 'run', 'qa', '--mode', 'answer', '--use-case', 'underwriting-qa');
    assert.equal(run.code, 0, run.stderr);
    const result = await gw(
      'cost',
      'forecast',
      '--use-case',
      'underwriting-qa',
      '--queries-per-day',
      '10',
      '--dataset',
      'qa',
      '--json',
    );
    assert.equal(result.code, 0, result.stderr);
    const f = JSON.parse(result.stdout) as ForecastJson;
    assert.equal(f.assumptions.answersMeasured?.value, 3);
    assert.match(String(f.assumptions.answersMeasured?.note), /^evaluation run .* of qa@1/);
  });

  test('bad input: usage errors name the flag (exit 2); an unknown use case or model says how to fix it', async () => {
    for (const [flag, value] of [
      ['--queries-per-day', '-5'],
      ['--queries-per-day', 'many'],
      ['--users', '0'],
      ['--users', '2.5'],
      ['--engineering-rate', '-1'],
      ['--requests-per-core', '0'],
      ['--bytes-per-chunk', 'NaN'],
    ] as const) {
      const args = ['cost', 'forecast', '--use-case', 'lookup', '--queries-per-day', '100', flag, value, '--json'];
      const result = await gw(...args);
      assert.equal(result.code, 2, `${flag} ${value}: ${result.stdout}${result.stderr}`);
      const error = (JSON.parse(result.stdout) as { error: { code: string; message: string } }).error;
      assert.equal(error.code, 'cli.bad_number');
      assert.ok(error.message.startsWith(`${flag} ${value} `), error.message);
    }
    const noQueries = await gw('cost', 'forecast', '--use-case', 'lookup');
    assert.equal(noQueries.code, 2);
    assert.match(noQueries.stderr, /--queries-per-day/);

    const unknown = await gw('cost', 'forecast', '--use-case', 'nope', '--queries-per-day', '10', '--json');
    assert.equal(unknown.code, 1);
    const notFound = (JSON.parse(unknown.stdout) as { error: { code: string; fix: string } }).error;
    assert.equal(notFound.code, 'use_case.not_found');
    assert.match(notFound.fix, /groundwork use-cases list/);

    const unpriced = await gw(
      'cost',
      'forecast',
      '--use-case',
      'lookup',
      '--queries-per-day',
      '10',
      '--model',
      'acme:x-1',
      '--json',
    );
    assert.equal(unpriced.code, 2);
    const price = (JSON.parse(unpriced.stdout) as { error: { code: string; fix: string } }).error;
    assert.equal(price.code, 'cost.unknown_price');
    assert.match(price.fix, /observe\.prices\.models/);

    const noTokens = await gw(
      'cost',
      'forecast',
      '--use-case',
      'lookup',
      '--queries-per-day',
      '10',
      '--model',
      'openai:gpt-4o',
      '--json',
    );
    assert.equal(noTokens.code, 2);
    assert.equal((JSON.parse(noTokens.stdout) as { error: { code: string } }).error.code, 'cost.no_token_measurements');

    const badModel = await gw('cost', 'forecast', '--use-case', 'lookup', '--queries-per-day', '10', '--model', 'gpt-4o');
    assert.equal(badModel.code, 2);
    assert.match(badModel.stderr, /provider:model/);
  });
});
