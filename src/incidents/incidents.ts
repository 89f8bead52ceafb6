import { z } from 'zod';
import { createUseCaseStore, mayUseUseCase, type UseCase } from '../answer/index.ts';
import { type Caller, type Clock, type EventBus, GroundworkError, isGroundworkError, newId, systemClock } from '../core/index.ts';
import { authorize, feedbackTraceId, type Governance, getChange, recordAudit } from '../govern/index.ts';
import { getTrace, type TraceAccess, tracesWithUnreadableDocuments } from '../observe/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import { joinTransaction } from './join-transaction.ts';

/**
 * Incidents: something went wrong with a use case (a harmful answer, a leak, an outage, a bad rollout), how
 * bad it is, where its handling stands, what it is linked to and what was done about it.
 *
 * Status moves forward open → triaged → mitigated → resolved; a step may be skipped forward (open →
 * mitigated). Moving back (including reopening a resolved incident) is allowed only with a note saying why,
 * and is on the timeline. `resolved` is reached only through `resolveIncident`, which for sev1/sev2 requires a
 * post-incident note (what happened, why, what prevents it next time).
 *
 * Every write is one function here: validate, authorize the caller (`incidents:write`), write the incident,
 * its timeline and links, and append the audit record, in one transaction. Links hold ids only; what a linked
 * trace shows is decided by observe's trace access for the reader, now (never its question, answer or
 * documents here).
 */
export const incidentSeverities = ['sev1', 'sev2', 'sev3', 'sev4'] as const;
export type IncidentSeverity = (typeof incidentSeverities)[number];
export const incidentStatuses = ['open', 'triaged', 'mitigated', 'resolved'] as const;
export type IncidentStatus = (typeof incidentStatuses)[number];
export const incidentLinkKinds = ['trace', 'feedback', 'change'] as const;
export type IncidentLinkKind = (typeof incidentLinkKinds)[number];
export const incidentEventKinds = ['opened', 'note', 'status', 'severity', 'link', 'unlink', 'rollback', 'resolved'] as const;
export type IncidentEventKind = (typeof incidentEventKinds)[number];

/** A linked item, by id. `trace` is filled when the reader may see that trace now (no content, ever). */
export interface IncidentLink {
  readonly kind: IncidentLinkKind;
  readonly ref: string;
  readonly addedBy: string;
  readonly addedAt: Date;
  /** Trace links only: null when the reader may not see the trace (or it was purged). */
  readonly trace?: {
    readonly operation: string;
    readonly useCase: string | null;
    readonly startedAt: Date;
    readonly outcome: string;
    readonly promptVersion: string | null;
    readonly model: string | null;
    /** The trace used a document the reader may not read now: open it in Traces to see what is withheld. */
    readonly documentsRestricted: boolean;
  } | null;
}

export interface IncidentEvent {
  readonly seq: number;
  readonly at: Date;
  readonly actor: string;
  readonly kind: IncidentEventKind;
  readonly note: string | null;
  /** status: {from, to}; severity: {from, to}; link/unlink: {kind, ref}; rollback: what was rolled back. */
  readonly data: Readonly<Record<string, unknown>>;
}

export interface Incident {
  readonly id: string;
  readonly title: string;
  readonly severity: IncidentSeverity;
  readonly status: IncidentStatus;
  readonly useCase: string | null;
  readonly description: string;
  readonly openedBy: string;
  readonly openedAt: Date;
  readonly updatedAt: Date;
  readonly resolvedAt: Date | null;
  readonly resolvedBy: string | null;
  readonly postIncidentNote: string | null;
  readonly links: readonly IncidentLink[];
}

export interface IncidentDetail extends Incident {
  /** Oldest first. */
  readonly timeline: readonly IncidentEvent[];
}

