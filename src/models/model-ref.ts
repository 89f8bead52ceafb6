import { GroundworkError } from '../core/index.ts';

/** A model reference as written in configuration: `<provider name>:<model id>`, e.g. `openai:gpt-4o-mini`. */
export interface ModelRef {
  /** Name of an entry in `models.providers` (not the provider type). */
  readonly provider: string;
  /** The provider's model id (for Azure: the deployment name). May itself contain `:` (Ollama tags). */
  readonly modelId: string;
}

/** Splits `provider:model` at the first colon; throws `models.invalid_ref` with the fix otherwise. */
export function parseModelRef(ref: string): ModelRef {
  const colon = ref.indexOf(':');
  const provider = colon > 0 ? ref.slice(0, colon) : '';
  const modelId = colon > 0 ? ref.slice(colon + 1) : '';
  if (!/^[A-Za-z0-9_-]+$/.test(provider) || modelId.trim() === '') {
    throw new GroundworkError('models.invalid_ref', `"${ref}" is not a model reference.`, {
      category: 'usage',
      fix: 'Write models as "<provider>:<model>", where <provider> is a name under `models.providers`, e.g. "openai:gpt-4o-mini".',
      details: { ref },
    });
  }
  return { provider, modelId };
}
