import type { Caller } from '../core/index.ts';
import type { Queryable } from '../store/index.ts';
import { isLowerBetter } from './eval-metrics.ts';
import { pairedBootstrap } from './paired-bootstrap.ts';
import { resolveRun } from './runs.ts';
import type { RunSummary } from './types.ts';

/**
 * Comparison of two runs on the same cases (paired by the case's id in its dataset, so two versions of a
 * dataset compare on the cases they share). For each metric: both means over the paired cases, the
 * difference (candidate − baseline) with a seeded paired-bootstrap 95% interval, and per-case wins,
 * losses and ties. `significance` is `worse` when the whole interval lies on the bad side of 0 (below 0,
 * or above 0 for latency and cost), `better` when on the good side.
 */
export interface MetricComparison {
  readonly metric: string;
  readonly baseline: number;
  readonly candidate: number;
  readonly difference: number;
  readonly low: number;
  readonly high: number;
  /** Paired cases the metric was measured on in both runs. */
  readonly n: number;
  readonly wins: number;
  readonly losses: number;
  readonly ties: number;
  readonly significance: 'better' | 'worse' | 'none';
}

export interface ChangedCase {
  readonly externalId: string;
  /** metric → values in both runs, only metrics that changed. */
  readonly changes: Readonly<Record<string, { readonly baseline: number; readonly candidate: number }>>;
}

export interface RunComparison {
  readonly baseline: RunSummary;
  readonly candidate: RunSummary;
  readonly metrics: readonly MetricComparison[];
  /** Cases whose metrics changed, visible to the viewer. */
  readonly changedCases: readonly ChangedCase[];
  readonly hiddenChangedCases: number;
  readonly pairedCases: number;
  readonly resamples: number;
  readonly seed: number;
  /** True when any metric is significantly worse. */
  readonly regressed: boolean;
}

interface PerCase {
  principals: string[];
  metrics: Map<string, number>;
}

async function perCaseMetrics(db: Queryable, runId: string): Promise<Map<string, PerCase>> {
  // Metrics only (no answers or citations): the statistics cover every case whatever the viewer sees.
  const { rows } = await db.query<{ external_id: string; principals: string[]; metrics: Record<string, number> }>(
    `SELECT c.external_id, cr.principals, cr.metrics FROM eval_case_results cr JOIN eval_cases c ON c.id = cr.case_id
      WHERE cr.run_id = $1 AND cr.error IS NULL ORDER BY c.ordinal, cr.sample`,
    [runId],
  );
  const sums = new Map<string, { principals: string[]; sums: Map<string, { total: number; n: number }> }>();
  for (const row of rows) {
    let entry = sums.get(row.external_id);
    if (!entry) {
      entry = { principals: row.principals, sums: new Map() };
      sums.set(row.external_id, entry);
    }
    for (const [metric, value] of Object.entries(row.metrics)) {
      const s = entry.sums.get(metric) ?? { total: 0, n: 0 };
      s.total += value;
      s.n += 1;
      entry.sums.set(metric, s);
    }
  }
  const out = new Map<string, PerCase>();
  for (const [id, entry] of sums) {
    out.set(id, {
      principals: entry.principals,
      metrics: new Map([...entry.sums].map(([m, s]) => [m, s.total / s.n])),
    });
  }
  return out;
}

function visible(viewer: Caller, principals: readonly string[]): boolean {
  if (viewer.seesEverything) return true;
  return principals.length > 0 && principals.every((p) => viewer.principals.includes(p));
}

export interface CompareOptions {
  readonly viewer: Caller;
  readonly resamples?: number;
  readonly seed?: number;
  /** Restrict to these metrics (default: every metric both runs measured). */
  readonly metrics?: readonly string[];
}

export async function compareRuns(
  db: Queryable,
  baselineReference: string,
  candidateReference: string,
  options: CompareOptions,
): Promise<RunComparison> {
  const baseline = await resolveRun(db, baselineReference);
  const candidate = await resolveRun(db, candidateReference);
  const resamples = options.resamples ?? 2000;
  const seed = options.seed ?? 1;
  const a = await perCaseMetrics(db, baseline.id);
  const b = await perCaseMetrics(db, candidate.id);
  const paired = [...a.keys()].filter((id) => b.has(id));
  const names = (options.metrics ?? Object.keys(baseline.metrics).filter((m) => m in candidate.metrics)).filter(
    (m) => m in baseline.metrics && m in candidate.metrics,
  );
  const metrics: MetricComparison[] = [];
  for (const metric of [...names].sort()) {
    const xs: number[] = [];
    const ys: number[] = [];
    let wins = 0;
    let losses = 0;
    let ties = 0;
    const lower = isLowerBetter(metric);
    for (const id of paired) {
      const x = a.get(id)?.metrics.get(metric);
      const y = b.get(id)?.metrics.get(metric);
      if (x === undefined || y === undefined) continue;
      xs.push(x);
      ys.push(y);
      const better = lower ? y < x : y > x;
      const worse = lower ? y > x : y < x;
      // Latency always differs a little: count only changes beyond 5% as wins or losses.
      const meaningful = metric === 'latency_ms' ? Math.abs(y - x) > 0.05 * Math.max(x, 1e-9) : Math.abs(y - x) > 1e-12;
      if (!meaningful) ties++;
      else if (better) wins++;
      else if (worse) losses++;
    }
    const interval = pairedBootstrap(xs, ys, { resamples, seed });
    const mean = (v: number[]) => (v.length === 0 ? 0 : v.reduce((s, x) => s + x, 0) / v.length);
    const goodLow = lower ? -interval.high : interval.low;
    const goodHigh = lower ? -interval.low : interval.high;
    metrics.push({
      metric,
      baseline: mean(xs),
      candidate: mean(ys),
      difference: interval.difference,
      low: interval.low,
      high: interval.high,
      n: interval.n,
      wins,
      losses,
      ties,
      significance: interval.n === 0 ? 'none' : goodHigh < 0 ? 'worse' : goodLow > 0 ? 'better' : 'none',
    });
  }
  const changedCases: ChangedCase[] = [];
  let hiddenChangedCases = 0;
  for (const id of paired) {
    const x = a.get(id) as PerCase;
    const y = b.get(id) as PerCase;
    const changes: Record<string, { baseline: number; candidate: number }> = {};
    for (const metric of names) {
      if (metric === 'latency_ms' || metric === 'cost_usd') continue;
      const before = x.metrics.get(metric);
      const after = y.metrics.get(metric);
      if (before !== undefined && after !== undefined && Math.abs(after - before) > 1e-12) {
        changes[metric] = { baseline: before, candidate: after };
      }
    }
    if (Object.keys(changes).length === 0) continue;
    if (visible(options.viewer, x.principals)) changedCases.push({ externalId: id, changes });
    else hiddenChangedCases++;
  }
  return {
    baseline,
    candidate,
    metrics,
    changedCases,
    hiddenChangedCases,
    pairedCases: paired.length,
    resamples,
    seed,
    regressed: metrics.some((m) => m.significance === 'worse' && m.metric !== 'latency_ms'),
  };
}
