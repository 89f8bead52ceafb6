import { z } from 'zod';
import { useCasesFeeding as casesFedBy, createUseCaseStore } from '../answer/index.ts';
import { type Caller, GroundworkError, isGroundworkError } from '../core/index.ts';
import { authorize, type ChangeRequest, type Governance, recordAudit } from '../govern/index.ts';
import { findModelConfig, requestLabelMove } from '../prompts/index.ts';
import type { Database } from '../store/index.ts';
import {
  addIncidentLink,
  announceIncident,
  appendIncidentEvent,
  getIncident,
  type IncidentDetail,
  type IncidentWriteContext,
  requireVisibleIncident,
} from './incidents.ts';
import { joinTransaction } from './join-transaction.ts';

/**
 * One action from an incident: roll the affected use case's production prompt and/or model configuration
 * back to the version its `production` label pointed at before (the prompts feature's governed label move).
 *
 * - normal: a change request (pending until someone else approves it; the trusted local operator applies
 *   directly, as everywhere);
 * - `emergency: true`: applied at once, flagged, and waiting for a retrospective approval by someone else.
 *   Only an admin, the use case's owner or its on-call may roll back in an emergency.
 *
 * The label move, the incident's timeline entry, the link to the change request and the audit record
 * `incident.rollback` are written in one transaction.
 */
export const rollbackTargets = ['prompt', 'model', 'both'] as const;
export type RollbackTarget = (typeof rollbackTargets)[number];

export const rollbackIncidentSchema = z.strictObject({
  /** What to roll back (default both: whatever of the two the use case has). */
  target: z.enum(rollbackTargets).default('both'),
  emergency: z.boolean().default(false),
  /** Why: kept on the change request, the timeline and the audit record. */
  reason: z.string().trim().min(1).max(2000),
});
export type RollbackIncidentInput = z.input<typeof rollbackIncidentSchema>;

export interface RollbackOutcome {
  readonly kind: 'prompt' | 'model';
  /** The prompt or model configuration's name. */
  readonly name: string;
  readonly label: 'production';
  /** `applied`: the label points back now; `pending`: a change request waits for approval. */
  readonly status: 'applied' | 'pending';
  readonly emergency: boolean;
  readonly from: number | null;
  readonly to: number | null;
  readonly changeRequest: ChangeRequest | null;
}

export interface IncidentRollback {
  readonly incident: IncidentDetail;
  readonly rollbacks: readonly RollbackOutcome[];
}

function mayRollBackInEmergency(caller: Caller, owner: string | undefined, onCall: string | undefined): boolean {
  if (caller.role === 'admin') return true;
  const people = [owner, onCall].filter((p): p is string => Boolean(p));
  return people.some((p) => p === caller.id || caller.principals.includes(p));
}

