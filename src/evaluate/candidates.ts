import { type Caller, type Clock, GroundworkError, type IdGenerator, newId, systemClock } from '../core/index.ts';
import { authorize, negativeFeedback, recordAudit } from '../govern/index.ts';
import { traceQuestions, tracesWithUnreadableDocuments } from '../observe/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import { importDataset, loadDataset } from './datasets.ts';
import type { CaseInput, DatasetSummary } from './types.ts';

/**
 * Production candidates: answers that got negative feedback become candidate cases; a human accepts one
 * (with a reference answer and relevant documents, or as "should have refused") into a dataset — which
 * creates the dataset's next version — or rejects it. Candidates carry the principals of the original
 * caller when the trace recorded them; a viewer sees a candidate only when it holds all of them (or sees
 * everything), like run results.
 */
export interface Candidate {
  readonly id: string;
  /** The negative feedback it came from; null for a candidate proposed from a human review. */
  readonly feedbackId: string | null;
  /** The human review it came from (src/review), else null. */
  readonly reviewId: string | null;
  readonly traceId: string;
  readonly question: string | null;
  readonly answer: string | null;
  readonly category: string | null;
  readonly comment: string | null;
  /** The reviewer's corrected answer: the reference answer when accepted without another one. */
  readonly expectedAnswer: string | null;
  readonly principals: readonly string[];
  readonly status: 'pending' | 'accepted' | 'rejected';
  readonly datasetId: string | null;
  readonly createdAt: Date;
  /**
   * Set when the answer retrieved or cited documents the viewer may not read *now*: `answer` is then null
   * (the question, the asker's own words, stays).
   */
  readonly answerWithheld?: 'no longer readable';
}

/**
 * Turns new negative feedback (rating −1) on traces with a question into pending candidates. Idempotent:
 * one candidate per feedback. Returns how many were added.
 */
export async function collectCandidates(db: Queryable, ids: IdGenerator = newId): Promise<number> {
  // Negative feedback (govern's) on traces that kept their question (observe's), not yet a candidate (ours).
  const feedback = await negativeFeedback(db);
  if (feedback.length === 0) return 0;
  const taken = await db.query<{ feedback_id: string }>(
    'SELECT feedback_id FROM eval_candidates WHERE feedback_id = ANY($1::text[])',
    [feedback.map((f) => f.id)],
  );
  const known = new Set(taken.rows.map((row) => row.feedback_id));
  const fresh = feedback.filter((f) => !known.has(f.id));
  const questions = await traceQuestions(
    db,
    fresh.map((f) => f.traceId),
  );
  const rows = fresh
    .filter((f) => questions.has(f.traceId))
    .map((f) => {
      const recorded = questions.get(f.traceId);
      return {
        id: ids('ecd'),
        feedback_id: f.id,
        trace_id: f.traceId,
        question: recorded?.question ?? null,
        answer: recorded?.answer ?? null,
        category: f.category,
        comment: f.comment,
        principals: recorded?.callerPrincipals ?? [],
      };
    });
  if (rows.length === 0) return 0;
  const inserted = await db.query(
    `INSERT INTO eval_candidates (id, feedback_id, trace_id, question, answer, category, comment, principals)
     SELECT r.id, r.feedback_id, r.trace_id, r.question, r.answer, r.category, r.comment,
            ARRAY(SELECT jsonb_array_elements_text(r.principals))
       FROM jsonb_to_recordset($1::jsonb) AS r(id text, feedback_id text, trace_id text, question text, answer text,
            category text, comment text, principals jsonb)
     ON CONFLICT (feedback_id) DO NOTHING`,
    [JSON.stringify(rows)],
  );
  return inserted.rowCount;
}

type CandidateRow = {
  id: string;
  feedback_id: string | null;
  review_id: string | null;
  expected_answer: string | null;
  trace_id: string;
  question: string | null;
  answer: string | null;
  category: string | null;
  comment: string | null;
  principals: string[];
  status: Candidate['status'];
  dataset_id: string | null;
  created_at: Date;
};

