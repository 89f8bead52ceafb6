import { listCohorts } from '../adoption/index.ts';
import { createUseCaseStore, mayUseUseCase, setUseCaseStage, type UseCase } from '../answer/index.ts';
import { type Caller, type Clock, canonicalPrincipal, GroundworkError, systemClock } from '../core/index.ts';
import { authorize, type Governance, hasScope, recordAudit, type SubmitChangeResult, submitChange } from '../govern/index.ts';
import { type Database, publishChange, type Queryable } from '../store/index.ts';
import {
  bumpVersion,
  ensureSettings,
  isExpansion,
  isStage,
  type Rollout,
  type RolloutStage,
  readSettings,
  rolloutStages,
  type StageSnapshot,
  toRollout,
  unknownStage,
} from './settings.ts';

/**
 * The rollout's write functions (docs/rollout.md): `setStage` is the governed change `rollout.stage` (an
 * expansion needs approval, narrowing does not); `killUseCase` and `restoreUseCase` are never held by approval
 * policy — they apply at once, audited with `emergency: true`. Each validates, authorizes, writes, audits, bumps
 * the version row and notifies (`rollout` topic) in one transaction.
 */

/** Success criteria status of a use case (adoption's `criteriaStatusFor`, injected by the composition root). */
export interface CriteriaStatus {
  readonly criteria: ReadonlyArray<{
    readonly id: string;
    readonly metric: string;
    readonly target: number;
    readonly direction: 'up' | 'down';
    readonly status: 'on_track' | 'at_risk' | 'missed' | 'no_data';
    readonly latest: number | null;
  }>;
  readonly allOnTrack: boolean;
}

export interface RolloutDeps {
  readonly criteriaStatus?: (db: Queryable, useCase: string) => Promise<CriteriaStatus>;
  readonly latestEvalGate?: (db: Queryable, useCase: string) => Promise<unknown>;
  /** Config `rollout.requireCriteriaOnTrack`. */
  readonly requireCriteriaOnTrack?: boolean;
}

const noCriteria = async (): Promise<CriteriaStatus> => ({ criteria: [], allOnTrack: true });
const noGate = async () => null;

function missingUseCase(name: string): GroundworkError {
  return new GroundworkError('rollout.use_case_not_found', `There is no use case named "${name}".`, {
    category: 'not_found',
    fix: 'List use cases with `groundwork use-cases list`.',
    details: { name },
  });
}

function invalid(message: string, fix = 'Correct the named setting (see `groundwork rollout --help`).'): GroundworkError {
  return new GroundworkError('rollout.invalid', message, { category: 'usage', fix });
}

/**
 * The use case, if `caller` may see it (like GET /v1/use-cases/:name: else not found) — admins always do, so an
 * admin can kill a use case restricted to principals they do not hold.
 */
async function visibleUseCase(db: Queryable, caller: Caller, name: string): Promise<UseCase> {
  const useCase = await createUseCaseStore(db).get(name);
  if (!useCase || !(caller.role === 'admin' || mayUseUseCase(useCase, caller))) throw missingUseCase(name);
  return useCase;
}

/** The rollout of a use case. Needs `usecases:read` and may-use of the use case (else not found). */
export async function showRollout(db: Queryable, caller: Caller, name: string): Promise<Rollout> {
  authorize(caller, 'usecases:read');
  const useCase = await visibleUseCase(db, caller, name);
  return toRollout(name, useCase.status, await readSettings(db, name));
}

async function snapshotOf(tx: Queryable, name: string): Promise<StageSnapshot | null> {
  const useCase = await createUseCaseStore(tx).get(name);
  if (!useCase) return null;
  const settings = await readSettings(tx, name);
  return { stage: useCase.status, cohorts: [...(settings?.cohorts ?? [])].sort(), percent: Number(settings?.percent ?? 0) };
}

async function checkCohorts(db: Queryable, cohorts: readonly string[]): Promise<void> {
  if (cohorts.length === 0) return;
  const reader: Caller = { id: 'system:rollout', role: 'admin', principals: [], seesEverything: true };
  const names = (await listCohorts(db, reader)).map((c) => c.name);
  const unknown = cohorts.filter((c) => !names.includes(c));
  if (unknown.length === 0) return;
  const valid = names.length === 0 ? 'none exist yet' : `valid: ${names.join(', ')}`;
  throw new GroundworkError(
    'rollout.unknown_cohort',
    `Unknown cohort${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `"${c}"`).join(', ')} (${valid}).`,
    {
      category: 'usage',
      fix: 'Give one of the valid cohorts, or create it with `groundwork cohorts create NAME --principals …`.',
      details: { unknown, valid: names },
    },
  );
}