/** Rolls back from incident `id`. Needs `incidents:write` and `prompts:write`. */
export async function rollbackFromIncident(
  governance: Governance,
  db: Database,
  caller: Caller,
  id: string,
  input: RollbackIncidentInput,
  context: IncidentWriteContext = {},
): Promise<IncidentRollback> {
  authorize(caller, 'incidents:write');
  authorize(caller, 'prompts:write');
  const parsed = rollbackIncidentSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
    throw new GroundworkError('incidents.invalid', `Invalid rollback: ${problems.join('; ')}.`, {
      category: 'usage',
      fix: 'Give a reason, and target prompt, model or both.',
      details: { problems },
    });
  }
  const data = parsed.data;
  const now = (context.clock ?? governance.clock).now();
  const rollbacks = await db.transaction(async (tx) => {
    const row = await requireVisibleIncident(tx, caller, id, true);
    if (row.status === 'resolved') {
      throw new GroundworkError('incidents.already_resolved', `Incident ${id} is resolved.`, {
        category: 'conflict',
        fix: `Reopen it with a note first (\`groundwork incidents update ${id} --status open --note "…"\`), or roll back from the Prompts page.`,
      });
    }
    if (!row.use_case) {
      throw new GroundworkError(
        'incidents.no_use_case',
        `Incident ${id} names no affected use case, so there is nothing to roll back.`,
        {
          category: 'usage',
          fix: 'Roll back the prompt or model configuration directly (`groundwork prompts rollback NAME production`).',
        },
      );
    }
    const useCase = await createUseCaseStore(tx).require(row.use_case);
    if (data.emergency && !mayRollBackInEmergency(caller, useCase.owner, useCase.onCall)) {
      throw new GroundworkError(
        'incidents.emergency_not_allowed',
        `Only an admin, the owner or the on-call of use case "${useCase.name}" may roll back in an emergency.`,
        {
          category: 'forbidden',
          fix: `Request a normal rollback (without emergency) for approval, or ask ${[useCase.owner, useCase.onCall].filter(Boolean).join(' or ') || 'an admin'}.`,
        },
      );
    }
    const candidates: Array<{ kind: 'prompt' | 'model'; name: string }> = [];
    if (data.target !== 'model' && useCase.promptRef) candidates.push({ kind: 'prompt', name: useCase.promptRef });
    if (data.target !== 'prompt' && (await findModelConfig(tx, useCase.name, 'production'))) {
      candidates.push({ kind: 'model', name: useCase.name });
    }
    if (data.emergency) {
      // A prompt can feed several use cases: an emergency rollback (no approval) needs the caller to be an admin,
      // owner or on-call of every use case it affects, not just of the incident's (a draft of one's own would do).
      for (const candidate of candidates) {
        const fed = candidate.kind === 'prompt' ? await casesFedBy(tx, 'prompt', candidate.name) : [useCase.name];
        for (const name of fed) {
          const other = name === useCase.name ? useCase : await createUseCaseStore(tx).get(name);
          if (other && !mayRollBackInEmergency(caller, other.owner, other.onCall)) {
            throw new GroundworkError(
              'incidents.emergency_not_allowed',
              `Only an admin, the owner or the on-call of use case "${name}" (it uses ${candidate.kind} ${candidate.name} too) may roll it back in an emergency.`,
              {
                category: 'forbidden',
                fix: `Request a normal rollback (without emergency) for approval, or ask ${[other.owner, other.onCall].filter(Boolean).join(' or ') || 'an admin'}.`,
              },
            );
          }
        }
      }
    }
    const joined = joinTransaction(db, tx);
    const outcomes: RollbackOutcome[] = [];
    const skipped: string[] = [];
    for (const candidate of candidates) {
      let result: Awaited<ReturnType<typeof requestLabelMove>>;
      try {
        result = await requestLabelMove(governance, joined, caller, {
          kind: candidate.kind,
          name: candidate.name,
          label: 'production',
          rollback: true,
          reason: `incident ${id}: ${data.reason}`,
          ...(data.emergency ? { emergency: true } : {}),
          ...(context.requestId ? { requestId: context.requestId } : {}),
        });
      } catch (error) {
        // "both": a side with no earlier version is skipped; asked for by name, the error stands.
        if (data.target === 'both' && isGroundworkError(error) && error.code === `${candidate.kind}s.nothing_to_roll_back`) {
          skipped.push(`${candidate.kind} ${candidate.name}: ${error.message}`);
          continue;
        }
        throw error;
      }
      const changeRequest = result.changeRequest ?? null;
      const move = (result.status === 'applied' ? result.result : null) as { from?: number | null; to?: number } | null;
      outcomes.push({
        kind: candidate.kind,
        name: candidate.name,
        label: 'production',
        status: result.status === 'pending' ? 'pending' : 'applied',
        emergency: data.emergency,
        from: move?.from ?? (changeRequest?.before as { version?: number } | null)?.version ?? null,
        to: move?.to ?? (changeRequest?.after as { version?: number } | null)?.version ?? null,
        changeRequest,
      });
    }
    if (outcomes.length === 0) {
      throw new GroundworkError(
        'incidents.nothing_to_roll_back',
        `Use case "${useCase.name}" has no production prompt or model configuration with an earlier version${skipped.length ? ` (${skipped.join('; ')})` : ''}.`,
        {
          category: 'conflict',
          fix: 'Point the label at a version explicitly (`groundwork prompts label NAME VERSION production`), or fix forward.',
        },
      );
    }
    for (const outcome of outcomes) {
      await appendIncidentEvent(tx, id, {
        actor: caller.id,
        kind: 'rollback',
        note: data.reason,
        data: {
          kind: outcome.kind,
          name: outcome.name,
          label: outcome.label,
          status: outcome.status,
          emergency: outcome.emergency,
          from: outcome.from,
          to: outcome.to,
          changeRequestId: outcome.changeRequest?.id ?? null,
        },
        at: now,
      });
      if (outcome.changeRequest) {
        await addIncidentLink(db, tx, caller, id, { kind: 'change', ref: outcome.changeRequest.id }, now);
      }
    }
    await tx.query('UPDATE incidents SET updated_at = $2 WHERE id = $1', [id, now]);
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'incident.rollback',
        target: `incident:${id}`,
        after: {
          reason: data.reason,
          emergency: data.emergency,
          rollbacks: outcomes.map((o) => ({
            kind: o.kind,
            name: o.name,
            status: o.status,
            from: o.from,
            to: o.to,
            changeRequestId: o.changeRequest?.id ?? null,
          })),
        },
        ...(context.requestId ? { requestId: context.requestId } : {}),
        at: now,
      },
      context.clock ?? governance.clock,
    );
    return outcomes;
  });
  const incident = await getIncident(db, caller, id);
  announceIncident(context.events, 'rollback', incident);
  return { incident, rollbacks };
}
