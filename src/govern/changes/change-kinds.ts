import {
  type Caller,
  type ChangeKindName,
  type Clock,
  type GroundworkConfig,
  GroundworkError,
  systemClock,
} from '../../core/index.ts';
import type { Queryable } from '../../store/index.ts';
import type { Scope } from '../scopes.ts';

/**
 * Kinds of governed change, registered by the feature that owns the target. govern never imports a feature:
 * the composition root creates one `Governance`, each feature registers its kinds on it, and the kernel
 * (change-requests.ts) reads, compares and applies targets only through these functions.
 */
export type GovernancePolicy = GroundworkConfig['governance'];

/** A change as applied: what the kind's `apply` receives (now, or later when the last approval lands). */
export interface AppliedChange {
  readonly target: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly reason: string | null;
  /** The change request it came from (absent for changes that needed no approval). */
  readonly changeRequestId?: string;
}

export interface ChangeKind {
  readonly kind: ChangeKindName;
  /** Scope the author needs to request the change (approvers need `changes:approve`). */
  readonly scope: Scope;
  /**
   * The target's current state as a JSON snapshot (`null` = absent). Compared with the request's `before`
   * on approval: a different value makes the request stale.
   */
  read(tx: Queryable, target: string): Promise<unknown>;
  /** Makes the change in the caller's transaction; `actor` is the author. Returns a JSON result. */
  apply(tx: Queryable, actor: string, change: AppliedChange): Promise<unknown>;
  /**
   * Called in the transaction when a pending request of this kind closes without being applied (rejected,
   * withdrawn, expired, stale): undo what requesting prepared (a pending API key is revoked).
   */
  discard?(tx: Queryable, actor: string, change: AppliedChange): Promise<void>;
  /**
   * Whether this particular change needs approval when the kind is governed (a non-protected label, a
   * lowered budget, a draft use case: no). Default: always.
   */
  needsApproval?(before: unknown, after: unknown, policy: GovernancePolicy): boolean;
  /** Use cases the change affects: their approvers may approve it and their change log lists it. */
  affectedUseCases?(tx: Queryable, target: string, before: unknown, after: unknown): Promise<readonly string[]>;
  /** Whether the policy's `requireEvalRunFor` applies to this change (a protected label move). */
  evalRunApplies?(before: unknown, after: unknown, policy: GovernancePolicy): boolean;
  /**
   * Why an attached evaluation run (found and passed) does not evaluate this change — e.g. it ran another
   * prompt version than the one the label moves to — or undefined when it does. A run that measured
   * something else is not evidence for this change. Default: any passing run counts.
   */
  evalRunMismatch?(run: EvalRunVerdict, target: string, after: unknown): { reason: string; fix: string } | undefined;
  /**
   * Scope needed to see `before`/`after`/`result` (source settings and ACL maps, key principals): callers
   * without it see the request with those fields withheld. Default: anyone who may read change requests.
   */
  readonly detailScope?: Scope;
  /** Per-object check after `detailScope`: whether `viewer` may see this change's details (default yes). */
  detailsVisibleTo?(viewer: Caller, before: unknown, after: unknown): boolean;
  /**
   * What an approver should see next to `before`/`after` (read now, not stored): a rollout stage expansion
   * shows the use case's success criteria status and its latest eval gate. Shown by GET /v1/changes/:id as
   * `context` (withheld like the details).
   */
  context?(tx: Queryable, target: string, before: unknown, after: unknown): Promise<unknown>;
  /** One line for lists and the CLI: "prompt underwriting-qa: production 3 → 4". */
  describe?(target: string, before: unknown, after: unknown): string;
}

/** What a use case says about who may approve its changes (read from the answer feature, injected). */
export interface UseCaseOwnership {
  readonly name: string;
  readonly owner: string | null;
  /**
   * Principals who may approve its changes — counted only once the use case is past `draft`: a draft's
   * approvers were set without any approval, so anyone with `usecases:write` could otherwise make themselves
   * approver of a prompt or source by pointing a draft use case at it.
   */
  readonly approvers: readonly string[];
  /** Lifecycle and rollout stage (`draft`, `pilot`, `limited`, `general`, `retired`). */
  readonly status?: string;
  /** The use case's own minimum of distinct approvers (never lowers the policy's). */
  readonly requiredApprovals?: number;
}

/** Whether an evaluation run passed (read from the evaluate feature, injected). */
export interface EvalRunVerdict {
  readonly found: boolean;
  readonly passed: boolean;
  readonly useCase?: string | null;
  readonly reason?: string;
  /** What the run's answers ran with (`name@N` for versioned prompts and model configurations; null: none). */
  readonly promptVersion?: string | null;
  readonly modelVersion?: string | null;
}

export interface GovernanceOptions {
  readonly policy: GovernancePolicy;
  readonly clock?: Clock;
  readonly ownershipOf?: (db: Queryable, names: readonly string[]) => Promise<UseCaseOwnership[]>;
  readonly evalRunVerdict?: (db: Queryable, runId: string) => Promise<EvalRunVerdict>;
  /**
   * The use cases `caller` may use (the answer feature decides). Change requests that affect a use case the
   * caller may not use are hidden from them (like GET /v1/use-cases/:name), unless they wrote it, may approve
   * it, or are an admin. Absent: nothing is hidden.
   */
  readonly usableUseCases?: (db: Queryable, caller: Caller) => Promise<readonly string[]>;
}

/** The policy, the registered kinds and the lookups the kernel needs; one per platform. */
export interface Governance {
  readonly policy: GovernancePolicy;
  readonly clock: Clock;
  readonly ownershipOf: (db: Queryable, names: readonly string[]) => Promise<UseCaseOwnership[]>;
  readonly evalRunVerdict: (db: Queryable, runId: string) => Promise<EvalRunVerdict>;
  readonly usableUseCases: ((db: Queryable, caller: Caller) => Promise<readonly string[]>) | undefined;
  /** Registers a kind (at composition); registering one twice is a programming error. */
  register(kind: ChangeKind): void;
  /** The registered kind, or `govern.unknown_kind`. */
  kind(name: string): ChangeKind;
  kinds(): readonly ChangeKind[];
}

export function createGovernance(options: GovernanceOptions): Governance {
  const registered = new Map<string, ChangeKind>();
  return {
    policy: options.policy,
    clock: options.clock ?? systemClock,
    ownershipOf: options.ownershipOf ?? (async () => []),
    evalRunVerdict:
      options.evalRunVerdict ?? (async () => ({ found: false, passed: false, reason: 'no evaluation feature is wired' })),
    usableUseCases: options.usableUseCases,
    register(kind) {
      if (registered.has(kind.kind)) throw new Error(`change kind ${kind.kind} is registered twice`);
      registered.set(kind.kind, kind);
    },
    kind(name) {
      const found = registered.get(name);
      if (!found) {
        throw new GroundworkError('govern.unknown_kind', `"${name}" is not a kind of change this server knows.`, {
          category: 'internal',
          fix: 'Upgrade every process to the same version; a change request of an unknown kind cannot be applied.',
          details: { kind: name, known: [...registered.keys()] },
        });
      }
      return found;
    },
    kinds: () => [...registered.values()],
  };
}