declare module '../core/events.ts' {
  interface GroundworkEventMap {
    /** After an incident write commits: monitors and notifications (paging the on-call) subscribe. */
    'incident-changed': {
      incidentId: string;
      action: 'open' | 'update' | 'resolve' | 'rollback';
      severity: IncidentSeverity;
      status: IncidentStatus;
      useCase: string | null;
    };
  }
}

/** Publishes `incident-changed` for a committed write (no-op without an event bus). */
export function announceIncident(
  events: EventBus | undefined,
  action: 'open' | 'update' | 'resolve' | 'rollback',
  incident: Pick<Incident, 'id' | 'severity' | 'status' | 'useCase'>,
): void {
  events?.publish('incident-changed', {
    incidentId: incident.id,
    action,
    severity: incident.severity,
    status: incident.status,
    useCase: incident.useCase,
  });
}

/** What every incident write takes besides its input. */
export interface IncidentWriteContext {
  /** The platform's event bus: `incident-changed` is published after each write commits. */
  readonly events?: EventBus;
  readonly clock?: Clock;
  readonly requestId?: string;
  /**
   * The platform's governance: change links are checked with the change-request kernel's `getChange` (the
   * request exists and the caller may read it). Without it, change links are checked for their form only.
   */
  readonly governance?: Governance;
}

const idPattern = /^[A-Za-z0-9_:.-]{1,100}$/;
const linkSchema = z.strictObject({
  kind: z.enum(incidentLinkKinds),
  ref: z.string().regex(idPattern, 'an id: letters, digits, _ : . - (at most 100)'),
});
export type IncidentLinkInput = z.infer<typeof linkSchema>;

export const openIncidentSchema = z.strictObject({
  title: z.string().trim().min(1).max(200),
  severity: z.enum(incidentSeverities),
  useCase: z.string().min(1).max(63).optional(),
  description: z.string().max(20_000).optional(),
  links: z.array(linkSchema).max(100).optional(),
});
export type OpenIncidentInput = z.input<typeof openIncidentSchema>;

export const updateIncidentSchema = z.strictObject({
  title: z.string().trim().min(1).max(200).optional(),
  status: z.enum(incidentStatuses).optional(),
  severity: z.enum(incidentSeverities).optional(),
  /** A timeline note (required with a move back). */
  note: z.string().trim().min(1).max(20_000).optional(),
  links: z
    .strictObject({ add: z.array(linkSchema).max(100).optional(), remove: z.array(linkSchema).max(100).optional() })
    .optional(),
});
export type UpdateIncidentInput = z.input<typeof updateIncidentSchema>;

export const resolveIncidentSchema = z.strictObject({
  /** A closing note for the timeline. */
  note: z.string().trim().min(1).max(20_000).optional(),
  /** What happened, why, and what prevents it next time: required for sev1 and sev2. */
  postIncidentNote: z.string().trim().min(1).max(50_000).optional(),
});
export type ResolveIncidentInput = z.input<typeof resolveIncidentSchema>;

export interface IncidentFilters {
  readonly status?: IncidentStatus;
  readonly severity?: IncidentSeverity;
  readonly useCase?: string;
  /** Only incidents not yet resolved. */
  readonly active?: boolean;
  /** Default 100, at most 1000. */
  readonly limit?: number;
}

type IncidentRow = {
  id: string;
  title: string;
  severity: IncidentSeverity;
  status: IncidentStatus;
  use_case: string | null;
  description: string;
  opened_by: string;
  opened_at: Date;
  updated_at: Date;
  resolved_at: Date | null;
  resolved_by: string | null;
  post_incident_note: string | null;
};

type LinkRow = { incident_id: string; kind: IncidentLinkKind; ref: string; added_by: string; added_at: Date };

const statusRank = (status: IncidentStatus) => incidentStatuses.indexOf(status);

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
  throw new GroundworkError('incidents.invalid', `Invalid incident input: ${problems.join('; ')}.`, {
    category: 'usage',
    fix: 'Correct the named fields (see `groundwork incidents --help` or /openapi.json).',
    details: { problems },
  });
}

