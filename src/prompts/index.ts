/**
 * prompts/: prompt and model-configuration versions, labels, promotion and rollback. See docs/prompts.md.
 */
export {
  type LabelMoveRequest,
  labelNewVersion,
  registerLabelChangeKinds,
  requestLabelMove,
  splitProtectedLabels,
  type UseCasesOfVersioned,
} from './label-changes.ts';
export { type DiffLine, formatDiff, lineDiff } from './line-diff.ts';
export {
  type CreateModelConfigInput,
  createModelConfig,
  diffModelConfigs,
  findModelConfig,
  getModelConfig,
  labelModelConfig,
  listModelConfigs,
  listModelConfigVersions,
  type ModelConfigBody,
  type ModelConfigVersion,
  modelConfigHistory,
  modelConfigSchema,
  type ResolvedModelConfig,
  resolveModelConfig,
  rollbackModelConfig,
} from './model-configs.ts';
export {
  defaultRequiredVariables,
  knownPromptVariables,
  type PromptVariable,
  renderPrompt,
  templateVariables,
  validateTemplate,
} from './prompt-variables.ts';
export {
  type CreatePromptInput,
  createPrompt,
  diffPrompts,
  getPrompt,
  labelPrompt,
  listPrompts,
  listPromptVersions,
  type PromptBody,
  type PromptVersion,
  promptHistory,
  type ResolvedPrompt,
  resolvePrompt,
  rollbackPrompt,
} from './prompts.ts';
export {
  type ChangeContext,
  type LabelMove,
  labelStack,
  type NamedSummary,
  parseVersionRef,
  type StoredVersion,
  type VersionEvent,
  type VersionKind,
  type VersionRef,
} from './versions.ts';
