import type { Caller } from '../core/index.ts';
import type { Queryable } from '../store/index.ts';
import { compareRuns } from './compare-runs.ts';
import { evaluateGates, type Gate } from './gates.ts';
import type { EvaluationReport } from './reports.ts';
import { type EvaluationRunResult, type RunEvaluationDeps, type RunEvaluationOptions, runEvaluation } from './run-evaluation.ts';
import type { EvalAsk } from './types.ts';

export interface GatedEvaluationOptions extends Omit<RunEvaluationOptions, 'metrics'> {
  /** Gates (`ndcg@10 < 0.6`); their metrics are computed even when not in the defaults. */
  readonly gates: readonly Gate[];
  /** Run id or label to compare with (paired bootstrap); a significant regression fails the run. */
  readonly baseline?: string | undefined;
  /** Who reads the comparison's changed cases (filtered by principals). */
  readonly viewer: Caller;
  readonly bootstrap: { readonly resamples: number; readonly seed: number };
}

/**
 * `eval run` as the CLI and the API share it: runs the dataset, checks the gates, compares with the
 * baseline, and says whether the run passed (every gate holds and nothing is significantly worse).
 */
export async function runGatedEvaluation(
  deps: RunEvaluationDeps,
  options: GatedEvaluationOptions,
): Promise<{ run: EvaluationRunResult; report: EvaluationReport }> {
  const { gates, baseline, viewer, bootstrap, ...runOptions } = options;
  const run = await runEvaluation(deps, { ...runOptions, metrics: gates.map((g) => g.metric) });
  const gateOutcomes = evaluateGates(gates, run.metrics);
  const comparison = baseline
    ? await compareRuns(deps.db, baseline, run.runId, { viewer, resamples: bootstrap.resamples, seed: bootstrap.seed })
    : undefined;
  const report: EvaluationReport = {
    runId: run.runId,
    dataset: `${run.datasetName}@${run.datasetVersion}`,
    mode: options.mode,
    caseCount: new Set(run.results.map((r) => r.caseId)).size,
    errors: run.errors,
    metrics: run.metrics,
    gates: gateOutcomes,
    ...(comparison ? { comparison } : {}),
    passed: gateOutcomes.every((g) => !g.failed) && !comparison?.regressed,
    durationMs: run.durationMs,
  };
  if (gates.length > 0 || comparison) {
    // Kept with the run: a change request that attaches it (`--eval-run`) needs a run that passed its gates.
    await deps.db.query('UPDATE eval_runs SET gates = $2, gates_passed = $3 WHERE id = $1', [
      run.runId,
      JSON.stringify({ gates: gateOutcomes, regressed: comparison?.regressed ?? false, baseline: baseline ?? null }),
      report.passed,
    ]);
  }
  return { run, report };
}

/** Whether a run passed the gates it was run with: `null` when it was not gated (or does not exist). */
export async function runGatesPassed(db: Queryable, runId: string): Promise<boolean | null> {
  const { rows } = await db.query<{ gates_passed: boolean | null }>('SELECT gates_passed FROM eval_runs WHERE id = $1', [runId]);
  return rows[0]?.gates_passed ?? null;
}

/**
 * The answer feature as an evaluation's `ask` port (structurally typed: evaluate does not import answer).
 * `pin`: the prompt / model configuration versions to answer with (a candidate evaluated before its label moves).
 */
export function askThrough(
  answerer: {
    ask(
      request: Parameters<EvalAsk>[0] & { useCase: string; evaluation: true; pin?: { prompt?: number; model?: number } },
    ): Promise<Awaited<ReturnType<EvalAsk>>>;
  },
  useCase: string,
  pin?: { readonly prompt?: number; readonly model?: number },
): EvalAsk {
  return async (request) => {
    // Evaluations run in every rollout stage (and on a killed use case): `evaluation: true`.
    const answer = await answerer.ask({ ...request, useCase, evaluation: true, ...(pin ? { pin } : {}) });
    return {
      answer: answer.answer,
      citations: answer.citations,
      refused: answer.refused,
      usage: answer.usage,
      traceId: answer.traceId,
    };
  };
}

/** The latest finished evaluation run of a use case and whether it passed its gates (approval forms show it). */
export interface LatestEvalGate {
  readonly runId: string;
  readonly status: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  /** `null`: the run was not gated. */
  readonly gatesPassed: boolean | null;
}

/** The latest finished run of `useCase` (runs without a use case count for `default`), or null. */
export async function latestEvalGate(db: Queryable, useCase: string): Promise<LatestEvalGate | null> {
  const { rows } = await db.query<{
    id: string;
    status: string;
    started_at: Date;
    finished_at: Date | null;
    gates_passed: boolean | null;
  }>(
    `SELECT id, status, started_at, finished_at, gates_passed FROM eval_runs
     WHERE (use_case = $1 OR (use_case IS NULL AND $1 = 'default')) AND status <> 'running'
     ORDER BY started_at DESC, id DESC LIMIT 1`,
    [useCase],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    runId: row.id,
    status: row.status,
    startedAt: new Date(row.started_at).toISOString(),
    finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
    gatesPassed: row.gates_passed,
  };
}
