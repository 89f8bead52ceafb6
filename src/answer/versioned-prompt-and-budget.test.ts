import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LanguageModelV4CallOptions, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { MockLanguageModelV4, simulateReadableStream } from 'ai/test';
import { openTestDatabase, testStoreKind } from '../../test/helpers/test-platform.ts';
import {
  callerWithPrincipals,
  configSchema,
  createEventBus,
  createTracer,
  type GroundworkError,
  type SpanRecord,
} from '../core/index.ts';
import { createModelResolver } from '../models/index.ts';
import { setBudget } from '../observe/index.ts';
import { createModelConfig, createPrompt, labelPrompt, rollbackModelConfig } from '../prompts/index.ts';
import { createRetriever } from '../retrieve/index.ts';
import type { Database } from '../store/index.ts';
import { insertInsurerCorpus, staff } from './fixtures/insurer-corpus.ts';
import { createAnswerer } from './index.ts';

/** Integration of the answer feature with prompts (versioned prompt by label) and observe (budgets). */
describe(`answer: versioned prompts and budgets (${testStoreKind})`, () => {
  let db: Database;
  const spans: SpanRecord[] = [];
  const prompts: string[] = [];
  const events = createEventBus();
  events.subscribe('span-end', (span) => spans.push(span));
  const tracer = createTracer(events);
  const model = new MockLanguageModelV4({
    provider: 'mock',
    modelId: 'mock-1',
    doStream: async (options: LanguageModelV4CallOptions) => {
      prompts.push(
        options.prompt
          .map((m) =>
            typeof m.content === 'string' ? m.content : m.content.map((p) => ('text' in p ? String(p.text) : '')).join(''),
          )
          .join('\n'),
      );
      const chunks: LanguageModelV4StreamPart[] = [
        { type: 'text-start', id: 't' },
        { type: 'text-delta', id: 't', delta: 'Under HO-3 the water damage deductible is $1,000 per occurrence [1].' },
        { type: 'text-end', id: 't' },
        {
          type: 'finish',
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: {
            inputTokens: { total: 300, noCache: 300, cacheRead: 0, cacheWrite: 0 },
            outputTokens: { total: 20, text: 20, reasoning: 0 },
          },
        },
      ];
      return { stream: simulateReadableStream({ chunks }) };
    },
  });

  before(async () => {
    db = await openTestDatabase();
    await insertInsurerCorpus(db);
  });
  after(async () => {
    await db.close();
  });

  function answerer() {
    const resolver = createModelResolver({
      config: configSchema.parse({
        models: { providers: { external: { type: 'openai', apiKeyEnv: 'OPENAI_API_KEY' } }, chat: 'external:gpt-test' },
      }).models,
      secrets: () => 'sk-test',
    });
    const retriever = createRetriever({ db, config: configSchema.parse({}).retrieval, tracer });
    return createAnswerer({
      db,
      retriever,
      models: { defaultChat: resolver.defaultChat, describe: resolver.describe, chat: () => model },
      tracer,
    });
  }
  const question = 'What is the deductible for water damage under HO-3?';

  test('a use case with prompt_ref generates with the version its production label points at, and traces it', async () => {
    await createPrompt(db, {
      name: 'uw-answer',
      template: 'Passages:\n{{context}}\n\nAnswer for {{use_case}} on {{date}}: {{question}}',
      message: 'first',
      author: 'user:pat@example.com',
      labels: ['production'],
    });
    await createPrompt(db, {
      name: 'uw-answer',
      template: 'STAGING ONLY\n{{context}}\n{{question}}',
      message: 'experiment',
      author: 'user:pat@example.com',
      labels: ['staging'],
    });
    await db.query(`UPDATE use_cases SET prompt_ref = 'uw-answer' WHERE name = 'default'`);
    const answer = await answerer().ask({ question, caller: callerWithPrincipals([staff]) });
    assert.equal(answer.refused, false, answer.refusalReason ?? '');
    assert.equal(answer.promptVersion, 'uw-answer@1');
    const sent = prompts.at(-1) ?? '';
    assert.match(sent, /Answer for default on \d{4}-\d{2}-\d{2}: What is the deductible/);
    assert.match(sent, /<documents>\n<document n="1"/);
    assert.doesNotMatch(sent, /STAGING ONLY/);
    const root = spans.find((s) => s.name === 'answer' && s.traceId === answer.traceId);
    assert.equal(root?.attributes['groundwork.prompt.version'], 'uw-answer@1');

    // Promote and roll back: the next answers follow the label.
    await labelPrompt(db, 'uw-answer', 2, 'production', { actor: 'user:pat@example.com' });
    assert.equal((await answerer().ask({ question, caller: callerWithPrincipals([staff]) })).promptVersion, 'uw-answer@2');
    assert.match(prompts.at(-1) ?? '', /STAGING ONLY/);
    await db.query(`UPDATE use_cases SET prompt_ref = NULL WHERE name = 'default'`);
  });

  test('an exhausted blocking budget stops the answer before the model is called', async () => {
    const calls = prompts.length;
    await setBudget(db, { useCase: 'default', dailyUsd: 0, block: true, actor: 'local:operator' });
    await assert.rejects(answerer().ask({ question, caller: callerWithPrincipals([staff]) }), (error: GroundworkError) => {
      assert.equal(error.code, 'budget.exhausted');
      assert.equal(error.category, 'limit');
      return true;
    });
    assert.equal(prompts.length, calls, 'no model call');
    const root = spans.findLast((s) => s.name === 'answer');
    assert.equal(root?.status, 'error');
    assert.equal(root?.error?.code, 'budget.exhausted');
    // Warn-only budgets let the request through and mark the trace.
    await setBudget(db, { useCase: 'default', block: false, actor: 'local:operator' });
    const answer = await answerer().ask({ question, caller: callerWithPrincipals([staff]) });
    assert.equal(answer.refused, false);
    assert.equal(spans.findLast((s) => s.name === 'answer')?.attributes['groundwork.budget.state'], 'exhausted');
  });

  test('a versioned model configuration labelled production overrides the use case model; rollback restores it', async () => {
    await setBudget(db, { useCase: 'default', dailyUsd: null, block: false, actor: 'local:operator' });
    const before = await answerer().ask({ question, caller: callerWithPrincipals([staff]) });
    assert.equal(before.model, 'external:gpt-test');
    await createModelConfig(db, {
      name: 'default',
      config: { provider: 'external', model: 'gpt-bigger', parameters: { temperature: 0.2 } },
      message: 'try the bigger model',
      author: 'user:pat@example.com',
      labels: ['production'],
    });
    const after = await answerer().ask({ question, caller: callerWithPrincipals([staff]) });
    assert.equal(after.model, 'external:gpt-bigger');
    const root = spans.findLast((s) => s.name === 'answer');
    assert.equal(root?.attributes['groundwork.model.version'], 'default@1');
    assert.equal(spans.findLast((s) => s.name === 'generate')?.attributes['gen_ai.request.temperature'], 0.2);
    await createModelConfig(db, {
      name: 'default',
      config: { provider: 'external', model: 'gpt-other' },
      message: 'another',
      author: 'user:pat@example.com',
      labels: ['production'],
    });
    await rollbackModelConfig(db, 'default', 'production', { actor: 'user:pat@example.com', reason: 'regression' });
    assert.equal((await answerer().ask({ question, caller: callerWithPrincipals([staff]) })).model, 'external:gpt-bigger');
  });
});
