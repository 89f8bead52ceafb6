import type { Clock, EventBus, Logger } from '../core/index.ts';
import { systemClock } from '../core/index.ts';
import type { Database, Queryable } from '../store/index.ts';

/**
 * Usage rollups, written from answer / feedback / review events: one row per answer (`usage_answers`, what
 * feedback, retries and reviews attach to), one per use case and user (`usage_users`: first exposure, first
 * success, principals, last question hash) and one per use case, user and UTC day (`usage_daily`: counters).
 * Every update is one short transaction of upserts keyed by the user, so several API processes can write at
 * once: the `usage_users` row is locked first in every transaction (one lock order, no deadlocks), and the
 * counters are adjusted by deltas of each answer's state (an answer counts once as failed, however many reasons).
 * Reports (report.ts) read only these tables.
 */

declare module '../core/events.ts' {
  interface GroundworkEventMap {
    /**
     * A reviewer judged an answer: `overridden` when they corrected or rejected it. Published by the review
     * workflow (none ships yet); the override rate stays null until one is recorded.
     */
    'answer-reviewed': { readonly traceId: string; readonly overridden: boolean };
  }
}

/** A retry of the same question by the same user within this many minutes marks the earlier answer not completed. */
export const defaultRetryWindowMinutes = 10;

export interface AnswerUsageInput {
  readonly traceId: string;
  readonly useCase: string;
  readonly userId: string;
  readonly principals: readonly string[];
  readonly questionHash: string;
  readonly refused: boolean;
  /** The stream was closed before the final answer. */
  readonly abandoned?: boolean;
  readonly at: Date;
}

type AnswerState = {
  use_case: string;
  user_id: string;
  day: string;
  refused: boolean;
  abandoned: boolean;
  retried: boolean;
  rating: number | null;
  overridden: boolean | null;
};

/** Counter contributions of one answer in its state. */
function contributions(a: Pick<AnswerState, 'abandoned' | 'retried' | 'rating' | 'overridden'>) {
  const negative = a.rating !== null && a.rating < 0;
  return {
    abandoned: a.abandoned ? 1 : 0,
    rated: a.rating === null ? 0 : 1,
    negative: negative ? 1 : 0,
    retried: a.retried ? 1 : 0,
    failed: negative || a.retried || a.abandoned ? 1 : 0,
    reviewed: a.overridden === null ? 0 : 1,
    overridden: a.overridden ? 1 : 0,
  };
}

const dayOf = (at: Date) => at.toISOString().slice(0, 10);

/** Locks the user's rollup row (every usage transaction takes this lock first: one lock order). */
async function lockUser(tx: Queryable, useCase: string, userId: string): Promise<void> {
  await tx.query('SELECT 1 FROM usage_users WHERE simulated = false AND use_case = $1 AND user_id = $2 FOR UPDATE', [
    useCase,
    userId,
  ]);
}

/** Applies a change to one answer's state and moves the daily counters by the difference. */
async function changeAnswer(
  tx: Queryable,
  traceId: string,
  patch: Partial<Pick<AnswerState, 'abandoned' | 'retried' | 'rating' | 'overridden'>>,
): Promise<AnswerState | undefined> {
  const { rows } = await tx.query<AnswerState>(
    `SELECT use_case, user_id, day::text AS day, refused, abandoned, retried, rating, overridden
     FROM usage_answers WHERE trace_id = $1 FOR UPDATE`,
    [traceId],
  );
  const before = rows[0];
  if (!before) return undefined;
  const after: AnswerState = { ...before, ...patch };
  const was = contributions(before);
  const now = contributions(after);
  await tx.query('UPDATE usage_answers SET retried = $2, rating = $3, overridden = $4, abandoned = $5 WHERE trace_id = $1', [
    traceId,
    after.retried,
    after.rating,
    after.overridden,
    after.abandoned,
  ]);
  await tx.query(
    `UPDATE usage_daily SET rated = rated + $4, negative = negative + $5, retried = retried + $6, failed = failed + $7,
       reviewed = reviewed + $8, overridden = overridden + $9, abandoned = abandoned + $10
     WHERE simulated = false AND use_case = $1 AND user_id = $2 AND day = $3::date`,
    [
      before.use_case,
      before.user_id,
      before.day,
      now.rated - was.rated,
      now.negative - was.negative,
      now.retried - was.retried,
      now.failed - was.failed,
      now.reviewed - was.reviewed,
      now.overridden - was.overridden,
      now.abandoned - was.abandoned,
    ],
  );
  return after;
}

