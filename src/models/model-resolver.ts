import { createAmazonBedrock } from '@ai-sdk/amazon-bedrock';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createAzure } from '@ai-sdk/azure';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createVertex } from '@ai-sdk/google-vertex';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { EmbeddingModelV4, LanguageModelV4, RerankingModelV4 } from '@ai-sdk/provider';
import {
  type GroundworkConfig,
  GroundworkError,
  type ProviderConfig,
  type ProviderType,
  type SecretResolver,
} from '../core/index.ts';
import { parseModelRef } from './model-ref.ts';

/**
 * Configuration → AI SDK models. There is no provider layer of our own: each configured provider becomes the
 * AI SDK provider of its type (v4 specification), built lazily on first use and cached, so that a missing API
 * key only matters when that provider is actually called. Switching provider is a configuration change.
 */

export type ModelsConfig = GroundworkConfig['models'];

/** What a model reference resolves to, safe to print and trace (no secrets). */
export interface ModelDescription {
  /** The reference as configured, e.g. `openai:gpt-4o-mini`. */
  readonly ref: string;
  /** Provider name (key under `models.providers`). */
  readonly provider: string;
  readonly providerType: ProviderType;
  readonly modelId: string;
  /** The provider's configuration (egress policy fields, base URL, env var names — never values). */
  readonly providerConfig: ProviderConfig;
}

export interface ModelResolver {
  /** The default chat model reference (`models.chat`), or undefined (answers are extractive). */
  readonly defaultChat: string | undefined;
  /** The groundedness judge model reference (`models.judge`), or undefined. */
  readonly defaultJudge: string | undefined;
  /** A chat model for `ref`; throws `models.unknown_provider` / `models.missing_api_key` with the fix. */
  chat(ref: string): LanguageModelV4;
  /**
   * The configured embedding model, or undefined when none is configured (lexical retrieval only). The
   * provider is built on the first call (a missing key fails that call); unknown providers throw here.
   */
  embedding(): EmbeddingModelV4 | undefined;
  /** Dimensions of stored embeddings (`models.embedding.dimensions`). */
  readonly embeddingDimensions: number | undefined;
  /** The configured rerank model, or undefined. Throws `models.unsupported` if its provider cannot rerank. */
  rerank(): RerankingModelV4 | undefined;
  /** Resolves a reference without building anything (validates the provider name). */
  describe(ref: string): ModelDescription;
}

export interface CreateModelResolverOptions {
  readonly config: ModelsConfig;
  readonly secrets: SecretResolver;
  /** Custom fetch for every provider (tests, proxies). */
  readonly fetch?: typeof globalThis.fetch;
}

/** A built provider: the three model kinds the platform uses (absent when the type has none). */
interface BuiltProvider {
  language(modelId: string): LanguageModelV4;
  embedding?: (modelId: string) => EmbeddingModelV4;
  reranking?: (modelId: string) => RerankingModelV4;
}

