import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { embed, generateText, streamText } from 'ai';
import { startOpenAICompatibleServer } from '../../test/helpers/openai-compatible-server.ts';
import { configSchema, type GroundworkConfigInput, GroundworkError } from '../core/index.ts';
import { createModelResolver, parseModelRef } from './index.ts';

function models(input: GroundworkConfigInput['models']) {
  return configSchema.parse({ models: input }).models;
}

const secrets = (values: Record<string, string>) => (name: string) => values[name];

describe('models: resolver', () => {
  test('parses provider:model refs, keeping colons in model ids (Ollama tags)', () => {
    assert.deepEqual(parseModelRef('ollama:llama3.1:8b'), { provider: 'ollama', modelId: 'llama3.1:8b' });
    assert.throws(
      () => parseModelRef('gpt-4o'),
      (e: unknown) => e instanceof GroundworkError && e.code === 'models.invalid_ref',
    );
  });

  test('constructs every provider type from configuration offline, with model id and provider', () => {
    const resolver = createModelResolver({
      config: models({
        providers: {
          openai: { type: 'openai', apiKeyEnv: 'OPENAI_API_KEY' },
          azure: { type: 'azure', apiKeyEnv: 'AZURE_API_KEY', resourceName: 'contoso' },
          anthropic: { type: 'anthropic', apiKeyEnv: 'ANTHROPIC_API_KEY' },
          bedrock: { type: 'bedrock', region: 'eu-central-1', apiKeyEnv: 'BEDROCK_KEY' },
          google: { type: 'google', apiKeyEnv: 'GOOGLE_KEY' },
          vertex: { type: 'vertex', project: 'acme-rag', region: 'europe-west4' },
          ollama: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1', trusted: true },
        },
        chat: 'openai:gpt-4o-mini',
        embedding: { model: 'ollama:nomic-embed-text', dimensions: 768 },
        rerank: 'bedrock:cohere.rerank-v3-5:0',
      }),
      secrets: secrets({
        OPENAI_API_KEY: 'sk-test',
        AZURE_API_KEY: 'az',
        ANTHROPIC_API_KEY: 'an',
        BEDROCK_KEY: 'br',
        GOOGLE_KEY: 'g',
      }),
    });
    const expected: Array<[string, RegExp, string]> = [
      ['openai:gpt-4o-mini', /^openai\./, 'gpt-4o-mini'],
      ['azure:my-gpt4o-deployment', /^azure\./, 'my-gpt4o-deployment'],
      ['anthropic:claude-sonnet-4-5', /^anthropic\./, 'claude-sonnet-4-5'],
      ['bedrock:anthropic.claude-3-5-sonnet-20240620-v1:0', /^amazon-bedrock/, 'anthropic.claude-3-5-sonnet-20240620-v1:0'],
      ['google:gemini-2.5-flash', /^google\.generative-ai/, 'gemini-2.5-flash'],
      ['vertex:gemini-2.5-pro', /^google\.vertex/, 'gemini-2.5-pro'],
      ['ollama:llama3.1:8b', /^ollama\./, 'llama3.1:8b'],
    ];
    for (const [ref, provider, modelId] of expected) {
      const model = resolver.chat(ref);
      assert.match(model.provider, provider, ref);
      assert.equal(model.modelId, modelId);
      assert.equal(model.specificationVersion, 'v4');
      assert.equal(resolver.describe(ref).modelId, modelId);
    }
    assert.equal(resolver.defaultChat, 'openai:gpt-4o-mini');
    assert.equal(resolver.embedding()?.modelId, 'nomic-embed-text');
    assert.equal(resolver.embeddingDimensions, 768);
    assert.equal(resolver.rerank()?.modelId, 'cohere.rerank-v3-5:0');
    assert.equal(resolver.describe('ollama:x').providerConfig.trusted, true);
  });

  test('unknown provider, missing key and unsupported kinds are GroundworkErrors with a fix (never the key)', () => {
    const resolver = createModelResolver({
      config: models({
        providers: { openai: { type: 'openai', apiKeyEnv: 'OPENAI_API_KEY' }, claude: { type: 'anthropic' } },
        embedding: { model: 'claude:none', dimensions: 8 },
      }),
      secrets: secrets({}),
    });
    assert.throws(
      () => resolver.chat('mistral:large'),
      (e: unknown) =>
        e instanceof GroundworkError &&
        e.code === 'models.unknown_provider' &&
        /openai, claude/.test(e.fix ?? '') &&
        e.category === 'usage',
    );
    assert.throws(
      () => resolver.chat('openai:gpt-4o'),
      (e: unknown) => e instanceof GroundworkError && e.code === 'models.missing_api_key' && /OPENAI_API_KEY/.test(e.message),
    );
    assert.throws(
      () => resolver.embedding(),
      (e: unknown) => e instanceof GroundworkError && e.code === 'models.unsupported',
    );
    const none = createModelResolver({ config: models({}), secrets: secrets({}) });
    assert.equal(none.defaultChat, undefined);
    assert.equal(none.embedding(), undefined);
    assert.equal(none.rerank(), undefined);
  });

  test('openai-compatible provider makes real HTTP calls to a loopback server (chat, stream, embeddings)', async () => {
    const server = await startOpenAICompatibleServer({
      chat: () => ({ text: 'The deductible is $1,000 [1].', promptTokens: 42, completionTokens: 9 }),
      dimensions: 4,
    });
    try {
      const resolver = createModelResolver({
        config: models({
          providers: {
            local: {
              type: 'openai-compatible',
              baseUrl: server.baseUrl,
              apiKeyEnv: 'LOCAL_KEY',
              headerEnv: { 'x-tenant': 'TENANT' },
            },
          },
          embedding: { model: 'local:embed-small', dimensions: 4 },
        }),
        secrets: secrets({ LOCAL_KEY: 'secret-key', TENANT: 'acme' }),
      });
      const generated = await generateText({
        model: resolver.chat('local:qwen2.5'),
        prompt: 'What is the deductible?',
        temperature: 0,
      });
      assert.equal(generated.text, 'The deductible is $1,000 [1].');
      assert.equal(generated.usage.inputTokens, 42);
      const streamed = streamText({ model: resolver.chat('local:qwen2.5'), prompt: 'again', maxOutputTokens: 64 });
      const tokens: string[] = [];
      for await (const token of streamed.textStream) tokens.push(token);
      assert.ok(tokens.length > 1);
      assert.equal(tokens.join(''), 'The deductible is $1,000 [1].');
      assert.equal((await streamed.usage).outputTokens, 9);
      const embedding = await embed({
        model: resolver.embedding() as NonNullable<ReturnType<typeof resolver.embedding>>,
        value: 'hello',
      });
      assert.equal(embedding.embedding.length, 4);

      const chats = server.requests.filter((r) => r.path === '/v1/chat/completions');
      assert.equal(chats.length, 2);
      assert.equal(chats[0]?.body.model, 'qwen2.5');
      assert.equal(chats[0]?.body.temperature, 0);
      assert.equal(chats[1]?.body.stream, true);
      assert.equal(chats[1]?.body.max_tokens, 64);
      assert.equal(chats[0]?.headers.authorization, 'Bearer secret-key');
      assert.equal(chats[0]?.headers['x-tenant'], 'acme');
    } finally {
      await server.close();
    }
  });
});
