import {
  type Caller,
  type Clock,
  canonicalPrincipal,
  type EventBus,
  GroundworkError,
  newId,
  systemClock,
} from '../core/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import { recordAudit } from './audit/audit-log.ts';
import { authorize } from './scopes.ts';

/**
 * Feedback on answers: a thumbs up/down with an optional category and comment, attached to the trace of
 * the answer. A caller may only rate their own traces; a trace that is not theirs is reported as not found,
 * so feedback cannot be used to probe which traces exist.
 */

export const feedbackCategories = ['wrong', 'incomplete', 'outdated', 'unhelpful', 'citation', 'harmful', 'other'] as const;
export type FeedbackCategory = (typeof feedbackCategories)[number];

export interface FeedbackInput {
  readonly traceId: string;
  /** 1 = helpful, -1 = not helpful. */
  readonly rating: 1 | -1;
  readonly category?: FeedbackCategory;
  /** At most 4,000 characters. */
  readonly comment?: string;
}

/**
 * The lifecycle of a feedback entry: `open` (new) → `planned` → `fixed` | `wont_fix`, set by whoever triages
 * the use case (its owner or approvers, or an admin; scope `feedback:triage`), with a note for the reporter.
 */
export const feedbackStatuses = ['open', 'planned', 'fixed', 'wont_fix'] as const;
export type FeedbackStatus = (typeof feedbackStatuses)[number];

/** Allowed moves: anything forward, and back to `open` (reopen) from any other status. Same status: refused. */
export const feedbackTransitions: Readonly<Record<FeedbackStatus, readonly FeedbackStatus[]>> = {
  open: ['planned', 'fixed', 'wont_fix'],
  planned: ['open', 'fixed', 'wont_fix'],
  fixed: ['open'],
  wont_fix: ['open', 'planned'],
};

export interface Feedback {
  readonly id: string;
  readonly traceId: string;
  readonly callerId: string;
  readonly rating: 1 | -1;
  readonly category: FeedbackCategory | null;
  readonly comment: string | null;
  readonly createdAt: Date;
  /** The use case of the rated answer (null for traces without one, or feedback recorded before 0160). */
  readonly useCase: string | null;
  readonly status: FeedbackStatus;
  /** The triager's note for the reporter (with the last status change). */
  readonly statusNote: string | null;
  readonly statusBy: string | null;
  readonly statusAt: Date | null;
  /**
   * Set when the rated answer used documents the reader may not read now: `comment` (free text that may
   * quote the answer) is then null.
   */
  readonly commentWithheld?: 'no longer readable';
}

/**
 * Who made a trace: its caller id (or the caller id and the trace's use case), or undefined when no such trace
 * exists. Supplied by observe.
 */
export type TraceOwnerLookup = (
  traceId: string,
) => Promise<string | { readonly callerId: string | null; readonly useCase: string | null } | undefined>;

declare module '../core/events.ts' {
  interface GroundworkEventMap {
    'feedback-recorded': { feedbackId: string; traceId: string; rating: 1 | -1; category: FeedbackCategory | null };
    /** A triager moved feedback to another status (one event per entry). */
    'feedback-status-changed': {
      feedbackId: string;
      traceId: string;
      useCase: string | null;
      from: FeedbackStatus;
      to: FeedbackStatus;
      actor: string;
    };
  }
}

type FeedbackRow = {
  id: string;
  trace_id: string;
  caller_id: string;
  rating: number;
  category: FeedbackCategory | null;
  comment: string | null;
  created_at: Date;
  use_case: string | null;
  status: FeedbackStatus;
  status_note: string | null;
  status_by: string | null;
  status_at: Date | null;
};

function toFeedback(row: FeedbackRow): Feedback {
  return {
    id: row.id,
    traceId: row.trace_id,
    callerId: row.caller_id,
    rating: row.rating > 0 ? 1 : -1,
    category: row.category,
    comment: row.comment,
    createdAt: row.created_at,
    useCase: row.use_case,
    status: row.status,
    statusNote: row.status_note,
    statusBy: row.status_by,
    statusAt: row.status_at,
  };
}

