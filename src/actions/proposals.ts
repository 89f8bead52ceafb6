import { createHash } from 'node:crypto';
import { z } from 'zod';
import { usableUseCaseNames } from '../answer/index.ts';
import {
  type ActionClass,
  type Caller,
  type Clock,
  canonicalPrincipal,
  type GroundworkConfig,
  GroundworkError,
  type Logger,
  newId,
  roles,
  type SecretResolver,
  systemClock,
} from '../core/index.ts';
import { authorize, canonicalJson, getApiKey, hasScope, recordAudit } from '../govern/index.ts';
import { chunkSnippets, documentTitles } from '../ingest/index.ts';
import type { JobQueue } from '../jobs/index.ts';
import { readableDocumentIds } from '../protect/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import { effectiveAllow, effectiveClass, notAllowed, pauseOf, policyRefusal } from './policy.ts';
import { type ActionDefinition, type ActionRegistry, unknownAction } from './registry.ts';

/**
 * Durable proposals: an invocation of a `propose` action becomes a proposal in Postgres —
 * proposed → approved | denied | expired → executing → executed | failed. The approver is never the proposer
 * nor the user an agent proposed for; an approval is single-use and bound to (proposal id, action, sha256 of
 * the canonical input); the policy is checked again just before execution; the executor gets a stable
 * idempotency key. Execution is an `action-execute` job enqueued in the approval's transaction, and the state
 * machine makes a re-run (a worker killed mid-execution) resume with the same key: executed exactly once by any
 * executor that honours the key. Every transition is an audit record (`action.*`).
 */

export const proposalStatuses = ['proposed', 'approved', 'denied', 'expired', 'executing', 'executed', 'failed'] as const;
export type ProposalStatus = (typeof proposalStatuses)[number];

/** What the actions feature takes from the platform (HTTP routes, CLI, the worker and MCP share it). */
export interface ActionDeps {
  readonly db: Database;
  readonly registry: ActionRegistry;
  readonly config: Pick<GroundworkConfig, 'agents'>;
  readonly jobs: Pick<JobQueue, 'prepare' | 'send'>;
  readonly secrets: SecretResolver;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly requestId?: string;
}

export interface EvidenceRef {
  readonly documentId: string;
  readonly chunkId?: string;
}

export interface ProposeInput {
  readonly action: string;
  readonly input: unknown;
  readonly useCase?: string;
  /** The agent's reasoning summary, shown to approvers. */
  readonly reasoning?: string;
  readonly evidence?: readonly EvidenceRef[];
  /** The user an agent (or a service) proposes for: they may not approve it either. */
  readonly onBehalfOf?: string;
  /** Who proposes, when not the caller (agents: `agent:<use case>`); the caller's permissions still apply. */
  readonly proposerId?: string;
  readonly traceId?: string;
}

export interface ProposalEdit {
  readonly by: string;
  readonly at: string;
  readonly fromHash: string;
  readonly toHash: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** A proposal as listed (no evidence text). Dates as ISO strings. */
export interface ProposalSummary {
  readonly id: string;
  readonly action: string;
  readonly class: ActionClass;
  readonly useCase: string | null;
  readonly status: ProposalStatus;
  readonly input: unknown;
  readonly inputHash: string;
  readonly edited: boolean;
  readonly reasoning: string | null;
  readonly evidenceCount: number;
  readonly proposer: string;
  readonly actor: string;
  readonly onBehalfOf: string | null;
  readonly approvedBy: string | null;
  readonly deniedBy: string | null;
  readonly decisionNote: string | null;
  readonly attempts: number;
  readonly result: unknown;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly traceId: string | null;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly decidedAt: string | null;
  readonly finishedAt: string | null;
  /** The viewer proposed it (or it was proposed for them): they may not decide it. */
  readonly own: boolean;
}

export interface ProposalEvidence {
  readonly documentId: string;
  readonly chunkId: string | null;
  readonly title: string;
  readonly text: string | null;
}

/** One proposal as an approver reads it: evidence only from documents the viewer may read now. */
export interface ProposalDetail extends ProposalSummary {
  readonly originalInput: unknown;
  readonly edits: readonly ProposalEdit[];
  readonly evidence: readonly ProposalEvidence[];
  /** Evidence from documents the viewer may not read now: counted, never shown. */
  readonly withheldEvidence: number;
  readonly executor: string;
  readonly hints: ActionDefinition['hints'];
}

type ActorSnapshot = {
  id: string;
  role: Caller['role'];
  principals: string[];
  seesEverything: boolean;
  credential?: string;
};

type Row = {
  id: string;
  action: string;
  action_class: ActionClass;
  use_case: string | null;
  status: ProposalStatus;
  input: unknown;
  original_input: unknown;
  input_hash: string;
  edits: ProposalEdit[];
  reasoning: string | null;
  evidence: EvidenceRef[];
  proposer_id: string;
  actor: ActorSnapshot;
  on_behalf_of: string | null;
  trace_id: string | null;
  approved_by: string | null;
  approver: ActorSnapshot | null;
  approval_hash: string | null;
  decided_at: Date | null;
  denied_by: string | null;
  decision_note: string | null;
  idempotency_key: string;
  attempts: number;
  result: unknown;
  error_code: string | null;
  error_message: string | null;
  created_at: Date;
  expires_at: Date | null;
  executing_at: Date | null;
  finished_at: Date | null;
};

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** sha256 of the canonical JSON of an input: what approvals are bound to. */
export function inputHash(input: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(input ?? null))
    .digest('hex');
}

