import { usableUseCaseNames } from '../answer/index.ts';
import { type Caller, type Clock, type EventBus, GroundworkError, systemClock } from '../core/index.ts';
import { type Candidate, proposeReviewCandidate } from '../evaluate/index.ts';
import { authorize, recordAudit } from '../govern/index.ts';
import { chunkSnippets } from '../ingest/index.ts';
import { getTrace } from '../observe/index.ts';
import { readableDocumentIds } from '../protect/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import { type ReviewStratum, reviewStrata } from './sampling.ts';

/**
 * The review queue: reviewers (scope `reviews:*`, role reviewer and up) take the next sampled answer of the use
 * cases they may review (`next`, with a lease), read the question, the answer and the cited passages THEY may
 * read now, and grade it. Who may review which use case is the trace rule of `traces:read:usecase`: the use
 * cases the reviewer may use (answer's `usableUseCaseNames`); admins every use case. An item of another use
 * case does not exist for them (404). Nobody is handed, or may grade, an answer they asked themselves.
 */

declare module '../core/events.ts' {
  interface GroundworkEventMap {
    /** A reviewer graded a sampled answer (no text): for monitors of review outcomes. */
    'review-graded': {
      readonly reviewId: string;
      readonly traceId: string;
      readonly useCase: string;
      readonly verdict: ReviewVerdict;
      readonly grounded: boolean | null;
      readonly overridden: boolean;
    };
  }
}

export const reviewVerdicts = ['correct', 'partially', 'wrong'] as const;
export type ReviewVerdict = (typeof reviewVerdicts)[number];
export const reviewStatuses = ['pending', 'graded'] as const;
export type ReviewStatus = (typeof reviewStatuses)[number];

export const maxCorrectedAnswerLength = 20_000;
export const maxReasonLength = 4_000;

/** One queue item as listed: ids, stratum and grade, never text. */
export interface ReviewItem {
  readonly id: string;
  readonly traceId: string;
  readonly useCase: string;
  readonly stratum: ReviewStratum;
  readonly confidence: number | null;
  readonly refused: boolean;
  readonly status: ReviewStatus;
  /** The reviewer holding the lease, while it lasts. */
  readonly claimedBy: string | null;
  readonly leaseUntil: Date | null;
  /** The viewer asked this question: they may not grade it. */
  readonly ownAnswer: boolean;
  readonly verdict: ReviewVerdict | null;
  readonly grounded: boolean | null;
  readonly overridden: boolean | null;
  readonly gradedBy: string | null;
  readonly gradedAt: Date | null;
  readonly candidateId: string | null;
  readonly sampledAt: Date;
}

/** A cited passage the viewer may read now. */
export interface ReviewPassage {
  readonly n: number | null;
  readonly chunkId: string;
  readonly documentId: string;
  readonly title: string;
  readonly text: string;
}

/** One item with what the reviewer reads: text only from documents the viewer may read now. */
export interface ReviewDetail extends ReviewItem {
  readonly question: string | null;
  readonly answer: string | null;
  /** `restricted`: the answer used a document the viewer may not read now; `retention`: no text kept; `missing`: no trace (yet, or purged). */
  readonly answerWithheld?: 'restricted' | 'retention' | 'missing';
  readonly passages: readonly ReviewPassage[];
  /** Cited passages from documents the viewer may not read now: counted, never shown. */
  readonly withheldPassages: number;
  /** The reviewer's corrected answer and reason (withheld with the answer). */
  readonly correctedAnswer: string | null;
  readonly reason: string | null;
}

export interface GradeInput {
  readonly verdict: string;
  /** Whether the answer is supported by its passages: true / false, or `yes` / `no`. */
  readonly grounded?: boolean | string;
  readonly correctedAnswer?: string;
  readonly reason?: string;
  /** Also propose the graded answer as an evaluation candidate (its corrected answer as expected answer). */
  readonly toEval?: boolean;
}

export interface ReviewOptions {
  readonly clock?: Clock;
  readonly requestId?: string;
  readonly events?: EventBus;
  /** `review.leaseMinutes` (default 15). */
  readonly leaseMinutes?: number;
}