function toCandidate(row: CandidateRow): Candidate {
  return {
    id: row.id,
    feedbackId: row.feedback_id,
    reviewId: row.review_id,
    traceId: row.trace_id,
    question: row.question,
    answer: row.answer,
    category: row.category,
    comment: row.comment,
    expectedAnswer: row.expected_answer,
    principals: row.principals,
    status: row.status,
    datasetId: row.dataset_id,
    createdAt: row.created_at,
  };
}

const visibleToViewer = '($1::boolean OR (cardinality(principals) > 0 AND principals <@ $2::text[]))';

/** Candidates visible to `viewer` (filtered in SQL), newest first; answers quoting unreadable documents withheld. */
export async function listCandidates(
  db: Queryable,
  viewer: Caller,
  options: { status?: Candidate['status']; limit?: number } = {},
): Promise<Candidate[]> {
  const { rows } = await db.query<CandidateRow>(
    `SELECT * FROM eval_candidates WHERE ${visibleToViewer} AND ($3::text IS NULL OR status = $3)
      ORDER BY created_at DESC, id DESC LIMIT $4`,
    [viewer.seesEverything, [...viewer.principals], options.status ?? 'pending', Math.min(options.limit ?? 100, 1000)],
  );
  const unreadable = await tracesWithUnreadableDocuments(
    db,
    viewer,
    rows.map((row) => row.trace_id),
  );
  return rows.map((row) => {
    const candidate = toCandidate(row);
    return unreadable.has(row.trace_id) && (candidate.answer !== null || candidate.expectedAnswer !== null)
      ? { ...candidate, answer: null, expectedAnswer: null, answerWithheld: 'no longer readable' }
      : candidate;
  });
}

async function pendingCandidate(db: Queryable, viewer: Caller, id: string, forUpdate = false): Promise<CandidateRow> {
  const lock = forUpdate ? ' FOR UPDATE' : '';
  const { rows } = await db.query<CandidateRow>(`SELECT * FROM eval_candidates WHERE ${visibleToViewer} AND id = $3${lock}`, [
    viewer.seesEverything,
    [...viewer.principals],
    id,
  ]);
  const row = rows[0];
  if (!row) {
    throw new GroundworkError('evaluate.candidate_not_found', `No candidate "${id}".`, {
      category: 'not_found',
      fix: 'List candidates with `groundwork eval candidates list`.',
    });
  }
  if (row.status !== 'pending') {
    throw new GroundworkError('evaluate.candidate_decided', `Candidate "${id}" was already ${row.status}.`, {
      category: 'conflict',
      fix: 'Only pending candidates can be accepted or rejected.',
    });
  }
  return row;
}

export interface AcceptCandidateOptions {
  /** Dataset to add the case to (a new version of it is created; a new dataset when absent). */
  readonly dataset: string;
  readonly referenceAnswer?: string;
  /** Document ids or source paths, resolved like imports. */
  readonly relevantDocuments?: readonly string[];
  readonly expectRefusal?: boolean;
  readonly tags?: readonly string[];
  /**
   * Principals to ask the case as; default: the original caller's, when the trace recorded them
   * (`groundwork.caller.principals`), else none (asked as the operator).
   */
  readonly principals?: readonly string[];
  readonly caller: Caller;
  readonly ids?: IdGenerator;
  readonly clock?: Clock;
}

/** A transaction seen as a database whose `transaction` joins it (for write functions composed in one). */
function withinTransaction(tx: Queryable): Queryable & { transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> } {
  return { query: (text, params) => tx.query(text, params), transaction: (work) => work(tx) };
}

/**
 * Accepts a candidate into the next version of `dataset` (the latest version's cases plus this one) — one
 * write: authorizes (`eval:run`), imports the new version (audited `eval.dataset.import`), marks the candidate
 * accepted and records `eval.candidate.accept`, in one transaction.
 */
export async function acceptCandidate(db: Database, id: string, options: AcceptCandidateOptions): Promise<DatasetSummary> {
  authorize(options.caller, 'eval:run');
  return db.transaction((tx) => acceptInTransaction(withinTransaction(tx), id, options));
}

