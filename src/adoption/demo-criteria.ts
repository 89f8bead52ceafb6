import type { Caller, Clock } from '../core/index.ts';
import type { Governance } from '../govern/index.ts';
import type { Database } from '../store/index.ts';
import { addCriterion, listCriteria } from './criteria.ts';
import { healthOfUseCase } from './health.ts';

/**
 * The demo's example success criteria on `useCase`, measured on its SIMULATED usage (simulate.ts): one on track
 * (`active30` ≥ 80% for the latest complete first-exposure cohort) and one at risk (task completion ≥ 95% within
 * 60 days, where the simulation sits near 87%). Evaluating them once snapshots the simulated periods, so the
 * Adoption page opens quickly. Returns their statuses and the health flags of the simulated usage (non-empty:
 * active users fall in the simulation's last 30 days, and the completion criterion keeps missing).
 */
export async function seedDemoCriteria(
  governance: Governance,
  db: Database,
  caller: Caller,
  options: { useCase: string; endDay: string; clock?: Clock },
): Promise<{ criteria: Array<{ id: string; status: string }>; flags: string[]; simulated: true }> {
  const due = new Date(Date.parse(`${options.endDay}T00:00:00Z`) + 60 * 86_400_000).toISOString().slice(0, 10);
  const label = 'Example criterion of the demo, measured on SIMULATED usage.';
  await addCriterion(governance, db, caller, options.useCase, {
    id: 'retention-30d',
    metric: 'active30',
    target: 0.8,
    baseline: 0.5,
    cadence: 'weekly',
    description: `${label} Share of newly exposed users still active in days 1–30.`,
  });
  await addCriterion(governance, db, caller, options.useCase, {
    id: 'task-completion',
    metric: 'taskCompletionRate',
    target: 0.95,
    baseline: 0.85,
    cadence: 'weekly',
    due,
    description: `${label} Answers not followed by negative feedback, a retry or an abandoned stream.`,
  });
  const report = await listCriteria(db, caller, options.useCase, { asOf: options.endDay, includeSimulated: true });
  const health = await healthOfUseCase(db, caller, options.useCase, { asOf: options.endDay, includeSimulated: true });
  return {
    criteria: report.criteria.map((c) => ({ id: c.id, status: c.status })),
    flags: health.flags.map((f) => f.code),
    simulated: true,
  };
}
