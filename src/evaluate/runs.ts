import { type Caller, type Clock, GroundworkError, systemClock } from '../core/index.ts';
import { authorize, recordAudit } from '../govern/index.ts';
import { readableDocumentIds } from '../protect/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import type { CaseResult, IndexState, MetricSummary, RunConfigSnapshot, RunDetail, RunSummary } from './types.ts';

/**
 * Stored runs. Aggregate metrics are visible to anyone allowed to list runs (they reveal no content);
 * per-case results (questions' answers, citations, retrieved ids) are filtered IN SQL: a viewer sees a case
 * only when it holds every principal the case was asked as, and cases asked as the operator (no
 * principals) only when it sees everything. Within a visible case, documents the viewer may not read *now*
 * are withheld (ids replaced, answer text dropped), so an ACL change reaches old runs too.
 */

type RunRow = {
  id: string;
  dataset_id: string;
  dataset_name: string;
  dataset_version: number;
  status: 'running' | 'succeeded' | 'failed';
  mode: 'retrieval' | 'answer';
  use_case: string | null;
  labels: string[];
  schedule_name: string | null;
  case_count: number;
  metrics: Record<string, MetricSummary>;
  config: RunConfigSnapshot;
  index_state: IndexState;
  trace_id: string | null;
  error: string | null;
  created_by: string;
  started_at: Date;
  finished_at: Date | null;
};

const runColumns = `r.id, r.dataset_id, d.name AS dataset_name, d.version AS dataset_version, r.status, r.mode, r.use_case,
  r.labels, r.schedule_name, r.case_count, r.metrics, r.config, r.index_state, r.trace_id, r.error, r.created_by,
  r.started_at, r.finished_at`;

function toSummary(row: RunRow): RunSummary {
  return {
    id: row.id,
    datasetId: row.dataset_id,
    datasetName: row.dataset_name,
    datasetVersion: row.dataset_version,
    status: row.status,
    mode: row.mode,
    useCase: row.use_case,
    labels: row.labels,
    scheduleName: row.schedule_name,
    caseCount: row.case_count,
    metrics: row.metrics,
    config: row.config,
    indexState: row.index_state,
    traceId: row.trace_id,
    error: row.error,
    createdBy: row.created_by,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export interface ListRunsOptions {
  /** Dataset name (any version). */
  readonly dataset?: string;
  readonly label?: string;
  readonly scheduleName?: string;
  /** Default 50, at most 1000. */
  readonly limit?: number;
}

/** Runs, newest first. */
export async function listRuns(db: Queryable, options: ListRunsOptions = {}): Promise<RunSummary[]> {
  const { rows } = await db.query<RunRow>(
    `SELECT ${runColumns} FROM eval_runs r JOIN eval_datasets d ON d.id = r.dataset_id
      WHERE ($1::text IS NULL OR d.name = $1) AND ($2::text IS NULL OR $2 = ANY(r.labels))
        AND ($3::text IS NULL OR r.schedule_name = $3)
      ORDER BY r.started_at DESC, r.id DESC LIMIT $4`,
    [options.dataset ?? null, options.label ?? null, options.scheduleName ?? null, Math.min(options.limit ?? 50, 1000)],
  );
  return rows.map(toSummary);
}

/** Finds a run by id, or the newest run carrying the label (e.g. `baseline`). */
export async function resolveRun(db: Queryable, reference: string): Promise<RunSummary> {
  const { rows } = await db.query<RunRow>(
    `SELECT ${runColumns} FROM eval_runs r JOIN eval_datasets d ON d.id = r.dataset_id
      WHERE r.id = $1 OR $1 = ANY(r.labels)
      ORDER BY (r.id = $1) DESC, r.started_at DESC, r.id DESC LIMIT 1`,
    [reference],
  );
  const row = rows[0];
  if (!row) {
    throw new GroundworkError('evaluate.run_not_found', `No evaluation run with id or label "${reference}".`, {
      category: 'not_found',
      fix: 'List runs with `groundwork eval runs`; label one with `groundwork eval label RUN LABEL`.',
    });
  }
  return toSummary(row);
}

/**
 * The newest successful answer run of `dataset` (any version) with `useCase` (a run without one used
 * `default`): its trace holds one `answer` span per case and sample, what cost forecasts measure tokens on.
 */
export async function requireAnswerRun(
  db: Queryable,
  dataset: string,
  useCase: string,
): Promise<RunSummary & { traceId: string }> {
  const { rows } = await db.query<RunRow>(
    `SELECT ${runColumns} FROM eval_runs r JOIN eval_datasets d ON d.id = r.dataset_id
      WHERE d.name = $1 AND r.mode = 'answer' AND r.status = 'succeeded' AND coalesce(r.use_case, 'default') = $2
        AND r.trace_id IS NOT NULL
      ORDER BY r.started_at DESC, r.id DESC LIMIT 1`,
    [dataset, useCase],
  );
  const row = rows[0];
  if (!row?.trace_id) {
    throw new GroundworkError(
      'evaluate.no_answer_run',
      `Dataset ${dataset} has no successful answer run with use case ${useCase}.`,
      {
        category: 'not_found',
        fix: `Run one: \`groundwork eval run ${dataset} --mode answer --use-case ${useCase}\` (\`groundwork eval datasets\` lists the datasets).`,
      },
    );
  }
  return { ...toSummary(row), traceId: row.trace_id };
}

/**
 * Puts a label on a run. A label names one run at a time (it moves), so `--baseline baseline` is
 * unambiguous. One write: authorizes (`eval:run`), moves the label and records `eval.run.label` (from which
 * run it moved) in one transaction.
 */
export async function labelRun(
  db: Database,
  caller: Caller,
  reference: string,
  label: string,
  clock: Clock = systemClock,
): Promise<RunSummary> {
  authorize(caller, 'eval:run');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(label)) {
    throw new GroundworkError('evaluate.invalid_label', `Invalid run label "${label}".`, {
      category: 'usage',
      fix: 'Use letters, digits, ".", "_" and "-" (at most 64 characters).',
    });
  }
  return db.transaction(async (tx) => {
    const run = await resolveRun(tx, reference);
    const moved = await tx.query<{ id: string }>(
      'UPDATE eval_runs SET labels = array_remove(labels, $1) WHERE $1 = ANY(labels) AND id <> $2 RETURNING id',
      [label, run.id],
    );
    await tx.query('UPDATE eval_runs SET labels = array_append(labels, $1) WHERE id = $2 AND NOT ($1 = ANY(labels))', [
      label,
      run.id,
    ]);
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'eval.run.label',
        target: `run:${run.id}`,
        before: { label, run: moved.rows[0]?.id ?? null },
        after: { label, run: run.id },
      },
      clock,
    );
    return resolveRun(tx, run.id);
  });
}

