import { GroundworkError } from '../core/index.ts';

/**
 * Prompt templates use `{{name}}` placeholders (spaces inside the braces allowed). Variables are checked
 * when a version is created, not when it is first used in production: an unknown name is almost always a
 * typo (`{{contxt}}`) that would silently send the model a literal placeholder.
 */

/** Variables the answer feature fills in. `question` and `context` are required by default. */
export const knownPromptVariables = {
  question: 'the user question (after PII redaction when the provider requires it)',
  context: 'the numbered retrieved passages, [1] … [n], that the answer must cite',
  use_case: 'the use case name',
  date: "today's date (YYYY-MM-DD, UTC)",
  language: 'the language to answer in',
  instructions: "the use case's extra instructions",
  history: 'earlier turns of the conversation, when there are any',
} as const;

export type PromptVariable = keyof typeof knownPromptVariables;

export const defaultRequiredVariables: readonly PromptVariable[] = ['question', 'context'];

const placeholder = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The variable names used in a template, in order of first use. */
export function templateVariables(template: string): string[] {
  const names: string[] = [];
  for (const match of template.matchAll(placeholder)) {
    const name = match[1] ?? '';
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** Throws `prompts.invalid_template` naming every problem: syntax, unknown and missing variables. */
export function validateTemplate(template: string, required: readonly string[] = defaultRequiredVariables): string[] {
  const problems: string[] = [];
  if (template.trim() === '') problems.push('the template is empty');
  const withoutPlaceholders = template.replace(placeholder, '');
  if (withoutPlaceholders.includes('{{') || withoutPlaceholders.includes('}}')) {
    problems.push('unbalanced "{{" or "}}" (a placeholder is written {{name}})');
  }
  const used = templateVariables(template);
  const known = Object.keys(knownPromptVariables);
  const unknown = used.filter((name) => !known.includes(name));
  if (unknown.length > 0) problems.push(`unknown variable(s) ${unknown.map((n) => `{{${n}}}`).join(', ')}`);
  const missing = required.filter((name) => !used.includes(name));
  if (missing.length > 0) problems.push(`missing required variable(s) ${missing.map((n) => `{{${n}}}`).join(', ')}`);
  if (problems.length > 0) {
    throw new GroundworkError('prompts.invalid_template', `The prompt template is not valid: ${problems.join('; ')}.`, {
      category: 'usage',
      fix: `Use only ${known.map((n) => `{{${n}}}`).join(', ')}, and include ${required.map((n) => `{{${n}}}`).join(' and ')}.`,
      details: { unknown, missing },
    });
  }
  return used;
}

/** Fills the placeholders; a variable without a value becomes the empty string. */
export function renderPrompt(template: string, values: Readonly<Partial<Record<PromptVariable, string>>>): string {
  return template.replace(placeholder, (_, name: string) => values[name as PromptVariable] ?? '');
}