/** The single-use approval: sha256 over (proposal id, action, input hash). */
export function approvalHash(proposalId: string, action: string, hash: string): string {
  return createHash('sha256')
    .update(canonicalJson({ proposalId, action, inputHash: hash }))
    .digest('hex');
}

const snapshot = (caller: Caller): ActorSnapshot => ({
  id: caller.id,
  role: caller.role,
  principals: [...caller.principals],
  seesEverything: caller.seesEverything,
  ...(caller.credential ? { credential: caller.credential } : {}),
});

/** Identities of a caller that count as "the same person". */
function identitiesOf(caller: Pick<Caller, 'id' | 'principals'> & { credential?: string | undefined }): Set<string> {
  return new Set(
    [caller.id, caller.credential, ...caller.principals.filter((p) => p.startsWith('user:'))]
      .filter((x): x is string => typeof x === 'string' && x.length > 0)
      .map(canonicalPrincipal),
  );
}

/** Whether `viewer` proposed the row, acts in it, or it was proposed on their behalf. */
function isOwn(row: Row, viewer: Caller): boolean {
  const mine = identitiesOf(viewer);
  const theirs = [row.proposer_id, row.on_behalf_of, row.actor.id, row.actor.credential].filter(
    (x): x is string => typeof x === 'string' && x.length > 0,
  );
  return theirs.some((id) => mine.has(canonicalPrincipal(id)));
}

function toSummary(row: Row, viewer: Caller): ProposalSummary {
  return {
    id: row.id,
    action: row.action,
    class: row.action_class,
    useCase: row.use_case,
    status: row.status,
    input: row.input,
    inputHash: row.input_hash,
    edited: row.edits.length > 0,
    reasoning: row.reasoning,
    evidenceCount: row.evidence.length,
    proposer: row.proposer_id,
    actor: row.actor.id,
    onBehalfOf: row.on_behalf_of,
    approvedBy: row.approved_by,
    deniedBy: row.denied_by,
    decisionNote: row.decision_note,
    attempts: row.attempts,
    result: row.result ?? null,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    traceId: row.trace_id,
    createdAt: iso(row.created_at) as string,
    expiresAt: iso(row.expires_at),
    decidedAt: iso(row.decided_at),
    finishedAt: iso(row.finished_at),
    own: isOwn(row, viewer),
  };
}

const proposalNotFound = (id: string) =>
  new GroundworkError('actions.proposal_not_found', `No proposal "${id}" that you may see.`, {
    category: 'not_found',
    fix: 'List proposals with `groundwork actions proposals` (GET /v1/proposals).',
  });

/**
 * Who sees which proposals: admins (and callers that see everything) all; approvers (`actions:approve`) those of
 * the use cases they may use (and those without a use case); everyone else only their own.
 */
async function visibilityFilter(db: Queryable, viewer: Caller, params: unknown[]): Promise<string> {
  if (viewer.seesEverything || viewer.role === 'admin') return 'true';
  const ids = [...identitiesOf(viewer)];
  params.push(ids);
  const own = `(lower(proposer_id) = ANY($${params.length}::text[]) OR lower(on_behalf_of) = ANY($${params.length}::text[]) OR lower(actor->>'id') = ANY($${params.length}::text[]))`;
  if (!hasScope(viewer, 'actions:approve')) return own;
  params.push(await usableUseCaseNames(db, viewer));
  return `(${own} OR use_case IS NULL OR use_case = ANY($${params.length}::text[]))`;
}