export function incidentNotFound(id: string): GroundworkError {
  return new GroundworkError('incidents.not_found', `There is no incident ${id}.`, {
    category: 'not_found',
    fix: 'List incidents with `groundwork incidents list` (GET /v1/incidents).',
    details: { id },
  });
}

function toIncident(row: IncidentRow, links: readonly IncidentLink[]): Incident {
  return {
    id: row.id,
    title: row.title,
    severity: row.severity,
    status: row.status,
    useCase: row.use_case,
    description: row.description,
    openedBy: row.opened_by,
    openedAt: new Date(row.opened_at),
    updatedAt: new Date(row.updated_at),
    resolvedAt: row.resolved_at ? new Date(row.resolved_at) : null,
    resolvedBy: row.resolved_by,
    postIncidentNote: row.post_incident_note,
    links,
  };
}

/**
 * Use cases whose incidents `caller` may see: `null` = every incident (admins, the local operator); otherwise
 * the use cases the caller may use (as for traces). Incidents without a use case are visible to every reader.
 */
export async function visibleIncidentUseCases(db: Queryable, caller: Caller): Promise<string[] | null> {
  if (caller.role === 'admin' || caller.seesEverything) return null;
  return (await createUseCaseStore(db).list()).filter((u) => seesUseCase(u, caller)).map((u) => u.name);
}

/** Which traces a reviewer may open, as the Traces routes decide it: theirs and those of use cases they may use. */
async function traceAccessOf(db: Queryable, caller: Caller): Promise<TraceAccess> {
  const useCases = await createUseCaseStore(db).list();
  return { reviewableUseCases: useCases.filter((u) => mayUseUseCase(u, caller)).map((u) => u.name) };
}

/** The incident row if it exists and `caller` may see it (locked FOR UPDATE with `lock`), else `incidents.not_found`. */
export async function requireVisibleIncident(db: Queryable, caller: Caller, id: string, lock = false): Promise<IncidentRow> {
  const visible = await visibleIncidentUseCases(db, caller);
  const row = (
    await db.query<IncidentRow>(
      `SELECT * FROM incidents WHERE id = $1 AND ($2::text[] IS NULL OR use_case IS NULL OR use_case = ANY($2))${lock ? ' FOR UPDATE' : ''}`,
      [id, visible],
    )
  ).rows[0];
  if (!row) throw incidentNotFound(id);
  return row;
}

const lockIncident = (tx: Queryable, caller: Caller, id: string) => requireVisibleIncident(tx, caller, id, true);

/** Appends one timeline entry (in the caller's transaction). */
export async function appendIncidentEvent(
  tx: Queryable,
  incidentId: string,
  event: { actor: string; kind: IncidentEventKind; note?: string | null; data?: Record<string, unknown>; at: Date },
): Promise<void> {
  await tx.query(
    'INSERT INTO incident_events (incident_id, at, actor, kind, note, data) VALUES ($1, $2, $3, $4, $5, $6::jsonb)',
    [incidentId, event.at, event.actor, event.kind, event.note ?? null, JSON.stringify(event.data ?? {})],
  );
}

const linkNotFound = (link: IncidentLinkInput) =>
  new GroundworkError('incidents.link_not_found', `There is no ${link.kind} ${link.ref} that you may see.`, {
    category: 'not_found',
    fix:
      link.kind === 'trace'
        ? 'Link a trace you can open in Traces (`groundwork traces list`).'
        : link.kind === 'change'
          ? 'Link a change request listed by `groundwork changes list`.'
          : 'Link the id of a feedback entry (GET /v1/feedback).',
    details: { kind: link.kind, ref: link.ref },
  });

/**
 * A trace may be linked only by someone who may see it, feedback only by someone who may see the trace it
 * rates, a change request only by someone who may read it (when governance is given).
 */
