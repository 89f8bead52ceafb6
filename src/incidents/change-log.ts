import { createUseCaseStore, type UseCase } from '../answer/index.ts';
import type { Caller } from '../core/index.ts';
import { compareRuns, listRuns, type RunSummary } from '../evaluate/index.ts';
import {
  authorize,
  type ChangeRequest,
  changesForUseCase,
  type Governance,
  hasScope,
  listAuditForTargets,
} from '../govern/index.ts';
import { findSource } from '../ingest/index.ts';
import { modelConfigHistory, promptHistory, type VersionEvent } from '../prompts/index.ts';
import type { Queryable } from '../store/index.ts';
import { type Incident, incidentsLinkedTo, listIncidents, seesUseCase, unknownUseCase } from './incidents.ts';

/**
 * The change log of one use case: every change that affected it, newest first —
 *
 * - its prompt's and model configuration's versions and label moves (the prompts feature's history of
 *   `useCase.promptRef` and of the model configuration named like the use case: what answers resolve);
 * - changes to the use case itself and its budget, and to the sources it searches, their ACL maps included
 *   (the audit log; a use case without a source list searches every source, so every source change counts);
 * - change requests about it (pending, rejected, applied — with author and approvers);
 *
 * each with, where one exists, its **eval delta**: the first evaluation run on the use case after the change
 * compared with the last run of the same dataset before it (paired bootstrap, as `eval compare`), and the
 * incidents linked to it. Aggregate metrics only: no case content.
 */
export type ChangeLogArea = 'prompt' | 'model' | 'use_case' | 'budget' | 'source' | 'acl' | 'change_request';

export interface EvalDelta {
  readonly dataset: string;
  readonly baselineRunId: string;
  readonly candidateRunId: string;
  readonly regressed: boolean;
  readonly metrics: ReadonlyArray<{
    readonly metric: string;
    readonly baseline: number;
    readonly candidate: number;
    readonly difference: number;
    readonly low: number;
    readonly high: number;
    readonly significance: 'better' | 'worse' | 'none';
  }>;
}

/** A change request as the change log shows it: the change-request kernel's record. */
export type ChangeLogRequest = ChangeRequest;

export interface ChangeLogEntry {
  readonly at: Date;
  readonly area: ChangeLogArea;
  /** `prompt.label`, `prompt.create`, `model.rollback`, `source.update`, `usecase.delete`, `change.pending` … */
  readonly action: string;
  /** `prompt:underwriting-qa`, `source:src_…`, `use_case:underwriting-qa`, `change:chg_…` */
  readonly target: string;
  /** One line for people. */
  readonly summary: string;
  readonly author: string;
  /** Who approved it (from its change request; empty when it needed no approval). */
  readonly approvers: readonly string[];
  readonly changeRequest: ChangeLogRequest | null;
  readonly before: unknown;
  readonly after: unknown;
  readonly evalDelta: EvalDelta | null;
  /** Incidents linked to this change (through its change request). */
  readonly incidents: readonly string[];
  /** An emergency change (applied before approval); `awaitingRetrospective` until someone else approves it. */
  readonly emergency?: boolean;
  readonly awaitingRetrospective?: boolean;
}

export interface UseCaseChangeLog {
  readonly useCase: string;
  readonly prompt: string | null;
  readonly entries: readonly ChangeLogEntry[];
  /** Incidents on the use case, newest first. */
  readonly incidents: readonly Incident[];
  /** Evaluation runs on the use case, newest first (aggregate metrics only). */
  readonly evalRuns: ReadonlyArray<{
    readonly id: string;
    readonly dataset: string;
    readonly status: string;
    readonly startedAt: Date;
    readonly promptVersion: string | null;
    readonly model: string | null;
    readonly labels: readonly string[];
  }>;
}

export interface ChangeLogOptions {
  /** The platform's governance: change requests about the use case come from its `changesForUseCase`. */
  readonly governance?: Governance;
  /** Default 200. */
  readonly limit?: number;
}

export type Draft = Omit<ChangeLogEntry, 'evalDelta' | 'incidents' | 'approvers' | 'changeRequest'> & {
  changeRequest?: ChangeLogRequest | null;
};

function versionEntry(kind: 'prompt' | 'model', name: string, event: VersionEvent): Draft {
  const label = event.label ? `label ${event.label}` : '';
  const summary =
    event.action === 'create'
      ? `${kind} ${name}: version ${event.toVersion} created${event.reason ? ` — ${event.reason}` : ''}`
      : event.action === 'label'
        ? `${kind} ${name}: ${label} → version ${event.toVersion}${event.fromVersion ? ` (was ${event.fromVersion})` : ''}${event.reason ? ` — ${event.reason}` : ''}`
        : `${kind} ${name}: ${label} rolled back to version ${event.toVersion}${event.fromVersion ? ` (from ${event.fromVersion})` : ''}${event.reason ? ` — ${event.reason}` : ''}`;
  return {
    at: event.at,
    area: kind,
    action: `${kind}.${event.action}`,
    target: `${kind}:${name}`,
    summary,
    author: event.actor,
    before: event.fromVersion === null ? null : { label: event.label, version: event.fromVersion },
    after: { ...(event.label ? { label: event.label } : {}), version: event.toVersion, reason: event.reason },
  };
}