type ItemRow = {
  id: string;
  trace_id: string;
  use_case: string;
  asker_id: string;
  stratum: ReviewStratum;
  confidence: number | null;
  refused: boolean;
  status: ReviewStatus;
  claimed_by: string | null;
  lease_until: Date | null;
  verdict: ReviewVerdict | null;
  grounded: boolean | null;
  corrected_answer: string | null;
  reason: string | null;
  overridden: boolean | null;
  graded_by: string | null;
  graded_at: Date | null;
  candidate_id: string | null;
  sampled_at: Date;
};

function toItem(row: ItemRow, viewer: Caller, now: Date): ReviewItem {
  const leased = row.status === 'pending' && row.lease_until !== null && row.lease_until.getTime() > now.getTime();
  return {
    id: row.id,
    traceId: row.trace_id,
    useCase: row.use_case,
    stratum: row.stratum,
    confidence: row.confidence === null ? null : Number(row.confidence),
    refused: row.refused,
    status: row.status,
    claimedBy: leased ? row.claimed_by : null,
    leaseUntil: leased ? row.lease_until : null,
    ownAnswer: row.asker_id === viewer.id,
    verdict: row.verdict,
    grounded: row.grounded,
    overridden: row.overridden,
    gradedBy: row.graded_by,
    gradedAt: row.graded_at,
    candidateId: row.candidate_id,
    sampledAt: row.sampled_at,
  };
}

/** The use cases `caller` reviews: all for admins and callers that see everything, else those they may use. */
export async function reviewableUseCases(db: Queryable, caller: Caller): Promise<string[] | 'all'> {
  if (caller.seesEverything || caller.role === 'admin') return 'all';
  return usableUseCaseNames(db, caller);
}

/** `use_case` predicate for the reviewer, parameters appended. */
function reviewableFilter(reviewable: string[] | 'all', params: unknown[]): string {
  if (reviewable === 'all') return 'true';
  params.push(reviewable);
  return `use_case = ANY($${params.length}::text[])`;
}

async function requireReviewable(db: Queryable, caller: Caller, useCase: string): Promise<string[] | 'all'> {
  const reviewable = await reviewableUseCases(db, caller);
  if (reviewable !== 'all' && !reviewable.includes(useCase)) {
    throw new GroundworkError(
      'review.use_case_not_reviewable',
      `You may not review use case "${useCase}" (or it does not exist); you review: ${reviewable.join(', ') || 'none'}.`,
      {
        category: 'forbidden',
        fix: 'Name a use case you may use; a reviewer reviews the use cases they may use.',
      },
    );
  }
  return reviewable;
}

const notFound = (id: string) =>
  new GroundworkError('review.not_found', `No review item "${id}" that you may review.`, {
    category: 'not_found',
    fix: 'List the queue with `groundwork review list` (GET /v1/reviews), or take the next item with `groundwork review next`.',
  });

async function visibleRow(db: Queryable, caller: Caller, id: string, forUpdate = false): Promise<ItemRow> {
  const params: unknown[] = [id];
  const where = reviewableFilter(await reviewableUseCases(db, caller), params);
  const { rows } = await db.query<ItemRow>(
    `SELECT * FROM review_items WHERE id = $1 AND ${where}${forUpdate ? ' FOR UPDATE' : ''}`,
    params,
  );
  const row = rows[0];
  if (!row) throw notFound(id);
  return row;
}

