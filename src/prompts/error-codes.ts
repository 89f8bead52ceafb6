import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the prompts feature throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const promptsErrorCodes = {
  'models.invalid_config': {
    category: 'usage',
    description: 'The model configuration is not valid.',
    fix: 'Give provider (a name from models.providers), model, and optional parameters (temperature, topP, maxOutputTokens, contextWindow, seed).',
  },
  'models.invalid_label': {
    category: 'usage',
    description: '"…" is not a valid label.',
    fix: 'Use a lowercase name such as production or staging ("latest" is reserved: it always means the newest version).',
  },
  'models.invalid_name': {
    category: 'usage',
    description: 'The model name is not valid.',
    fix: 'Use lowercase letters, digits, ".", "_" and "-", starting with a letter or digit (e.g. underwriting-qa).',
  },
  'models.message_required': {
    category: 'usage',
    description: 'A new model version needs a message saying what changed and why.',
    fix: 'Pass --message "…" (like a commit message).',
  },
  'models.not_found': {
    category: 'not_found',
    description: 'No model version matches the name, version number or label.',
  },
  'models.nothing_to_roll_back': {
    category: 'conflict',
    description: 'The label has no earlier version to roll back to.',
    fix: 'Point the label at a version explicitly: groundwork models label NAME <VERSION> ….',
  },
  'models.unchanged': {
    category: 'conflict',
    description: 'The newest version already has exactly this content.',
    fix: 'Nothing to create; point a label at it instead: groundwork models label NAME VERSION LABEL.',
  },
  'prompts.invalid_label': {
    category: 'usage',
    description: '"…" is not a valid label.',
    fix: 'Use a lowercase name such as production or staging ("latest" is reserved: it always means the newest version).',
  },
  'prompts.invalid_name': {
    category: 'usage',
    description: 'The prompt name is not valid.',
    fix: 'Use lowercase letters, digits, ".", "_" and "-", starting with a letter or digit (e.g. underwriting-qa).',
  },
  'prompts.invalid_ref': {
    category: 'usage',
    description: '"…" names no version.',
    fix: 'Write NAME@VERSION with a version number (e.g. underwriting-qa@3), or NAME:LABEL.',
  },
  'prompts.invalid_template': {
    category: 'usage',
    description: 'The prompt template is not valid.',
    fix: 'Use only the known template variables (see docs/prompts.md) and balanced {{ }} placeholders.',
  },
  'prompts.message_required': {
    category: 'usage',
    description: 'A new prompt version needs a message saying what changed and why.',
    fix: 'Pass --message "…" (like a commit message).',
  },
  'prompts.not_found': {
    category: 'not_found',
    description: 'No prompt version matches the name, version number or label.',
  },
  'prompts.nothing_to_roll_back': {
    category: 'conflict',
    description: 'The label has no earlier version to roll back to.',
    fix: 'Point the label at a version explicitly: groundwork prompts label NAME <VERSION> ….',
  },
  'prompts.unchanged': {
    category: 'conflict',
    description: 'The newest version already has exactly this content.',
    fix: 'Nothing to create; point a label at it instead: groundwork prompts label NAME VERSION LABEL.',
  },
} as const satisfies ErrorCodeTable;
