import { createHash } from 'node:crypto';
import { type Caller, canonicalPrincipal, GroundworkError, newId } from '../../core/index.ts';
import type { Database, Queryable } from '../../store/index.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import { authorize, hasScope } from '../scopes.ts';
import type { ChangeKind, Governance } from './change-kinds.ts';
import { controllingIdentities, controls, samePerson } from './identities.ts';

/**
 * The governed write path's kernel: a change either takes effect now or becomes a change request that
 * distinct approvers (never the author) must approve; the last approval applies it in the same
 * transaction. Every step is an entry in the hash-chained audit log (`change.request`, `change.approve`,
 * `change.reject`, `change.withdraw`, `change.expire`, `change.stale`, `change.apply`, `change.direct`,
 * `change.emergency`). See docs/governance.md.
 */
export const changeStatuses = ['pending', 'approved', 'rejected', 'withdrawn', 'expired', 'applied'] as const;
export type ChangeStatus = (typeof changeStatuses)[number];

export interface ChangeApproval {
  readonly actor: string;
  readonly at: string;
  readonly comment: string | null;
}

/** A change request as the API, the CLI and the web UI show it (dates as ISO strings). */
export interface ChangeRequest {
  readonly id: string;
  readonly kind: string;
  readonly target: string;
  readonly summary: string;
  readonly useCases: readonly string[];
  readonly before: unknown;
  readonly after: unknown;
  readonly contentHash: string;
  readonly author: string;
  readonly reason: string | null;
  readonly evalRunId: string | null;
  readonly status: ChangeStatus;
  readonly emergency: boolean;
  /** An emergency change applied before approval, still waiting for its retrospective approvals. */
  readonly awaitingRetrospective: boolean;
  readonly requiredApprovals: number;
  /** Who may approve: `role:admin` plus the affected use cases' approvers (principals). */
  readonly eligibleApprovers: readonly string[];
  readonly approvals: readonly ChangeApproval[];
  readonly rejections: readonly ChangeApproval[];
  readonly staleReason: string | null;
  readonly result: unknown;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly decidedAt: string | null;
  readonly appliedAt: string | null;
  /** The kind's approval context (GET /v1/changes/:id only; see `ChangeKind.context`). */
  readonly context?: unknown;
}

export interface SubmitChangeInput {
  readonly kind: string;
  readonly target: string;
  /** The state the target should have afterwards (JSON; `null` = remove it). */
  readonly after: unknown;
  /**
   * The state the author saw. Optional: the kernel reads the current state itself in the transaction;
   * when given and different, the change is refused as stale at once.
   */
  readonly before?: unknown;
  readonly reason?: string;
  readonly evalRunId?: string;
  /** Apply at once, skipping approval; recorded, flagged and awaiting a retrospective approval. */
  readonly emergency?: boolean;
  /** Use cases affected, in addition to what the kind derives. */
  readonly useCases?: readonly string[];
  readonly requestId?: string;
}

export type SubmitChangeResult =
  | { readonly status: 'applied'; readonly result: unknown; readonly changeRequest?: ChangeRequest }
  | { readonly status: 'pending'; readonly changeRequest: ChangeRequest };

export interface DecideOptions {
  readonly comment?: string;
  readonly requestId?: string;
}

export interface ChangeFilter {
  /** A status, or `pending-retrospective` (emergency changes waiting for their approvals). */
  readonly status?: ChangeStatus | 'pending-retrospective';
  readonly kind?: string;
  readonly useCase?: string;
  readonly limit?: number;
}

type ChangeRow = {
  id: string;
  kind: string;
  target: string;
  use_cases: string[];
  before: unknown;
  after: unknown;
  content_hash: string;
  author: string;
  author_identities: string[];
  reason: string | null;
  eval_run_id: string | null;
  status: ChangeStatus;
  emergency: boolean;
  required_approvals: number;
  eligible_approvers: string[];
  approvals: Array<ChangeApproval & { identities?: string[] }>;
  rejections: ChangeApproval[];
  stale_reason: string | null;
  result: unknown;
  created_at: Date;
  expires_at: Date;
  decided_at: Date | null;
  applied_at: Date | null;
};

const adminApprover = 'role:admin';

/** sha256 over the canonical JSON of (kind, target, before, after): what every approval is bound to. */
export function changeContentHash(kind: string, target: string, before: unknown, after: unknown): string {
  return createHash('sha256')
    .update(canonicalJson({ kind, target, before: before ?? null, after: after ?? null }))
    .digest('hex');
}

