import { type Caller, type Clock, type EventBus, GroundworkError, newId, systemClock } from '../core/index.ts';
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

export interface Feedback {
  readonly id: string;
  readonly traceId: string;
  readonly callerId: string;
  readonly rating: 1 | -1;
  readonly category: FeedbackCategory | null;
  readonly comment: string | null;
  readonly createdAt: Date;
  /**
   * Set when the rated answer used documents the reader may not read now: `comment` (free text that may
   * quote the answer) is then null.
   */
  readonly commentWithheld?: 'no longer readable';
}

/** Who made a trace: its caller id, or undefined when no such trace exists. Supplied by observe. */
export type TraceOwnerLookup = (traceId: string) => Promise<string | undefined>;

declare module '../core/events.ts' {
  interface GroundworkEventMap {
    'feedback-recorded': { feedbackId: string; traceId: string; rating: 1 | -1; category: FeedbackCategory | null };
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
  const owner = await options.traceOwner(input.traceId);
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
      `INSERT INTO feedback (id, trace_id, caller_id, rating, category, comment, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (trace_id, caller_id) DO UPDATE
         SET rating = EXCLUDED.rating, category = EXCLUDED.category, comment = EXCLUDED.comment, created_at = EXCLUDED.created_at
       RETURNING *`,
      [newId('fb'), input.traceId, caller.id, input.rating, input.category ?? null, input.comment ?? null, now],
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

/**
 * Lists feedback, newest first. `scope: 'own'` limits it to the caller's own feedback; `'all'` is for
 * reviewers (the route decides which one a caller gets).
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
  },
): Promise<Feedback[]> {
  const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
  const result = await db.query<FeedbackRow>(
    `SELECT * FROM feedback
     WHERE ($1::text IS NULL OR caller_id = $1) AND ($2::text IS NULL OR trace_id = $2)
     ORDER BY created_at DESC, id DESC LIMIT $3`,
    [options.scope === 'own' ? caller.id : null, options.traceId ?? null, limit],
  );
  const feedback = result.rows.map(toFeedback);
  const unreadable = options.unreadableTraces ? await options.unreadableTraces(feedback.map((f) => f.traceId)) : new Set();
  return feedback.map((f) =>
    unreadable.has(f.traceId) && f.comment !== null ? { ...f, comment: null, commentWithheld: 'no longer readable' as const } : f,
  );
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
