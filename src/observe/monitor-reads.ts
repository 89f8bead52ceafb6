import type { Queryable } from '../store/index.ts';

/**
 * Aggregate reads over answer traces for the monitor feature (src/monitor): counts and distributions over a
 * time window, and trace ids as examples. No text leaves here except through `answerContentSample`, which
 * returns stored answer text (per `observe.textRetention`) to be scanned for PII, never shown.
 */
export interface AnswerWindow {
  /** Use case name; null = every use case. */
  readonly useCase: string | null;
  readonly from: Date;
  readonly to: Date;
}

export interface AnswerWindowStats {
  readonly answers: number;
  readonly refused: number;
  /** Answers whose confidence is below `lowConfidenceBelow`. */
  readonly lowConfidence: number;
  /** Answers whose retrieval returned no passage. */
  readonly noResult: number;
  readonly costSumUsd: number;
  readonly costPerAnswerUsd: number | null;
  readonly tokensPerAnswer: number | null;
  readonly latencyP95Ms: number | null;
}

const windowWhere = `operation = 'answer' AND ($1::text IS NULL OR use_case = $1) AND started_at >= $2 AND started_at < $3`;
const retrievedCount = `CASE WHEN jsonb_typeof(attributes->'groundwork.retrieved') = 'array'
  THEN jsonb_array_length(attributes->'groundwork.retrieved') ELSE 0 END`;

/** Counts, cost, tokens and latency p95 of the answers in a window (one aggregate query). */
export async function answerWindowStats(
  db: Queryable,
  window: AnswerWindow,
  options: { lowConfidenceBelow?: number } = {},
): Promise<AnswerWindowStats> {
  const { rows } = await db.query<{
    answers: number;
    refused: number;
    low_confidence: number;
    no_result: number;
    cost_sum: number | null;
    cost_avg: number | null;
    tokens_avg: number | null;
    latency_p95: number | null;
  }>(
    `SELECT count(*)::int AS answers,
       count(*) FILTER (WHERE outcome = 'refused')::int AS refused,
       count(*) FILTER (WHERE confidence IS NOT NULL AND confidence < $4)::int AS low_confidence,
       count(*) FILTER (WHERE ${retrievedCount} = 0)::int AS no_result,
       sum(cost_usd)::float8 AS cost_sum, avg(cost_usd)::float8 AS cost_avg,
       avg(input_tokens + output_tokens)::float8 AS tokens_avg,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)::float8 AS latency_p95
     FROM traces WHERE ${windowWhere}`,
    [window.useCase, window.from, window.to, options.lowConfidenceBelow ?? 0.5],
  );
  const row = rows[0];
  return {
    answers: row?.answers ?? 0,
    refused: row?.refused ?? 0,
    lowConfidence: row?.low_confidence ?? 0,
    noResult: row?.no_result ?? 0,
    costSumUsd: Number(row?.cost_sum ?? 0),
    costPerAnswerUsd: row?.cost_avg === null || row?.cost_avg === undefined ? null : Number(row.cost_avg),
    tokensPerAnswer: row?.tokens_avg === null || row?.tokens_avg === undefined ? null : Number(row.tokens_avg),
    latencyP95Ms: row?.latency_p95 === null || row?.latency_p95 === undefined ? null : Number(row.latency_p95),
  };
}

/** Which answers an example list picks. */
export type AnswerExampleFilter = 'any' | 'refused' | 'low-confidence' | 'no-result' | 'slowest' | 'costliest';