export function createModelResolver(options: CreateModelResolverOptions): ModelResolver {
  const { config, secrets } = options;
  const built = new Map<string, BuiltProvider>();

  const describe = (ref: string): ModelDescription => {
    const { provider, modelId } = parseModelRef(ref);
    const providerConfig = config.providers[provider];
    if (!providerConfig) {
      const known = Object.keys(config.providers);
      throw new GroundworkError(
        'models.unknown_provider',
        `Model "${ref}" names provider "${provider}", which is not configured.`,
        {
          category: 'usage',
          fix:
            known.length > 0
              ? `Use one of the configured providers (${known.join(', ')}) or add "${provider}" under \`models.providers\` with its \`type\` (${providerTypesText}).`
              : `Add "${provider}" under \`models.providers\` in groundwork.config.json with its \`type\` (${providerTypesText}), e.g. { "models": { "providers": { "${provider}": { "type": "openai", "apiKeyEnv": "OPENAI_API_KEY" } } } }.`,
          details: { ref, provider, known },
        },
      );
    }
    return { ref, provider, providerType: providerConfig.type, modelId, providerConfig };
  };

  const providerFor = (description: ModelDescription): BuiltProvider => {
    let provider = built.get(description.provider);
    if (!provider) {
      provider = buildProvider(description.provider, description.providerConfig, secrets, options.fetch);
      built.set(description.provider, provider);
    }
    return provider;
  };

  return {
    defaultChat: config.chat,
    defaultJudge: config.judge,
    embeddingDimensions: config.embedding?.dimensions,
    describe,
    chat(ref) {
      const description = describe(ref);
      return providerFor(description).language(description.modelId);
    },
    embedding() {
      if (!config.embedding) return undefined;
      const description = describe(config.embedding.model);
      if (description.providerType === 'anthropic') throw unsupported(description, 'embedding');
      // Built on first use, so a missing key fails the call that needs it, not every command at start-up.
      let model: EmbeddingModelV4 | undefined;
      const get = (): EmbeddingModelV4 => {
        model ??= (providerFor(description).embedding as (id: string) => EmbeddingModelV4)(description.modelId);
        return model;
      };
      return {
        specificationVersion: 'v4',
        provider: description.provider,
        modelId: description.modelId,
        get maxEmbeddingsPerCall() {
          return get().maxEmbeddingsPerCall;
        },
        get supportsParallelCalls() {
          return get().supportsParallelCalls;
        },
        doEmbed: (options) => get().doEmbed(options),
      };
    },
    rerank() {
      if (!config.rerank) return undefined;
      const description = describe(config.rerank);
      if (description.providerType !== 'bedrock') throw unsupported(description, 'rerank');
      let model: RerankingModelV4 | undefined;
      const get = (): RerankingModelV4 => {
        model ??= (providerFor(description).reranking as (id: string) => RerankingModelV4)(description.modelId);
        return model;
      };
      return {
        specificationVersion: 'v4',
        provider: description.provider,
        modelId: description.modelId,
        doRerank: (options) => get().doRerank(options),
      };
    },
  };
}

const providerTypesText = 'openai, azure, anthropic, bedrock, google, vertex, openai-compatible';

function unsupported(description: ModelDescription, kind: 'embedding' | 'rerank'): GroundworkError {
  return new GroundworkError(
    'models.unsupported',
    `Provider "${description.provider}" (${description.providerType}) has no ${kind} models, but \`models.${kind === 'rerank' ? 'rerank' : 'embedding.model'}\` is "${description.ref}".`,
    {
      category: 'usage',
      fix:
        kind === 'rerank'
          ? 'Point `models.rerank` at a provider with rerank models (bedrock) or remove it.'
          : 'Point `models.embedding.model` at a provider with embedding models (openai, azure, bedrock, google, vertex, openai-compatible) or remove it.',
    },
  );
}

/** Reads a secret named by the configuration; missing → `models.missing_api_key` (the value is never shown). */
function secret(providerName: string, envVar: string | undefined, secrets: SecretResolver): string | undefined {
  if (!envVar) return undefined;
  const value = secrets(envVar);
  if (value === undefined || value === '') {
    throw new GroundworkError(
      'models.missing_api_key',
      `Provider "${providerName}" reads its API key from the environment variable ${envVar}, which is not set.`,
      {
        category: 'unavailable',
        fix: `Set ${envVar} in the environment of the Groundwork process (or change \`models.providers.${providerName}.apiKeyEnv\`).`,
        details: { provider: providerName, envVar },
      },
    );
  }
  return value;
}

function headersFor(providerName: string, provider: ProviderConfig, secrets: SecretResolver): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [header, envVar] of Object.entries(provider.headerEnv)) {
    headers[header] = secret(providerName, envVar, secrets) as string;
  }
  return headers;
}