function areaOfAudit(action: string, target: string, after: unknown): ChangeLogArea {
  if (target.startsWith('source:')) {
    const text = `${action} ${JSON.stringify(after ?? {})}`;
    return /acl/i.test(text) ? 'acl' : 'source';
  }
  if (action.startsWith('budget')) return 'budget';
  return 'use_case';
}

const withheld = { withheld: true } as const;

const asDate = (value: Date | string | null | undefined) => (value ? new Date(value) : undefined);

/** The change log of use case `name`. Needs `incidents:read` and may-use of the use case. @throws `use_case.not_found`. */
export async function listUseCaseChanges(
  db: Queryable,
  caller: Caller,
  name: string,
  options: ChangeLogOptions = {},
): Promise<UseCaseChangeLog> {
  authorize(caller, 'incidents:read');
  const useCase = await createUseCaseStore(db).get(name);
  // Like GET /v1/use-cases/:name: a use case the reader may not use is not found (admins see every one).
  if (!useCase || !seesUseCase(useCase, caller)) throw unknownUseCase(name);
  const limit = Math.min(Math.max(options.limit ?? 200, 1), 1000);
  const drafts = await collectChanges(db, caller, useCase, options.governance);
  const kept = drafts.slice(0, limit);
  return finishChangeLog(db, caller, useCase, drafts, kept);
}

/**
 * Every change that affected `useCase`, newest first, without eval deltas or incidents: prompt and model
 * history, audited use-case / budget / source changes (source details withheld from callers without
 * `sources:write`), and change requests (an applied one merged into the change it made). Shared by the
 * change log and the release notes; the caller has been authorized for the use case.
 */
export async function collectChanges(
  db: Queryable,
  caller: Caller,
  useCase: UseCase,
  governance: Governance | undefined,
): Promise<Draft[]> {
  const name = useCase.name;
  const drafts: Draft[] = [];

  if (useCase.promptRef) {
    for (const event of await promptHistory(db, useCase.promptRef)) drafts.push(versionEntry('prompt', useCase.promptRef, event));
  }
  for (const event of await modelConfigHistory(db, name)) drafts.push(versionEntry('model', name, event));

  const sourceTargets: string[] = [];
  for (const ref of useCase.sources) {
    const source = await findSource(db, ref);
    if (source) sourceTargets.push(`source:${source.id}`);
  }
  const audit = await listAuditForTargets(db, {
    targets: [`use_case:${name}`, `usecase:${name}`, ...sourceTargets],
    ...(useCase.sources.length === 0 ? { targetPrefixes: ['source:'] } : {}),
    limit: 1000,
  });
  // Source details (server paths, ACL maps) are for `sources:write`, as on GET /v1/sources and change requests.
  const sourceDetails = hasScope(caller, 'sources:write');
  for (const entry of audit) {
    const target = entry.target ?? '';
    const hidden = target.startsWith('source:') && !sourceDetails;
    drafts.push({
      at: entry.at,
      area: areaOfAudit(entry.action, target, entry.after),
      action: entry.action,
      target,
      summary: `${entry.action} on ${target}`,
      author: entry.actor,
      before: hidden ? withheld : entry.before,
      after: hidden ? withheld : entry.after,
      // A kill switch or restore (rollout) is flagged emergency in its audit record: the change log shows it.
      ...((entry.after as { emergency?: unknown } | null)?.emergency === true ? { emergency: true } : {}),
    });
  }

  const requests = governance ? await changesForUseCase(governance, db, name, 1000, caller) : [];
  // An applied change request is the same change as the label move or audited write it made: one entry, with
  // its approvers (matched on what changed, by whom, and the nearest time).
  const unmatched = new Set(requests);
  for (const request of requests) {
    if (request.appliedAt === null) continue;
    const best =
      request.kind === 'prompt.label' || request.kind === 'model.label'
        ? labelMoveOf(request, drafts)
        : auditEntryOf(request, drafts);
    if (best) {
      best.changeRequest = request;
      unmatched.delete(request);
    }
  }
  for (const request of unmatched) {
    drafts.push({
      at: asDate(request.appliedAt) ?? asDate(request.createdAt) ?? new Date(0),
      area: 'change_request',
      action: `change.${request.status}`,
      target: `change:${request.id}`,
      summary: `${request.summary}: ${request.status}${request.emergency ? ' (emergency)' : ''}${request.reason ? ` — ${request.reason}` : ''}`,
      author: request.author,
      before: request.before ?? null,
      after: request.after ?? null,
      changeRequest: request,
    });
  }

  drafts.sort((a, b) => b.at.getTime() - a.at.getTime());
  return drafts;
}