const iso = (date: Date | null) => (date ? new Date(date).toISOString() : null);
const json = (value: unknown): unknown => (value === undefined ? null : JSON.parse(JSON.stringify(value)));
const same = (a: unknown, b: unknown) => canonicalJson(json(a)) === canonicalJson(json(b));

const withheld = { withheld: true } as const;

/**
 * The JSON of a change request as `viewer` may see it: a kind's details (`before`/`after`/`result`, and the
 * summary built from them) are withheld from callers without its `detailScope`.
 */
function toChangeRequest(row: ChangeRow, governance: Governance, viewer?: Caller): ChangeRequest {
  const approvals = row.approvals.map(({ actor, at, comment }) => ({ actor, at, comment }));
  let summary = `${row.kind} ${row.target}`;
  let hidden = false;
  try {
    const kind = governance.kind(row.kind);
    hidden = Boolean(
      viewer &&
        ((kind.detailScope && !hasScope(viewer, kind.detailScope)) ||
          (kind.detailsVisibleTo && !kind.detailsVisibleTo(viewer, row.before, row.after))),
    );
    if (!hidden) summary = kind.describe?.(row.target, row.before, row.after) ?? summary;
  } catch {
    // An unknown kind still lists; it just cannot be applied.
  }
  return {
    id: row.id,
    kind: row.kind,
    target: row.target,
    summary,
    useCases: row.use_cases,
    before: hidden ? withheld : (row.before ?? null),
    after: hidden ? withheld : (row.after ?? null),
    contentHash: row.content_hash,
    author: row.author,
    reason: row.reason,
    evalRunId: row.eval_run_id,
    status: row.status,
    emergency: row.emergency,
    awaitingRetrospective: row.emergency && row.status === 'applied' && approvals.length < row.required_approvals,
    requiredApprovals: row.required_approvals,
    eligibleApprovers: [adminApprover, ...row.eligible_approvers],
    approvals,
    rejections: row.rejections,
    staleReason: row.stale_reason,
    result: hidden ? withheld : (row.result ?? null),
    createdAt: iso(row.created_at) as string,
    expiresAt: iso(row.expires_at) as string,
    decidedAt: iso(row.decided_at),
    appliedAt: iso(row.applied_at),
  };
}

/**
 * Serialises every governed write and approval of one target (across processes): the state read as
 * `before`, or checked on approval, cannot change before the transaction applies or records the change.
 * Kinds of one family (`source.add` / `source.acl`, `use_case.update` / `use_case.delete`) share the lock.
 */
async function lockTarget(tx: Queryable, kind: string, target: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`change-target:${kind.split('.')[0]}:${target}`]);
}

function isDirectOperator(governance: Governance, caller: Caller): boolean {
  return caller.id === 'local:operator' && governance.policy.localOperator === 'direct';
}

/** Whether `change` of `kind` needs approval under the policy (before the local-operator and emergency rules). */
export function needsApproval(governance: Governance, kind: ChangeKind, before: unknown, after: unknown): boolean {
  if (!(governance.policy.governedKinds as readonly string[]).includes(kind.kind)) return false;
  if (same(before, after)) return false; // no change: nothing to approve
  return kind.needsApproval?.(before, after, governance.policy) ?? true;
}

async function affectedUseCases(tx: Queryable, kind: ChangeKind, input: SubmitChangeInput, before: unknown): Promise<string[]> {
  const derived = (await kind.affectedUseCases?.(tx, input.target, before, input.after)) ?? [];
  return [...new Set([...derived, ...(input.useCases ?? [])])].sort();
}

