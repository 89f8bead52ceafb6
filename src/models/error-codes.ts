import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the models feature throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const modelsErrorCodes = {
  'models.invalid_ref': {
    category: 'usage',
    description: '"…" is not a model reference.',
    fix: 'Write models as "<provider>:<model>", where <provider> is a name under `models.providers`, e.g. "openai:gpt-4o-mini".',
  },
  'models.missing_api_key': {
    category: 'unavailable',
    description: 'Provider "…" reads its API key from the environment variable …, which is not set.',
    fix: 'Set … in the environment of the Groundwork process (or change `models.providers.….apiKeyEnv`).',
  },
  'models.provider_config': {
    category: 'usage',
    description: 'The provider needs a configuration key that is not set.',
    fix: 'Set `models.providers.….…`….',
  },
  'models.unknown_provider': {
    category: 'usage',
    description: 'Model "…" names provider "…", which is not configured.',
  },
  'models.unsupported': {
    category: 'usage',
    description: 'The configured provider has no models of the kind the configuration asks for (e.g. embeddings).',
  },
} as const satisfies ErrorCodeTable;
