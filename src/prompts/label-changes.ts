import { type Caller, GroundworkError } from '../core/index.ts';
import {
  authorize,
  type ChangeKind,
  type ChangeRequest,
  type Governance,
  type SubmitChangeResult,
  submitChange,
} from '../govern/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import {
  labelStack,
  moveLabelInTransaction,
  readLabel,
  type VersionKind,
  validateLabel,
  validateName,
  versionHistory,
} from './versions.ts';

/**
 * Label moves and rollbacks of prompts and model configurations as governed changes (`prompt.label`,
 * `model.label`): moving a protected label (`governance.protectedLabels`, default `production`) becomes a
 * change request; other labels move at once. The HTTP routes and the CLI both call `requestLabelMove`.
 *
 * Target: `NAME:LABEL`. Snapshot: `{version}` (`null` = the label is not set). After: `{version, rollback?}`.
 */
type LabelSnapshot = { readonly version: number } | null;
type LabelAfter = { readonly version: number; readonly rollback?: boolean };

/** Use cases a prompt or model configuration feeds (the answer feature knows; injected at composition). */
export type UseCasesOfVersioned = (db: Queryable, kind: VersionKind, name: string) => Promise<readonly string[]>;

function splitTarget(target: string): { name: string; label: string } {
  const colon = target.lastIndexOf(':');
  return { name: target.slice(0, colon), label: target.slice(colon + 1) };
}

function labelKind(kind: VersionKind, useCasesOf: UseCasesOfVersioned): ChangeKind {
  const noun = kind === 'prompt' ? 'prompt' : 'model configuration';
  return {
    kind: kind === 'prompt' ? 'prompt.label' : 'model.label',
    scope: 'prompts:write',
    async read(tx, target) {
      const { name, label } = splitTarget(target);
      const version = await readLabel(tx, kind, name, label);
      return version === null ? null : { version };
    },
    async apply(tx, actor, change) {
      const { name, label } = splitTarget(change.target);
      const after = change.after as LabelAfter;
      const reason = change.reason ?? (change.changeRequestId ? `change request ${change.changeRequestId}` : undefined);
      return moveLabelInTransaction(tx, kind, name, label, after.version, {
        actor,
        ...(reason ? { reason } : {}),
        action: after.rollback ? 'rollback' : 'label',
      });
    },
    // Protected labels only reach the kernel (requestLabelMove decides); a move to where it points is no change.
    needsApproval: (before, after) => (before as LabelSnapshot)?.version !== (after as LabelAfter).version,
    evalRunApplies: () => true,
    // The run must have answered with the version the label moves to (`eval run --prompt-version N` /
    // `--model-version N` evaluates a candidate before the move): a passing run of another version, another
    // prompt or of retrieval alone is no evidence for this change.
    evalRunMismatch(run, target, after) {
      const { name } = splitTarget(target);
      const expected = `${name}@${(after as LabelAfter).version}`;
      const evaluated = kind === 'prompt' ? run.promptVersion : run.modelVersion;
      if (evaluated === expected) return undefined;
      const flag = kind === 'prompt' ? '--prompt-version' : '--model-version';
      return {
        reason: `it evaluated ${evaluated ? `${noun} ${evaluated}` : `no versioned ${noun}`}, not ${expected}`,
        fix: `Evaluate the candidate with a use case that uses ${noun} ${name}: groundwork eval run DATASET --mode answer --use-case USE_CASE ${flag} ${(after as LabelAfter).version} --fail-if "…", then attach that run's id.`,
      };
    },
    affectedUseCases: async (tx, target) => useCasesOf(tx, kind, splitTarget(target).name),
    describe(target, before, after) {
      const { name, label } = splitTarget(target);
      const from = (before as LabelSnapshot)?.version ?? 'unset';
      const to = after as LabelAfter;
      return `${noun} ${name}: ${label} ${from} → ${to.version}${to.rollback ? ' (rollback)' : ''}`;
    },
  };
}

/**
 * Registers `prompt.label` and `model.label`. Which labels are governed is decided here, per change, from
 * `governance.protectedLabels`.
 */
export function registerLabelChangeKinds(governance: Governance, useCasesOf: UseCasesOfVersioned): void {
  for (const kind of ['prompt', 'model'] as const) governance.register(labelKind(kind, useCasesOf));
}

export interface LabelMoveRequest {
  readonly kind: VersionKind;
  readonly name: string;
  readonly label: string;
  /** The version to point at; absent with `rollback: true` = back to where the label pointed before. */
  readonly version?: number;
  readonly rollback?: boolean;
  readonly reason?: string;
  readonly evalRunId?: string;
  readonly emergency?: boolean;
  readonly requestId?: string;
}

