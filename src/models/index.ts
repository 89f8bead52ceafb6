/**
 * models/ — configuration to AI SDK models (chat, embedding, rerank) for every supported provider type:
 * OpenAI, Azure OpenAI, Anthropic, Amazon Bedrock, Google Generative AI, Google Vertex, and OpenAI-compatible
 * endpoints (Ollama, vLLM, LiteLLM). Keys come from the secret resolver by environment-variable name.
 */

export { modelsErrorCodes } from './error-codes.ts';
export { type ModelRef, parseModelRef } from './model-ref.ts';
export {
  type CreateModelResolverOptions,
  createModelResolver,
  type ModelDescription,
  type ModelResolver,
  type ModelsConfig,
} from './model-resolver.ts';
