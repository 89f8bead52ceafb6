import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import type { GroundworkError } from '../core/index.ts';
import { listAudit } from '../govern/index.ts';
import {
  createModelConfig,
  createPrompt,
  diffPrompts,
  formatDiff,
  getPrompt,
  labelModelConfig,
  labelPrompt,
  lineDiff,
  listPrompts,
  parseVersionRef,
  promptHistory,
  renderPrompt,
  resolveModelConfig,
  resolvePrompt,
  rollbackModelConfig,
  rollbackPrompt,
  validateTemplate,
} from './index.ts';

const v1 = 'You answer underwriting questions.\nContext:\n{{context}}\nQuestion: {{question}}';
const v2 =
  'You answer underwriting questions for {{use_case}}.\nCite every claim.\nContext:\n{{ context }}\nQuestion: {{question}}';
const v3 = `${v2}\nAnswer in {{language}}.`;
const ops = { actor: 'user:pat@example.com' };

describe('prompt templates and diffs (pure)', () => {
  test('variables are validated: unknown and missing required names, unbalanced braces', () => {
    assert.deepEqual(validateTemplate(v2), ['use_case', 'context', 'question']);
    assert.throws(
      () => validateTemplate('{{question}} {{contxt}}'),
      (error: GroundworkError) =>
        error.code === 'prompts.invalid_template' &&
        /unknown variable\(s\) \{\{contxt\}\}/.test(error.message) &&
        /missing required variable\(s\) \{\{context\}\}/.test(error.message) &&
        /\{\{question\}\}/.test(error.fix ?? ''),
    );
    assert.throws(() => validateTemplate('{{question}} {{context}} {{oops'), /unbalanced/);
    assert.equal(renderPrompt('Q: {{ question }} / {{context}}', { question: 'why?' }), 'Q: why? / ');
  });

  test('line diff and refs', () => {
    const lines = lineDiff('a\nb\nc', 'a\nc\nd');
    assert.equal(formatDiff(lines), '  a\n- b\n  c\n+ d');
    assert.deepEqual(parseVersionRef('prompt', 'uw@3'), { name: 'uw', ref: { version: 3 } });
    assert.deepEqual(parseVersionRef('prompt', 'uw:staging'), { name: 'uw', ref: { label: 'staging' } });
    assert.deepEqual(parseVersionRef('prompt', 'uw'), { name: 'uw', ref: 'latest' });
    assert.throws(() => parseVersionRef('prompt', 'uw@x'), /names no version/);
  });
});