/** Recomputes the user's first successful answer (not refused, not abandoned, no negative feedback). */
async function refreshFirstSuccess(tx: Queryable, useCase: string, userId: string): Promise<void> {
  await tx.query(
    `UPDATE usage_users SET first_success_at = (
       SELECT min(at) FROM usage_answers
       WHERE use_case = $1 AND user_id = $2 AND NOT refused AND NOT abandoned AND coalesce(rating, 0) >= 0)
     WHERE simulated = false AND use_case = $1 AND user_id = $2`,
    [useCase, userId],
  );
}

/**
 * Records one answer (or abandoned stream) in the rollups, in one transaction; idempotent per trace id.
 * A repeat of the user's previous question within `retryWindowMinutes` marks the previous answer retried.
 */
export async function recordAnswerUsage(
  db: Database,
  input: AnswerUsageInput,
  options: { retryWindowMinutes?: number } = {},
): Promise<void> {
  const windowMs = (options.retryWindowMinutes ?? defaultRetryWindowMinutes) * 60_000;
  const abandoned = input.abandoned ?? false;
  const success = !input.refused && !abandoned;
  await withRetry(() =>
    db.transaction(async (tx) => {
      // The upsert locks the user's row; RETURNING gives the previous question (DO UPDATE changes principals only).
      const { rows } = await tx.query<{ last_question_hash: string | null; last_trace_id: string | null; last_at: Date | null }>(
        `INSERT INTO usage_users (simulated, use_case, user_id, principals, first_at)
         VALUES (false, $1, $2, $3, $4)
         ON CONFLICT (simulated, use_case, user_id) DO UPDATE SET principals = EXCLUDED.principals
         RETURNING last_question_hash, last_trace_id, last_at`,
        [input.useCase, input.userId, [...input.principals], input.at],
      );
      const previous = rows[0];
      const inserted = await tx.query(
        `INSERT INTO usage_answers (trace_id, use_case, user_id, at, day, refused, abandoned)
         VALUES ($1, $2, $3, $4, $5::date, $6, $7) ON CONFLICT (trace_id) DO NOTHING RETURNING trace_id`,
        [input.traceId, input.useCase, input.userId, input.at, dayOf(input.at), input.refused, abandoned],
      );
      if (inserted.rows.length === 0) {
        // The same event twice, or a stream closed after its answer was recorded: only "abandoned" can change.
        if (abandoned) {
          await changeAnswer(tx, input.traceId, { abandoned: true });
          await refreshFirstSuccess(tx, input.useCase, input.userId);
        }
        return;
      }
      await tx.query(
        `INSERT INTO usage_daily (simulated, use_case, user_id, day, answers, refused, abandoned, failed)
         VALUES (false, $1, $2, $3::date, 1, $4, $5, $5)
         ON CONFLICT (simulated, use_case, user_id, day) DO UPDATE SET answers = usage_daily.answers + 1,
           refused = usage_daily.refused + EXCLUDED.refused, abandoned = usage_daily.abandoned + EXCLUDED.abandoned,
           failed = usage_daily.failed + EXCLUDED.failed`,
        [input.useCase, input.userId, dayOf(input.at), input.refused ? 1 : 0, abandoned ? 1 : 0],
      );
      if (
        previous?.last_trace_id &&
        previous.last_question_hash === input.questionHash &&
        previous.last_at &&
        input.at.getTime() >= previous.last_at.getTime() &&
        input.at.getTime() - previous.last_at.getTime() <= windowMs
      ) {
        await changeAnswer(tx, previous.last_trace_id, { retried: true });
      }
      await tx.query(
        `UPDATE usage_users SET
           first_at = LEAST(first_at, $3),
           first_success_at = CASE WHEN $4 THEN LEAST(coalesce(first_success_at, $3), $3) ELSE first_success_at END,
           last_question_hash = CASE WHEN last_at IS NULL OR last_at <= $3 THEN $5 ELSE last_question_hash END,
           last_trace_id = CASE WHEN last_at IS NULL OR last_at <= $3 THEN $6 ELSE last_trace_id END,
           last_at = GREATEST(coalesce(last_at, $3), $3)
         WHERE simulated = false AND use_case = $1 AND user_id = $2`,
        [input.useCase, input.userId, input.at, success, input.questionHash, input.traceId],
      );
    }),
  );
}

/** Records feedback on an answer (rating 1 / -1, replacing an earlier one): counters and first success follow. */
export async function recordFeedbackUsage(db: Database, input: { traceId: string; rating: 1 | -1 }): Promise<void> {
  await withRetry(() =>
    db.transaction(async (tx) => {
      const owner = await lockAnswerOwner(tx, input.traceId);
      if (!owner) return;
      await changeAnswer(tx, input.traceId, { rating: input.rating });
      await refreshFirstSuccess(tx, owner.use_case, owner.user_id);
    }),
  );
}