async function checkLink(
  db: Database,
  tx: Queryable,
  caller: Caller,
  link: IncidentLinkInput,
  context: IncidentWriteContext,
): Promise<void> {
  if (link.kind === 'trace') {
    if (!(await getTrace(tx, caller, link.ref, await traceAccessOf(tx, caller)))) throw linkNotFound(link);
  } else if (link.kind === 'change') {
    if (!link.ref.startsWith('chg_')) throw linkNotFound(link);
    if (context.governance) {
      try {
        await getChange(context.governance, joinTransaction(db, tx), caller, link.ref);
      } catch (error) {
        if (isGroundworkError(error) && error.code === 'govern.change_not_found') throw linkNotFound(link);
        throw error;
      }
    }
  } else {
    // Feedback: it must exist, and the trace it rates must be one the caller may see.
    const traceId = await feedbackTraceId(tx, link.ref);
    if (!traceId || !(await getTrace(tx, caller, traceId, await traceAccessOf(tx, caller)))) throw linkNotFound(link);
  }
}

/** Adds a link (idempotent: an existing link is left as it is); returns whether it was new. */
export async function addIncidentLink(
  db: Database,
  tx: Queryable,
  caller: Caller,
  incidentId: string,
  link: IncidentLinkInput,
  at: Date,
  context: IncidentWriteContext = {},
): Promise<boolean> {
  await checkLink(db, tx, caller, link, context);
  const inserted = await tx.query(
    `INSERT INTO incident_links (incident_id, kind, ref, added_by, added_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT DO NOTHING`,
    [incidentId, link.kind, link.ref, caller.id, at],
  );
  if (inserted.rowCount === 0) return false;
  await appendIncidentEvent(tx, incidentId, { actor: caller.id, kind: 'link', data: { kind: link.kind, ref: link.ref }, at });
  return true;
}

/** Whether `caller` may see incidents and the change log of `useCase`: admins always, others when they may use it. */
export function seesUseCase(useCase: UseCase, caller: Caller): boolean {
  const mayUse = mayUseUseCase(useCase, caller);
  return mayUse || caller.role === 'admin';
}

/** The use case must exist and the caller may see it (otherwise it is reported as not found). */
async function requireUseCase(tx: Queryable, caller: Caller, name: string): Promise<void> {
  const useCase = await createUseCaseStore(tx).get(name);
  if (!useCase || !seesUseCase(useCase, caller)) throw unknownUseCase(name);
}

export function unknownUseCase(name: string): GroundworkError {
  return new GroundworkError('use_case.not_found', `There is no use case named "${name}" that you may use.`, {
    category: 'not_found',
    fix: 'List use cases with `groundwork use-cases list` (GET /v1/use-cases).',
    details: { name },
  });
}

/** Opens an incident (status `open`), with its first timeline entry and links; audited `incident.open`. */
export async function openIncident(
  db: Database,
  caller: Caller,
  input: OpenIncidentInput,
  context: IncidentWriteContext = {},
): Promise<IncidentDetail> {
  authorize(caller, 'incidents:write');
  const data = parse(openIncidentSchema, input);
  const now = (context.clock ?? systemClock).now();
  const id = newId('inc');
  await db.transaction(async (tx) => {
    if (data.useCase) await requireUseCase(tx, caller, data.useCase);
    await tx.query(
      `INSERT INTO incidents (id, title, severity, status, use_case, description, opened_by, opened_at, updated_at)
       VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $7)`,
      [id, data.title, data.severity, data.useCase ?? null, data.description ?? '', caller.id, now],
    );
    await appendIncidentEvent(tx, id, {
      actor: caller.id,
      kind: 'opened',
      data: { severity: data.severity, useCase: data.useCase ?? null },
      at: now,
    });
    for (const link of data.links ?? []) await addIncidentLink(db, tx, caller, id, link, now, context);
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'incident.open',
        target: `incident:${id}`,
        after: {
          title: data.title,
          severity: data.severity,
          useCase: data.useCase ?? null,
          status: 'open',
          links: data.links ?? [],
        },
        ...(context.requestId ? { requestId: context.requestId } : {}),
        at: now,
      },
      context.clock,
    );
  });
  const opened = await getIncident(db, caller, id);
  announceIncident(context.events, 'open', opened);
  return opened;
}