async function checkEvalRun(tx: Queryable, governance: Governance, kind: ChangeKind, input: SubmitChangeInput, before: unknown) {
  const required =
    (governance.policy.requireEvalRunFor as readonly string[]).includes(kind.kind) &&
    (kind.evalRunApplies?.(before, input.after, governance.policy) ?? true);
  if (!input.evalRunId) {
    if (!required) return;
    throw new GroundworkError(
      'govern.eval_run_required',
      `A ${kind.kind} change needs an evaluation run that passed its gates.`,
      {
        category: 'usage',
        fix: 'Run the evaluation (`groundwork eval run … --fail-if …`) and pass its id with --eval-run RUN_ID (API: evalRunId).',
        details: { kind: kind.kind },
      },
    );
  }
  const verdict = await governance.evalRunVerdict(tx, input.evalRunId);
  if (!verdict.found) {
    throw new GroundworkError('govern.eval_run_not_found', `No evaluation run has the id ${input.evalRunId}.`, {
      category: 'not_found',
      fix: 'List runs with `groundwork eval runs` and attach the id of one that passed.',
    });
  }
  if (!verdict.passed) {
    throw new GroundworkError(
      'govern.eval_run_failed',
      `Evaluation run ${input.evalRunId} did not pass${verdict.reason ? `: ${verdict.reason}` : ''}.`,
      {
        category: 'conflict',
        fix: 'Fix the regression and attach a run that passed its gates.',
        details: { evalRunId: input.evalRunId },
      },
    );
  }
  const mismatch = kind.evalRunMismatch?.(verdict, input.target, input.after);
  if (mismatch) {
    throw new GroundworkError(
      'govern.eval_run_mismatch',
      `Evaluation run ${input.evalRunId} does not evaluate this change: ${mismatch.reason}.`,
      { category: 'conflict', fix: mismatch.fix, details: { evalRunId: input.evalRunId, kind: kind.kind } },
    );
  }
}