/** Records a reviewer's verdict on an answer (`overridden`: corrected or rejected). */
export async function recordReviewUsage(db: Database, input: { traceId: string; overridden: boolean }): Promise<void> {
  await withRetry(() =>
    db.transaction(async (tx) => {
      const owner = await lockAnswerOwner(tx, input.traceId);
      if (!owner) return;
      await changeAnswer(tx, input.traceId, { overridden: input.overridden });
    }),
  );
}

/** The user an answer counted for, their rollup row locked (the shared lock order); undefined if unknown. */
async function lockAnswerOwner(tx: Queryable, traceId: string): Promise<{ use_case: string; user_id: string } | undefined> {
  const { rows } = await tx.query<{ use_case: string; user_id: string }>(
    'SELECT use_case, user_id FROM usage_answers WHERE trace_id = $1',
    [traceId],
  );
  const owner = rows[0];
  if (owner) await lockUser(tx, owner.use_case, owner.user_id);
  return owner;
}

/** Deadlocks and serialization failures are retried (a few times) rather than dropping a usage update. */
async function withRetry(work: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: unknown })?.code;
      if (attempt >= 4 || (code !== '40P01' && code !== '40001')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt));
    }
  }
}

export interface UsageRecorder {
  /** Resolves when every rollup write started so far has finished (tests, shutdown). */
  flush(): Promise<void>;
  /** Stops listening and waits for the writes in flight. */
  close(): Promise<void>;
}

/**
 * Subscribes the rollups to the answer, feedback and review events. Writes run after the event (never on the
 * answer's own path); a failing write is logged with the trace id only, never question or answer text.
 */
export function createUsageRecorder(deps: {
  db: Database;
  events: EventBus;
  logger: Logger;
  clock?: Clock;
  retryWindowMinutes?: number;
}): UsageRecorder {
  const clock = deps.clock ?? systemClock;
  const pending = new Set<Promise<void>>();
  const track = (traceId: string, work: Promise<void>) => {
    const tracked = work
      .catch((error) => deps.logger.warn('usage rollup write failed', { traceId, error }))
      .finally(() => pending.delete(tracked));
    pending.add(tracked);
  };
  const options = deps.retryWindowMinutes === undefined ? {} : { retryWindowMinutes: deps.retryWindowMinutes };
  const unsubscribe = [
    deps.events.subscribe('answer-end', (e) =>
      track(
        e.traceId,
        recordAnswerUsage(
          deps.db,
          {
            traceId: e.traceId,
            useCase: e.useCase,
            userId: e.callerId,
            principals: e.principals,
            questionHash: e.questionHash,
            refused: e.refused,
            at: clock.now(),
          },
          options,
        ),
      ),
    ),
    deps.events.subscribe('answer-abandoned', (e) =>
      track(
        e.traceId,
        recordAnswerUsage(
          deps.db,
          {
            traceId: e.traceId,
            useCase: e.useCase,
            userId: e.callerId,
            principals: e.principals,
            questionHash: e.questionHash,
            refused: false,
            abandoned: true,
            at: clock.now(),
          },
          options,
        ),
      ),
    ),
    deps.events.subscribe('feedback-recorded', (e) =>
      track(e.traceId, recordFeedbackUsage(deps.db, { traceId: e.traceId, rating: e.rating })),
    ),
    deps.events.subscribe('answer-reviewed', (e) =>
      track(e.traceId, recordReviewUsage(deps.db, { traceId: e.traceId, overridden: e.overridden })),
    ),
  ];
  const flush = async () => {
    while (pending.size > 0) await Promise.all([...pending]);
  };
  return {
    flush,
    async close() {
      for (const stop of unsubscribe) stop();
      await flush();
    },
  };
}

/**
 * Deletes the per-answer rows (`usage_answers`) of answers before `olderThan`: they are keyed by trace and must
 * not outlive the trace retention (observe's purge runs this in its transaction). The aggregates in
 * `usage_users` / `usage_daily` stay, so reports and criteria keep their history; feedback on a purged answer
 * no longer moves the counters (its trace is gone too).
 */
export async function purgeUsageAnswers(tx: Queryable, olderThan: Date): Promise<{ usageAnswers: number }> {
  const deleted = await tx.query('DELETE FROM usage_answers WHERE at < $1', [olderThan]);
  return { usageAnswers: deleted.rowCount ?? 0 };
}
