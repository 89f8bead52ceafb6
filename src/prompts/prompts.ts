import type { Database, Queryable } from '../store/index.ts';
import type { DiffLine } from './line-diff.ts';
import { defaultRequiredVariables, validateTemplate } from './prompt-variables.ts';
import {
  type ChangeContext,
  createVersion,
  diffVersions,
  getVersion,
  type LabelMove,
  listNames,
  listVersions,
  moveLabel,
  type NamedSummary,
  rollbackLabel,
  type StoredVersion,
  type VersionEvent,
  type VersionRef,
  versionHistory,
} from './versions.ts';

/** A prompt version's content. */
export interface PromptBody {
  readonly template: string;
  /** Variables the template uses, validated at creation. */
  readonly variables: readonly string[];
}

export type PromptVersion = StoredVersion<PromptBody>;

/** What the answer feature needs to generate with a prompt, and to record in its trace (`ref`). */
export interface ResolvedPrompt {
  readonly name: string;
  readonly version: number;
  readonly label: string;
  readonly template: string;
  readonly variables: readonly string[];
  /** `name@version`, recorded as `groundwork.prompt.version`. */
  readonly ref: string;
}

export interface CreatePromptInput {
  readonly name: string;
  readonly template: string;
  /** What changed and why. */
  readonly message: string;
  /** `Caller.id`. */
  readonly author: string;
  /** Labels to point at the new version (e.g. `['staging']`). */
  readonly labels?: readonly string[];
  /** Default `question` and `context`. */
  readonly requiredVariables?: readonly string[];
}

export async function createPrompt(db: Database, input: CreatePromptInput): Promise<PromptVersion> {
  const variables = validateTemplate(input.template, input.requiredVariables ?? defaultRequiredVariables);
  return createVersion<PromptBody>(
    db,
    'prompt',
    input.name,
    { template: input.template, variables },
    { actor: input.author, reason: input.message, ...(input.labels ? { labels: input.labels } : {}) },
  );
}

/**
 * The prompt version `label` points at (default `production`), or the version numbered `label` (a pinned
 * version: an evaluation of a candidate before its label moves). Throws `prompts.not_found` (category
 * `not_found`, with the command that sets the label) when the prompt, label or version does not exist.
 */
export async function resolvePrompt(db: Queryable, name: string, label: string | number = 'production'): Promise<ResolvedPrompt> {
  const ref: VersionRef = typeof label === 'number' ? { version: label } : label === 'latest' ? 'latest' : { label };
  const version = await getVersion<PromptBody>(db, 'prompt', name, ref);
  return {
    name,
    version: version.version,
    label: typeof label === 'number' ? `v${label}` : label,
    template: version.body.template,
    variables: version.body.variables,
    ref: `${name}@${version.version}`,
  };
}

export const getPrompt = (db: Queryable, name: string, ref: VersionRef = 'latest'): Promise<PromptVersion> =>
  getVersion<PromptBody>(db, 'prompt', name, ref);
export const listPrompts = (db: Queryable): Promise<NamedSummary[]> => listNames(db, 'prompt');
export const listPromptVersions = (db: Queryable, name: string): Promise<PromptVersion[]> =>
  listVersions<PromptBody>(db, 'prompt', name);
export const labelPrompt = (
  db: Database,
  name: string,
  version: number,
  label: string,
  change: ChangeContext,
): Promise<LabelMove> => moveLabel(db, 'prompt', name, label, version, change);
export const rollbackPrompt = (db: Database, name: string, label: string, change: ChangeContext): Promise<LabelMove> =>
  rollbackLabel(db, 'prompt', name, label, change);
export const promptHistory = (db: Queryable, name: string): Promise<VersionEvent[]> => versionHistory(db, 'prompt', name);
export const diffPrompts = (
  db: Queryable,
  name: string,
  from: VersionRef,
  to: VersionRef,
): Promise<{ from: PromptVersion; to: PromptVersion; lines: DiffLine[] }> =>
  diffVersions<PromptBody>(db, 'prompt', name, from, to, (body) => body.template);
