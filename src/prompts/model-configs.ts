import { z } from 'zod';
import { GroundworkError } from '../core/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import type { DiffLine } from './line-diff.ts';
import {
  type ChangeContext,
  createVersion,
  diffVersions,
  findVersion,
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

/**
 * Model configurations per use case, versioned like prompts: which provider (a key of `models.providers`)
 * and model, with which generation parameters. The name is usually the use case's name.
 */
export const modelConfigSchema = z.strictObject({
  /** A provider name from `models.providers` in the configuration. */
  provider: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be a provider name from models.providers'),
  model: z.string().min(1),
  parameters: z
    .strictObject({
      temperature: z.number().min(0).max(2).optional(),
      topP: z.number().gt(0).max(1).optional(),
      maxOutputTokens: z.number().int().positive().optional(),
      /** The model's context window in tokens; used for context-window monitoring. */
      contextWindow: z.number().int().positive().optional(),
      seed: z.number().int().optional(),
    })
    .default({}),
});

export type ModelConfigBody = z.infer<typeof modelConfigSchema>;
export type ModelConfigVersion = StoredVersion<ModelConfigBody>;

export interface ResolvedModelConfig extends ModelConfigBody {
  readonly name: string;
  readonly version: number;
  readonly label: string;
  /** `name@version` */
  readonly ref: string;
}

export interface CreateModelConfigInput {
  readonly name: string;
  readonly config: unknown;
  readonly message: string;
  readonly author: string;
  readonly labels?: readonly string[];
}

export async function createModelConfig(db: Database, input: CreateModelConfigInput): Promise<ModelConfigVersion> {
  const parsed = modelConfigSchema.safeParse(input.config);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(config)'}: ${issue.message}`);
    throw new GroundworkError('models.invalid_config', `The model configuration is not valid: ${problems.join('; ')}.`, {
      category: 'usage',
      fix: 'Give provider (a name from models.providers), model, and optional parameters (temperature, topP, maxOutputTokens, contextWindow, seed).',
    });
  }
  return createVersion<ModelConfigBody>(db, 'model', input.name, parsed.data, {
    actor: input.author,
    reason: input.message,
    ...(input.labels ? { labels: input.labels } : {}),
  });
}

export async function resolveModelConfig(
  db: Queryable,
  name: string,
  label: string | number = 'production',
): Promise<ResolvedModelConfig> {
  const ref: VersionRef = typeof label === 'number' ? { version: label } : label === 'latest' ? 'latest' : { label };
  const version = await getVersion<ModelConfigBody>(db, 'model', name, ref);
  return {
    ...version.body,
    name,
    version: version.version,
    label: typeof label === 'number' ? `v${label}` : label,
    ref: `${name}@${version.version}`,
  };
}

/** Like `resolveModelConfig`, but `undefined` when the use case has no versioned model configuration or label. */
export async function findModelConfig(
  db: Queryable,
  name: string,
  label: string | number = 'production',
): Promise<ResolvedModelConfig | undefined> {
  // A number pins a version (an evaluation of a candidate configuration before its label moves).
  const ref: VersionRef = typeof label === 'number' ? { version: label } : label === 'latest' ? 'latest' : { label };
  const version = await findVersion<ModelConfigBody>(db, 'model', name, ref);
  return version
    ? {
        ...version.body,
        name,
        version: version.version,
        label: typeof label === 'number' ? `v${label}` : label,
        ref: `${name}@${version.version}`,
      }
    : undefined;
}

export const getModelConfig = (db: Queryable, name: string, ref: VersionRef = 'latest'): Promise<ModelConfigVersion> =>
  getVersion<ModelConfigBody>(db, 'model', name, ref);
export const listModelConfigs = (db: Queryable): Promise<NamedSummary[]> => listNames(db, 'model');
export const listModelConfigVersions = (db: Queryable, name: string): Promise<ModelConfigVersion[]> =>
  listVersions<ModelConfigBody>(db, 'model', name);
export const labelModelConfig = (
  db: Database,
  name: string,
  version: number,
  label: string,
  change: ChangeContext,
): Promise<LabelMove> => moveLabel(db, 'model', name, label, version, change);
export const rollbackModelConfig = (db: Database, name: string, label: string, change: ChangeContext): Promise<LabelMove> =>
  rollbackLabel(db, 'model', name, label, change);
export const modelConfigHistory = (db: Queryable, name: string): Promise<VersionEvent[]> => versionHistory(db, 'model', name);
export const diffModelConfigs = (
  db: Queryable,
  name: string,
  from: VersionRef,
  to: VersionRef,
): Promise<{ from: ModelConfigVersion; to: ModelConfigVersion; lines: DiffLine[] }> =>
  diffVersions<ModelConfigBody>(db, 'model', name, from, to, (body) => JSON.stringify(body, null, 2));