type CaseRow = {
  case_id: string;
  external_id: string;
  sample: number;
  principals: string[];
  metrics: Record<string, number>;
  retrieved_document_ids: string[];
  answer: string | null;
  citations: Array<{ documentId: string; chunkId: string }>;
  refused: boolean | null;
  latency_ms: number;
  cost_usd: number | null;
  trace_id: string | null;
  error: string | null;
};

/** Per-case results of a run visible to `viewer` (filtered in SQL), with the number hidden. */
export async function loadCaseResults(
  db: Queryable,
  runId: string,
  viewer: Caller,
): Promise<{ cases: CaseResult[]; hidden: number }> {
  const { rows } = await db.query<CaseRow>(
    `SELECT cr.case_id, c.external_id, cr.sample, cr.principals, cr.metrics, cr.retrieved_document_ids, cr.answer,
            cr.citations, cr.refused, cr.latency_ms, cr.cost_usd, cr.trace_id, cr.error
       FROM eval_case_results cr JOIN eval_cases c ON c.id = cr.case_id
      WHERE cr.run_id = $1
        AND ($2::boolean OR (cardinality(cr.principals) > 0 AND cr.principals <@ $3::text[]))
      ORDER BY c.ordinal, cr.sample`,
    [runId, viewer.seesEverything, [...viewer.principals]],
  );
  const total = await db.query<{ n: number }>('SELECT count(*) AS n FROM eval_case_results WHERE run_id = $1', [runId]);
  const readable = await readableDocumentIds(
    db,
    viewer,
    rows.flatMap((row) => [...row.retrieved_document_ids, ...row.citations.map((c) => c.documentId)]),
  );
  const placeholders = new Map<string, string>();
  const shown = (id: string) => {
    if (readable.has(id)) return id;
    let value = placeholders.get(id);
    if (!value) {
      value = `withheld:document-${placeholders.size + 1}`;
      placeholders.set(id, value);
    }
    return value;
  };
  return {
    cases: rows.map((row) => {
      const referenced = [...row.retrieved_document_ids, ...row.citations.map((c) => c.documentId)];
      const withheld = referenced.some((id) => !readable.has(id));
      return {
        caseId: row.case_id,
        externalId: row.external_id,
        sample: row.sample,
        principals: row.principals,
        metrics: row.metrics,
        retrievedDocumentIds: row.retrieved_document_ids.map(shown),
        answer: withheld ? null : row.answer,
        citations: row.citations.map((c) =>
          readable.has(c.documentId) ? c : { documentId: shown(c.documentId), chunkId: `withheld:${shown(c.documentId)}` },
        ),
        refused: row.refused,
        latencyMs: row.latency_ms,
        costUsd: row.cost_usd,
        traceId: row.trace_id,
        error: row.error,
        ...(withheld ? { withheld: 'no longer readable' as const } : {}),
      };
    }),
    hidden: (total.rows[0]?.n ?? 0) - rows.length,
  };
}

/** A run with the per-case results `viewer` may see. */
export async function showRun(db: Queryable, reference: string, viewer: Caller): Promise<RunDetail> {
  const run = await resolveRun(db, reference);
  const { cases, hidden } = await loadCaseResults(db, run.id, viewer);
  return { ...run, cases, hiddenCases: hidden };
}

/**
 * The mean of `metric` in every succeeded run of `useCase` (a run without one used `default`), oldest first:
 * what success criteria on an eval metric measure progress with (adoption/criteria.ts). Aggregates only.
 */
export async function evalMetricHistory(
  db: Queryable,
  useCase: string,
  metric: string,
): Promise<Array<{ runId: string; at: Date; value: number }>> {
  const { rows } = await db.query<{ id: string; at: Date; value: number | null }>(
    `SELECT id, coalesce(finished_at, started_at) AS at, (metrics -> $2 ->> 'mean')::float8 AS value
     FROM eval_runs WHERE status = 'succeeded' AND coalesce(use_case, 'default') = $1 AND metrics ? $2
     ORDER BY coalesce(finished_at, started_at), id`,
    [useCase, metric],
  );
  return rows.filter((r) => r.value !== null).map((r) => ({ runId: r.id, at: new Date(r.at), value: Number(r.value) }));
}

/** Metric names the succeeded runs of `useCase` recorded (sorted). */
export async function evalMetricNames(db: Queryable, useCase: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT DISTINCT jsonb_object_keys(metrics) AS name FROM eval_runs
     WHERE status = 'succeeded' AND coalesce(use_case, 'default') = $1 ORDER BY 1`,
    [useCase],
  );
  return rows.map((r) => r.name);
}