async function visibleRow(db: Queryable, viewer: Caller, id: string, forUpdate = false): Promise<Row> {
  const params: unknown[] = [id];
  const where = await visibilityFilter(db, viewer, params);
  const { rows } = await db.query<Row>(
    `SELECT * FROM action_proposals WHERE id = $1 AND ${where}${forUpdate ? ' FOR UPDATE' : ''}`,
    params,
  );
  const row = rows[0];
  if (!row) throw proposalNotFound(id);
  return row;
}

export function invalidInput(action: string, error: z.ZodError): GroundworkError {
  const issues = error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
  return new GroundworkError(
    'actions.invalid_input',
    `The input of "${action}" does not match its schema: ${issues.join('; ')}.`,
    {
      category: 'usage',
      fix: 'Correct the fields listed; `groundwork actions list --json` shows each input schema.',
      details: { action, issues },
    },
  );
}

function validate(action: ActionDefinition, input: unknown): unknown {
  const parsed = action.input.safeParse(input);
  if (!parsed.success) throw invalidInput(action.name, parsed.error);
  return parsed.data;
}

/** When the safety-net job of an immediate invocation runs: past the longest executor timeout. */
const safetyNetSeconds = 600;

function targetOf(action: ActionDefinition, input: unknown): string | null {
  if (!action.targetField) return null;
  const value = (input as Record<string, unknown> | null)?.[action.targetField];
  return value === undefined || value === null ? null : String(value).slice(0, 500);
}

const evidenceSchema = z
  .array(z.strictObject({ documentId: z.string().min(1).max(200), chunkId: z.string().min(1).max(200).optional() }))
  .max(50);

/** An action as a caller may invoke it (GET /v1/actions, MCP tools). */
export interface InvokableAction {
  readonly name: string;
  readonly description: string;
  readonly class: ActionClass;
  readonly declaredClass: ActionClass;
  readonly hints: ActionDefinition['hints'];
  /** JSON schema of the input (zod's toJSONSchema). */
  readonly inputSchema: unknown;
  readonly source: 'config' | 'builtin';
  readonly executor: string;
  /** Auto-execution paused by the anomaly monitor (invocations become proposals). */
  readonly paused: boolean;
}

/**
 * The actions `caller` may invoke (in `useCase`, when given): the policy applied, each with its JSON schema,
 * its effective class (graduation applied) and hints. `actions:read`.
 */
export async function listInvokableActions(
  deps: Pick<ActionDeps, 'db' | 'registry'>,
  caller: Caller,
  options: { useCase?: string } = {},
): Promise<InvokableAction[]> {
  authorize(caller, 'actions:read');
  const out: InvokableAction[] = [];
  for (const action of deps.registry.all()) {
    const allow = await effectiveAllow(deps.db, action);
    // Without a use case named, an action limited to use cases is listed if the caller may use one of them.
    let refusal: string | undefined;
    if (options.useCase !== undefined || allow.useCases.length === 0) {
      refusal = await policyRefusal(deps.db, allow, caller, options.useCase ?? null);
    } else {
      const reasons = await Promise.all(allow.useCases.map((u) => policyRefusal(deps.db, allow, caller, u)));
      refusal = reasons.every((r) => r !== undefined) ? reasons[0] : undefined;
    }
    if (refusal) continue;
    const cls = await effectiveClass(deps.db, action);
    out.push({
      name: action.name,
      description: action.description,
      class: cls,
      declaredClass: action.class,
      hints: action.hints,
      inputSchema: z.toJSONSchema(action.input, { io: 'input', unrepresentable: 'any' }),
      source: action.source,
      executor: action.executorKind,
      paused: (await pauseOf(deps.db, action.name)) !== undefined,
    });
  }
  return out;
}

/**
 * Invokes an action — the one write path of a proposal: authorizes (`actions:propose`), checks the policy
 * (principal, role, use case), validates the input against the action's schema (a failure is a 4xx before any
 * proposal exists), keeps only evidence the caller may read, then by the action's effective class:
 * `propose` (or `auto` while paused by the anomaly monitor) stores a proposal awaiting approval; `read` and
 * `auto` are recorded as approved by policy and executed at once. Audited `action.propose` / `action.invoke`.
 */