async function loadRow(tx: Queryable, id: string, lock: boolean): Promise<ChangeRow> {
  const row = (await tx.query<ChangeRow>(`SELECT * FROM change_requests WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]))
    .rows[0];
  if (!row) throw changeNotFound(id);
  return row;
}

function changeNotFound(id: string): GroundworkError {
  return new GroundworkError('govern.change_not_found', `No change request has the id ${id}.`, {
    category: 'not_found',
    fix: 'List change requests with `groundwork changes list` (API: GET /v1/changes).',
    details: { id },
  });
}

/**
 * Submits a change in the caller's transaction: applies it now when the policy lets it through (or the
 * local operator is trusted, or it is an emergency), else records a pending change request. The author must
 * hold the kind's scope. Audited either way.
 */
export async function submitChange(
  governance: Governance,
  tx: Queryable,
  caller: Caller,
  input: SubmitChangeInput,
): Promise<SubmitChangeResult> {
  const kind = governance.kind(input.kind);
  authorize(caller, kind.scope);
  const now = governance.clock.now();
  await lockTarget(tx, input.kind, input.target);
  const before = json(await kind.read(tx, input.target));
  const after = json(input.after);
  if (input.before !== undefined && !same(input.before, before)) {
    throw staleError(input.kind, input.target, 'the target changed since you read it');
  }
  const reason = input.reason?.trim() || null;
  const governed = needsApproval(governance, kind, before, after);
  if (!governed || (isDirectOperator(governance, caller) && !input.emergency)) {
    const result = json(await kind.apply(tx, caller.id, { target: input.target, before, after, reason }));
    if (governed) {
      await recordAudit(
        tx,
        {
          actor: caller.id,
          action: 'change.direct',
          target: `${input.kind}:${input.target}`,
          before,
          after: { state: after, direct: true, reason },
          ...(input.requestId ? { requestId: input.requestId } : {}),
          at: now,
        },
        governance.clock,
      );
    }
    return { status: 'applied', result };
  }
  if (!input.emergency) await checkEvalRun(tx, governance, kind, input, before);
  const useCases = await affectedUseCases(tx, kind, input, before);
  const ownership = await governance.ownershipOf(tx, useCases);
  const policyCount = governance.policy.requiredApprovalsByKind[kind.kind] ?? governance.policy.requiredApprovals;
  const requiredApprovals = Math.max(policyCount, ...ownership.map((o) => o.requiredApprovals ?? 1));
  // A draft use case's approvers were never approved by anyone: they do not count (see UseCaseOwnership).
  const eligible = [...new Set(ownership.filter((o) => o.status !== 'draft').flatMap((o) => o.approvers))].sort();
  const contentHash = changeContentHash(input.kind, input.target, before, after);
  const id = newId('chg');
  const expiresAt = new Date(now.getTime() + governance.policy.requestTtlHours * 3_600_000);
  const authorIdentities = await controllingIdentities(tx, caller);
  let result: unknown = null;
  if (input.emergency) {
    result = json(await kind.apply(tx, caller.id, { target: input.target, before, after, reason, changeRequestId: id }));
  }
  const inserted = await tx.query<ChangeRow>(
    `INSERT INTO change_requests (id, kind, target, use_cases, before, after, content_hash, author, author_identities, reason,
       eval_run_id, status, emergency, required_approvals, eligible_approvers, result, created_at, expires_at, applied_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb, $17, $18, $19)
     RETURNING *`,
    [
      id,
      input.kind,
      input.target,
      useCases,
      JSON.stringify(before),
      JSON.stringify(after),
      contentHash,
      caller.id,
      authorIdentities,
      reason,
      input.evalRunId ?? null,
      input.emergency ? 'applied' : 'pending',
      Boolean(input.emergency),
      requiredApprovals,
      eligible,
      JSON.stringify(result),
      now,
      expiresAt,
      input.emergency ? now : null,
    ],
  );
  const changeRequest = toChangeRequest(inserted.rows[0] as ChangeRow, governance, caller);
  await recordAudit(
    tx,
    {
      actor: caller.id,
      action: input.emergency ? 'change.emergency' : 'change.request',
      target: `change:${id}`,
      before,
      after: {
        kind: input.kind,
        target: input.target,
        state: after,
        contentHash,
        reason,
        evalRunId: input.evalRunId ?? null,
        requiredApprovals,
        ...(input.emergency ? { emergency: true } : {}),
      },
      ...(input.requestId ? { requestId: input.requestId } : {}),
      at: now,
    },
    governance.clock,
  );
  return input.emergency ? { status: 'applied', result, changeRequest } : { status: 'pending', changeRequest };
}

function staleError(kind: string, target: string, why: string, id?: string): GroundworkError {
  return new GroundworkError(
    'govern.change_stale',
    `The change request${id ? ` ${id}` : ''} is stale: ${why}. It can no longer be applied.`,
    {
      category: 'conflict',
      fix: 'Look at the target again and request the change anew.',
      details: { kind, target, ...(id ? { id } : {}) },
    },
  );
}

/**
 * Refusals that must still leave a trace (expiry, staleness) are committed before the error is thrown:
 * `decide` returns them as `deferred` instead of throwing inside the transaction.
 */
type Decision = { changeRequest: ChangeRequest; deferred?: GroundworkError };

async function decide(
  governance: Governance,
  db: Database,
  work: (tx: Queryable, now: Date) => Promise<Decision>,
): Promise<ChangeRequest> {
  const decision = await db.transaction((tx) => work(tx, governance.clock.now()));
  if (decision.deferred) throw decision.deferred;
  return decision.changeRequest;
}

/** Lets the kind undo what requesting prepared, when a pending request closes unapplied. */
async function discardPending(governance: Governance, tx: Queryable, row: ChangeRow, actor: string): Promise<void> {
  if (row.status !== 'pending') return;
  let kind: ChangeKind;
  try {
    kind = governance.kind(row.kind);
  } catch {
    return;
  }
  await kind.discard?.(tx, actor, {
    target: row.target,
    before: row.before,
    after: row.after,
    reason: row.reason,
    changeRequestId: row.id,
  });
}

async function markExpired(governance: Governance, tx: Queryable, row: ChangeRow, now: Date): Promise<ChangeRow> {
  await discardPending(governance, tx, row, 'system:governance');
  const updated = await tx.query<ChangeRow>(
    `UPDATE change_requests SET status = 'expired', decided_at = $2 WHERE id = $1 RETURNING *`,
    [row.id, now],
  );
  await recordAudit(
    tx,
    {
      actor: 'system:governance',
      action: 'change.expire',
      target: `change:${row.id}`,
      after: { expiresAt: iso(row.expires_at) },
    },
    governance.clock,
  );
  return updated.rows[0] as ChangeRow;
}

/** Pending requests past `expiresAt` become `expired` (audited). Returns how many expired. */
export async function expireChanges(governance: Governance, db: Database): Promise<number> {
  return db.transaction(async (tx) => {
    const now = governance.clock.now();
    const due = await tx.query<ChangeRow>(
      `SELECT * FROM change_requests WHERE status = 'pending' AND expires_at <= $1 ORDER BY id FOR UPDATE`,
      [now],
    );
    for (const row of due.rows) await markExpired(governance, tx, row, now);
    return due.rows.length;
  });
}

function eligibleFor(row: ChangeRow, caller: Caller): boolean {
  if (caller.role === 'admin') return true;
  return row.eligible_approvers.includes(caller.id) || caller.principals.some((p) => row.eligible_approvers.includes(p));
}

function assertMayDecide(row: ChangeRow, caller: Caller): void {
  authorize(caller, 'changes:approve');
  if (eligibleFor(row, caller)) return;
  const who = ['admins', ...row.eligible_approvers];
  throw new GroundworkError('govern.not_an_approver', `${caller.id} may not approve or reject change request ${row.id}.`, {
    category: 'forbidden',
    fix: `Ask one of: ${who.join(', ')} (the affected use cases' approvers are set with \`groundwork use-cases update NAME --approvers …\`).`,
    details: { id: row.id, eligibleApprovers: who },
  });
}

function notPending(row: ChangeRow, verb: string): GroundworkError {
  return new GroundworkError('govern.change_not_pending', `Change request ${row.id} is ${row.status}; it cannot be ${verb}.`, {
    category: 'conflict',
    fix: 'Only pending requests (and emergency changes awaiting retrospective approval) can be decided; request the change anew.',
    details: { id: row.id, status: row.status },
  });
}

/**
 * Approves a change request. The author never approves their own (not with another key of theirs, nor
 * with a key they created: `govern.self_approval`); each approver counts once. The approval is bound to the
 * content hash: if the target no longer equals `before` the request is marked stale (`govern.change_stale`).
 * The last required approval applies the change in the same transaction (`change.apply`, before/after).
 */
export async function approveChange(
  governance: Governance,
  db: Database,
  caller: Caller,
  id: string,
  options: DecideOptions = {},
): Promise<ChangeRequest> {
  return decide(governance, db, async (tx, now) => {
    let row = await loadRow(tx, id, true);
    assertMayDecide(row, caller);
    const retrospective = row.emergency && row.status === 'applied' && row.approvals.length < row.required_approvals;
    if (row.status === 'pending' && row.expires_at <= now) {
      row = await markExpired(governance, tx, row, now);
      return {
        changeRequest: toChangeRequest(row, governance, caller),
        deferred: new GroundworkError('govern.change_expired', `Change request ${id} expired at ${iso(row.expires_at)}.`, {
          category: 'conflict',
          fix: 'Request the change anew (requests stay open for governance.requestTtlHours).',
          details: { id },
        }),
      };
    }
    if (row.status !== 'pending' && !retrospective) throw notPending(row, 'approved');
    const identities = await controllingIdentities(tx, caller);
    const approver = { id: caller.id, identities };
    if (samePerson(approver, { id: row.author, identities: row.author_identities })) {
      throw new GroundworkError(
        'govern.self_approval',
        `${caller.id} is the author of change request ${id} and cannot approve it.`,
        {
          category: 'forbidden',
          fix: `Another person must approve it: ${['admins', ...row.eligible_approvers].join(', ')}. A key counts as the person it was issued to and as whoever created it.`,
          details: { id, author: row.author },
        },
      );
    }
    if (row.approvals.some((a) => samePerson(approver, { id: a.actor, identities: a.identities ?? [] }))) {
      throw new GroundworkError('govern.already_approved', `${caller.id} has already approved change request ${id}.`, {
        category: 'conflict',
        fix: `It needs ${row.required_approvals} distinct approvers; ask another of: ${['admins', ...row.eligible_approvers].join(', ')}.`,
        details: { id },
      });
    }
    const kind = governance.kind(row.kind);
    if (!retrospective) {
      await lockTarget(tx, row.kind, row.target);
      const current = json(await kind.read(tx, row.target));
      const intact = changeContentHash(row.kind, row.target, row.before, row.after) === row.content_hash;
      if (!intact || !same(current, row.before)) {
        const why = intact ? 'its target changed after it was requested' : 'its stored content does not match its content hash';
        await discardPending(governance, tx, row, caller.id);
        const updated = await tx.query<ChangeRow>(
          `UPDATE change_requests SET status = 'expired', stale_reason = $2, decided_at = $3 WHERE id = $1 RETURNING *`,
          [id, why, now],
        );
        await recordAudit(
          tx,
          {
            actor: caller.id,
            action: 'change.stale',
            target: `change:${id}`,
            before: row.before,
            after: { current, reason: why },
            ...(options.requestId ? { requestId: options.requestId } : {}),
            at: now,
          },
          governance.clock,
        );
        return {
          changeRequest: toChangeRequest(updated.rows[0] as ChangeRow, governance, caller),
          deferred: staleError(row.kind, row.target, why, id),
        };
      }
    }
    const approval = { actor: caller.id, identities, at: now.toISOString(), comment: options.comment?.trim() || null };
    const approvals = [...row.approvals, approval];
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'change.approve',
        target: `change:${id}`,
        after: {
          contentHash: row.content_hash,
          comment: approval.comment,
          approvals: approvals.length,
          of: row.required_approvals,
          ...(retrospective ? { retrospective: true } : {}),
        },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      governance.clock,
    );
    const complete = approvals.length >= row.required_approvals;
    if (retrospective || !complete) {
      const updated = await tx.query<ChangeRow>(
        `UPDATE change_requests SET approvals = $2::jsonb, decided_at = $3 WHERE id = $1 RETURNING *`,
        [id, JSON.stringify(approvals), complete ? now : null],
      );
      return { changeRequest: toChangeRequest(updated.rows[0] as ChangeRow, governance, caller) };
    }
    const result = json(
      await kind.apply(tx, row.author, {
        target: row.target,
        before: row.before,
        after: row.after,
        reason: row.reason,
        changeRequestId: id,
      }),
    );
    const updated = await tx.query<ChangeRow>(
      `UPDATE change_requests SET approvals = $2::jsonb, status = 'applied', result = $3::jsonb, decided_at = $4, applied_at = $4
       WHERE id = $1 RETURNING *`,
      [id, JSON.stringify(approvals), JSON.stringify(result), now],
    );
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'change.apply',
        target: `${row.kind}:${row.target}`,
        before: row.before,
        after: {
          state: row.after,
          changeRequest: id,
          author: row.author,
          approvedBy: approvals.map((a) => a.actor),
          contentHash: row.content_hash,
        },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      governance.clock,
    );
    return { changeRequest: toChangeRequest(updated.rows[0] as ChangeRow, governance, caller) };
  });
}