/** Up to `limit` answer trace ids of a window matching `filter` (newest first; slowest/costliest first). */
export async function answerExampleTraces(
  db: Queryable,
  window: AnswerWindow,
  filter: AnswerExampleFilter,
  options: { limit?: number; lowConfidenceBelow?: number } = {},
): Promise<string[]> {
  const extra =
    filter === 'refused'
      ? `AND outcome = 'refused'`
      : filter === 'low-confidence'
        ? 'AND confidence IS NOT NULL AND confidence < $5'
        : filter === 'no-result'
          ? `AND ${retrievedCount} = 0`
          : '';
  const order = filter === 'slowest' ? 'duration_ms DESC' : filter === 'costliest' ? 'cost_usd DESC' : 'started_at DESC';
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM traces WHERE ${windowWhere} ${extra} AND $5::float8 IS NOT NULL ORDER BY ${order}, id LIMIT $4`,
    [window.useCase, window.from, window.to, options.limit ?? 5, options.lowConfidenceBelow ?? 0.5],
  );
  return rows.map((r) => r.id);
}

/** Top-1 retrieval scores of the answers in a window (at most `limit`, newest first), for distribution shift. */
export async function answerTopScores(db: Queryable, window: AnswerWindow, limit = 20_000): Promise<number[]> {
  const { rows } = await db.query<{ score: number }>(
    `SELECT (attributes->'groundwork.retrieved'->0->>'score')::float8 AS score FROM traces
     WHERE ${windowWhere} AND ${retrievedCount} > 0 ORDER BY started_at DESC LIMIT $4`,
    [window.useCase, window.from, window.to, limit],
  );
  return rows.map((r) => Number(r.score)).filter((s) => Number.isFinite(s));
}

/**
 * Groundedness recorded on a sample of the window's answers (the answer path's offline check, span
 * `groundedness`; the judge model's verdict where a judge is configured, which wins).
 */
export async function answerGroundednessSample(
  db: Queryable,
  window: AnswerWindow,
  limit = 500,
): Promise<Array<{ traceId: string; groundedness: number; judged: boolean }>> {
  const { rows } = await db.query<{ trace_id: string; offline: number | null; judged: number | null }>(
    `SELECT t.id AS trace_id,
       max((s.attributes->>'groundwork.groundedness')::float8) FILTER (WHERE s.name = 'groundedness') AS offline,
       max((s.attributes->>'groundwork.groundedness')::float8) FILTER (WHERE s.name <> 'groundedness') AS judged
     FROM (SELECT id FROM traces WHERE ${windowWhere} AND outcome = 'answered' ORDER BY started_at DESC LIMIT $4) t
     JOIN spans s ON s.trace_id = t.id AND s.attributes ? 'groundwork.groundedness'
     GROUP BY t.id`,
    [window.useCase, window.from, window.to, limit],
  );
  return rows
    .map((r) => ({
      traceId: r.trace_id,
      groundedness: Number(r.judged ?? r.offline),
      judged: r.judged !== null,
    }))
    .filter((r) => Number.isFinite(r.groundedness));
}

/**
 * A sample of the window's answers with their stored answer text (null when `textRetention: drop`), how it
 * was stored, and the documents they cite. For PII and stale-citation checks only: never shown to anyone.
 */
export async function answerContentSample(
  db: Queryable,
  window: AnswerWindow,
  limit = 500,
): Promise<
  Array<{ traceId: string; startedAt: Date; answer: string | null; textRetention: string; citedDocumentIds: string[] }>
> {
  const { rows } = await db.query<{
    id: string;
    started_at: Date;
    answer: string | null;
    text_retention: string;
    citations: unknown;
  }>(
    `SELECT id, started_at, answer, text_retention, attributes->'groundwork.citations' AS citations FROM traces
     WHERE ${windowWhere} AND outcome = 'answered' ORDER BY started_at DESC LIMIT $4`,
    [window.useCase, window.from, window.to, limit],
  );
  return rows.map((r) => ({
    traceId: r.id,
    startedAt: new Date(r.started_at),
    answer: r.answer,
    textRetention: r.text_retention,
    citedDocumentIds: Array.isArray(r.citations)
      ? [...new Set((r.citations as Array<{ documentId?: unknown }>).map((c) => String(c.documentId ?? '')).filter(Boolean))]
      : [],
  }));
}

/** The use case of each trace (for feedback on answers). */
export async function traceUseCases(db: Queryable, traceIds: readonly string[]): Promise<Map<string, string | null>> {
  if (traceIds.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; use_case: string | null }>(
    'SELECT id, use_case FROM traces WHERE id = ANY($1::text[])',
    [[...new Set(traceIds)]],
  );
  return new Map(rows.map((r) => [r.id, r.use_case]));
}

/**
 * Answers in a window that went to a model provider (`groundwork.egress.provider` on the root span), and of those
 * how many had PII redacted from what was sent, or passages withheld by the egress policy (restricted text).
 */
export async function answerEgressStats(
  db: Queryable,
  window: AnswerWindow,
): Promise<{ sent: number; redacted: number; blocked: number; flagged: number }> {
  const { rows } = await db.query<{ sent: number; redacted: number; blocked: number; flagged: number }>(
    `SELECT count(*)::int AS sent,
       count(*) FILTER (WHERE redacted)::int AS redacted, count(*) FILTER (WHERE blocked)::int AS blocked,
       count(*) FILTER (WHERE redacted OR blocked)::int AS flagged
     FROM (SELECT coalesce(attributes->'groundwork.egress.redacted', '{}'::jsonb) <> '{}'::jsonb AS redacted,
             coalesce((attributes->>'groundwork.egress.blocked')::int, 0) > 0 AS blocked
           FROM traces WHERE ${windowWhere} AND attributes ? 'groundwork.egress.provider') e`,
    [window.useCase, window.from, window.to],
  );
  const row = rows[0];
  return { sent: row?.sent ?? 0, redacted: row?.redacted ?? 0, blocked: row?.blocked ?? 0, flagged: row?.flagged ?? 0 };
}

/** Up to `limit` trace ids of a window's answers whose provider request had PII redacted or passages blocked. */
export async function answerEgressExamples(db: Queryable, window: AnswerWindow, limit = 5): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM traces WHERE ${windowWhere} AND attributes ? 'groundwork.egress.provider'
       AND (coalesce(attributes->'groundwork.egress.redacted', '{}'::jsonb) <> '{}'::jsonb
            OR coalesce((attributes->>'groundwork.egress.blocked')::int, 0) > 0)
     ORDER BY started_at DESC, id LIMIT $4`,
    [window.useCase, window.from, window.to, limit],
  );
  return rows.map((r) => r.id);
}

/**
 * Questions that found nothing (no retrieved chunk) or were refused, newest first, with how often each was
 * asked (domain vocabulary suggestions: the words users use that the corpus does not). Question text as kept
 * by `observe.textRetention` (none under `drop`). No access check: the caller (vocabulary) authorizes.
 */
export async function unansweredQuestions(
  db: Queryable,
  options: { readonly useCase?: string; readonly since?: Date; readonly limit?: number } = {},
): Promise<Array<{ question: string; count: number; refused: number; noResult: number }>> {
  const { rows } = await db.query<{ question: string; count: number; refused: number; no_result: number }>(
    `SELECT question, count(*)::int AS count, count(*) FILTER (WHERE outcome = 'refused')::int AS refused,
       count(*) FILTER (WHERE ${retrievedCount} = 0)::int AS no_result
     FROM traces
     WHERE question IS NOT NULL AND operation IN ('answer', 'search') AND (outcome = 'refused' OR ${retrievedCount} = 0)
       AND ($1::text IS NULL OR use_case = $1) AND started_at >= $2
     GROUP BY question ORDER BY count(*) DESC, question LIMIT $3`,
    [options.useCase ?? null, options.since ?? new Date(0), options.limit ?? 500],
  );
  return rows.map((r) => ({ question: r.question, count: r.count, refused: r.refused, noResult: r.no_result }));
}
