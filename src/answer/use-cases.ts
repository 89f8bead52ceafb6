import { z } from 'zod';
import { type Caller, GroundworkError, sensitivityLabels } from '../core/index.ts';
import { authorize, type Governance, recordAudit, type SubmitChangeResult, submitChange } from '../govern/index.ts';
import { type Database, publishChange, type Queryable } from '../store/index.ts';
import { answerStyles, type UseCase, type UseCaseRetrieval, type UseCaseStatus, useCaseStatuses } from './types.ts';

/**
 * Use cases in the `use_cases` table (migration 0030): list, get, create, update (partial), delete.
 * `default` exists from the migration on and cannot be deleted (it can be updated).
 */

const modelRefOrExtractive = z
  .string()
  .regex(/^(extractive|[A-Za-z0-9_-]+:.+)$/, 'must be "<provider>:<model>" (a provider under models.providers) or "extractive"');

const retrievalSchema = z.strictObject({
  k: z.number().int().min(1).max(50).optional(),
  mode: z.enum(['lexical', 'vector', 'hybrid']).optional(),
  synonyms: z.record(z.string(), z.array(z.string())).optional(),
  filters: z
    .strictObject({
      mediaTypes: z.array(z.string()).optional(),
      sensitivity: z.array(z.enum(sensitivityLabels)).optional(),
      modifiedAfter: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
      modifiedBefore: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
      metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    })
    .optional(),
});

const principal = z.string().regex(/^(user|group):.+$/, 'principals look like user:alice@example.com or group:claims');

const cardLines = z.array(z.string().trim().min(1).max(300)).max(20);
/** The capability card ("what this assistant can and cannot do"); each list at most 20 lines of 300 characters. */
export const useCaseCardSchema = z.strictObject({
  canDo: cardLines.default([]),
  cannotDo: cardLines.default([]),
  verifyWhen: cardLines.default([]),
});

/** Fields of a use case as written by `create`/`update` (all optional; `null` clears nullable fields). */
export const useCaseInputSchema = z.strictObject({
  description: z.string().max(2000).optional(),
  sources: z.array(z.string().min(1)).optional(),
  retrieval: retrievalSchema.optional(),
  prompt: z.string().min(1).max(20_000).nullable().optional(),
  promptRef: z.string().min(1).nullable().optional(),
  model: modelRefOrExtractive.nullable().optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxOutputTokens: z.number().int().min(1).max(200_000).optional(),
  contextWindow: z.number().int().min(512).max(10_000_000).optional(),
  style: z.enum(answerStyles).optional(),
  refusalThreshold: z.number().min(0).max(1).nullable().optional(),
  principals: z
    .array(z.string().regex(/^(user|group):.+$/, 'principals look like user:alice@example.com or group:claims'))
    .optional(),
  owner: principal.nullable().optional(),
  approvers: z.array(principal).max(100).optional(),
  onCall: z.string().min(1).max(300).nullable().optional(),
  status: z.enum(useCaseStatuses).optional(),
  /** At least this many distinct approvers for this use case's governed changes (null = the policy's). */
  requiredApprovals: z.number().int().min(1).max(10).nullable().optional(),
  /** What the assistant can and cannot do and when to verify, shown on first use (null = derived defaults). */
  card: useCaseCardSchema.nullable().optional(),
});
export type UseCaseInput = z.input<typeof useCaseInputSchema>;

const namePattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export interface UseCaseStore {
  list(): Promise<UseCase[]>;
  /** Undefined when absent. */
  get(name: string): Promise<UseCase | undefined>;
  /** Throws `use_case.not_found` with the fix. */
  require(name: string): Promise<UseCase>;
  create(name: string, input: UseCaseInput): Promise<UseCase>;
  update(name: string, patch: UseCaseInput): Promise<UseCase>;
  delete(name: string): Promise<void>;
}

interface UseCaseRow {
  [key: string]: unknown;
  name: string;
  description: string;
  sources: string[];
  retrieval: UseCaseRetrieval;
  prompt: string | null;
  prompt_ref: string | null;
  model: string | null;
  temperature: number;
  max_output_tokens: number;
  context_window: number;
  style: UseCase['style'];
  refusal_threshold: number | null;
  principals: string[];
  owner: string | null;
  approvers: string[];
  on_call: string | null;
  status: UseCase['status'];
  governance: { requiredApprovals?: number } | null;
  card: UseCase['card'] | null;
  created_at: Date;
  updated_at: Date;
}