async function acceptInTransaction(
  db: ReturnType<typeof withinTransaction>,
  id: string,
  options: AcceptCandidateOptions,
): Promise<DatasetSummary> {
  const row = await pendingCandidate(db, options.caller, id, true);
  if (!row.question) {
    throw new GroundworkError('evaluate.candidate_without_question', `Candidate "${id}" has no question text.`, {
      category: 'usage',
      fix: 'Its trace dropped the text (observe.textRetention); write the case into a JSONL file instead.',
    });
  }
  let existing: CaseInput[] = [];
  try {
    const previous = await loadDataset(db, options.dataset);
    existing = previous.cases.map((c) => ({
      externalId: c.externalId,
      question: c.question,
      ...(c.referenceAnswer ? { referenceAnswer: c.referenceAnswer } : {}),
      relevantDocuments: c.relevantDocumentIds,
      relevance: c.relevance,
      relevantChunkIds: c.relevantChunkIds,
      relevantPages: c.relevantPages,
      expectRefusal: c.expectRefusal,
      tags: c.tags,
      principals: c.principals,
      line: c.ordinal,
    }));
  } catch (error) {
    if ((error as { code?: string }).code !== 'evaluate.dataset_not_found') throw error;
  }
  const added: CaseInput = {
    externalId: `candidate:${row.id}`,
    question: row.question,
    ...((options.referenceAnswer ?? row.expected_answer)
      ? { referenceAnswer: (options.referenceAnswer ?? row.expected_answer) as string }
      : {}),
    relevantDocuments: options.relevantDocuments ?? [],
    expectRefusal: options.expectRefusal ?? false,
    tags: [
      ...new Set([
        'production',
        ...(row.review_id ? ['review'] : []),
        ...(row.category ? [row.category] : []),
        ...(options.tags ?? []),
      ]),
    ],
    principals: options.principals ?? row.principals,
    line: existing.length + 1,
  };
  const summary = await importDataset(db, [...existing, added], {
    name: options.dataset,
    origin: 'candidates',
    description: `candidate ${row.id} accepted`,
    caller: options.caller,
    ...(options.ids ? { ids: options.ids } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await db.query(
    `UPDATE eval_candidates SET status = 'accepted', dataset_id = $2, decided_by = $3, decided_at = now() WHERE id = $1`,
    [id, summary.id, options.caller.id],
  );
  await recordAudit(
    db,
    {
      actor: options.caller.id,
      action: 'eval.candidate.accept',
      target: `candidate:${id}`,
      after: { dataset: summary.name, version: summary.version, datasetId: summary.id },
    },
    options.clock ?? systemClock,
  );
  return summary;
}

/** Rejects a pending candidate: authorizes (`eval:run`), marks it and records `eval.candidate.reject`, in one transaction. */
export async function rejectCandidate(db: Database, id: string, caller: Caller, clock: Clock = systemClock): Promise<void> {
  authorize(caller, 'eval:run');
  await db.transaction(async (tx) => {
    await pendingCandidate(tx, caller, id, true);
    await tx.query(`UPDATE eval_candidates SET status = 'rejected', decided_by = $2, decided_at = now() WHERE id = $1`, [
      id,
      caller.id,
    ]);
    await recordAudit(tx, { actor: caller.id, action: 'eval.candidate.reject', target: `candidate:${id}` }, clock);
  });
}

export interface ReviewCandidateInput {
  readonly reviewId: string;
  readonly traceId: string;
  /** The reviewer's corrected answer (the case's expected answer), if any. */
  readonly expectedAnswer?: string;
  /** The verdict, kept as the candidate's category (`review:wrong`, `review:partially`, `review:correct`). */
  readonly category: string;
  /** The reviewer's reason. */
  readonly comment?: string;
}

/**
 * Proposes a pending candidate from a graded human review — composed inside the review feature's write (its
 * transaction, its authorization: the reviewer may review the answer's use case), audited `eval.candidate.propose`.
 * The question, answer and asker's principals come from the trace, like candidates from feedback; one
 * candidate per review (a second proposal returns the first). @throws `evaluate.candidate_without_question`
 * when the trace kept no question text.
 */
export async function proposeReviewCandidate(
  tx: Queryable,
  caller: Caller,
  input: ReviewCandidateInput,
  options: { ids?: IdGenerator; clock?: Clock } = {},
): Promise<Candidate> {
  const existing = await tx.query<CandidateRow>('SELECT * FROM eval_candidates WHERE review_id = $1', [input.reviewId]);
  if (existing.rows[0]) return toCandidate(existing.rows[0]);
  const recorded = (await traceQuestions(tx, [input.traceId])).get(input.traceId);
  if (!recorded) {
    throw new GroundworkError(
      'evaluate.candidate_without_question',
      `The answer of review "${input.reviewId}" has no question text.`,
      {
        category: 'usage',
        fix: 'Its trace dropped the text (observe.textRetention); write the case into a JSONL file instead.',
      },
    );
  }
  const clock = options.clock ?? systemClock;
  const { rows } = await tx.query<CandidateRow>(
    `INSERT INTO eval_candidates (id, review_id, trace_id, question, answer, category, comment, expected_answer, principals, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
    [
      (options.ids ?? newId)('ecd'),
      input.reviewId,
      input.traceId,
      recorded.question,
      recorded.answer,
      input.category,
      input.comment ?? null,
      input.expectedAnswer ?? null,
      recorded.callerPrincipals,
      clock.now(),
    ],
  );
  const candidate = toCandidate(rows[0] as CandidateRow);
  await recordAudit(
    tx,
    {
      actor: caller.id,
      action: 'eval.candidate.propose',
      target: `candidate:${candidate.id}`,
      after: { review: input.reviewId, trace: input.traceId, expectedAnswer: input.expectedAnswer !== undefined },
    },
    clock,
  );
  return candidate;
}

/** A case a workflow's human decision produced (a claims adjuster's override or field edits). */
export interface WorkflowCandidateInput {
  /** The workflow's review id (unique: one candidate per decision), e.g. a claim review `crv_…`. */
  readonly reviewId: string;
  /** The trace of the run that produced what the person corrected. */
  readonly traceId: string;
  /** What was asked of the workflow (e.g. "Assess claim CL-1: extraction and determination"). */
  readonly question: string;
  /** What the workflow answered (JSON text of the assessed values). */
  readonly answer: string;
  /** What the person decided instead (the expected answer of the case). */
  readonly expectedAnswer: string;
  readonly category: string;
  readonly comment?: string;
  /** Who may read the case's documents (the evaluation runs as them). */
  readonly principals: readonly string[];
}

/**
 * Proposes a pending evaluation candidate from a workflow decision (claims overrides and field edits), in the
 * caller's transaction, audited `eval.candidate.propose`; one per review id (a second proposal returns the
 * first). The workflow has authorized the decision; accepting it into a dataset stays `eval:run`.
 */
export async function proposeWorkflowCandidate(
  tx: Queryable,
  caller: Caller,
  input: WorkflowCandidateInput,
  options: { ids?: IdGenerator; clock?: Clock } = {},
): Promise<Candidate> {
  const existing = await tx.query<CandidateRow>('SELECT * FROM eval_candidates WHERE review_id = $1', [input.reviewId]);
  if (existing.rows[0]) return toCandidate(existing.rows[0]);
  const clock = options.clock ?? systemClock;
  const { rows } = await tx.query<CandidateRow>(
    `INSERT INTO eval_candidates (id, review_id, trace_id, question, answer, category, comment, expected_answer, principals, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
    [
      (options.ids ?? newId)('ecd'),
      input.reviewId,
      input.traceId,
      input.question,
      input.answer,
      input.category,
      input.comment ?? null,
      input.expectedAnswer,
      [...input.principals],
      clock.now(),
    ],
  );
  const candidate = toCandidate(rows[0] as CandidateRow);
  await recordAudit(
    tx,
    {
      actor: caller.id,
      action: 'eval.candidate.propose',
      target: `candidate:${candidate.id}`,
      after: { review: input.reviewId, trace: input.traceId, expectedAnswer: true, workflow: true },
    },
    clock,
  );
  return candidate;
}