/** Rejects a pending request (or records a rejection of an emergency change's retrospective review). */
export async function rejectChange(
  governance: Governance,
  db: Database,
  caller: Caller,
  id: string,
  options: DecideOptions = {},
): Promise<ChangeRequest> {
  return decide(governance, db, async (tx, now) => {
    const row = await loadRow(tx, id, true);
    assertMayDecide(row, caller);
    const retrospective = row.emergency && row.status === 'applied';
    if (row.status !== 'pending' && !retrospective) throw notPending(row, 'rejected');
    const rejection = { actor: caller.id, at: now.toISOString(), comment: options.comment?.trim() || null };
    await discardPending(governance, tx, row, caller.id);
    const updated = await tx.query<ChangeRow>(
      `UPDATE change_requests SET rejections = rejections || $2::jsonb, status = $3, decided_at = $4 WHERE id = $1 RETURNING *`,
      [id, JSON.stringify([rejection]), retrospective ? 'applied' : 'rejected', now],
    );
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'change.reject',
        target: `change:${id}`,
        after: { comment: rejection.comment, ...(retrospective ? { retrospective: true } : {}) },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      governance.clock,
    );
    return { changeRequest: toChangeRequest(updated.rows[0] as ChangeRow, governance, caller) };
  });
}

/** The author takes back a pending request (another key of theirs counts as the author). */
export async function withdrawChange(
  governance: Governance,
  db: Database,
  caller: Caller,
  id: string,
  options: DecideOptions = {},
): Promise<ChangeRequest> {
  return decide(governance, db, async (tx, now) => {
    const row = await loadRow(tx, id, true);
    authorize(caller, 'changes:read');
    const identities = await controllingIdentities(tx, caller);
    if (!controls(identities, row.author)) {
      throw new GroundworkError('govern.not_the_author', `Only the author (${row.author}) can withdraw change request ${id}.`, {
        category: 'forbidden',
        fix: 'Reject it instead if you are one of its approvers (`groundwork changes reject ID`).',
        details: { id },
      });
    }
    if (row.status !== 'pending') throw notPending(row, 'withdrawn');
    await discardPending(governance, tx, row, caller.id);
    const updated = await tx.query<ChangeRow>(
      `UPDATE change_requests SET status = 'withdrawn', decided_at = $2 WHERE id = $1 RETURNING *`,
      [id, now],
    );
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'change.withdraw',
        target: `change:${id}`,
        after: { comment: options.comment?.trim() || null },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      governance.clock,
    );
    return { changeRequest: toChangeRequest(updated.rows[0] as ChangeRow, governance, caller) };
  });
}