function fromRow(row: UseCaseRow): UseCase {
  return {
    name: row.name,
    description: row.description,
    sources: row.sources,
    retrieval: row.retrieval,
    prompt: row.prompt ?? undefined,
    promptRef: row.prompt_ref ?? undefined,
    model: row.model ?? undefined,
    temperature: Number(row.temperature),
    maxOutputTokens: row.max_output_tokens,
    contextWindow: row.context_window,
    style: row.style,
    refusalThreshold: row.refusal_threshold === null ? undefined : Number(row.refusal_threshold),
    principals: row.principals,
    owner: row.owner ?? undefined,
    approvers: row.approvers ?? [],
    onCall: row.on_call ?? undefined,
    status: row.status ?? 'draft',
    requiredApprovals: row.governance?.requiredApprovals ?? undefined,
    card: row.card ?? undefined,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function parseInput(input: UseCaseInput): z.output<typeof useCaseInputSchema> {
  const parsed = useCaseInputSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
    throw new GroundworkError('use_case.invalid', `Invalid use case settings: ${problems.join('; ')}.`, {
      category: 'usage',
      fix: 'Correct the named settings (see `groundwork use-cases create --help`).',
      details: { problems },
    });
  }
  return parsed.data;
}

function checkName(name: string): void {
  if (!namePattern.test(name)) {
    throw new GroundworkError('use_case.invalid_name', `"${name}" is not a valid use case name.`, {
      category: 'usage',
      fix: 'Use lower-case letters, digits, - and _ (start with a letter or digit, at most 63 characters), e.g. underwriting-qa.',
    });
  }
}

const columns: Record<keyof z.output<typeof useCaseInputSchema>, string> = {
  description: 'description',
  sources: 'sources',
  retrieval: 'retrieval',
  prompt: 'prompt',
  promptRef: 'prompt_ref',
  model: 'model',
  temperature: 'temperature',
  maxOutputTokens: 'max_output_tokens',
  contextWindow: 'context_window',
  style: 'style',
  refusalThreshold: 'refusal_threshold',
  principals: 'principals',
  owner: 'owner',
  approvers: 'approvers',
  onCall: 'on_call',
  status: 'status',
  requiredApprovals: 'governance',
  card: 'card',
};

function notFound(name: string): GroundworkError {
  return new GroundworkError('use_case.not_found', `There is no use case named "${name}".`, {
    category: 'not_found',
    fix: 'List use cases with `groundwork use-cases list`, or create it with `groundwork use-cases create NAME`.',
    details: { name },
  });
}

export function createUseCaseStore(db: Queryable): UseCaseStore {
  const get = async (name: string) => {
    const { rows } = await db.query<UseCaseRow>('SELECT * FROM use_cases WHERE name = $1', [name]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  };
  const assignments = (data: z.output<typeof useCaseInputSchema>) => {
    const names: string[] = [];
    const values: unknown[] = [];
    for (const [key, value] of Object.entries(data)) {
      if (value === undefined) continue;
      names.push(columns[key as keyof typeof columns]);
      if (key === 'requiredApprovals') values.push(JSON.stringify(value === null ? {} : { requiredApprovals: value }));
      else if (key === 'card') values.push(value === null ? null : JSON.stringify(value));
      else values.push(key === 'retrieval' ? JSON.stringify(value) : value);
    }
    return { names, values };
  };
  return {
    async list() {
      const { rows } = await db.query<UseCaseRow>('SELECT * FROM use_cases ORDER BY name');
      return rows.map(fromRow);
    },
    get,
    async require(name) {
      const found = await get(name);
      if (!found) throw notFound(name);
      return found;
    },
    async create(name, input) {
      checkName(name);
      const { names, values } = assignments(parseInput(input));
      const placeholders = values.map((_, i) => `$${i + 2}`);
      const { rows } = await db.query<UseCaseRow>(
        `INSERT INTO use_cases (name${names.map((n) => `, ${n}`).join('')}) VALUES ($1${placeholders.map((p) => `, ${p}`).join('')})
         ON CONFLICT (name) DO NOTHING RETURNING *`,
        [name, ...values],
      );
      if (!rows[0]) {
        throw new GroundworkError('use_case.exists', `A use case named "${name}" already exists.`, {
          category: 'conflict',
          fix: `Change it with \`groundwork use-cases update ${name} …\`, or pick another name.`,
        });
      }
      return fromRow(rows[0]);
    },
    async update(name, patch) {
      const { names, values } = assignments(parseInput(patch));
      if (names.length === 0) return this.require(name);
      const sets = names.map((n, i) => `${n} = $${i + 2}`);
      const { rows } = await db.query<UseCaseRow>(
        `UPDATE use_cases SET ${sets.join(', ')}, updated_at = now() WHERE name = $1 RETURNING *`,
        [name, ...values],
      );
      if (!rows[0]) throw notFound(name);
      return fromRow(rows[0]);
    },
    async delete(name) {
      if (name === 'default') {
        throw new GroundworkError('use_case.protected', 'The "default" use case cannot be deleted.', {
          category: 'conflict',
          fix: 'Change its settings with `groundwork use-cases update default …` instead.',
        });
      }
      const { rowCount } = await db.query('DELETE FROM use_cases WHERE name = $1', [name]);
      if (rowCount === 0) throw notFound(name);
    },
  };
}

/** Whether `caller` may ask through `useCase`: empty principals = everyone; operators/admins may use any. */
export function mayUseUseCase(useCase: UseCase, caller: Caller): boolean {
  if (useCase.principals.length === 0 || caller.seesEverything) return true;
  return caller.principals.some((p) => useCase.principals.includes(p));
}

/** Throws `auth.forbidden` (403-style) with the fix when the caller may not use the use case. */
export function assertMayUseUseCase(useCase: UseCase, caller: Caller): void {
  if (mayUseUseCase(useCase, caller)) return;
  throw new GroundworkError('auth.forbidden', `${caller.id} may not use the use case "${useCase.name}".`, {
    category: 'forbidden',
    fix: `Ask an administrator to add one of your groups to it (\`groundwork use-cases update ${useCase.name} --principals …\`), or use another use case.`,
    details: { useCase: useCase.name },
  });
}

/** Owners and approvers of `names` (the governance kernel asks who may approve a change to them). */
export async function ownershipOfUseCases(
  db: Queryable,
  names: readonly string[],
): Promise<Array<{ name: string; owner: string | null; approvers: string[]; status: string; requiredApprovals?: number }>> {
  if (names.length === 0) return [];
  const { rows } = await db.query<Pick<UseCaseRow, 'name' | 'owner' | 'approvers' | 'governance' | 'status'>>(
    'SELECT name, owner, approvers, governance, status FROM use_cases WHERE name = ANY($1) ORDER BY name',
    [[...names]],
  );
  return rows.map((row) => ({
    name: row.name,
    owner: row.owner,
    approvers: row.approvers,
    status: row.status,
    ...(row.governance?.requiredApprovals ? { requiredApprovals: row.governance.requiredApprovals } : {}),
  }));
}

/**
 * Use cases a versioned prompt or model configuration feeds: a prompt through `promptRef`, a model
 * configuration by the use case's own name (the answerer resolves `<use case>:production`).
 */
export async function useCasesFeeding(db: Queryable, kind: 'prompt' | 'model', name: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    kind === 'prompt'
      ? 'SELECT name FROM use_cases WHERE prompt_ref = $1 ORDER BY name'
      : 'SELECT name FROM use_cases WHERE name = $1',
    [name],
  );
  return rows.map((row) => row.name);
}

/** Use cases that search `source` (by id or name; a use case with no sources searches all of them). */
export async function useCasesSearching(db: Queryable, source: { id?: string; name: string }): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT name FROM use_cases WHERE $1 = ANY(sources) OR $2 = ANY(sources) OR cardinality(sources) = 0 ORDER BY name`,
    [source.name, source.id ?? source.name],
  );
  return rows.map((row) => row.name);
}

/**
 * Use-case writes as governed changes (`use_case.update` covers create and update, `use_case.delete`):
 * changing a use case that is past `draft` — or moving one out of `draft` — becomes a change request;
 * drafts change at once. HTTP and the CLI both call `saveUseCase` / `deleteUseCase`.
 *
 * Snapshot (`before`/`after`): every stored setting as `useCaseInputSchema` spells it, `null` for unset.
 */
export type UseCaseSnapshot = z.output<typeof useCaseInputSchema> & { readonly status: UseCase['status'] };

export function snapshotOfUseCase(useCase: UseCase): UseCaseSnapshot {
  return {
    description: useCase.description,
    sources: [...useCase.sources],
    retrieval: useCase.retrieval as UseCaseSnapshot['retrieval'],
    prompt: useCase.prompt ?? null,
    promptRef: useCase.promptRef ?? null,
    model: useCase.model ?? null,
    temperature: useCase.temperature,
    maxOutputTokens: useCase.maxOutputTokens,
    contextWindow: useCase.contextWindow,
    style: useCase.style,
    refusalThreshold: useCase.refusalThreshold ?? null,
    principals: [...useCase.principals],
    owner: useCase.owner ?? null,
    approvers: [...useCase.approvers],
    onCall: useCase.onCall ?? null,
    status: useCase.status,
    requiredApprovals: useCase.requiredApprovals ?? null,
    // Only when written: a snapshot taken before cards existed (a pending change request's `before`) stays equal to today's.
    ...(useCase.card
      ? {
          card: {
            canDo: [...useCase.card.canDo],
            cannotDo: [...useCase.card.cannotDo],
            verifyWhen: [...useCase.card.verifyWhen],
          },
        }
      : {}),
  };
}

const pastDraft = (snapshot: unknown) => snapshot !== null && (snapshot as UseCaseSnapshot).status !== 'draft';

/**
 * A use case restricted to some principals is not shown to others (GET /v1/use-cases hides it): its change
 * requests' settings are withheld from them likewise; admins see them.
 */
function mayViewUseCaseChange(viewer: Caller, before: unknown, after: unknown): boolean {
  if (viewer.role === 'admin' || viewer.seesEverything) return true;
  return [before, after].every((snapshot) => {
    const principals = (snapshot as UseCaseSnapshot | null)?.principals ?? [];
    return principals.length === 0 || viewer.principals.some((p) => principals.includes(p));
  });
}

/** Registers `use_case.update` and `use_case.delete` on the platform's governance. */
export function registerUseCaseChangeKinds(governance: Governance): void {
  const read = async (tx: Queryable, name: string) => {
    const found = await createUseCaseStore(tx).get(name);
    return found ? snapshotOfUseCase(found) : null;
  };
  governance.register({
    kind: 'use_case.update',
    scope: 'usecases:write',
    read,
    async apply(tx, actor, change) {
      const store = createUseCaseStore(tx);
      const after = change.after as UseCaseSnapshot;
      const stored = change.before === null ? await store.create(change.target, after) : await store.update(change.target, after);
      await recordAudit(tx, {
        actor,
        action: change.before === null ? 'usecase.create' : 'usecase.update',
        target: `usecase:${change.target}`,
        ...(change.before === null ? {} : { before: change.before }),
        after: snapshotOfUseCase(stored),
      });
      // A stage (status) change through `use-cases update`: the rollout caches of every process drop it now.
      if ((change.before as UseCaseSnapshot | null)?.status !== stored.status) await publishChange(tx, 'rollout');
      return JSON.parse(JSON.stringify(stored));
    },
    needsApproval: (before, after) => pastDraft(before) || pastDraft(after),
    detailsVisibleTo: mayViewUseCaseChange,
    affectedUseCases: async (_tx, target) => [target],
    describe: (target, before) => `use case ${target}: ${before === null ? 'create' : 'update'}`,
  });
  governance.register({
    kind: 'use_case.delete',
    scope: 'usecases:write',
    read,
    async apply(tx, actor, change) {
      await createUseCaseStore(tx).delete(change.target);
      await recordAudit(tx, { actor, action: 'usecase.delete', target: `usecase:${change.target}`, before: change.before });
      return { deleted: change.target };
    },
    needsApproval: (before) => pastDraft(before),
    detailsVisibleTo: mayViewUseCaseChange,
    affectedUseCases: async (_tx, target) => [target],
    describe: (target) => `use case ${target}: delete`,
  });
}

export interface UseCaseWriteOptions {
  readonly reason?: string;
  readonly requestId?: string;
  /** Refuse (`use_case.exists`) instead of updating an existing one. */
  readonly createOnly?: boolean;
  /** Refuse (`use_case.not_found`) instead of creating a missing one. */
  readonly updateOnly?: boolean;
}

/**
 * Creates or updates (partially: only the given fields) a use case, governed. Applied at once for drafts
 * and the trusted local operator; otherwise `{status: 'pending', changeRequest}`.
 */
export async function saveUseCase(
  governance: Governance,
  db: Database,
  caller: Caller,
  name: string,
  patch: UseCaseInput,
  options: UseCaseWriteOptions = {},
): Promise<SubmitChangeResult> {
  authorize(caller, 'usecases:write');
  checkName(name);
  const parsed = parseInput(patch);
  return db.transaction(async (tx) => {
    const existing = await createUseCaseStore(tx).get(name);
    if (existing && options.createOnly) {
      throw new GroundworkError('use_case.exists', `A use case named "${name}" already exists.`, {
        category: 'conflict',
        fix: `Change it with \`groundwork use-cases update ${name} …\`, or pick another name.`,
      });
    }
    if (!existing && options.updateOnly) throw notFound(name);
    const base: Record<string, unknown> = existing ? { ...snapshotOfUseCase(existing) } : { status: 'draft' };
    for (const [key, value] of Object.entries(parsed)) if (value !== undefined) base[key] = value;
    const after = parseInput(Object.fromEntries(Object.entries(base).filter(([, v]) => v !== null || existing)) as UseCaseInput);
    return submitChange(governance, tx, caller, {
      kind: 'use_case.update',
      target: name,
      after: { ...after, status: after.status ?? 'draft' },
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.requestId ? { requestId: options.requestId } : {}),
    });
  });
}