export interface SetStageInput {
  readonly stage: string;
  /** Pilot/limited cohorts (replaces the list); absent: keep the current ones. */
  readonly cohorts?: readonly string[];
  /** Share of the audience in `limited` (0–100); absent: keep the current one. */
  readonly percent?: number;
  readonly reason?: string;
  readonly requestId?: string;
}

function checkPercent(percent: unknown): number {
  if (typeof percent !== 'number' || !Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw new GroundworkError('rollout.invalid_percent', `The percentage ${String(percent)} is not a number from 0 to 100.`, {
      category: 'usage',
      fix: 'Give --percent (JSON: percent) a number from 0 to 100, e.g. 10 or 12.5.',
      details: { percent: String(percent) },
    });
  }
  return percent;
}

/**
 * Moves a use case to `stage` with its cohorts and percentage: the governed change `rollout.stage`. Expanding
 * (a later stage, a higher percentage, an added cohort) becomes a change request when governed; narrowing
 * applies at once. Needs `rollout:write`.
 */
export async function setStage(
  governance: Governance,
  db: Database,
  caller: Caller,
  name: string,
  input: SetStageInput,
): Promise<SubmitChangeResult> {
  authorize(caller, 'rollout:write');
  if (!isStage(input.stage)) throw unknownStage(input.stage);
  const percent = input.percent === undefined ? undefined : checkPercent(input.percent);
  const cohorts =
    input.cohorts === undefined ? undefined : [...new Set(input.cohorts.map((c) => c.trim()).filter(Boolean))].sort();
  if (cohorts && cohorts.length > 100) throw invalid('A rollout names at most 100 cohorts.');
  return db.transaction(async (tx) => {
    await visibleUseCase(tx, caller, name);
    if (cohorts) await checkCohorts(tx, cohorts);
    const current = (await snapshotOf(tx, name)) as StageSnapshot;
    const after: StageSnapshot = {
      stage: input.stage as RolloutStage,
      cohorts: cohorts ?? current.cohorts,
      percent: percent ?? current.percent,
    };
    return submitChange(governance, tx, caller, {
      kind: 'rollout.stage',
      target: name,
      after,
      ...(input.reason ? { reason: input.reason } : {}),
      ...(input.requestId ? { requestId: input.requestId } : {}),
    });
  });
}

/** Registers `rollout.stage` on the platform's governance (adoption's criteria and evaluate's gate injected). */
export function registerRolloutChangeKinds(governance: Governance, deps: RolloutDeps = {}): void {
  const criteriaStatus = deps.criteriaStatus ?? noCriteria;
  const latestEvalGate = deps.latestEvalGate ?? noGate;
  governance.register({
    kind: 'rollout.stage',
    scope: 'rollout:write',
    read: snapshotOf,
    async apply(tx, actor, change) {
      const before = change.before as StageSnapshot | null;
      const after = change.after as StageSnapshot;
      if (!before) throw missingUseCase(change.target);
      await checkCohorts(tx, after.cohorts);
      if (deps.requireCriteriaOnTrack && isExpansion(before, after)) {
        const status = await criteriaStatus(tx, change.target);
        if (!status.allOnTrack) {
          const off = status.criteria.filter((c) => c.status !== 'on_track');
          const none = status.criteria.length === 0;
          throw new GroundworkError(
            'rollout.criteria_not_on_track',
            none
              ? `Use case "${change.target}" cannot expand to ${after.stage}: it has no success criteria, so none can be on track.`
              : `Use case "${change.target}" cannot expand to ${after.stage}: ${off.length} success criteri${off.length === 1 ? 'on is' : 'a are'} not on track (${off.map((c) => `${c.metric} ${c.status}`).join(', ')}).`,
            {
              category: 'conflict',
              fix: none
                ? `Define what success means first: groundwork use-cases criteria add ${change.target} --metric M --target T; the policy is rollout.requireCriteriaOnTrack.`
                : 'Bring the criteria on track first (`groundwork use-cases criteria list NAME`), or narrow the change; the policy is rollout.requireCriteriaOnTrack.',
              details: { useCase: change.target, criteria: off },
            },
          );
        }
      }
      await setUseCaseStage(tx, change.target, after.stage);
      await ensureSettings(tx, change.target);
      const { rows } = await tx.query(
        `UPDATE rollout_settings SET cohorts = $2, percent = $3, updated_by = $4, updated_at = now() WHERE use_case = $1 RETURNING *`,
        [change.target, [...after.cohorts], after.percent, actor],
      );
      await recordAudit(tx, {
        actor,
        action: 'rollout.stage',
        target: `usecase:${change.target}`,
        before,
        after: { ...after, ...(change.changeRequestId ? { changeRequest: change.changeRequestId } : {}) },
      });
      await bumpVersion(tx);
      await publishChange(tx, 'rollout');
      return toRollout(change.target, after.stage, rows[0] as Parameters<typeof toRollout>[2]);
    },
    needsApproval: (before, after) => isExpansion(before as StageSnapshot | null, after as StageSnapshot),
    affectedUseCases: async (_tx, target) => [target],
    async context(tx, target, before, after) {
      const expansion = isExpansion(before as StageSnapshot | null, after as StageSnapshot);
      return {
        expansion,
        requireCriteriaOnTrack: Boolean(deps.requireCriteriaOnTrack),
        criteria: await criteriaStatus(tx, target),
        latestEvalGate: await latestEvalGate(tx, target),
      };
    },
    describe: (target, before, after) => {
      const a = after as StageSnapshot;
      const b = before as StageSnapshot | null;
      const detail = (s: StageSnapshot) =>
        `${s.stage}${s.stage === 'pilot' || s.stage === 'limited' ? ` [${s.cohorts.join(', ')}]` : ''}${s.stage === 'limited' ? ` ${s.percent}%` : ''}`;
      return `rollout ${target}: ${b ? detail(b) : '(none)'} → ${detail(a)}`;
    },
  });
}