/**
 * Changes an incident: title, status (forward freely; back — or reopening — only with a `note`), severity,
 * a timeline note, links added or removed. Audited `incident.update` with the fields before and after.
 */
export async function updateIncident(
  db: Database,
  caller: Caller,
  id: string,
  input: UpdateIncidentInput,
  context: IncidentWriteContext = {},
): Promise<IncidentDetail> {
  authorize(caller, 'incidents:write');
  const data = parse(updateIncidentSchema, input);
  const adds = data.links?.add ?? [];
  const removes = data.links?.remove ?? [];
  if (!data.title && !data.status && !data.severity && !data.note && adds.length === 0 && removes.length === 0) {
    throw new GroundworkError('incidents.empty_update', 'The update changes nothing.', {
      category: 'usage',
      fix: 'Give at least one of title, status, severity, note or links.',
    });
  }
  if (data.status === 'resolved') {
    throw new GroundworkError(
      'incidents.resolve_required',
      'An incident is resolved through its resolve action, not an update.',
      {
        category: 'usage',
        fix: `Resolve it with \`groundwork incidents resolve ${id}\` (POST /v1/incidents/${id}/resolve), with a post-incident note for sev1 and sev2.`,
      },
    );
  }
  const now = (context.clock ?? systemClock).now();
  await db.transaction(async (tx) => {
    const row = await lockIncident(tx, caller, id);
    const before: Record<string, unknown> = {};
    const after: Record<string, unknown> = {};
    const sets: string[] = [];
    const values: unknown[] = [];
    const set = (column: string, value: unknown) => {
      values.push(value);
      sets.push(`${column} = $${values.length + 1}`);
    };
    if (data.title && data.title !== row.title) {
      before.title = row.title;
      after.title = data.title;
      set('title', data.title);
    }
    if (data.status && data.status !== row.status) {
      const back = statusRank(data.status) < statusRank(row.status);
      if (back && !data.note) {
        throw new GroundworkError(
          'incidents.note_required',
          `Moving incident ${id} back from ${row.status} to ${data.status} needs a note saying why.`,
          { category: 'usage', fix: 'Add a note (--note "…", or "note" in the body) explaining the move back.' },
        );
      }
      before.status = row.status;
      after.status = data.status;
      set('status', data.status);
      if (row.status === 'resolved') {
        set('resolved_at', null);
        set('resolved_by', null);
      }
      await appendIncidentEvent(tx, id, {
        actor: caller.id,
        kind: 'status',
        note: data.note ?? null,
        data: { from: row.status, to: data.status, ...(back ? { back: true } : {}) },
        at: now,
      });
    } else if (data.note) {
      await appendIncidentEvent(tx, id, { actor: caller.id, kind: 'note', note: data.note, at: now });
    }
    if (data.severity && data.severity !== row.severity) {
      before.severity = row.severity;
      after.severity = data.severity;
      set('severity', data.severity);
      await appendIncidentEvent(tx, id, {
        actor: caller.id,
        kind: 'severity',
        data: { from: row.severity, to: data.severity },
        at: now,
      });
    }
    const linked: IncidentLinkInput[] = [];
    for (const link of adds) if (await addIncidentLink(db, tx, caller, id, link, now, context)) linked.push(link);
    const unlinked: IncidentLinkInput[] = [];
    for (const link of removes) {
      const removed = await tx.query('DELETE FROM incident_links WHERE incident_id = $1 AND kind = $2 AND ref = $3', [
        id,
        link.kind,
        link.ref,
      ]);
      if (removed.rowCount === 0) continue;
      unlinked.push(link);
      await appendIncidentEvent(tx, id, { actor: caller.id, kind: 'unlink', data: { kind: link.kind, ref: link.ref }, at: now });
    }
    if (linked.length > 0) after.linked = linked;
    if (unlinked.length > 0) after.unlinked = unlinked;
    if (data.note) after.note = data.note;
    set('updated_at', now);
    await tx.query(`UPDATE incidents SET ${sets.join(', ')} WHERE id = $1`, [id, ...values]);
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'incident.update',
        target: `incident:${id}`,
        before,
        after,
        ...(context.requestId ? { requestId: context.requestId } : {}),
        at: now,
      },
      context.clock,
    );
  });
  const updated = await getIncident(db, caller, id);
  announceIncident(context.events, 'update', updated);
  return updated;
}