/**
 * Whether `caller` may see a change request at all: admins, its author, its eligible approvers, and anyone who
 * may use every use case it affects. The rest do not learn it exists (listed: left out; by id: not found).
 */
async function visibilityFilter(governance: Governance, db: Queryable, caller: Caller): Promise<(row: ChangeRow) => boolean> {
  if (caller.role === 'admin' || caller.seesEverything || !governance.usableUseCases) return () => true;
  const usable = new Set(await governance.usableUseCases(db, caller));
  const principals = new Set([caller.id, ...caller.principals].map(canonicalPrincipal));
  return (row) =>
    row.use_cases.every((name) => usable.has(name)) ||
    canonicalPrincipal(row.author) === canonicalPrincipal(caller.id) ||
    row.eligible_approvers.some((p) => principals.has(canonicalPrincipal(p)));
}

/** Change requests, newest first (expiring what is due first). Needs `changes:read`. */
export async function listChanges(
  governance: Governance,
  db: Database,
  caller: Caller,
  filter: ChangeFilter = {},
): Promise<ChangeRequest[]> {
  authorize(caller, 'changes:read');
  await expireChanges(governance, db);
  const retrospective = filter.status === 'pending-retrospective';
  const { rows } = await db.query<ChangeRow>(
    `SELECT * FROM change_requests
     WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR $3 = ANY(use_cases))
       AND (NOT $4 OR (emergency AND jsonb_array_length(approvals) < required_approvals))
     ORDER BY created_at DESC, id DESC LIMIT $5`,
    [
      retrospective ? 'applied' : (filter.status ?? null),
      filter.kind ?? null,
      filter.useCase ?? null,
      retrospective,
      Math.min(Math.max(filter.limit ?? 100, 1), 1000),
    ],
  );
  const visible = await visibilityFilter(governance, db, caller);
  return rows.filter(visible).map((row) => toChangeRequest(row, governance, caller));
}