function requireField(providerName: string, provider: ProviderConfig, field: 'baseUrl' | 'region' | 'project'): string {
  const value = provider[field];
  if (!value) {
    throw new GroundworkError('models.provider_config', `Provider "${providerName}" (${provider.type}) needs \`${field}\`.`, {
      category: 'usage',
      fix: `Set \`models.providers.${providerName}.${field}\`${field === 'baseUrl' ? ' (e.g. http://127.0.0.1:11434/v1 for Ollama)' : ''}.`,
    });
  }
  return value;
}

function buildProvider(
  name: string,
  provider: ProviderConfig,
  secrets: SecretResolver,
  fetch: typeof globalThis.fetch | undefined,
): BuiltProvider {
  const apiKey = secret(name, provider.apiKeyEnv, secrets);
  const headers = headersFor(name, provider, secrets);
  const common = { ...(fetch ? { fetch } : {}), headers };
  switch (provider.type) {
    case 'openai': {
      const p = createOpenAI({
        ...common,
        ...(apiKey ? { apiKey } : { apiKey: '' }),
        ...(provider.baseUrl ? { baseURL: provider.baseUrl } : {}),
      });
      return { language: (id) => p(id), embedding: (id) => p.embeddingModel(id) };
    }
    case 'azure': {
      const p = createAzure({
        ...common,
        ...(apiKey ? { apiKey } : { apiKey: '' }),
        ...(provider.resourceName ? { resourceName: provider.resourceName } : {}),
        ...(provider.baseUrl ? { baseURL: provider.baseUrl } : {}),
      });
      if (!provider.resourceName && !provider.baseUrl) requireField(name, provider, 'baseUrl');
      return { language: (id) => p(id), embedding: (id) => p.embeddingModel(id) };
    }
    case 'anthropic': {
      const p = createAnthropic({
        ...common,
        ...(apiKey ? { apiKey } : { apiKey: '' }),
        ...(provider.baseUrl ? { baseURL: provider.baseUrl } : {}),
      });
      return { language: (id) => p(id) };
    }
    case 'bedrock': {
      // Either a Bedrock API key (apiKeyEnv) or the standard AWS variables, read through the secret resolver.
      const credentials = apiKey
        ? { apiKey }
        : {
            accessKeyId: secrets('AWS_ACCESS_KEY_ID') ?? '',
            secretAccessKey: secrets('AWS_SECRET_ACCESS_KEY') ?? '',
            ...(secrets('AWS_SESSION_TOKEN') ? { sessionToken: secrets('AWS_SESSION_TOKEN') as string } : {}),
          };
      const p = createAmazonBedrock({
        ...common,
        ...credentials,
        region: requireField(name, provider, 'region'),
        ...(provider.baseUrl ? { baseURL: provider.baseUrl } : {}),
      });
      return {
        language: (id) => p(id),
        embedding: (id) => p.embeddingModel(id),
        reranking: (id) => p.rerankingModel(id),
      };
    }
    case 'google': {
      const p = createGoogleGenerativeAI({
        ...common,
        ...(apiKey ? { apiKey } : { apiKey: '' }),
        ...(provider.baseUrl ? { baseURL: provider.baseUrl } : {}),
      });
      return { language: (id) => p(id), embedding: (id) => p.embeddingModel(id) };
    }
    case 'vertex': {
      const p = createVertex({
        ...common,
        ...(apiKey ? { apiKey } : {}),
        project: requireField(name, provider, 'project'),
        location: provider.region ?? 'us-central1',
        ...(provider.baseUrl ? { baseURL: provider.baseUrl } : {}),
      });
      return { language: (id) => p(id), embedding: (id) => p.embeddingModel(id) };
    }
    case 'openai-compatible': {
      const p = createOpenAICompatible({
        ...common,
        name,
        baseURL: requireField(name, provider, 'baseUrl'),
        ...(apiKey ? { apiKey } : {}),
        includeUsage: true,
      });
      return { language: (id) => p.chatModel(id), embedding: (id) => p.embeddingModel(id) };
    }
  }
}