/** The queue, newest first: items of the use cases the caller reviews (ids and grades, no text). */
export async function listReviews(
  db: Queryable,
  caller: Caller,
  options: { useCase?: string; status?: string; limit?: number; clock?: Clock } = {},
): Promise<ReviewItem[]> {
  authorize(caller, 'reviews:read');
  if (options.status !== undefined && !(reviewStatuses as readonly string[]).includes(options.status)) {
    throw new GroundworkError(
      'review.invalid_status',
      `Unknown review status "${options.status}"; valid: ${reviewStatuses.join(', ')}.`,
      { category: 'usage', fix: 'Use --status pending or --status graded (query status=pending|graded).' },
    );
  }
  const reviewable = options.useCase
    ? await requireReviewable(db, caller, options.useCase)
    : await reviewableUseCases(db, caller);
  const params: unknown[] = [];
  const where = [reviewableFilter(reviewable, params)];
  if (options.useCase) {
    params.push(options.useCase);
    where.push(`use_case = $${params.length}`);
  }
  if (options.status) {
    params.push(options.status);
    where.push(`status = $${params.length}`);
  }
  params.push(Math.min(Math.max(Math.floor(options.limit ?? 100), 1), 1000));
  const { rows } = await db.query<ItemRow>(
    `SELECT * FROM review_items WHERE ${where.join(' AND ')} ORDER BY sampled_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  const now = (options.clock ?? systemClock).now();
  return rows.map((row) => toItem(row, caller, now));
}

/** One item with its question, answer and the cited passages the caller may read now. */
export async function getReview(
  db: Queryable,
  caller: Caller,
  id: string,
  options: { clock?: Clock } = {},
): Promise<ReviewDetail> {
  authorize(caller, 'reviews:read');
  const row = await visibleRow(db, caller, id);
  return detailOf(db, caller, row, (options.clock ?? systemClock).now());
}

async function detailOf(db: Queryable, viewer: Caller, row: ItemRow, now: Date): Promise<ReviewDetail> {
  const item = toItem(row, viewer, now);
  const reviewable = await reviewableUseCases(db, viewer);
  // The trace as this viewer may see it (observe's rules): its answer is withheld when it used a document
  // the viewer may not read now, and citations from such documents come back restricted, with opaque ids.
  const trace = await getTrace(db, viewer, row.trace_id, reviewable === 'all' ? {} : { reviewableUseCases: reviewable });
  if (!trace) {
    return {
      ...item,
      question: null,
      answer: null,
      answerWithheld: 'missing',
      passages: [],
      withheldPassages: 0,
      correctedAnswer: null,
      reason: null,
    };
  }
  const cited = new Map<string, { n: number | null; chunkId: string; documentId: string; title: string; restricted: boolean }>();
  for (const span of trace.spans) {
    for (const c of span.citations ?? []) {
      if (!cited.has(c.chunkId)) {
        cited.set(c.chunkId, {
          n: c.n ?? null,
          chunkId: c.chunkId,
          documentId: c.documentId,
          title: c.title,
          restricted: c.restricted,
        });
      }
    }
  }
  const shown = [...cited.values()].filter((c) => !c.restricted);
  // Checked again here, in the same read as the passage text: a chunk of any other document is never returned.
  const readable = await readableDocumentIds(
    db,
    viewer,
    shown.map((c) => c.documentId),
  );
  const texts = await chunkSnippets(
    db,
    shown.map((c) => c.chunkId),
    [...readable],
    8000,
  );
  const passages: ReviewPassage[] = shown
    .filter((c) => readable.has(c.documentId) && texts.has(c.chunkId))
    .map((c) => ({ n: c.n, chunkId: c.chunkId, documentId: c.documentId, title: c.title, text: texts.get(c.chunkId) as string }))
    .sort((a, b) => (a.n ?? 0) - (b.n ?? 0));
  const withheld = cited.size - passages.length;
  const answerWithheld = trace.answerWithheld;
  const hideGrade = answerWithheld === 'restricted';
  return {
    ...item,
    question: trace.question,
    answer: trace.answer,
    ...(answerWithheld ? { answerWithheld } : {}),
    passages,
    withheldPassages: withheld,
    correctedAnswer: hideGrade ? null : row.corrected_answer,
    reason: hideGrade ? null : row.reason,
  };
}

const strataOrder = `CASE stratum ${reviewStrata.map((s, i) => `WHEN '${s}' THEN ${i}`).join(' ')} END`;

/**
 * Claims the next item for the caller, with a lease of `leaseMinutes`: their own unexpired claim first, then
 * negative feedback, low confidence, refused, the rest, oldest first. Two reviewers never get the same item
 * (`FOR UPDATE SKIP LOCKED`; an unexpired lease of another is skipped). Never an answer the caller asked.
 * Audited `review.claim`. Returns undefined when the queue is empty for them.
 */
export async function nextReview(
  db: Database,
  caller: Caller,
  options: ReviewOptions & { useCase?: string } = {},
): Promise<ReviewDetail | undefined> {
  authorize(caller, 'reviews:write');
  const reviewable = options.useCase
    ? await requireReviewable(db, caller, options.useCase)
    : await reviewableUseCases(db, caller);
  const clock = options.clock ?? systemClock;
  const now = clock.now();
  const until = new Date(now.getTime() + (options.leaseMinutes ?? 15) * 60_000);
  const row = await db.transaction(async (tx) => {
    const params: unknown[] = [caller.id, now, until];
    const where = [reviewableFilter(reviewable, params), "status = 'pending'", 'asker_id <> $1'];
    where.push('(claimed_by IS NULL OR lease_until <= $2 OR claimed_by = $1)');
    if (options.useCase) {
      params.push(options.useCase);
      where.push(`use_case = $${params.length}`);
    }
    const { rows } = await tx.query<ItemRow>(
      `WITH picked AS (
         SELECT id FROM review_items WHERE ${where.join(' AND ')}
         ORDER BY (claimed_by IS NOT DISTINCT FROM $1 AND lease_until > $2) DESC, ${strataOrder}, sampled_at, id
         LIMIT 1 FOR UPDATE SKIP LOCKED)
       UPDATE review_items r SET claimed_by = $1, lease_until = $3 FROM picked WHERE r.id = picked.id RETURNING r.*`,
      params,
    );
    const claimed = rows[0];
    if (!claimed) return undefined;
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'review.claim',
        target: `review:${claimed.id}`,
        after: { leaseUntil: until.toISOString(), useCase: claimed.use_case },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      clock,
    );
    return claimed;
  });
  return row ? detailOf(db, caller, row, now) : undefined;
}

/** What the adoption override rate counts: the reviewer did not accept the answer as it was. */
export function isOverride(verdict: ReviewVerdict, correctedAnswer: string | undefined): boolean {
  return verdict !== 'correct' || (correctedAnswer !== undefined && correctedAnswer.trim() !== '');
}

function validateGrade(input: GradeInput): {
  verdict: ReviewVerdict;
  grounded: boolean | null;
  corrected?: string;
  reason?: string;
} {
  const grounded =
    input.grounded === undefined
      ? null
      : input.grounded === true || input.grounded === 'yes'
        ? true
        : input.grounded === false || input.grounded === 'no'
          ? false
          : undefined;
  if (grounded === undefined) {
    throw new GroundworkError('review.invalid_verdict', `Unknown grounded value "${String(input.grounded)}"; valid: yes, no.`, {
      category: 'usage',
      fix: 'Grade with --verdict correct|partially|wrong and optionally --grounded yes|no.',
    });
  }
  if (!(reviewVerdicts as readonly string[]).includes(input.verdict)) {
    throw new GroundworkError(
      'review.invalid_verdict',
      `Unknown verdict "${input.verdict}"; valid verdicts: ${reviewVerdicts.join(', ')}.`,
      { category: 'usage', fix: 'Grade with --verdict correct|partially|wrong and optionally --grounded yes|no.' },
    );
  }
  const corrected = input.correctedAnswer?.trim() ? input.correctedAnswer.trim() : undefined;
  const reason = input.reason?.trim() ? input.reason.trim() : undefined;
  if ((corrected?.length ?? 0) > maxCorrectedAnswerLength || (reason?.length ?? 0) > maxReasonLength) {
    throw new GroundworkError(
      'review.text_too_long',
      `The corrected answer (at most ${maxCorrectedAnswerLength} characters) or the reason (at most ${maxReasonLength}) is too long.`,
      { category: 'usage', fix: 'Shorten the corrected answer or the reason.' },
    );
  }
  return {
    verdict: input.verdict as ReviewVerdict,
    grounded,
    ...(corrected ? { corrected } : {}),
    ...(reason ? { reason } : {}),
  };
}

/**
 * Grades an item — the one write path of a review: authorizes (`reviews:write`, the use case reviewable),
 * validates, refuses the caller's own answer (four eyes), an item graded already or leased by another
 * reviewer, writes the grade and its audit record `review.grade` (no free text: flags only) and, with
 * `toEval`, the evaluation candidate, in one transaction; then publishes `answer-reviewed` (adoption's override
 * rate) and `review-graded`.
 */
export async function gradeReview(
  db: Database,
  caller: Caller,
  id: string,
  input: GradeInput,
  options: ReviewOptions = {},
): Promise<ReviewDetail & { candidate?: Candidate }> {
  authorize(caller, 'reviews:write');
  const grade = validateGrade(input);
  const clock = options.clock ?? systemClock;
  const now = clock.now();
  const overridden = isOverride(grade.verdict, grade.corrected);
  const { row, candidate } = await db.transaction(async (tx) => {
    const before = await visibleRow(tx, caller, id, true);
    if (before.asker_id === caller.id) {
      throw new GroundworkError('review.own_answer', `Review "${id}" is of an answer you asked yourself.`, {
        category: 'forbidden',
        fix: 'Leave this item to another reviewer; `groundwork review next` never hands you your own answers.',
      });
    }
    if (before.status === 'graded') {
      throw new GroundworkError('review.already_graded', `Review "${id}" was already graded by ${before.graded_by}.`, {
        category: 'conflict',
        fix: 'Each sampled answer is graded once; take the next item with `groundwork review next`.',
      });
    }
    if (
      before.claimed_by &&
      before.claimed_by !== caller.id &&
      before.lease_until &&
      before.lease_until.getTime() > now.getTime()
    ) {
      throw new GroundworkError(
        'review.claimed',
        `Review "${id}" is claimed by another reviewer until ${before.lease_until.toISOString()}.`,
        {
          category: 'conflict',
          fix: 'Take another item with `groundwork review next`, or wait until the lease (review.leaseMinutes) ends.',
        },
      );
    }
    let proposed: Candidate | undefined;
    if (input.toEval) {
      proposed = await proposeReviewCandidate(
        tx,
        caller,
        {
          reviewId: id,
          traceId: before.trace_id,
          category: `review:${grade.verdict}`,
          ...(grade.corrected ? { expectedAnswer: grade.corrected } : {}),
          ...(grade.reason ? { comment: grade.reason } : {}),
        },
        { clock },
      );
    }
    const { rows } = await tx.query<ItemRow>(
      `UPDATE review_items SET status = 'graded', verdict = $2, grounded = $3, corrected_answer = $4, reason = $5,
         overridden = $6, graded_by = $7, graded_at = $8, claimed_by = NULL, lease_until = NULL,
         candidate_id = coalesce($9, candidate_id)
       WHERE id = $1 RETURNING *`,
      [
        id,
        grade.verdict,
        grade.grounded,
        grade.corrected ?? null,
        grade.reason ?? null,
        overridden,
        caller.id,
        now,
        proposed?.id ?? null,
      ],
    );
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'review.grade',
        target: `review:${id}`,
        after: {
          trace: before.trace_id,
          useCase: before.use_case,
          verdict: grade.verdict,
          grounded: grade.grounded,
          overridden,
          correctedAnswer: grade.corrected !== undefined,
          reason: grade.reason !== undefined,
          ...(proposed ? { candidate: proposed.id } : {}),
        },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      clock,
    );
    return { row: rows[0] as ItemRow, candidate: proposed };
  });
  options.events?.publish('answer-reviewed', { traceId: row.trace_id, overridden });
  options.events?.publish('review-graded', {
    reviewId: row.id,
    traceId: row.trace_id,
    useCase: row.use_case,
    verdict: grade.verdict,
    grounded: row.grounded,
    overridden,
  });
  const detail = await detailOf(db, caller, row, now);
  return candidate ? { ...detail, candidate } : detail;
}

/**
 * Turns a graded review into a pending evaluation candidate (one click): its question, the asker's principals
 * and the reviewer's corrected answer as the expected answer; idempotent (the same candidate again). Authorizes
 * `reviews:write` on the item's use case; the candidate and its audit record `eval.candidate.propose` are
 * written in one transaction. Accepting it into a dataset stays `eval:run` (`groundwork eval candidates accept`).
 */
export async function reviewToCandidate(
  db: Database,
  caller: Caller,
  id: string,
  options: ReviewOptions = {},
): Promise<Candidate> {
  authorize(caller, 'reviews:write');
  const clock = options.clock ?? systemClock;
  return db.transaction(async (tx) => {
    const row = await visibleRow(tx, caller, id, true);
    if (row.status !== 'graded' || !row.verdict) {
      throw new GroundworkError('review.not_graded', `Review "${id}" is not graded yet.`, {
        category: 'conflict',
        fix: 'Grade it first (`groundwork review grade ID --verdict …`), or grade with --to-eval.',
      });
    }
    const candidate = await proposeReviewCandidate(
      tx,
      caller,
      {
        reviewId: id,
        traceId: row.trace_id,
        category: `review:${row.verdict}`,
        ...(row.corrected_answer ? { expectedAnswer: row.corrected_answer } : {}),
        ...(row.reason ? { comment: row.reason } : {}),
      },
      { clock },
    );
    if (row.candidate_id !== candidate.id) {
      await tx.query('UPDATE review_items SET candidate_id = $2 WHERE id = $1', [id, candidate.id]);
    }
    return candidate;
  });
}

export interface ReviewStats {
  readonly useCase: string;
  readonly since: Date;
  /** Sampled in the window (by sampling time). */
  readonly sampled: number;
  /** Graded in the window (by grading time). */
  readonly graded: number;
  readonly correct: number;
  readonly partially: number;
  readonly wrong: number;
  /** Graded with grounded = no. */
  readonly ungrounded: number;
  readonly overridden: number;
}

/**
 * Review outcomes of a use case since a time, counts only — the read monitors use (review-based groundedness,
 * wrong-answer rate). No caller: the monitor's own authorization decides who sees its value.
 */
export async function reviewStats(db: Queryable, useCase: string, since: Date): Promise<ReviewStats> {
  const { rows } = await db.query<Record<string, string | number>>(
    `SELECT
       (SELECT count(*) FROM review_items WHERE use_case = $1 AND sampled_at >= $2) AS sampled,
       count(*) AS graded,
       count(*) FILTER (WHERE verdict = 'correct') AS correct,
       count(*) FILTER (WHERE verdict = 'partially') AS partially,
       count(*) FILTER (WHERE verdict = 'wrong') AS wrong,
       count(*) FILTER (WHERE grounded = false) AS ungrounded,
       count(*) FILTER (WHERE overridden) AS overridden
     FROM review_items WHERE use_case = $1 AND status = 'graded' AND graded_at >= $2`,
    [useCase, since],
  );
  const r = rows[0] ?? {};
  const n = (key: string) => Number(r[key] ?? 0);
  return {
    useCase,
    since,
    sampled: n('sampled'),
    graded: n('graded'),
    correct: n('correct'),
    partially: n('partially'),
    wrong: n('wrong'),
    ungrounded: n('ungrounded'),
    overridden: n('overridden'),
  };
}

export interface ReviewOutcomes {
  /** Graded in `[from, to)` (by grading time). */
  readonly graded: number;
  readonly correct: number;
  readonly partially: number;
  readonly wrong: number;
  /** Graded with grounded = no. */
  readonly ungrounded: number;
  readonly overridden: number;
  /** Trace ids of up to 5 graded items matching `examples` (newest first), for alerts' example traces. */
  readonly exampleTraceIds: readonly string[];
}

/**
 * Review outcomes graded in `[from, to)` of one use case (null: every use case), counts only — what the
 * review-based monitors read (`review-wrong-rate`, `review-override-rate`, `review-ungrounded-rate`). No caller:
 * the monitor's own authorization decides who sees its value, and example trace ids go through observe's rules.
 */
export async function reviewOutcomes(
  db: Queryable,
  window: { readonly useCase: string | null; readonly from: Date; readonly to: Date },
  examples?: 'wrong' | 'ungrounded' | 'overridden',
): Promise<ReviewOutcomes> {
  const params: unknown[] = [window.from, window.to];
  let where = "status = 'graded' AND graded_at >= $1 AND graded_at < $2";
  if (window.useCase !== null) {
    params.push(window.useCase);
    where += ` AND use_case = $${params.length}`;
  }
  const { rows } = await db.query<Record<string, string | number>>(
    `SELECT count(*) AS graded,
       count(*) FILTER (WHERE verdict = 'correct') AS correct,
       count(*) FILTER (WHERE verdict = 'partially') AS partially,
       count(*) FILTER (WHERE verdict = 'wrong') AS wrong,
       count(*) FILTER (WHERE grounded = false) AS ungrounded,
       count(*) FILTER (WHERE overridden) AS overridden
     FROM review_items WHERE ${where}`,
    params,
  );
  const r = rows[0] ?? {};
  const n = (key: string) => Number(r[key] ?? 0);
  let exampleTraceIds: string[] = [];
  if (examples) {
    const match = examples === 'wrong' ? "verdict = 'wrong'" : examples === 'ungrounded' ? 'grounded = false' : 'overridden';
    const found = await db.query<{ trace_id: string }>(
      `SELECT trace_id FROM review_items WHERE ${where} AND ${match} ORDER BY graded_at DESC, id DESC LIMIT 5`,
      params,
    );
    exampleTraceIds = found.rows.map((row) => row.trace_id);
  }
  return {
    graded: n('graded'),
    correct: n('correct'),
    partially: n('partially'),
    wrong: n('wrong'),
    ungrounded: n('ungrounded'),
    overridden: n('overridden'),
    exampleTraceIds,
  };
}

/** The review queue of one use case at a glance (the pipeline dashboard): counts and ages, never text. */
export interface ReviewQueueSummary {
  readonly useCase: string;
  /** Pending items: unclaimed (or with an expired lease) + claimed under a live lease. */
  readonly pending: number;
  readonly unclaimed: number;
  readonly claimed: number;
  readonly graded24h: number;
  readonly graded7d: number;
  /** Wrong verdicts among the items graded in the last 7 days (null: none graded). */
  readonly wrongShare7d: number | null;
  readonly oldestPendingAt: Date | null;
  readonly oldestPendingAgeSeconds: number | null;
}

/**
 * The review queue per use case the caller reviews (the rule of GET /v1/reviews: `reviews:read`, the use cases
 * they may use, admins every one): every reviewable use case with pending items or grades in the last 7 days,
 * plus those of `include` the caller may review (zeros when empty). Use cases they may not review are absent.
 */
export async function reviewQueueSummaries(
  db: Queryable,
  caller: Caller,
  options: { include?: readonly string[]; clock?: Clock } = {},
): Promise<ReviewQueueSummary[]> {
  authorize(caller, 'reviews:read');
  const now = (options.clock ?? systemClock).now();
  const reviewable = await reviewableUseCases(db, caller);
  const params: unknown[] = [now, new Date(now.getTime() - 86_400_000), new Date(now.getTime() - 7 * 86_400_000)];
  const where = reviewableFilter(reviewable, params);
  const { rows } = await db.query<Record<string, string | number | Date | null>>(
    `SELECT use_case,
       count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'pending' AND claimed_by IS NOT NULL AND lease_until > $1) AS claimed,
       count(*) FILTER (WHERE status = 'graded' AND graded_at >= $2 AND graded_at <= $1) AS graded24h,
       count(*) FILTER (WHERE status = 'graded' AND graded_at >= $3 AND graded_at <= $1) AS graded7d,
       count(*) FILTER (WHERE status = 'graded' AND graded_at >= $3 AND graded_at <= $1 AND verdict = 'wrong') AS wrong7d,
       min(sampled_at) FILTER (WHERE status = 'pending') AS oldest
     FROM review_items WHERE ${where} AND (status = 'pending' OR graded_at >= $3) GROUP BY use_case`,
    params,
  );
  const byUseCase = new Map<string, ReviewQueueSummary>();
  for (const row of rows) {
    const n = (key: string) => Number(row[key] ?? 0);
    const oldest = row.oldest === null || row.oldest === undefined ? null : new Date(row.oldest as Date | string);
    const graded7d = n('graded7d');
    byUseCase.set(String(row.use_case), {
      useCase: String(row.use_case),
      pending: n('pending'),
      unclaimed: n('pending') - n('claimed'),
      claimed: n('claimed'),
      graded24h: n('graded24h'),
      graded7d,
      wrongShare7d: graded7d > 0 ? n('wrong7d') / graded7d : null,
      oldestPendingAt: oldest,
      oldestPendingAgeSeconds: oldest ? Math.max(0, (now.getTime() - oldest.getTime()) / 1000) : null,
    });
  }
  for (const useCase of options.include ?? []) {
    if (byUseCase.has(useCase) || (reviewable !== 'all' && !reviewable.includes(useCase))) continue;
    byUseCase.set(useCase, {
      useCase,
      pending: 0,
      unclaimed: 0,
      claimed: 0,
      graded24h: 0,
      graded7d: 0,
      wrongShare7d: null,
      oldestPendingAt: null,
      oldestPendingAgeSeconds: null,
    });
  }
  return [...byUseCase.values()].sort((a, b) => a.useCase.localeCompare(b.useCase));
}
