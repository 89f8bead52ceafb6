import { listCohorts } from '../adoption/index.ts';
import { stageOfUseCase } from '../answer/index.ts';
import { type Caller, canonicalPrincipal, GroundworkError, type Logger, silentLogger } from '../core/index.ts';
import { hasScope } from '../govern/index.ts';
import type { ChangeFeed, Queryable } from '../store/index.ts';
import { callerIdentities, inPercentage, type RolloutStage, readSettings, readVersion, type SettingsRow } from './settings.ts';

/**
 * Availability of a use case per caller at request time (the answer path calls `check` before answering).
 * Decided from a per-process in-memory copy of each use case's rollout state (stage, owner, cohorts with their
 * principals, percentage, kill switch), so a check costs microseconds (docs/benchmarks.md). The copy is dropped
 * when the `rollout` change-feed topic fires (LISTEN/NOTIFY, any process) and, as a safety net for a lost
 * notification, when the `rollout_version` row — bumped by every rollout write — changes: it is polled at most
 * every `pollMs` (1 s) in the background, and awaited when the last poll is older than `staleMs` (3 s, an idle
 * process). A kill therefore takes effect within milliseconds normally and within ~3 s in the worst case.
 * Entries also expire after `ttlMs` (5 s): stage changes made through `use-cases update` and cohort edits.
 */
export interface RolloutAvailability {
  /** Throws `rollout.not_available` (403) with the owner's message when `caller` may not use `useCase` now. */
  check(useCase: string, caller: Caller): Promise<void>;
  /** The decision without throwing. */
  decide(useCase: string, caller: Caller): Promise<AvailabilityDecision>;
  /** Drops the cached state (this process). */
  invalidate(): void;
  close(): void;
}

export type UnavailableReason = 'killed' | 'retired' | 'draft' | 'not_in_rollout';

export type AvailabilityDecision =
  | { readonly available: true }
  | { readonly available: false; readonly reason: UnavailableReason; readonly message: string };

interface Entry {
  readonly stage: RolloutStage;
  readonly owner: string | null;
  readonly settings: SettingsRow | undefined;
  /** Canonical principals of every cohort of the rollout. */
  readonly cohortPrincipals: ReadonlySet<string>;
  readonly loadedAt: number;
}

const available: AvailabilityDecision = Object.freeze({ available: true });

/** The cohorts' reader: the rollout reads cohort definitions as the platform, not as the caller. */
const systemReader: Caller = Object.freeze({ id: 'system:rollout', role: 'admin', principals: [], seesEverything: true });

export const defaultMessages: Record<UnavailableReason, (useCase: string) => string> = {
  killed: (u) => `The assistant "${u}" has been switched off by its owner.`,
  retired: (u) => `The assistant "${u}" has been retired.`,
  draft: (u) => `The assistant "${u}" is still being built and is not available yet.`,
  not_in_rollout: (u) => `The assistant "${u}" is being rolled out gradually and is not available to you yet.`,
};

/** The people who build and run a use case reach it in every stage but killed and retired. */
function manages(caller: Caller, owner: string | null, identities: Set<string>): boolean {
  if (caller.seesEverything || hasScope(caller, 'usecases:write')) return true;
  return owner !== null && identities.has(canonicalPrincipal(owner));
}

/** The pure decision over one cached entry. */
export function decideFor(useCase: string, entry: Entry, caller: Caller): AvailabilityDecision {
  const settings = entry.settings;
  if (settings?.killed) {
    return { available: false, reason: 'killed', message: settings.kill_message || defaultMessages.killed(useCase) };
  }
  if (entry.stage === 'general') return available;
  if (entry.stage === 'retired') return { available: false, reason: 'retired', message: defaultMessages.retired(useCase) };
  const identities = callerIdentities(caller);
  if (manages(caller, entry.owner, identities)) return available;
  if (entry.stage === 'draft') return { available: false, reason: 'draft', message: defaultMessages.draft(useCase) };
  for (const identity of identities) if (entry.cohortPrincipals.has(identity)) return available;
  if (entry.stage === 'limited' && settings && inPercentage(settings.salt, caller.id, Number(settings.percent))) {
    return available;
  }
  return { available: false, reason: 'not_in_rollout', message: defaultMessages.not_in_rollout(useCase) };
}