describe(`prompt versions (${testStoreKind})`, () => {
  test('immutable versions, labels, promote and roll back along the label history, audited', async () => {
    const platform = await createTestPlatform();
    try {
      const { db } = platform;
      await assert.rejects(resolvePrompt(db, 'underwriting'), (error: GroundworkError) => error.code === 'prompts.not_found');
      const first = await createPrompt(db, {
        name: 'underwriting',
        template: v1,
        message: 'first',
        author: ops.actor,
        labels: ['production'],
      });
      assert.equal(first.version, 1);
      assert.deepEqual(first.labels, ['production']);
      await assert.rejects(
        createPrompt(db, { name: 'underwriting', template: v1, message: 'again', author: ops.actor }),
        (error: GroundworkError) => error.code === 'prompts.unchanged' && error.category === 'conflict',
      );
      await assert.rejects(
        createPrompt(db, { name: 'underwriting', template: v2, message: '  ', author: ops.actor }),
        (error: GroundworkError) => error.code === 'prompts.message_required',
      );
      await assert.rejects(
        createPrompt(db, { name: 'underwriting', template: '{{question}} {{foo}}', message: 'x', author: ops.actor }),
        (error: GroundworkError) => error.code === 'prompts.invalid_template',
      );
      await createPrompt(db, { name: 'underwriting', template: v2, message: 'cite', author: ops.actor, labels: ['staging'] });
      await createPrompt(db, { name: 'underwriting', template: v3, message: 'language', author: ops.actor });
      assert.equal((await resolvePrompt(db, 'underwriting')).ref, 'underwriting@1');
      assert.equal((await resolvePrompt(db, 'underwriting', 'staging')).version, 2);
      assert.equal((await resolvePrompt(db, 'underwriting', 'latest')).version, 3);

      // Promote 2, then 3; roll back twice: 3 → 2 → 1; then nothing left.
      await labelPrompt(db, 'underwriting', 2, 'production', { ...ops, reason: 'staging looked good' });
      await labelPrompt(db, 'underwriting', 3, 'production', ops);
      const noop = await labelPrompt(db, 'underwriting', 3, 'production', ops);
      assert.deepEqual([noop.from, noop.to], [3, 3]);
      const back = await rollbackPrompt(db, 'underwriting', 'production', { ...ops, reason: 'language broke tables' });
      assert.deepEqual([back.from, back.to], [3, 2]);
      assert.equal((await resolvePrompt(db, 'underwriting')).template, v2);
      const backAgain = await rollbackPrompt(db, 'underwriting', 'production', ops);
      assert.deepEqual([backAgain.from, backAgain.to], [2, 1]);
      await assert.rejects(
        rollbackPrompt(db, 'underwriting', 'production', ops),
        (error: GroundworkError) => error.code === 'prompts.nothing_to_roll_back',
      );
      await assert.rejects(
        rollbackPrompt(db, 'underwriting', 'canary', ops),
        (error: GroundworkError) => error.code === 'prompts.nothing_to_roll_back',
      );
      await assert.rejects(labelPrompt(db, 'underwriting', 9, 'production', ops), /No prompt version underwriting@9/);
      await assert.rejects(labelPrompt(db, 'underwriting', 1, 'latest', ops), (error: GroundworkError) =>
        /reserved/.test(error.fix ?? ''),
      );

      // Versions stay immutable: v3 still exists with its content.
      assert.equal((await getPrompt(db, 'underwriting', { version: 3 })).body.template, v3);
      const list = await listPrompts(db);
      assert.deepEqual(
        list.map((p) => [p.name, p.latestVersion, p.labels]),
        [['underwriting', 3, { production: 1, staging: 2 }]],
      );
      const diff = await diffPrompts(db, 'underwriting', { version: 1 }, { version: 2 });
      assert.ok(diff.lines.some((line) => line.op === '+' && line.text === 'Cite every claim.'));
      assert.ok(diff.lines.some((line) => line.op === '-' && line.text === 'You answer underwriting questions.'));

      const history = await promptHistory(db, 'underwriting');
      assert.deepEqual(
        history.map((e) => `${e.action}:${e.label ?? ''}:${e.fromVersion ?? ''}>${e.toVersion}`),
        [
          'create::>1',
          'label:production:>1',
          'create::>2',
          'label:staging:>2',
          'create::>3',
          'label:production:1>2',
          'label:production:2>3',
          'rollback:production:3>2',
          'rollback:production:2>1',
        ],
      );
      assert.equal(history[5]?.reason, 'staging looked good');
      assert.equal(history[7]?.actor, ops.actor);
      const audit = await listAudit(db, { action: 'prompt.rollback' });
      assert.equal(audit.length, 2);
    } finally {
      await platform.close();
    }
  });

  test('model configurations are versioned per use case, with rollback', async () => {
    const platform = await createTestPlatform();
    try {
      const { db } = platform;
      await createModelConfig(db, {
        name: 'underwriting-qa',
        config: { provider: 'openai', model: 'gpt-4o-mini', parameters: { temperature: 0 } },
        message: 'start small',
        author: ops.actor,
        labels: ['production'],
      });
      const second = await createModelConfig(db, {
        name: 'underwriting-qa',
        config: { provider: 'openai', model: 'gpt-4.1', parameters: { temperature: 0, contextWindow: 1_000_000 } },
        message: 'bigger model',
        author: ops.actor,
      });
      await labelModelConfig(db, 'underwriting-qa', second.version, 'production', ops);
      assert.equal((await resolveModelConfig(db, 'underwriting-qa')).model, 'gpt-4.1');
      await rollbackModelConfig(db, 'underwriting-qa', 'production', ops);
      const resolved = await resolveModelConfig(db, 'underwriting-qa');
      assert.deepEqual([resolved.model, resolved.ref, resolved.parameters.temperature], ['gpt-4o-mini', 'underwriting-qa@1', 0]);
      await assert.rejects(
        createModelConfig(db, {
          name: 'underwriting-qa',
          config: { provider: 'openai', model: '', extra: 1 },
          message: 'x',
          author: 'y',
        }),
        (error: GroundworkError) => error.code === 'models.invalid_config' && /model/.test(error.message),
      );
      // Prompts and model configs with the same name do not collide.
      await createPrompt(db, { name: 'underwriting-qa', template: v1, message: 'p', author: ops.actor });
      assert.equal((await resolveModelConfig(db, 'underwriting-qa', 'latest')).version, 2);
    } finally {
      await platform.close();
    }
  });
});