/**
 * Resolves an incident. sev1 and sev2 need a post-incident note (given now, or kept from an earlier
 * resolution before a reopen): otherwise `incidents.post_incident_note_required` (400). Audited `incident.resolve`.
 */
export async function resolveIncident(
  db: Database,
  caller: Caller,
  id: string,
  input: ResolveIncidentInput = {},
  context: IncidentWriteContext = {},
): Promise<IncidentDetail> {
  authorize(caller, 'incidents:write');
  const data = parse(resolveIncidentSchema, input);
  const now = (context.clock ?? systemClock).now();
  await db.transaction(async (tx) => {
    const row = await lockIncident(tx, caller, id);
    if (row.status === 'resolved') {
      throw new GroundworkError('incidents.already_resolved', `Incident ${id} is already resolved.`, {
        category: 'conflict',
        fix: `Reopen it first with a note: \`groundwork incidents update ${id} --status open --note "…"\`.`,
      });
    }
    const postIncidentNote = data.postIncidentNote ?? row.post_incident_note;
    if ((row.severity === 'sev1' || row.severity === 'sev2') && !postIncidentNote) {
      throw new GroundworkError(
        'incidents.post_incident_note_required',
        `Incident ${id} is ${row.severity}: resolving it needs a post-incident note.`,
        {
          category: 'usage',
          fix: 'Give --post-incident-note "…" ("postIncidentNote" in the body): what happened, why, and what prevents it next time.',
          details: { severity: row.severity },
        },
      );
    }
    await tx.query(
      `UPDATE incidents SET status = 'resolved', resolved_at = $2, resolved_by = $3, post_incident_note = $4, updated_at = $2
       WHERE id = $1`,
      [id, now, caller.id, postIncidentNote ?? null],
    );
    await appendIncidentEvent(tx, id, {
      actor: caller.id,
      kind: 'resolved',
      note: data.note ?? null,
      data: { from: row.status, ...(data.postIncidentNote ? { postIncidentNote: true } : {}) },
      at: now,
    });
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'incident.resolve',
        target: `incident:${id}`,
        before: { status: row.status },
        after: { status: 'resolved', note: data.note ?? null, postIncidentNote: postIncidentNote ?? null },
        ...(context.requestId ? { requestId: context.requestId } : {}),
        at: now,
      },
      context.clock,
    );
  });
  const resolved = await getIncident(db, caller, id);
  announceIncident(context.events, 'resolve', resolved);
  return resolved;
}