export function notAvailable(useCase: string, decision: Exclude<AvailabilityDecision, { available: true }>): GroundworkError {
  return new GroundworkError('rollout.not_available', decision.message, {
    category: 'forbidden',
    fix:
      decision.reason === 'killed'
        ? 'The owner switched it off; it answers again once restored (`groundwork rollout restore NAME`).'
        : decision.reason === 'not_in_rollout'
          ? 'Ask the use case owner to add you to the rollout (a pilot cohort), or use another use case.'
          : 'Use another use case, or ask its owner when it will be available.',
    details: { useCase, reason: decision.reason, message: decision.message },
  });
}

/** Loads the rollout state of one use case (undefined: no such use case — the answer path reports that itself). */
export async function loadEntry(db: Queryable, useCase: string, now: number): Promise<Entry | undefined> {
  const stage = await stageOfUseCase(db, useCase);
  if (!stage) return undefined;
  const settings = await readSettings(db, useCase);
  const cohortPrincipals = new Set<string>();
  if (settings && settings.cohorts.length > 0 && (stage.stage === 'pilot' || stage.stage === 'limited')) {
    const wanted = new Set(settings.cohorts);
    for (const cohort of await listCohorts(db, systemReader)) {
      if (wanted.has(cohort.name)) for (const p of cohort.principals) cohortPrincipals.add(canonicalPrincipal(p));
    }
  }
  return { stage: stage.stage, owner: stage.owner, settings, cohortPrincipals, loadedAt: now };
}

export interface RolloutAvailabilityOptions {
  readonly db: Queryable;
  readonly changes?: ChangeFeed;
  readonly logger?: Logger;
  /** Background poll of the version row at most this often (default 1000 ms). */
  readonly pollMs?: number;
  /** A poll older than this is awaited before deciding (default 3000 ms). */
  readonly staleMs?: number;
  /** Entries are re-read after this long (default 5000 ms). */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

export function createRolloutAvailability(options: RolloutAvailabilityOptions): RolloutAvailability {
  const { db } = options;
  const logger = options.logger ?? silentLogger;
  const pollMs = options.pollMs ?? 1000;
  const staleMs = options.staleMs ?? 3000;
  const ttlMs = options.ttlMs ?? 5000;
  const now = options.now ?? (() => performance.now());
  const cache = new Map<string, Entry>();
  const loading = new Map<string, Promise<Entry | undefined>>();
  let generation = 0;
  let version: number | undefined;
  let polledAt = Number.NEGATIVE_INFINITY;
  let polling: Promise<void> | undefined;

  const invalidate = () => {
    generation += 1;
    cache.clear();
    loading.clear();
  };
  const unsubscribe = options.changes?.subscribe('rollout', invalidate);

  const poll = (): Promise<void> => {
    if (polling) return polling;
    polledAt = now();
    polling = readVersion(db)
      .then((current) => {
        if (version !== undefined && current !== version) invalidate();
        version = current;
      })
      .catch((error) => logger.warn('rollout version poll failed', { error: (error as Error).message }))
      .finally(() => {
        polling = undefined;
      });
    return polling;
  };

  const entryOf = async (useCase: string): Promise<Entry | undefined> => {
    const at = now();
    const since = at - polledAt;
    if (since >= staleMs) await poll();
    else if (since >= pollMs) void poll();
    const hit = cache.get(useCase);
    if (hit && at - hit.loadedAt < ttlMs) return hit;
    let pending = loading.get(useCase);
    if (!pending) {
      const started = generation;
      pending = loadEntry(db, useCase, at).then((entry) => {
        if (started === generation) {
          loading.delete(useCase);
          if (entry) cache.set(useCase, entry);
        }
        return entry;
      });
      pending.catch(() => loading.delete(useCase));
      loading.set(useCase, pending);
    }
    return pending;
  };

  const decide = async (useCase: string, caller: Caller): Promise<AvailabilityDecision> => {
    const entry = await entryOf(useCase);
    return entry ? decideFor(useCase, entry, caller) : available;
  };

  return {
    decide,
    async check(useCase, caller) {
      const decision = await decide(useCase, caller);
      if (!decision.available) throw notAvailable(useCase, decision);
    },
    invalidate,
    close() {
      unsubscribe?.();
    },
  };
}