export async function proposeAction(deps: ActionDeps, caller: Caller, request: ProposeInput): Promise<ProposalDetail> {
  authorize(caller, 'actions:propose');
  const clock = deps.clock ?? systemClock;
  const action = deps.registry.get(request.action);
  if (!action) throw unknownAction(request.action);
  const useCase = request.useCase ?? null;
  const allow = await effectiveAllow(deps.db, action);
  const refusal = await policyRefusal(deps.db, allow, caller, useCase);
  if (refusal) throw notAllowed(action.name, refusal);
  const input = validate(action, request.input);
  if (action.precheck) await action.precheck({ db: deps.db, actor: caller, clock }, input);
  const evidenceParsed = evidenceSchema.safeParse(request.evidence ?? []);
  if (!evidenceParsed.success) throw invalidInput(action.name, evidenceParsed.error);
  // An agent may only cite what its caller may read: anything else is dropped before it is stored.
  const readable = await readableDocumentIds(
    deps.db,
    caller,
    evidenceParsed.data.map((e) => e.documentId),
  );
  const evidence = evidenceParsed.data.filter((e) => readable.has(e.documentId));
  const reasoning = request.reasoning?.trim() ? request.reasoning.trim().slice(0, 4000) : null;
  const declared = await effectiveClass(deps.db, action);
  const paused = declared === 'auto' ? await pauseOf(deps.db, action.name) : undefined;
  const cls: ActionClass = paused ? 'propose' : declared;
  const id = newId('prp');
  const now = clock.now();
  const hash = inputHash(input);
  const proposerId = request.proposerId ?? caller.id;
  const immediate = cls !== 'propose';
  if (immediate) await deps.jobs.prepare('action-execute');
  await deps.db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO action_proposals (id, action, action_class, use_case, status, input, original_input, input_hash,
         reasoning, evidence, proposer_id, actor, on_behalf_of, trace_id, approved_by, approval_hash, decided_at,
         idempotency_key, created_at, expires_at, target)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $6::jsonb, $7, $8, $9::jsonb, $10, $11::jsonb, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
      [
        id,
        action.name,
        cls,
        useCase,
        immediate ? 'approved' : 'proposed',
        JSON.stringify(input),
        hash,
        reasoning,
        JSON.stringify(evidence),
        proposerId,
        JSON.stringify(snapshot(caller)),
        request.onBehalfOf ?? null,
        request.traceId ?? null,
        immediate ? `policy:${cls}` : null,
        immediate ? approvalHash(id, action.name, hash) : null,
        immediate ? now : null,
        `gw-${id}`,
        now,
        immediate ? null : new Date(now.getTime() + deps.config.agents.proposalTtlHours * 3_600_000),
        targetOf(action, input),
      ],
    );
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: immediate ? 'action.invoke' : 'action.propose',
        target: `proposal:${id}`,
        after: {
          action: action.name,
          class: cls,
          useCase,
          inputHash: hash,
          proposer: proposerId,
          onBehalfOf: request.onBehalfOf ?? null,
          evidence: evidence.length,
          ...(paused ? { paused: true } : {}),
        },
        ...(deps.requestId ? { requestId: deps.requestId } : {}),
        at: now,
      },
      clock,
    );
    // `read` / `auto` run now, in this process; a delayed job is the safety net should this process die
    // mid-execution (it resumes with the same key, or finds the proposal executed and does nothing).
    if (immediate) await deps.jobs.send('action-execute', { proposalId: id }, { tx, startAfterSeconds: safetyNetSeconds });
  });
  if (immediate) await executeProposal(deps, id);
  return getProposal(deps, caller, id);
}