/** One change request, or `govern.change_not_found`. Needs `changes:read`. */
export async function getChange(governance: Governance, db: Database, caller: Caller, id: string): Promise<ChangeRequest> {
  authorize(caller, 'changes:read');
  const row = await loadRow(db, id, false);
  if (!(await visibilityFilter(governance, db, caller))(row)) throw changeNotFound(id); // as if absent
  if (row.status === 'pending' && row.expires_at <= governance.clock.now()) {
    await expireChanges(governance, db);
    return withContext(governance, db, toChangeRequest(await loadRow(db, id, false), governance, caller));
  }
  return withContext(governance, db, toChangeRequest(row, governance, caller));
}

/** Adds the kind's approval context (when it has one and the details are not withheld). */
async function withContext(governance: Governance, db: Queryable, request: ChangeRequest): Promise<ChangeRequest> {
  let kind: ChangeKind;
  try {
    kind = governance.kind(request.kind);
  } catch {
    return request;
  }
  if (!kind.context || (request.after as { withheld?: boolean } | null)?.withheld === true) return request;
  return { ...request, context: json(await kind.context(db, request.target, request.before, request.after)) };
}

/**
 * Every change request that affected `useCase`, newest first (the per-use-case change log reads this).
 * Pass `viewer` to withhold details the viewer may not see (see `ChangeKind.detailScope`).
 */
export async function changesForUseCase(
  governance: Governance,
  db: Queryable,
  useCase: string,
  limit = 200,
  viewer?: Caller,
): Promise<ChangeRequest[]> {
  const { rows } = await db.query<ChangeRow>(
    'SELECT * FROM change_requests WHERE $1 = ANY(use_cases) ORDER BY created_at DESC, id DESC LIMIT $2',
    [useCase, Math.min(Math.max(limit, 1), 1000)],
  );
  return rows.map((row) => toChangeRequest(row, governance, viewer));
}

/** Whether `caller` could approve `changeRequest` now (for UIs: show the buttons only to those who may). */
export function mayApprove(changeRequest: ChangeRequest, caller: Caller): boolean {
  if (!hasScope(caller, 'changes:approve')) return false;
  if (caller.id === changeRequest.author) return false;
  if (caller.role === 'admin') return true;
  return changeRequest.eligibleApprovers.some((p) => p === caller.id || caller.principals.includes(p));
}