const traceNotFound = (traceId: string) =>
  new GroundworkError('feedback.trace_not_found', `No trace ${traceId} of yours exists.`, {
    category: 'not_found',
    fix: 'Give feedback with the trace id returned with your own answer (the `traceId` field).',
  });

/**
 * Records (or replaces) the caller's feedback on one of their traces — the one write path for feedback:
 * authorizes (`feedback:write`), validates, writes the row and its audit record (`feedback.record`, without
 * the comment: free text stays out of the audit log) in one transaction, then publishes `feedback-recorded`.
 */
export async function recordFeedback(
  db: Database,
  caller: Caller,
  input: FeedbackInput,
  options: { traceOwner: TraceOwnerLookup; events?: EventBus; clock?: Clock; requestId?: string },
): Promise<Feedback> {
  authorize(caller, 'feedback:write');
  const found = await options.traceOwner(input.traceId);
  const owner = typeof found === 'string' ? found : found?.callerId;
  const useCase = typeof found === 'object' ? found.useCase : null;
  if (!owner || owner !== caller.id) throw traceNotFound(input.traceId);
  if (input.comment !== undefined && input.comment.length > 4000) {
    throw new GroundworkError('feedback.comment_too_long', 'The feedback comment is longer than 4,000 characters.', {
      category: 'usage',
      fix: 'Shorten the comment.',
    });
  }
  const clock = options.clock ?? systemClock;
  const now = clock.now();
  const feedback = await db.transaction(async (tx) => {
    const result = await tx.query<FeedbackRow>(
      `INSERT INTO feedback (id, trace_id, caller_id, rating, category, comment, created_at, use_case)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (trace_id, caller_id) DO UPDATE
         SET rating = EXCLUDED.rating, category = EXCLUDED.category, comment = EXCLUDED.comment, created_at = EXCLUDED.created_at,
           use_case = coalesce(EXCLUDED.use_case, feedback.use_case)
       RETURNING *`,
      [newId('fb'), input.traceId, caller.id, input.rating, input.category ?? null, input.comment ?? null, now, useCase],
    );
    const saved = toFeedback(result.rows[0] as FeedbackRow);
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'feedback.record',
        target: `trace:${saved.traceId}`,
        after: { id: saved.id, rating: saved.rating, category: saved.category, comment: saved.comment !== null },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      clock,
    );
    return saved;
  });
  options.events?.publish('feedback-recorded', {
    feedbackId: feedback.id,
    traceId: feedback.traceId,
    rating: feedback.rating,
    category: feedback.category,
  });
  return feedback;
}

export interface FeedbackFilters {
  readonly traceId?: string;
  /** One use case. */
  readonly useCase?: string;
  /** Only these use cases (the owner inbox: the use cases the caller triages); an empty list matches nothing. */
  readonly useCases?: readonly string[];
  readonly status?: readonly FeedbackStatus[];
  readonly rating?: 1 | -1;
  readonly category?: FeedbackCategory;
  /** Created at or after. */
  readonly since?: Date;
  /** Created before. */
  readonly until?: Date;
  /** Case-insensitive text in the comment or the triager's note. */
  readonly text?: string;
}

/**
 * Lists feedback, newest first. `scope: 'own'` limits it to the caller's own feedback; `'all'` is for
 * reviewers (the route decides which one a caller gets). Filters narrow either.
 */