/**
 * Moves (or rolls back) a label, governed: applied now for unprotected labels, the trusted local operator
 * and no-op moves; otherwise a pending change request (`{status: 'pending', changeRequest}`).
 */
export async function requestLabelMove(
  governance: Governance,
  db: Database,
  caller: Caller,
  request: LabelMoveRequest,
): Promise<SubmitChangeResult> {
  authorize(caller, 'prompts:write');
  validateName(request.kind, request.name);
  validateLabel(request.kind, request.label);
  const protectedLabel = governance.policy.protectedLabels.includes(request.label);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`prompt_labels:${request.kind}:${request.name}`]);
    let version = request.version;
    if (request.rollback) {
      const stack = labelStack(await versionHistory(tx, request.kind, request.name), request.label);
      version = stack[stack.length - 2];
      if (version === undefined) {
        throw new GroundworkError(
          `${request.kind}s.nothing_to_roll_back`,
          stack.length === 0
            ? `Label "${request.label}" of ${request.kind} "${request.name}" has never been set.`
            : `Label "${request.label}" of ${request.kind} "${request.name}" has no earlier version to roll back to (it points at its first version, ${stack[0]}).`,
          {
            category: 'conflict',
            fix: `Point the label at a version explicitly: groundwork ${request.kind}s label ${request.name} <VERSION> ${request.label}.`,
          },
        );
      }
    }
    if (version === undefined) {
      throw new GroundworkError(`${request.kind}s.invalid_ref`, 'A label move needs a version (or rollback).', {
        category: 'usage',
        fix: 'Pass the version number to point the label at.',
      });
    }
    const exists = await tx.query('SELECT 1 FROM prompt_versions WHERE kind = $1 AND name = $2 AND version = $3', [
      request.kind,
      request.name,
      version,
    ]);
    if (exists.rowCount === 0) {
      throw new GroundworkError(`${request.kind}s.not_found`, `No ${request.kind} version ${request.name}@${version}.`, {
        category: 'not_found',
        fix: `List what exists with: groundwork ${request.kind}s show ${request.name}.`,
      });
    }
    const kindName = request.kind === 'prompt' ? 'prompt.label' : 'model.label';
    const after: LabelAfter = request.rollback ? { version, rollback: true } : { version };
    if (!protectedLabel) {
      // Unprotected labels are not governed: the same write function, applied directly.
      const kind = governance.kind(kindName);
      const before = await kind.read(tx, `${request.name}:${request.label}`);
      if ((before as LabelSnapshot)?.version === version) return { status: 'applied', result: noMove(request, version) };
      const result = await kind.apply(tx, caller.id, {
        target: `${request.name}:${request.label}`,
        before,
        after,
        reason: request.reason ?? null,
      });
      return { status: 'applied', result };
    }
    const current = await readLabel(tx, request.kind, request.name, request.label);
    if (current === version) return { status: 'applied', result: noMove(request, version) };
    return submitChange(governance, tx, caller, {
      kind: kindName,
      target: `${request.name}:${request.label}`,
      after,
      ...(request.reason ? { reason: request.reason } : {}),
      ...(request.evalRunId ? { evalRunId: request.evalRunId } : {}),
      ...(request.emergency ? { emergency: true } : {}),
      ...(request.requestId ? { requestId: request.requestId } : {}),
    });
  });
}

function noMove(request: LabelMoveRequest, version: number) {
  return { kind: request.kind, name: request.name, label: request.label, from: version, to: version };
}

/** Splits the labels given with a new version: protected ones go through `requestLabelMove` afterwards. */
export function splitProtectedLabels(
  governance: Governance,
  labels: readonly string[] | undefined,
): { direct: string[]; governed: string[] } {
  const all = [...new Set(labels ?? [])];
  const governed = all.filter((label) => governance.policy.protectedLabels.includes(label));
  return { direct: all.filter((label) => !governed.includes(label)), governed };
}

/**
 * Points protected labels at a just-created version through the governed path: what moved at once, and
 * the change requests that wait for approval.
 */
export async function labelNewVersion(
  governance: Governance,
  db: Database,
  caller: Caller,
  target: { kind: VersionKind; name: string; version: number; labels: readonly string[]; reason?: string; requestId?: string },
): Promise<{ changeRequests: ChangeRequest[] }> {
  const changeRequests: ChangeRequest[] = [];
  for (const label of target.labels) {
    const outcome = await requestLabelMove(governance, db, caller, {
      kind: target.kind,
      name: target.name,
      label,
      version: target.version,
      ...(target.reason ? { reason: target.reason } : {}),
      ...(target.requestId ? { requestId: target.requestId } : {}),
    });
    if (outcome.status === 'pending') changeRequests.push(outcome.changeRequest);
  }
  return { changeRequests };
}