/** Proposals the caller may see, newest first (no evidence text). `actions:read`. */
export async function listProposals(
  deps: Pick<ActionDeps, 'db' | 'clock'>,
  caller: Caller,
  filters: { status?: string; action?: string; useCase?: string; limit?: number } = {},
): Promise<ProposalSummary[]> {
  authorize(caller, 'actions:read');
  if (filters.status !== undefined && !(proposalStatuses as readonly string[]).includes(filters.status)) {
    throw new GroundworkError(
      'actions.invalid_status',
      `Unknown proposal status "${filters.status}"; valid: ${proposalStatuses.join(', ')}.`,
      { category: 'usage', fix: 'Use one of proposed, approved, denied, expired, executing, executed, failed.' },
    );
  }
  await expireProposals(deps);
  const params: unknown[] = [];
  const where = [await visibilityFilter(deps.db, caller, params)];
  if (filters.status) {
    params.push(filters.status);
    where.push(`status = $${params.length}`);
  }
  if (filters.action) {
    params.push(filters.action);
    where.push(`action = $${params.length}`);
  }
  if (filters.useCase) {
    params.push(filters.useCase);
    where.push(`use_case = $${params.length}`);
  }
  params.push(Math.min(Math.max(Math.floor(filters.limit ?? 100), 1), 1000));
  const { rows } = await deps.db.query<Row>(
    `SELECT * FROM action_proposals WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return rows.map((row) => toSummary(row, caller));
}

/** One proposal with its reasoning, exact input, edits and the evidence the caller may read now. `actions:read`. */
export async function getProposal(
  deps: Pick<ActionDeps, 'db' | 'registry'>,
  caller: Caller,
  id: string,
): Promise<ProposalDetail> {
  authorize(caller, 'actions:read');
  const row = await visibleRow(deps.db, caller, id);
  return detailOf(deps, caller, row);
}

async function detailOf(deps: Pick<ActionDeps, 'db' | 'registry'>, viewer: Caller, row: Row): Promise<ProposalDetail> {
  const readable = await readableDocumentIds(
    deps.db,
    viewer,
    row.evidence.map((e) => e.documentId),
  );
  const shown = row.evidence.filter((e) => readable.has(e.documentId));
  const titles = await documentTitles(
    deps.db,
    shown.map((e) => e.documentId),
  );
  const texts = await chunkSnippets(
    deps.db,
    shown.flatMap((e) => (e.chunkId ? [e.chunkId] : [])),
    [...readable],
    1500,
  );
  const evidence: ProposalEvidence[] = shown.map((e) => ({
    documentId: e.documentId,
    chunkId: e.chunkId ?? null,
    title: titles.get(e.documentId) ?? e.documentId,
    text: e.chunkId ? (texts.get(e.chunkId) ?? null) : null,
  }));
  const action = deps.registry.get(row.action);
  return {
    ...toSummary(row, viewer),
    originalInput: row.original_input,
    edits: row.edits,
    evidence,
    withheldEvidence: row.evidence.length - evidence.length,
    executor: action?.executorKind ?? 'unknown (the action is no longer declared)',
    hints: action?.hints ?? { readOnly: false, destructive: false, idempotent: false },
  };
}

function notPending(row: Row, wanted: string): GroundworkError {
  return new GroundworkError('actions.not_pending', `Proposal "${row.id}" is ${row.status}; ${wanted}.`, {
    category: 'conflict',
    fix: 'Show it with `groundwork actions proposals --id ID`; a failed proposal can be retried, a decided one cannot be decided again.',
    details: { status: row.status },
  });
}

function ownProposal(id: string): GroundworkError {
  return new GroundworkError(
    'actions.own_proposal',
    `You proposed "${id}" (or it was proposed on your behalf): another approver decides it.`,
    { category: 'forbidden', fix: 'Ask another approver (a role with actions:approve).' },
  );
}

async function expireIfDue(tx: Queryable, row: Row, now: Date, clock: Clock): Promise<boolean> {
  if (row.status !== 'proposed' || !row.expires_at || row.expires_at.getTime() > now.getTime()) return false;
  await tx.query(`UPDATE action_proposals SET status = 'expired', finished_at = $2 WHERE id = $1`, [row.id, now]);
  await recordAudit(
    tx,
    {
      actor: 'system:actions',
      action: 'action.expire',
      target: `proposal:${row.id}`,
      before: { status: 'proposed' },
      after: { status: 'expired', action: row.action },
      at: now,
    },
    clock,
  );
  return true;
}

/** Marks proposals past their TTL expired (audited `action.expire`); run before listing and deciding. */
export async function expireProposals(deps: Pick<ActionDeps, 'db' | 'clock'>): Promise<number> {
  const clock = deps.clock ?? systemClock;
  const now = clock.now();
  const due = await deps.db.query<{ id: string }>(
    `SELECT id FROM action_proposals WHERE status = 'proposed' AND expires_at <= $1 LIMIT 500`,
    [now],
  );
  if (due.rows.length === 0) return 0;
  let expired = 0;
  await deps.db.transaction(async (tx) => {
    for (const { id } of due.rows) {
      const row = (await tx.query<Row>('SELECT * FROM action_proposals WHERE id = $1 FOR UPDATE', [id])).rows[0];
      if (row && (await expireIfDue(tx, row, now, clock))) expired++;
    }
  });
  return expired;
}

export interface ApproveInput {
  /** The input hash the approver saw (GET /v1/proposals/:id `inputHash`): the approval is bound to it. */
  readonly inputHash: string;
  /** An edited input: re-validated against the schema, recorded as an edit and re-hashed. */
  readonly input?: unknown;
  readonly comment?: string;
}

/**
 * Approves a proposal — single-use and bound to (id, action, input hash): authorizes (`actions:approve`), refuses
 * the proposer and the user it was proposed for, a proposal no longer `proposed` (a replay), one whose input
 * changed since the approver read it, and an expired one; an edited input is validated and recorded
 * (`action.edit`). The approval (`action.approve`) and the `action-execute` job commit together.
 */
export async function approveProposal(
  deps: ActionDeps,
  caller: Caller,
  id: string,
  approval: ApproveInput,
): Promise<ProposalDetail> {
  authorize(caller, 'actions:approve');
  const clock = deps.clock ?? systemClock;
  const now = clock.now();
  await deps.jobs.prepare('action-execute');
  const outcome = await deps.db.transaction(async (tx) => {
    const row = await visibleRow(tx, caller, id, true);
    if (isOwn(row, caller)) throw ownProposal(id);
    if (await expireIfDue(tx, row, now, clock)) return 'expired' as const;
    if (row.status !== 'proposed') throw notPending(row, 'only a proposed action can be approved (an approval is single-use)');
    if (approval.inputHash !== row.input_hash) {
      throw new GroundworkError(
        'actions.input_changed',
        `The input of proposal "${id}" is not the one you approved (its hash is ${row.input_hash.slice(0, 12)}…).`,
        {
          category: 'conflict',
          fix: 'Read the proposal again (GET /v1/proposals/:id) and approve with its current inputHash.',
        },
      );
    }
    const action = deps.registry.get(row.action);
    if (!action) throw unknownAction(row.action);
    let input = row.input;
    let hash = row.input_hash;
    const edits = [...row.edits];
    if (approval.input !== undefined) {
      const edited = validate(action, approval.input);
      const editedHash = inputHash(edited);
      if (editedHash !== hash) {
        edits.push({ by: caller.id, at: now.toISOString(), fromHash: hash, toHash: editedHash, before: input, after: edited });
        await recordAudit(
          tx,
          {
            actor: caller.id,
            action: 'action.edit',
            target: `proposal:${id}`,
            before: { inputHash: hash },
            after: { inputHash: editedHash },
            ...(deps.requestId ? { requestId: deps.requestId } : {}),
            at: now,
          },
          clock,
        );
        input = edited;
        hash = editedHash;
      }
    }
    const bound = approvalHash(id, row.action, hash);
    await tx.query(
      `UPDATE action_proposals SET status = 'approved', input = $2::jsonb, input_hash = $3, edits = $4::jsonb,
         approved_by = $5, approver = $6::jsonb, approval_hash = $7, decided_at = $8, decision_note = $9
       WHERE id = $1 AND status = 'proposed'`,
      [
        id,
        JSON.stringify(input),
        hash,
        JSON.stringify(edits),
        caller.id,
        JSON.stringify(snapshot(caller)),
        bound,
        now,
        approval.comment?.slice(0, 2000) ?? null,
      ],
    );
    const jobId = await deps.jobs.send('action-execute', { proposalId: id }, { tx });
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'action.approve',
        target: `proposal:${id}`,
        before: { status: 'proposed' },
        after: { status: 'approved', action: row.action, inputHash: hash, edited: edits.length > row.edits.length, jobId },
        ...(deps.requestId ? { requestId: deps.requestId } : {}),
        at: now,
      },
      clock,
    );
    return 'approved' as const;
  });
  if (outcome === 'expired') {
    throw new GroundworkError('actions.expired', `Proposal "${id}" expired before it was approved.`, {
      category: 'conflict',
      fix: 'Propose the action again.',
    });
  }
  return getProposal(deps, caller, id);
}

/** Denies a proposal (`actions:approve`, never one's own), audited `action.deny`. */
export async function denyProposal(
  deps: ActionDeps,
  caller: Caller,
  id: string,
  options: { reason?: string } = {},
): Promise<ProposalDetail> {
  authorize(caller, 'actions:approve');
  const clock = deps.clock ?? systemClock;
  const now = clock.now();
  await deps.db.transaction(async (tx) => {
    const row = await visibleRow(tx, caller, id, true);
    if (isOwn(row, caller)) throw ownProposal(id);
    if (await expireIfDue(tx, row, now, clock)) return;
    if (row.status !== 'proposed') throw notPending(row, 'only a proposed action can be denied');
    await tx.query(
      `UPDATE action_proposals SET status = 'denied', denied_by = $2, decided_at = $3, decision_note = $4, finished_at = $3
       WHERE id = $1`,
      [id, caller.id, now, options.reason?.slice(0, 2000) ?? null],
    );
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'action.deny',
        target: `proposal:${id}`,
        before: { status: 'proposed' },
        after: { status: 'denied', action: row.action, reason: options.reason !== undefined },
        ...(deps.requestId ? { requestId: deps.requestId } : {}),
        at: now,
      },
      clock,
    );
  });
  return getProposal(deps, caller, id);
}

/**
 * Retries a failed proposal (a person with `actions:approve`, never the proposer): back to approved with a new
 * `action-execute` job and the same idempotency key; audited `action.retry`.
 */
export async function retryProposal(deps: ActionDeps, caller: Caller, id: string): Promise<ProposalDetail> {
  authorize(caller, 'actions:approve');
  const clock = deps.clock ?? systemClock;
  const now = clock.now();
  await deps.jobs.prepare('action-execute');
  await deps.db.transaction(async (tx) => {
    const row = await visibleRow(tx, caller, id, true);
    if (isOwn(row, caller)) throw ownProposal(id);
    if (row.status !== 'failed') throw notPending(row, 'only a failed proposal can be retried');
    await tx.query(
      `UPDATE action_proposals SET status = 'approved', error_code = NULL, error_message = NULL, finished_at = NULL WHERE id = $1`,
      [id],
    );
    const jobId = await deps.jobs.send('action-execute', { proposalId: id }, { tx });
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'action.retry',
        target: `proposal:${id}`,
        before: { status: 'failed', error: row.error_code },
        after: { status: 'approved', jobId },
        ...(deps.requestId ? { requestId: deps.requestId } : {}),
        at: now,
      },
      clock,
    );
  });
  return getProposal(deps, caller, id);
}

export interface ExecutionOutcome {
  readonly proposalId: string;
  readonly status: ProposalStatus | 'missing';
  /** Whether this call ran the executor. */
  readonly ran: boolean;
  /** A re-run of an execution that had started (its worker died): same idempotency key. */
  readonly resumed?: boolean;
  readonly error?: string;
}

const asCaller = (s: ActorSnapshot): Caller => ({
  id: s.id,
  role: (roles as readonly string[]).includes(s.role) ? s.role : 'viewer',
  principals: s.principals,
  seesEverything: s.seesEverything,
  ...(s.credential ? { credential: s.credential } : {}),
});

/** Why the API key a snapshot authenticated with no longer counts (revoked, expired, gone), or undefined. */
async function revokedCredential(db: Queryable, who: ActorSnapshot): Promise<string | undefined> {
  const credential = who.credential ?? (who.id.startsWith('key:') ? who.id : undefined);
  if (!credential?.startsWith('key:')) return undefined;
  const key = await getApiKey(db, credential.slice(4));
  if (!key) return `the API key of ${who.id} no longer exists`;
  return key.status === 'active' ? undefined : `the API key of ${who.id} is ${key.status}`;
}

async function finishFailed(
  deps: ActionDeps,
  row: Pick<Row, 'id' | 'action'>,
  code: string,
  message: string,
  from: ProposalStatus,
): Promise<void> {
  const clock = deps.clock ?? systemClock;
  const now = clock.now();
  await deps.db.transaction(async (tx) => {
    await tx.query(
      `UPDATE action_proposals SET status = 'failed', error_code = $2, error_message = $3, finished_at = $4 WHERE id = $1`,
      [row.id, code, message.slice(0, 2000), now],
    );
    await recordAudit(
      tx,
      {
        actor: 'system:actions',
        action: 'action.fail',
        target: `proposal:${row.id}`,
        before: { status: from },
        after: { status: 'failed', action: row.action, error: code },
        at: now,
      },
      clock,
    );
  });
}

/**
 * Executes an approved proposal — what the `action-execute` job runs (and `read` / `auto` invocations at once).
 * Claims it (approved → executing, or a re-run of an execution whose worker died), re-checks the policy for
 * the proposer and the approver and that the approval still binds the exact input, runs the executor with the
 * proposal's idempotency key outside any transaction, then records executed or failed (with the error,
 * retryable by a person). Anything else (already executed, denied, …) is left alone: a duplicate job is a no-op.
 */
export async function executeProposal(deps: ActionDeps, id: string): Promise<ExecutionOutcome> {
  const clock = deps.clock ?? systemClock;
  type Claim =
    | { kind: 'skip'; status: ProposalStatus | 'missing' }
    | { kind: 'refused'; row: Row; reason: string; code: string }
    | { kind: 'run'; row: Row; action: ActionDefinition; resumed: boolean };
  const claim: Claim = await deps.db.transaction(async (tx): Promise<Claim> => {
    const row = (await tx.query<Row>('SELECT * FROM action_proposals WHERE id = $1 FOR UPDATE', [id])).rows[0];
    if (!row) return { kind: 'skip', status: 'missing' };
    if (row.status !== 'approved' && row.status !== 'executing') return { kind: 'skip', status: row.status };
    const action = deps.registry.get(row.action);
    if (!action)
      return { kind: 'refused', row, code: 'actions.unknown_action', reason: `action "${row.action}" is no longer declared` };
    // Just before execution: the policy still allows the proposer, the approver still may approve, and the
    // approval binds exactly this input.
    const actor = asCaller(row.actor);
    const refusal = await policyRefusal(tx, await effectiveAllow(tx, action), actor, row.use_case);
    if (refusal) return { kind: 'refused', row, code: 'actions.permission_revoked', reason: refusal };
    if (row.approver && !hasScope(asCaller(row.approver), 'actions:approve')) {
      return {
        kind: 'refused',
        row,
        code: 'actions.permission_revoked',
        reason: `the approver ${row.approver.id} may no longer approve`,
      };
    }
    for (const who of [row.actor, row.approver]) {
      const revoked = who ? await revokedCredential(tx, who) : undefined;
      if (revoked) return { kind: 'refused', row, code: 'actions.permission_revoked', reason: revoked };
    }
    if (row.approval_hash !== approvalHash(row.id, row.action, inputHash(row.input)) || row.input_hash !== inputHash(row.input)) {
      return { kind: 'refused', row, code: 'actions.permission_revoked', reason: 'the approval does not bind this input' };
    }
    const now = clock.now();
    const resumed = row.status === 'executing';
    await tx.query(`UPDATE action_proposals SET status = 'executing', attempts = attempts + 1, executing_at = $2 WHERE id = $1`, [
      id,
      now,
    ]);
    await recordAudit(
      tx,
      {
        actor: 'system:actions',
        action: 'action.execute',
        target: `proposal:${id}`,
        before: { status: row.status },
        after: { status: 'executing', action: row.action, attempt: row.attempts + 1, ...(resumed ? { resumed: true } : {}) },
        at: now,
      },
      clock,
    );
    return { kind: 'run', row, action, resumed };
  });
  if (claim.kind === 'skip') return { proposalId: id, status: claim.status, ran: false };
  if (claim.kind === 'refused') {
    const refused =
      claim.code === 'actions.unknown_action'
        ? unknownAction(claim.row.action)
        : new GroundworkError('actions.permission_revoked', `Not executed: ${claim.reason}.`, {
            category: 'forbidden',
            fix: 'Restore the policy, or propose the action again with a caller the policy allows.',
          });
    await finishFailed(deps, claim.row, refused.code, refused.message, claim.row.status);
    return { proposalId: id, status: 'failed', ran: false, error: refused.code };
  }
  const { row, action, resumed } = claim;
  let result: unknown;
  try {
    result = await action.execute(
      {
        db: deps.db,
        idempotencyKey: row.idempotency_key,
        proposalId: row.id,
        actor: asCaller(row.actor),
        approvedBy: row.approved_by,
        useCase: row.use_case,
        secrets: deps.secrets,
        smtp: deps.config.agents.smtp,
        clock,
      },
      row.input,
    );
  } catch (error) {
    const code = error instanceof GroundworkError ? error.code : 'actions.executor_failed';
    const message = error instanceof Error ? error.message : String(error);
    deps.logger?.warn('action executor failed', { proposal: id, action: row.action, code });
    await finishFailed(deps, row, code, message, 'executing');
    return { proposalId: id, status: 'failed', ran: true, resumed, error: code };
  }
  const now = clock.now();
  await deps.db.transaction(async (tx) => {
    await tx.query(
      `UPDATE action_proposals SET status = 'executed', result = $2::jsonb, finished_at = $3 WHERE id = $1 AND status = 'executing'`,
      [id, JSON.stringify(result ?? null), now],
    );
    await recordAudit(
      tx,
      {
        actor: 'system:actions',
        action: 'action.executed',
        target: `proposal:${id}`,
        before: { status: 'executing' },
        after: { status: 'executed', action: row.action },
        at: now,
      },
      clock,
    );
  });
  return { proposalId: id, status: 'executed', ran: true, resumed };
}
