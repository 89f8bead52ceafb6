import { createHash, randomBytes } from 'node:crypto';
import { type UseCaseStatus, useCaseStatuses } from '../answer/index.ts';
import { type Caller, canonicalPrincipal, GroundworkError } from '../core/index.ts';
import type { Queryable } from '../store/index.ts';

/**
 * Rollout settings of a use case (table `rollout_settings`, migration 0140) and the audience rule: who a stage
 * admits. The stage itself is the use case's `status` (answer feature); this feature keeps the cohorts, the
 * percentage and its salt, and the kill switch. See docs/rollout.md.
 */
export const rolloutStages = useCaseStatuses;
export type RolloutStage = UseCaseStatus;

/** The rollout JSON contract (`GET /v1/use-cases/:name/rollout`, `groundwork rollout show --json`). */
export interface Rollout {
  readonly useCase: string;
  readonly stage: RolloutStage;
  readonly cohorts: readonly string[];
  readonly percent: number;
  readonly killed: boolean;
  readonly killMessage: string | null;
  readonly killedBy: string | null;
  readonly killedAt: string | null;
  readonly updatedBy: string | null;
  readonly updatedAt: string | null;
}

export type SettingsRow = {
  use_case: string;
  cohorts: string[];
  percent: number;
  salt: string;
  killed: boolean;
  kill_message: string | null;
  killed_by: string | null;
  killed_at: Date | null;
  updated_by: string | null;
  updated_at: Date;
};

/** What the governed `rollout.stage` change compares and applies (kill state is not part of it). */
export interface StageSnapshot {
  readonly stage: RolloutStage;
  readonly cohorts: readonly string[];
  readonly percent: number;
}

const iso = (date: Date | null | undefined) => (date ? new Date(date).toISOString() : null);

export function toRollout(useCase: string, stage: RolloutStage, row: SettingsRow | undefined): Rollout {
  return {
    useCase,
    stage,
    cohorts: row ? [...row.cohorts] : [],
    percent: row ? Number(row.percent) : 0,
    killed: row?.killed ?? false,
    killMessage: row?.kill_message ?? null,
    killedBy: row?.killed_by ?? null,
    killedAt: iso(row?.killed_at),
    updatedBy: row?.updated_by ?? null,
    updatedAt: iso(row?.updated_at),
  };
}

export async function readSettings(db: Queryable, useCase: string, lock = false): Promise<SettingsRow | undefined> {
  const { rows } = await db.query<SettingsRow>(`SELECT * FROM rollout_settings WHERE use_case = $1${lock ? ' FOR UPDATE' : ''}`, [
    useCase,
  ]);
  return rows[0];
}

/** Makes sure a settings row exists (with its salt, fixed from now on) and returns it locked. */
export async function ensureSettings(tx: Queryable, useCase: string): Promise<SettingsRow> {
  await tx.query('INSERT INTO rollout_settings (use_case, salt) VALUES ($1, $2) ON CONFLICT (use_case) DO NOTHING', [
    useCase,
    randomBytes(16).toString('hex'),
  ]);
  return (await readSettings(tx, useCase, true)) as SettingsRow;
}

/** Bumps the version row every process polls (the safety net for a lost notification). */
export async function bumpVersion(tx: Queryable): Promise<void> {
  await tx.query('UPDATE rollout_version SET version = version + 1 WHERE id = 1');
}

export async function readVersion(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ version: string }>('SELECT version FROM rollout_version WHERE id = 1');
  return Number(rows[0]?.version ?? 0);
}

export async function readAllSettings(db: Queryable): Promise<SettingsRow[]> {
  return (await db.query<SettingsRow>('SELECT * FROM rollout_settings')).rows;
}

export function unknownStage(stage: unknown): GroundworkError {
  return new GroundworkError(
    'rollout.unknown_stage',
    `"${String(stage)}" is not a rollout stage (stages: ${rolloutStages.join(', ')}).`,
    {
      category: 'usage',
      fix: `Use one of: ${rolloutStages.join(', ')}.`,
      details: { stage: String(stage), valid: [...rolloutStages] },
    },
  );
}

export function isStage(value: unknown): value is RolloutStage {
  return typeof value === 'string' && (rolloutStages as readonly string[]).includes(value);
}

/** Order of stages by audience: retired (nobody) < draft < pilot < limited < general. */
const rank: Record<RolloutStage, number> = { retired: -1, draft: 0, pilot: 1, limited: 2, general: 3 };

/**
 * Whether going from `before` to `after` lets more people in (and so needs approval when governed): a later
 * stage, a higher percentage in `limited`, or a cohort added while the stage uses cohorts. Narrowing never does.
 */
export function isExpansion(before: StageSnapshot | null, after: StageSnapshot): boolean {
  const from: StageSnapshot = before ?? { stage: 'draft', cohorts: [], percent: 0 };
  if (rank[after.stage] > rank[from.stage]) return true;
  if (rank[after.stage] < rank[from.stage]) {
    // Narrower stage; still an expansion if it admits a cohort or a share the old one did not (general admits all).
    if (from.stage === 'general') return false;
  }
  const usesCohorts = after.stage === 'pilot' || after.stage === 'limited';
  if (usesCohorts) {
    const before = new Set(from.stage === 'pilot' || from.stage === 'limited' ? from.cohorts : []);
    if (after.cohorts.some((c) => !before.has(c))) return true;
  }
  if (after.stage === 'limited' && after.percent > (from.stage === 'limited' ? from.percent : 0)) return true;
  return false;
}

/**
 * The sticky bucket of a user in a use case's rollout, in [0, 100): a salted sha256 of the canonical user id.
 * A user is admitted by `percent` when bucket < percent, so raising the percentage never removes anyone.
 */
export function audienceBucket(salt: string, userId: string): number {
  const digest = createHash('sha256')
    .update(`${salt}:${canonicalPrincipal(userId)}`)
    .digest();
  return (digest.readUInt32BE(0) / 0x1_0000_0000) * 100;
}

/** Whether a user id falls within `percent` of the audience for this salt. */
export function inPercentage(salt: string, userId: string, percent: number): boolean {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  return audienceBucket(salt, userId) < percent;
}

/** The identities a caller is matched on against cohort principals: its id and its principals (canonical). */
export function callerIdentities(caller: Caller): Set<string> {
  return new Set([caller.id, ...caller.principals].map(canonicalPrincipal));
}