export async function listFeedback(
  db: Queryable,
  caller: Caller,
  options: {
    scope: 'own' | 'all';
    traceId?: string;
    limit?: number;
    /** Of these traces, those whose documents the caller may not read now (supplied by observe). */
    unreadableTraces?: (traceIds: readonly string[]) => Promise<Set<string>>;
    /** With `scope: 'all'`: other people's feedback only on these use cases (the caller's own always). */
    othersOnlyOn?: readonly string[];
  } & FeedbackFilters,
): Promise<Feedback[]> {
  const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
  const params: unknown[] = [];
  const where: string[] = [];
  const add = (sql: (n: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (options.scope === 'own') add((n) => `caller_id = ${n}`, caller.id);
  else if (options.othersOnlyOn) {
    params.push(caller.id, [...options.othersOnlyOn]);
    where.push(`(caller_id = $${params.length - 1} OR use_case = ANY($${params.length}::text[]))`);
  }
  if (options.traceId) add((n) => `trace_id = ${n}`, options.traceId);
  if (options.useCase) add((n) => `use_case = ${n}`, options.useCase);
  if (options.useCases) add((n) => `use_case = ANY(${n}::text[])`, [...options.useCases]);
  if (options.status && options.status.length > 0) add((n) => `status = ANY(${n}::text[])`, [...options.status]);
  if (options.rating !== undefined) add((n) => `rating = ${n}`, options.rating);
  if (options.category) add((n) => `category = ${n}`, options.category);
  if (options.since) add((n) => `created_at >= ${n}`, options.since);
  if (options.until) add((n) => `created_at < ${n}`, options.until);
  if (options.text) {
    const pattern = `%${options.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    add((n) => `(comment ILIKE ${n} OR status_note ILIKE ${n})`, pattern);
  }
  params.push(limit);
  const result = await db.query<FeedbackRow>(
    `SELECT * FROM feedback ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  const feedback = result.rows.map(toFeedback);
  return withholdUnreadable(feedback, options.unreadableTraces);
}

async function withholdUnreadable(
  feedback: Feedback[],
  unreadableTraces: ((traceIds: readonly string[]) => Promise<Set<string>>) | undefined,
): Promise<Feedback[]> {
  const unreadable = unreadableTraces ? await unreadableTraces(feedback.map((f) => f.traceId)) : new Set();
  return feedback.map((f) =>
    unreadable.has(f.traceId) && f.comment !== null ? { ...f, comment: null, commentWithheld: 'no longer readable' as const } : f,
  );
}

/** One status change of a feedback entry. */
export interface FeedbackStatusChange {
  readonly id: string;
  readonly feedbackId: string;
  readonly from: FeedbackStatus;
  readonly to: FeedbackStatus;
  readonly note: string | null;
  readonly actor: string;
  readonly at: Date;
  /** When the reporter marked the notice seen (changes to fixed / wont_fix only are notices). */
  readonly seenAt: Date | null;
}

type HistoryRow = {
  id: string;
  feedback_id: string;
  from_status: FeedbackStatus;
  to_status: FeedbackStatus;
  note: string | null;
  actor: string;
  at: Date;
  seen_at: Date | null;
};

const toChange = (row: HistoryRow): FeedbackStatusChange => ({
  id: row.id,
  feedbackId: row.feedback_id,
  from: row.from_status,
  to: row.to_status,
  note: row.note,
  actor: row.actor,
  at: row.at,
  seenAt: row.seen_at,
});

/** The status history of feedback entries, oldest change first. No access check: callers pass ids they may see. */
export async function feedbackHistory(
  db: Queryable,
  feedbackIds: readonly string[],
): Promise<Map<string, FeedbackStatusChange[]>> {
  const out = new Map<string, FeedbackStatusChange[]>();
  if (feedbackIds.length === 0) return out;
  const { rows } = await db.query<HistoryRow>(
    'SELECT * FROM feedback_status_history WHERE feedback_id = ANY($1::text[]) ORDER BY at, id',
    [[...new Set(feedbackIds)]],
  );
  for (const row of rows) out.set(row.feedback_id, [...(out.get(row.feedback_id) ?? []), toChange(row)]);
  return out;
}

/** Who may triage a use case's feedback: its owner or one of its approvers (admins triage every use case). */
export function mayTriageUseCase(
  caller: Caller,
  ownership: { readonly owner: string | null | undefined; readonly approvers: readonly string[] },
): boolean {
  if (caller.role === 'admin' || caller.seesEverything) return true;
  const mine = new Set([caller.id, ...caller.principals].map(canonicalPrincipal));
  return [ownership.owner, ...ownership.approvers].some((p) => typeof p === 'string' && mine.has(canonicalPrincipal(p)));
}

export interface FeedbackStatusInput {
  /** One or more feedback ids (at most 500); all change or none. */
  readonly ids: readonly string[];
  readonly status: string;
  /** For the reporter; at most 2,000 characters; required for `wont_fix`. */
  readonly note?: string;
}

const invalidStatus = (status: string) =>
  new GroundworkError('feedback.invalid_status', `"${status}" is not a feedback status.`, {
    category: 'usage',
    fix: `Use one of: ${feedbackStatuses.join(', ')}.`,
    details: { valid: [...feedbackStatuses] },
  });

/**
 * Moves feedback to another status — the one write path for triage, single or bulk. Authorizes
 * (`feedback:triage`, then per entry: the caller triages the entry's use case — its owner or approvers — or is an
 * admin), validates (status, note, each move against `feedbackTransitions`), and in one transaction updates the
 * entries, appends their history rows and audit records (`feedback.status`, without the note text); then
 * publishes `feedback-status-changed` per entry. All or nothing: one entry that is missing, not the caller's to
 * triage or cannot make the move refuses the whole request, naming the entries.
 */
export async function updateFeedbackStatus(
  db: Database,
  caller: Caller,
  input: FeedbackStatusInput,
  options: {
    /** Owners and approvers of use cases (govern's `Governance.ownershipOf`, supplied by the answer feature). */
    ownershipOf: (
      db: Queryable,
      names: readonly string[],
    ) => Promise<ReadonlyArray<{ name: string; owner: string | null; approvers: readonly string[] }>>;
    events?: EventBus;
    clock?: Clock;
    requestId?: string;
  },
): Promise<Feedback[]> {
  authorize(caller, 'feedback:triage');
  if (!(feedbackStatuses as readonly string[]).includes(input.status)) throw invalidStatus(input.status);
  const status = input.status as FeedbackStatus;
  const ids = [...new Set(input.ids)];
  if (ids.length === 0 || ids.length > 500) {
    throw new GroundworkError('feedback.bad_selection', `Give 1 to 500 feedback ids (got ${ids.length}).`, {
      category: 'usage',
      fix: 'Pass the ids of the feedback to change (`ids` in the request, or arguments to `groundwork feedback update`), at most 500 at a time.',
    });
  }
  const note = input.note?.trim() || undefined;
  if (note !== undefined && note.length > 2000) {
    throw new GroundworkError('feedback.note_too_long', 'The note is longer than 2,000 characters.', {
      category: 'usage',
      fix: 'Shorten the note to at most 2,000 characters.',
    });
  }
  if (status === 'wont_fix' && note === undefined) {
    throw new GroundworkError('feedback.note_required', 'Setting feedback to wont_fix needs a note for the reporter.', {
      category: 'usage',
      fix: 'Say why it will not be fixed (`note` in the request, `--note` on the CLI).',
    });
  }
  const clock = options.clock ?? systemClock;
  const now = clock.now();
  const { updated, changes } = await db.transaction(async (tx) => {
    const { rows } = await tx.query<FeedbackRow>('SELECT * FROM feedback WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [
      ids,
    ]);
    const found = new Map(rows.map((row) => [row.id, row]));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw new GroundworkError(
        'feedback.not_found',
        `No feedback with the id${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`,
        {
          category: 'not_found',
          fix: 'List feedback with `groundwork feedback list` (GET /v1/feedback) and use ids from it; nothing was changed.',
          details: { missing },
        },
      );
    }
    const useCases = [...new Set(rows.map((row) => row.use_case).filter((u): u is string => u !== null))];
    const ownership = new Map((await options.ownershipOf(tx, useCases)).map((o) => [o.name, o]));
    const notYours = rows
      .filter((row) => {
        const o = row.use_case === null ? undefined : ownership.get(row.use_case);
        return !mayTriageUseCase(caller, { owner: o?.owner ?? null, approvers: o?.approvers ?? [] });
      })
      .map((row) => row.id);
    if (notYours.length > 0) {
      throw new GroundworkError(
        'feedback.not_triager',
        `${caller.id} does not triage the use case of feedback ${notYours.join(', ')}.`,
        {
          category: 'forbidden',
          fix: "Feedback is triaged by its use case's owner or approvers (`groundwork use-cases update NAME --owner … --approvers …`) or an admin; nothing was changed.",
          details: { ids: notYours },
        },
      );
    }
    const refused = rows.filter((row) => !feedbackTransitions[row.status].includes(status));
    if (refused.length > 0) {
      throw new GroundworkError(
        'feedback.invalid_transition',
        `Feedback ${refused.map((r) => `${r.id} (${r.status})`).join(', ')} cannot move to ${status}.`,
        {
          category: 'conflict',
          fix: `Allowed moves: ${Object.entries(feedbackTransitions)
            .map(([from, to]) => `${from} → ${to.join('|')}`)
            .join('; ')}. Nothing was changed.`,
          details: { ids: refused.map((r) => r.id) },
        },
      );
    }
    const result: Feedback[] = [];
    const changes: Array<{ row: FeedbackRow; from: FeedbackStatus }> = [];
    for (const row of rows) {
      const saved = (
        await tx.query<FeedbackRow>(
          `UPDATE feedback SET status = $2, status_note = $3, status_by = $4, status_at = $5 WHERE id = $1 RETURNING *`,
          [row.id, status, note ?? null, caller.id, now],
        )
      ).rows[0] as FeedbackRow;
      await tx.query(
        `INSERT INTO feedback_status_history (id, feedback_id, from_status, to_status, note, actor, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [newId('fbs'), row.id, row.status, status, note ?? null, caller.id, now],
      );
      await recordAudit(
        tx,
        {
          actor: caller.id,
          action: 'feedback.status',
          target: `feedback:${row.id}`,
          before: { status: row.status },
          after: { status, note: note !== undefined, useCase: row.use_case, bulk: ids.length > 1 },
          ...(options.requestId ? { requestId: options.requestId } : {}),
          at: now,
        },
        clock,
      );
      result.push(toFeedback(saved));
      changes.push({ row, from: row.status });
    }
    return { updated: result, changes };
  });
  for (const { row, from } of changes) {
    options.events?.publish('feedback-status-changed', {
      feedbackId: row.id,
      traceId: row.trace_id,
      useCase: row.use_case,
      from,
      to: status,
      actor: caller.id,
    });
  }
  return updated;
}

/** A notice to a reporter: something they reported was fixed or will not be fixed. */
export interface FeedbackNotice {
  readonly id: string;
  readonly feedbackId: string;
  readonly traceId: string;
  readonly useCase: string | null;
  readonly status: 'fixed' | 'wont_fix';
  readonly note: string | null;
  readonly by: string;
  readonly at: Date;
}

/**
 * The caller's unseen notices, newest first: changes of their own feedback to `fixed` or `wont_fix` that they
 * have not marked seen (`markNoticesSeen`). Only the caller's own feedback, ever.
 */
export async function listNotices(db: Queryable, caller: Caller, options: { limit?: number } = {}): Promise<FeedbackNotice[]> {
  authorize(caller, 'feedback:write');
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 500);
  const { rows } = await db.query<HistoryRow & { trace_id: string; use_case: string | null }>(
    `SELECT h.*, f.trace_id, f.use_case FROM feedback_status_history h JOIN feedback f ON f.id = h.feedback_id
     WHERE f.caller_id = $1 AND h.to_status IN ('fixed', 'wont_fix') AND h.seen_at IS NULL
     ORDER BY h.at DESC, h.id DESC LIMIT $2`,
    [caller.id, limit],
  );
  return rows.map((row) => ({
    id: row.id,
    feedbackId: row.feedback_id,
    traceId: row.trace_id,
    useCase: row.use_case,
    status: row.to_status as 'fixed' | 'wont_fix',
    note: row.note,
    by: row.actor,
    at: row.at,
  }));
}

/**
 * Marks the caller's notices seen: the given ids, or all of them. Ids of other people's notices are ignored
 * (never an error that would confirm they exist). Audited `feedback.notices_seen` with the count.
 */
export async function markNoticesSeen(
  db: Database,
  caller: Caller,
  input: { ids?: readonly string[] } = {},
  options: { clock?: Clock; requestId?: string } = {},
): Promise<{ seen: number }> {
  authorize(caller, 'feedback:write');
  if (input.ids && input.ids.length > 500) {
    throw new GroundworkError('feedback.bad_selection', `Give at most 500 notice ids (got ${input.ids.length}).`, {
      category: 'usage',
      fix: 'Mark notices seen in batches of at most 500, or leave out `ids` to mark all of yours seen.',
    });
  }
  const clock = options.clock ?? systemClock;
  const now = clock.now();
  return db.transaction(async (tx) => {
    const { rowCount } = await tx.query(
      `UPDATE feedback_status_history h SET seen_at = $2
       FROM feedback f
       WHERE f.id = h.feedback_id AND f.caller_id = $1 AND h.seen_at IS NULL AND h.to_status IN ('fixed', 'wont_fix')
         AND ($3::text[] IS NULL OR h.id = ANY($3::text[]))`,
      [caller.id, now, input.ids ? [...input.ids] : null],
    );
    const seen = rowCount ?? 0;
    if (seen > 0) {
      await recordAudit(
        tx,
        {
          actor: caller.id,
          action: 'feedback.notices_seen',
          target: caller.id,
          after: { seen },
          ...(options.requestId ? { requestId: options.requestId } : {}),
          at: now,
        },
        clock,
      );
    }
    return { seen };
  });
}

/**
 * Every negative feedback (rating −1), oldest first, for the evaluation feature's production candidates. No
 * access filter: candidates carry the asker's principals and are filtered by them when shown.
 */
export async function negativeFeedback(
  db: Queryable,
): Promise<Array<{ id: string; traceId: string; category: FeedbackCategory | null; comment: string | null; createdAt: Date }>> {
  const { rows } = await db.query<FeedbackRow>('SELECT * FROM feedback WHERE rating = -1 ORDER BY created_at, id');
  return rows.map((row) => ({
    id: row.id,
    traceId: row.trace_id,
    category: row.category,
    comment: row.comment,
    createdAt: row.created_at,
  }));
}

/**
 * How many feedback entries of `useCase` were marked fixed, per UTC day, newest first (the release notes' "reported
 * problems fixed"). Counts only: never who reported them or what they said.
 */
export async function fixedFeedbackByDay(
  db: Queryable,
  useCase: string,
  limit = 90,
): Promise<Array<{ day: string; fixed: number; at: Date }>> {
  const { rows } = await db.query<{ day: string; fixed: string | number; at: Date }>(
    `SELECT to_char(h.at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(DISTINCT h.feedback_id) AS fixed, max(h.at) AS at
     FROM feedback_status_history h JOIN feedback f ON f.id = h.feedback_id
     WHERE f.use_case = $1 AND h.to_status = 'fixed'
     GROUP BY 1 ORDER BY 1 DESC LIMIT $2`,
    [useCase, Math.min(Math.max(limit, 1), 1000)],
  );
  return rows.map((row) => ({ day: row.day, fixed: Number(row.fixed), at: new Date(row.at) }));
}

/** Ratings given in a time window (trace ids and ratings only), for the monitor feature's feedback rates. */
export async function feedbackRatingsBetween(
  db: Queryable,
  from: Date,
  to: Date,
  limit = 100_000,
): Promise<Array<{ traceId: string; rating: 1 | -1 }>> {
  const { rows } = await db.query<{ trace_id: string; rating: number }>(
    'SELECT trace_id, rating FROM feedback WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at DESC LIMIT $3',
    [from, to, limit],
  );
  return rows.map((r) => ({ traceId: r.trace_id, rating: r.rating === -1 ? -1 : 1 }));
}