async function finishChangeLog(
  db: Queryable,
  caller: Caller,
  useCase: UseCase,
  drafts: readonly Draft[],
  kept: readonly Draft[],
): Promise<UseCaseChangeLog> {
  const name = useCase.name;
  const requests = drafts.map((d) => d.changeRequest).filter((r): r is ChangeLogRequest => Boolean(r));
  const linkedIncidents = await incidentsLinkedTo(
    db,
    'change',
    requests.map((r) => r.id),
  );

  const runs = (await listRuns(db, { limit: 1000 })).filter(
    (run) => run.useCase === name || (run.useCase === null && name === 'default'),
  );
  const succeeded = runs
    .filter((run) => run.status === 'succeeded')
    .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  const comparisons = new Map<string, Promise<EvalDelta | null>>();
  const deltaFor = (at: Date): Promise<EvalDelta | null> => {
    const after = succeeded.find((run) => run.startedAt.getTime() >= at.getTime());
    if (!after) return Promise.resolve(null);
    const before = [...succeeded]
      .reverse()
      .find((run) => run.startedAt.getTime() < at.getTime() && run.datasetName === after.datasetName);
    if (!before) return Promise.resolve(null);
    const key = `${before.id}:${after.id}`;
    let delta = comparisons.get(key);
    if (!delta) {
      delta = compare(db, caller, before, after);
      comparisons.set(key, delta);
    }
    return delta;
  };

  const entries: ChangeLogEntry[] = [];
  for (const draft of kept) {
    const request = draft.changeRequest ?? null;
    entries.push({
      ...draft,
      changeRequest: request,
      approvers: request ? [...new Set(request.approvals.map((a) => a.actor))] : [],
      evalDelta: draft.area === 'change_request' && request?.status !== 'applied' ? null : await deltaFor(draft.at),
      incidents: request ? (linkedIncidents.get(request.id) ?? []) : [],
      ...(request?.emergency ? { emergency: true, awaitingRetrospective: request.awaitingRetrospective } : {}),
    });
  }

  return {
    useCase: name,
    prompt: useCase.promptRef ?? null,
    entries,
    incidents: await listIncidents(db, caller, { useCase: name }),
    evalRuns: runs.map((run) => ({
      id: run.id,
      dataset: run.datasetName,
      status: run.status,
      startedAt: run.startedAt,
      promptVersion: run.config.promptVersion,
      model: run.config.model,
      labels: run.labels,
    })),
  };
}

/** The label move an applied `prompt.label` / `model.label` request made. */
function labelMoveOf(request: ChangeRequest, drafts: readonly Draft[]): Draft | undefined {
  const area = request.kind === 'prompt.label' ? 'prompt' : 'model';
  const wanted = request.after as { version?: number; rollback?: boolean } | null;
  const appliedAt = Date.parse(request.appliedAt ?? '');
  let best: Draft | undefined;
  for (const draft of drafts) {
    const after = draft.after as { label?: string; version?: number | null };
    if (draft.area !== area || draft.changeRequest || draft.action === `${area}.create`) continue;
    if (`${draft.target.slice(area.length + 1)}:${after.label}` !== request.target) continue;
    if (after.version !== wanted?.version || (draft.action === `${area}.rollback`) !== Boolean(wanted?.rollback)) continue;
    const distance = Math.abs(draft.at.getTime() - appliedAt);
    if (distance < 60_000 && (!best || distance < Math.abs(best.at.getTime() - appliedAt))) best = draft;
  }
  return best;
}

/**
 * The audit entry an applied use-case, source or budget request wrote: the kind's apply runs as the author in
 * the transaction that applied it, so the entry has the author as actor and (nearly) the same time.
 */
function auditEntryOf(request: ChangeRequest, drafts: readonly Draft[]): Draft | undefined {
  const appliedAt = Date.parse(request.appliedAt ?? '');
  // `use_case.update` is audited as `usecase.update`, `source.add` as `source.create`: compare the area only.
  const prefix = (request.kind.split('.')[0] ?? '').replaceAll('_', '');
  let best: Draft | undefined;
  for (const draft of drafts) {
    if (draft.changeRequest || draft.area === 'prompt' || draft.area === 'model' || draft.area === 'change_request') continue;
    if (draft.author !== request.author || !draft.action.replaceAll('_', '').startsWith(prefix)) continue;
    const distance = Math.abs(draft.at.getTime() - appliedAt);
    if (distance < 5_000 && (!best || distance < Math.abs(best.at.getTime() - appliedAt))) best = draft;
  }
  return best;
}

async function compare(db: Queryable, viewer: Caller, before: RunSummary, after: RunSummary): Promise<EvalDelta | null> {
  try {
    const comparison = await compareRuns(db, before.id, after.id, { viewer, resamples: 500 });
    return {
      dataset: after.datasetName,
      baselineRunId: before.id,
      candidateRunId: after.id,
      regressed: comparison.regressed,
      metrics: comparison.metrics.map((m) => ({
        metric: m.metric,
        baseline: m.baseline,
        candidate: m.candidate,
        difference: m.difference,
        low: m.low,
        high: m.high,
        significance: m.significance,
      })),
    };
  } catch {
    // A run whose cases were removed cannot be compared; the change is still listed.
    return null;
  }
}
