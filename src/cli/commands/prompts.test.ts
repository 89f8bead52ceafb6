import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';

describe('groundwork prompts / models / cost budget (CLI process)', () => {
  test('create, promote, diff, roll back and show history; model configs; budgets', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'gw-prompts-cli-'));
    const flags = ['--data-dir', join(cwd, 'data')];
    const run = (...args: string[]) => runGroundwork([...args, ...flags], { cwd });
    writeFileSync(join(cwd, 'v1.txt'), 'Context:\n{{context}}\nQuestion: {{question}}\n');

    const created = await run('prompts', 'create', 'uw', '--file', 'v1.txt', '-m', 'first', '--label', 'production', '--json');
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(JSON.parse(created.stdout).labels, ['production']);
    const second = await run(
      'prompts',
      'create',
      'uw',
      '--text',
      'For {{use_case}}:\n{{context}}\nQ: {{question}}',
      '-m',
      'name the use case',
    );
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /Created prompt uw@2/);

    const label = await run('prompts', 'label', 'uw', '2', 'production', '--reason', 'reviewed', '--json');
    assert.equal(label.code, 0, label.stderr);
    assert.deepEqual(JSON.parse(label.stdout), { kind: 'prompt', name: 'uw', label: 'production', from: 1, to: 2 });

    const diff = await run('prompts', 'diff', 'uw', '1', 'production');
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, /^\+ For \{\{use_case\}\}:$/m);
    assert.match(diff.stdout, /^- Question: \{\{question\}\}$/m);

    const rollback = await run('prompts', 'rollback', 'uw', '--reason', 'worse answers');
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.match(rollback.stdout, /rolled back production from version 2 to version 1/);
    const again = await run('prompts', 'rollback', 'uw', '--json');
    assert.equal(again.code, 1);
    assert.equal(JSON.parse(again.stdout).error.code, 'prompts.nothing_to_roll_back');

    const model = await run(
      'models',
      'create',
      'uw',
      '--provider',
      'openai',
      '--model',
      'gpt-4o-mini',
      '--temperature',
      '0',
      '-m',
      'start',
      '--label',
      'production',
      '--json',
    );
    assert.equal(model.code, 0, model.stderr);
    assert.deepEqual(JSON.parse(model.stdout).body, { provider: 'openai', model: 'gpt-4o-mini', parameters: { temperature: 0 } });
    const budget = await run('cost', 'budget', 'set', 'uw', '--daily', '5', '--monthly', '100', '--block', '--json');
    assert.equal(budget.code, 0, budget.stderr);
    assert.deepEqual((({ dailyUsd, monthlyUsd, block }) => ({ dailyUsd, monthlyUsd, block }))(JSON.parse(budget.stdout)), {
      dailyUsd: 5,
      monthlyUsd: 100,
      block: true,
    });
  });
});