/** Deletes a use case (never `default`), governed like `saveUseCase`. */
export async function deleteUseCase(
  governance: Governance,
  db: Database,
  caller: Caller,
  name: string,
  options: Omit<UseCaseWriteOptions, 'createOnly' | 'updateOnly'> = {},
): Promise<SubmitChangeResult> {
  authorize(caller, 'usecases:write');
  return db.transaction(async (tx) => {
    const existing = await createUseCaseStore(tx).get(name);
    if (!existing) throw notFound(name);
    if (name === 'default') {
      throw new GroundworkError('use_case.protected', 'The "default" use case cannot be deleted.', {
        category: 'conflict',
        fix: 'Change its settings with `groundwork use-cases update default …` instead.',
      });
    }
    return submitChange(governance, tx, caller, {
      kind: 'use_case.delete',
      target: name,
      after: null,
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.requestId ? { requestId: options.requestId } : {}),
    });
  });
}

/**
 * Sets a use case's stage (`status`) in the caller's transaction: the ONE write of the stage, called by the
 * rollout feature's governed `rollout.stage` change (which authorizes, audits and notifies). Returns the
 * previous stage; `use_case.not_found` when absent.
 */
export async function setUseCaseStage(tx: Queryable, name: string, stage: UseCaseStatus): Promise<UseCaseStatus> {
  if (!(useCaseStatuses as readonly string[]).includes(stage)) {
    throw new GroundworkError('use_case.invalid', `Invalid use case settings: status: "${stage}" is not a stage.`, {
      category: 'usage',
      fix: `Use one of: ${useCaseStatuses.join(', ')}.`,
    });
  }
  const { rows } = await tx.query<{ previous: UseCaseStatus }>(
    `UPDATE use_cases u SET status = $2, updated_at = now() FROM (SELECT status AS previous FROM use_cases WHERE name = $1 FOR UPDATE) p
     WHERE u.name = $1 RETURNING p.previous`,
    [name, stage],
  );
  if (!rows[0]) throw notFound(name);
  return rows[0].previous;
}

/** The stage and owner of a use case (undefined when absent): what the rollout feature reads. */
export async function stageOfUseCase(
  db: Queryable,
  name: string,
): Promise<{ name: string; stage: UseCaseStatus; owner: string | null; principals: string[] } | undefined> {
  const { rows } = await db.query<{ name: string; status: UseCaseStatus; owner: string | null; principals: string[] }>(
    'SELECT name, status, owner, principals FROM use_cases WHERE name = $1',
    [name],
  );
  const row = rows[0];
  return row ? { name: row.name, stage: row.status, owner: row.owner, principals: row.principals } : undefined;
}