export interface KillOptions {
  readonly message?: string;
  readonly requestId?: string;
  readonly clock?: Clock;
}

/** Admins (`rollout:kill`), the local operator, and the use case's owner may kill or restore it. */
function assertMayKill(caller: Caller, useCase: UseCase, verb: 'kill' | 'restore'): void {
  if (caller.seesEverything || hasScope(caller, 'rollout:kill')) return;
  const identities = new Set([caller.id, ...caller.principals].map(canonicalPrincipal));
  if (useCase.owner && identities.has(canonicalPrincipal(useCase.owner))) return;
  throw new GroundworkError('rollout.forbidden', `${caller.id} may not ${verb} the use case "${useCase.name}".`, {
    category: 'forbidden',
    fix: `Only admins and the use case's owner (${useCase.owner ?? 'none set'}) may ${verb} it.`,
    details: { useCase: useCase.name },
  });
}

const maxMessage = 500;

/**
 * The kill switch: makes the use case unavailable to every caller (admins and its owner too) within seconds
 * across processes, with `message` shown to users. Never held by approval policy; audited `rollout.kill` with
 * `emergency: true` (in the use case's change log). Killing a killed use case updates the message.
 */
export async function killUseCase(db: Database, caller: Caller, name: string, options: KillOptions = {}): Promise<Rollout> {
  authorize(caller, 'usecases:read');
  const message = options.message?.trim() || null;
  if (message && message.length > maxMessage) {
    throw invalid(`The kill message is longer than ${maxMessage} characters.`, `Shorten it to ${maxMessage} characters.`);
  }
  const clock = options.clock ?? systemClock;
  return db.transaction(async (tx) => {
    const useCase = await visibleUseCase(tx, caller, name);
    assertMayKill(caller, useCase, 'kill');
    const before = await ensureSettings(tx, name);
    const now = clock.now();
    const { rows } = await tx.query(
      `UPDATE rollout_settings SET killed = true, kill_message = $2, killed_by = $3, killed_at = $4, updated_by = $3, updated_at = $4
       WHERE use_case = $1 RETURNING *`,
      [name, message, caller.id, now],
    );
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'rollout.kill',
        target: `usecase:${name}`,
        before: { killed: before.killed, killMessage: before.kill_message },
        after: { killed: true, killMessage: message, emergency: true },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      clock,
    );
    await bumpVersion(tx);
    await publishChange(tx, 'rollout');
    return toRollout(name, useCase.status, rows[0] as Parameters<typeof toRollout>[2]);
  });
}

/** Lifts the kill switch (same rights as kill, never held by approval; audited `rollout.restore`, `emergency: true`). */
export async function restoreUseCase(
  db: Database,
  caller: Caller,
  name: string,
  options: Omit<KillOptions, 'message'> = {},
): Promise<Rollout> {
  authorize(caller, 'usecases:read');
  const clock = options.clock ?? systemClock;
  return db.transaction(async (tx) => {
    const useCase = await visibleUseCase(tx, caller, name);
    assertMayKill(caller, useCase, 'restore');
    const before = await ensureSettings(tx, name);
    const now = clock.now();
    const { rows } = await tx.query(
      `UPDATE rollout_settings SET killed = false, kill_message = NULL, killed_by = NULL, killed_at = NULL, updated_by = $2, updated_at = $3
       WHERE use_case = $1 RETURNING *`,
      [name, caller.id, now],
    );
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'rollout.restore',
        target: `usecase:${name}`,
        before: { killed: before.killed, killMessage: before.kill_message, killedBy: before.killed_by },
        after: { killed: false, emergency: true },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      clock,
    );
    await bumpVersion(tx);
    await publishChange(tx, 'rollout');
    return toRollout(name, useCase.status, rows[0] as Parameters<typeof toRollout>[2]);
  });
}

export { rolloutStages };
