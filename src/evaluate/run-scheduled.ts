import { localOperator } from '../core/index.ts';
import { type CheckDriftDeps, checkDrift, type DriftAlert, type EvaluationSchedule } from './drift.ts';
import { type EvaluationRunResult, type RunEvaluationDeps, runEvaluation } from './run-evaluation.ts';

/**
 * One scheduled run: evaluates the schedule's dataset as the operator (each case still asks as its own
 * principals), tagged with the schedule name, then checks drift against the schedule's previous run.
 */
export async function runScheduledEvaluation(
  deps: RunEvaluationDeps & Omit<CheckDriftDeps, 'db' | 'events'>,
  schedule: EvaluationSchedule,
): Promise<{ run: EvaluationRunResult; alerts: DriftAlert[] }> {
  const run = await runEvaluation(deps, {
    dataset: schedule.dataset,
    mode: schedule.mode,
    caller: localOperator,
    scheduleName: schedule.name,
    metrics: schedule.metrics,
    ...(schedule.useCase ? { useCase: schedule.useCase } : {}),
  });
  const alerts = await checkDrift({ ...deps, db: deps.db, events: deps.events }, schedule, run.runId);
  return { run, alerts };
}