async function linksOf(
  db: Queryable,
  caller: Caller,
  ids: readonly string[],
  withTraces: boolean,
): Promise<Map<string, IncidentLink[]>> {
  const out = new Map<string, IncidentLink[]>();
  if (ids.length === 0) return out;
  const { rows } = await db.query<LinkRow>(
    'SELECT * FROM incident_links WHERE incident_id = ANY($1::text[]) ORDER BY added_at, kind, ref',
    [ids],
  );
  const traceIds = withTraces ? [...new Set(rows.filter((r) => r.kind === 'trace').map((r) => r.ref))] : [];
  const traces = new Map<string, NonNullable<IncidentLink['trace']> | null>();
  const restricted = traceIds.length > 0 ? await tracesWithUnreadableDocuments(db, caller, traceIds) : new Set<string>();
  const access = traceIds.length > 0 ? await traceAccessOf(db, caller) : {};
  for (const traceId of traceIds) {
    // Observe decides whether this reader may see the trace now; only its non-content fields are kept.
    const trace = await getTrace(db, caller, traceId, access);
    traces.set(
      traceId,
      trace
        ? {
            operation: trace.operation,
            useCase: trace.useCase,
            startedAt: trace.startedAt,
            outcome: trace.outcome,
            promptVersion: trace.promptVersion,
            model: trace.model,
            documentsRestricted: restricted.has(traceId),
          }
        : null,
    );
  }
  for (const row of rows) {
    const link: IncidentLink = {
      kind: row.kind,
      ref: row.ref,
      addedBy: row.added_by,
      addedAt: new Date(row.added_at),
      ...(withTraces && row.kind === 'trace' ? { trace: traces.get(row.ref) ?? null } : {}),
    };
    out.set(row.incident_id, [...(out.get(row.incident_id) ?? []), link]);
  }
  return out;
}

/** One incident with its links and timeline. @throws `incidents.not_found`. */
export async function getIncident(db: Queryable, caller: Caller, id: string): Promise<IncidentDetail> {
  authorize(caller, 'incidents:read');
  const row = await requireVisibleIncident(db, caller, id);
  const links = (await linksOf(db, caller, [id], true)).get(id) ?? [];
  const events = await db.query<{
    seq: string | number;
    at: Date;
    actor: string;
    kind: IncidentEventKind;
    note: string | null;
    data: Record<string, unknown> | null;
  }>('SELECT seq, at, actor, kind, note, data FROM incident_events WHERE incident_id = $1 ORDER BY seq', [id]);
  return {
    ...toIncident(row, links),
    timeline: events.rows.map((e) => ({
      seq: Number(e.seq),
      at: new Date(e.at),
      actor: e.actor,
      kind: e.kind,
      note: e.note,
      data: e.data ?? {},
    })),
  };
}

/** Incidents, newest first, with their links (ids only in lists). */
export async function listIncidents(db: Queryable, caller: Caller, filters: IncidentFilters = {}): Promise<Incident[]> {
  authorize(caller, 'incidents:read');
  const limit = Math.min(Math.max(Math.floor(filters.limit ?? 100), 1), 1000);
  const visible = await visibleIncidentUseCases(db, caller);
  const { rows } = await db.query<IncidentRow>(
    `SELECT * FROM incidents
     WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR severity = $2) AND ($3::text IS NULL OR use_case = $3)
       AND (NOT $4::boolean OR status <> 'resolved')
       AND ($6::text[] IS NULL OR use_case IS NULL OR use_case = ANY($6))
     ORDER BY opened_at DESC, id DESC LIMIT $5`,
    [filters.status ?? null, filters.severity ?? null, filters.useCase ?? null, filters.active ?? false, limit, visible],
  );
  const links = await linksOf(
    db,
    caller,
    rows.map((r) => r.id),
    false,
  );
  return rows.map((row) => toIncident(row, links.get(row.id) ?? []));
}

/** Incidents linked to a change request (for the change log). */
export async function incidentsLinkedTo(
  db: Queryable,
  kind: IncidentLinkKind,
  refs: readonly string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (refs.length === 0) return out;
  const { rows } = await db.query<{ incident_id: string; ref: string }>(
    'SELECT incident_id, ref FROM incident_links WHERE kind = $1 AND ref = ANY($2::text[])',
    [kind, [...new Set(refs)]],
  );
  for (const row of rows) out.set(row.ref, [...(out.get(row.ref) ?? []), row.incident_id]);
  return out;
}
