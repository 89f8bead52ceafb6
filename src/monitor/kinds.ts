import { actionAnomalies } from '../actions/index.ts';
import type { GroundworkConfig, MonitorKind } from '../core/index.ts';
import { monitorKinds } from '../core/index.ts';
import { feedbackRatingsBetween } from '../govern/index.ts';
import { documentVersions, getSource, ingestStatus } from '../ingest/index.ts';
import {
  answerContentSample,
  answerEgressExamples,
  answerEgressStats,
  answerExampleTraces,
  answerGroundednessSample,
  answerTopScores,
  answerWindowStats,
  budgetUsage,
  traceUseCases,
} from '../observe/index.ts';
import { redactText } from '../protect/index.ts';
import { reviewOutcomes } from '../review/index.ts';
import type { Queryable } from '../store/index.ts';
import { parseDuration } from './threshold.ts';

export type { MonitorKind };
/**
 * What each kind of monitor measures. Every kind reads existing tables through the owning feature's exported
 * functions (observe's answer traces, govern's feedback, ingest's source status, observe's budgets), never
 * on the answer path: evaluation runs in the `monitors-evaluate` job (or `monitors evaluate`).
 */
export { monitorKinds };

export type MonitorTarget = 'use-case' | 'source';

export interface KindInfo {
  readonly target: MonitorTarget;
  /** What the value is, for people. */
  readonly measures: string;
  /** The threshold when none is given (`freshness` takes the source's `freshnessSlo` first). */
  readonly defaultThreshold: string;
  /** Whether `age>…` thresholds fit (the value is an age in seconds). */
  readonly age: boolean;
}

export const kindInfo: Readonly<Record<MonitorKind, KindInfo>> = {
  groundedness: {
    target: 'use-case',
    measures: 'mean groundedness of a sample of answers (offline check; the judge model where configured)',
    defaultThreshold: '<0.7',
    age: false,
  },
  'refusal-rate': { target: 'use-case', measures: 'share of answers refused', defaultThreshold: '>0.3', age: false },
  'negative-feedback-rate': {
    target: 'use-case',
    measures: 'share of ratings given in the window that are negative',
    defaultThreshold: '>0.2',
    age: false,
  },
  'low-confidence-rate': {
    target: 'use-case',
    measures: 'share of answers with confidence below params.below (default 0.5)',
    defaultThreshold: '>0.3',
    age: false,
  },
  'no-result-rate': {
    target: 'use-case',
    measures: 'share of answers whose retrieval found no passage',
    defaultThreshold: '>0.1',
    age: false,
  },
  'score-drift': {
    target: 'use-case',
    measures: 'population stability index (PSI) of top-1 retrieval scores: window vs baseline window',
    defaultThreshold: '>0.2',
    age: false,
  },
  'stale-citations': {
    target: 'use-case',
    measures:
      'share of sampled answers citing a document since deleted, changed, or not modified for params.staleAfter (default 365d)',
    defaultThreshold: '>0.1',
    age: false,
  },
  'pii-in-output': {
    target: 'use-case',
    measures: 'share of sampled stored answers with PII (detected, or redaction placeholders)',
    defaultThreshold: '>0',
    age: false,
  },
  'pii-to-provider': {
    target: 'use-case',
    measures:
      'share of answers sent to a model provider whose request had PII redacted or passages withheld by the egress policy (restricted text)',
    defaultThreshold: '>0.2',
    age: false,
  },
  'cost-per-answer': {
    target: 'use-case',
    measures: 'mean cost per answer in USD (reference: the baseline window)',
    defaultThreshold: 'rise>0.5',
    age: false,
  },
  'tokens-per-answer': {
    target: 'use-case',
    measures: 'mean input+output tokens per answer (reference: the baseline window)',
    defaultThreshold: 'rise>0.5',
    age: false,
  },
  'daily-spend': {
    target: 'use-case',
    measures: "today's spend projected to the end of the UTC day, as a share of the daily budget",
    defaultThreshold: '>1',
    age: false,
  },
  'latency-p95': { target: 'use-case', measures: 'p95 answer latency in ms', defaultThreshold: '>10000', age: false },
  freshness: {
    target: 'source',
    measures: 'seconds since the source last synced successfully',
    defaultThreshold: 'age>24h',
    age: true,
  },
  'update-lag': {
    target: 'source',
    measures: "seconds from a file's change to its indexing (worst; params.stat: median)",
    defaultThreshold: 'age>24h',
    age: true,
  },
  'documents-count': {
    target: 'source',
    measures: 'documents indexed from the source',
    defaultThreshold: 'drop>0.3',
    age: false,
  },
  'quarantine-rate': {
    target: 'source',
    measures: "share of the source's files in quarantine",
    defaultThreshold: '>0.1',
    age: false,
  },
  'review-wrong-rate': {
    target: 'use-case',
    measures: 'share of the reviews graded in the window with verdict wrong (human review queue)',
    defaultThreshold: '>0.2',
    age: false,
  },
  'review-override-rate': {
    target: 'use-case',
    measures: 'share of the reviews graded in the window where the reviewer did not accept the answer as it was',
    defaultThreshold: '>0.3',
    age: false,
  },
  'review-ungrounded-rate': {
    target: 'use-case',
    measures: 'share of the reviews graded in the window with grounded = no',
    defaultThreshold: '>0.2',
    age: false,
  },
  'action-anomaly': {
    target: 'use-case',
    measures:
      'agent actions (src/actions): (agent, action) pairs whose invocation rate is above params.rateRatio (default 3) × their baseline rate, or with more than params.maxNewTargets (default 5) targets unseen in the baseline; a new alert pauses auto-execution of those actions',
    defaultThreshold: '>0',
    age: false,
  },
};

export function isMonitorKind(value: string): value is MonitorKind {
  return (monitorKinds as readonly string[]).includes(value);
}

export interface MeasureSpec {
  readonly kind: MonitorKind;
  readonly useCase: string | null;
  readonly source: string | null;
  readonly windowSeconds: number;
  readonly baselineSeconds: number | null;
  readonly params: Readonly<Record<string, unknown>>;
}

export interface Measurement {
  /** null: no data (too few answers, no budget, never synced): the monitor neither fires nor resolves. */
  readonly value: number | null;
  /** The kind's own reference (baseline window) for `drop>` / `rise>`; absent: the last healthy value. */
  readonly reference?: number | null;
  readonly sample: number;
  readonly details: Readonly<Record<string, unknown>>;
  /** Trace ids behind the value (shown to readers who may see them). */
  readonly examples: readonly string[];
}

export interface MeasureContext {
  readonly db: Queryable;
  readonly now: Date;
  readonly config: Pick<GroundworkConfig, 'sources' | 'ingest'>;
}

const numberParam = (params: Readonly<Record<string, unknown>>, name: string, fallback: number): number => {
  const value = params[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
};

const noData = (reason: string, sample = 0, details: Record<string, unknown> = {}): Measurement => ({
  value: null,
  sample,
  details: { reason, ...details },
  examples: [],
});

/** Population stability index of `current` against `baseline`, over the baseline's deciles. */
export function populationStability(baseline: readonly number[], current: readonly number[], bins = 10): number {
  const sorted = [...baseline].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let i = 1; i < bins; i++)
    edges.push(sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / bins))] as number);
  const share = (values: readonly number[]) => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of values) {
      let bin = 0;
      while (bin < edges.length && v > (edges[bin] as number)) bin++;
      counts[bin] = (counts[bin] as number) + 1;
    }
    return counts.map((c) => Math.max(c / values.length, 1e-4));
  };
  const b = share(baseline);
  const c = share(current);
  let psi = 0;
  for (let i = 0; i < bins; i++) psi += ((c[i] as number) - (b[i] as number)) * Math.log((c[i] as number) / (b[i] as number));
  return psi;
}

/** Two-sample Kolmogorov–Smirnov statistic D. */
export function kolmogorovSmirnov(a: readonly number[], b: readonly number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i] as number, y[j] as number);
    while (i < x.length && (x[i] as number) <= v) i++;
    while (j < y.length && (y[j] as number) <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

const placeholder = /\[[A-Z][A-Z0-9_]*_\d+\]/;

/** Measures one monitor's metric now. */
export async function measure(context: MeasureContext, spec: MeasureSpec): Promise<Measurement> {
  const { db, now } = context;
  const from = new Date(now.getTime() - spec.windowSeconds * 1000);
  const window = { useCase: spec.useCase, from, to: now };
  const baselineSeconds = spec.baselineSeconds ?? spec.windowSeconds * 7;
  const baseline = { useCase: spec.useCase, from: new Date(from.getTime() - baselineSeconds * 1000), to: from };
  const minSample = numberParam(spec.params, 'minSample', 10);
  const below = numberParam(spec.params, 'below', 0.5);
  const sampleSize = Math.min(Math.max(Math.floor(numberParam(spec.params, 'sample', 200)), 1), 5000);
  const windowDetails = { from: from.toISOString(), to: now.toISOString() };
  switch (spec.kind) {
    case 'refusal-rate':
    case 'low-confidence-rate':
    case 'no-result-rate': {
      const stats = await answerWindowStats(db, window, { lowConfidenceBelow: below });
      if (stats.answers < minSample)
        return noData(`${stats.answers} answers in the window (minSample ${minSample})`, stats.answers);
      const hits =
        spec.kind === 'refusal-rate' ? stats.refused : spec.kind === 'low-confidence-rate' ? stats.lowConfidence : stats.noResult;
      const filter =
        spec.kind === 'refusal-rate' ? 'refused' : spec.kind === 'low-confidence-rate' ? 'low-confidence' : 'no-result';
      return {
        value: hits / stats.answers,
        sample: stats.answers,
        details: {
          ...windowDetails,
          answers: stats.answers,
          matching: hits,
          ...(spec.kind === 'low-confidence-rate' ? { below } : {}),
        },
        examples: await answerExampleTraces(db, window, filter, { lowConfidenceBelow: below }),
      };
    }
    case 'negative-feedback-rate': {
      const ratings = await feedbackRatingsBetween(db, from, now);
      let relevant = ratings;
      if (spec.useCase) {
        const useCases = await traceUseCases(
          db,
          ratings.map((r) => r.traceId),
        );
        relevant = ratings.filter((r) => useCases.get(r.traceId) === spec.useCase);
      }
      if (relevant.length < minSample) {
        return noData(`${relevant.length} ratings in the window (minSample ${minSample})`, relevant.length);
      }
      const negative = relevant.filter((r) => r.rating === -1);
      return {
        value: negative.length / relevant.length,
        sample: relevant.length,
        details: { ...windowDetails, ratings: relevant.length, negative: negative.length },
        examples: [...new Set(negative.map((r) => r.traceId))].slice(0, 5),
      };
    }
    case 'groundedness': {
      const sample = await answerGroundednessSample(db, window, sampleSize);
      if (sample.length < minSample)
        return noData(`${sample.length} answers with groundedness (minSample ${minSample})`, sample.length);
      const mean = sample.reduce((sum, s) => sum + s.groundedness, 0) / sample.length;
      return {
        value: mean,
        sample: sample.length,
        details: { ...windowDetails, judged: sample.filter((s) => s.judged).length, sampled: sample.length },
        examples: [...sample]
          .sort((a, b) => a.groundedness - b.groundedness)
          .slice(0, 5)
          .map((s) => s.traceId),
      };
    }
    case 'score-drift': {
      const [current, past] = await Promise.all([answerTopScores(db, window), answerTopScores(db, baseline)]);
      if (current.length < minSample || past.length < minSample) {
        return noData(
          `${current.length} answers in the window and ${past.length} in the baseline (minSample ${minSample})`,
          current.length,
        );
      }
      return {
        value: populationStability(past, current),
        sample: current.length,
        details: {
          ...windowDetails,
          baselineFrom: baseline.from.toISOString(),
          baselineAnswers: past.length,
          ks: kolmogorovSmirnov(past, current),
          meanTopScore: current.reduce((s, v) => s + v, 0) / current.length,
          baselineMeanTopScore: past.reduce((s, v) => s + v, 0) / past.length,
        },
        examples: await answerExampleTraces(db, window, 'any'),
      };
    }
    case 'stale-citations': {
      const staleAfter = parseDuration(String(spec.params.staleAfter ?? '365d'), 'params.staleAfter');
      const sample = (await answerContentSample(db, window, sampleSize)).filter((s) => s.citedDocumentIds.length > 0);
      if (sample.length < minSample)
        return noData(`${sample.length} answers with citations (minSample ${minSample})`, sample.length);
      const versions = await documentVersions(
        db,
        sample.flatMap((s) => s.citedDocumentIds),
      );
      const cutoff = now.getTime() - staleAfter * 1000;
      const stale = sample.filter((s) =>
        s.citedDocumentIds.some((id) => {
          const version = versions.get(id);
          if (!version) return true; // deleted since
          if (version.indexedAt && version.indexedAt.getTime() > s.startedAt.getTime()) return true; // changed since
          return version.sourceModifiedAt !== null && version.sourceModifiedAt.getTime() < cutoff;
        }),
      );
      return {
        value: stale.length / sample.length,
        sample: sample.length,
        details: { ...windowDetails, sampled: sample.length, stale: stale.length, staleAfterSeconds: staleAfter },
        examples: stale.slice(0, 5).map((s) => s.traceId),
      };
    }
    case 'pii-in-output': {
      const sample = (await answerContentSample(db, window, sampleSize)).filter((s) => s.answer !== null);
      if (sample.length < minSample) {
        return noData(`${sample.length} stored answers (minSample ${minSample}; textRetention drop stores none)`, sample.length);
      }
      const patterns = context.config.ingest.piiPatterns;
      const flagged = sample.filter((s) => {
        const text = s.answer as string;
        if (s.textRetention === 'redact') return placeholder.test(text);
        return Object.keys(redactText(text, { customPatterns: patterns }).counts).length > 0;
      });
      return {
        value: flagged.length / sample.length,
        sample: sample.length,
        details: { ...windowDetails, sampled: sample.length, withPii: flagged.length },
        examples: flagged.slice(0, 5).map((s) => s.traceId),
      };
    }
    case 'pii-to-provider': {
      const egress = await answerEgressStats(db, window);
      if (egress.sent < minSample) {
        return noData(`${egress.sent} answers sent to a provider in the window (minSample ${minSample})`, egress.sent);
      }
      return {
        value: egress.flagged / egress.sent,
        sample: egress.sent,
        details: { ...windowDetails, sent: egress.sent, piiRedacted: egress.redacted, passagesBlocked: egress.blocked },
        examples: await answerEgressExamples(db, window),
      };
    }
    case 'cost-per-answer':
    case 'tokens-per-answer':
    case 'latency-p95': {
      const stats = await answerWindowStats(db, window);
      if (stats.answers < minSample)
        return noData(`${stats.answers} answers in the window (minSample ${minSample})`, stats.answers);
      if (spec.kind === 'latency-p95') {
        return {
          value: stats.latencyP95Ms,
          sample: stats.answers,
          details: { ...windowDetails, answers: stats.answers },
          examples: await answerExampleTraces(db, window, 'slowest'),
        };
      }
      const past = await answerWindowStats(db, baseline);
      const pick = (s: typeof stats) => (spec.kind === 'cost-per-answer' ? s.costPerAnswerUsd : s.tokensPerAnswer);
      return {
        value: pick(stats),
        reference: past.answers >= minSample ? pick(past) : null,
        sample: stats.answers,
        details: {
          ...windowDetails,
          answers: stats.answers,
          baselineFrom: baseline.from.toISOString(),
          baselineAnswers: past.answers,
        },
        examples: await answerExampleTraces(db, window, 'costliest'),
      };
    }
    case 'daily-spend': {
      const usage = (await budgetUsage(db, now)).filter(
        (u) => u.period === 'day' && (!spec.useCase || u.useCase === spec.useCase),
      );
      if (usage.length === 0)
        return noData(spec.useCase ? `use case ${spec.useCase} has no daily budget` : 'no daily budget is set');
      const dayStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
      const elapsed = Math.max((now.getTime() - dayStart) / 86_400_000, 1 / 24); // at least an hour: no wild early projections
      const projected = usage.map((u) => ({ ...u, projectedUsd: u.spentUsd / elapsed }));
      const worst = projected.reduce((a, b) =>
        b.projectedUsd / (b.limitUsd || 1e-9) > a.projectedUsd / (a.limitUsd || 1e-9) ? b : a,
      );
      return {
        value: worst.limitUsd > 0 ? worst.projectedUsd / worst.limitUsd : worst.projectedUsd > 0 ? 1e9 : 0,
        sample: usage.length,
        details: { useCase: worst.useCase, spentUsd: worst.spentUsd, projectedUsd: worst.projectedUsd, limitUsd: worst.limitUsd },
        examples: await answerExampleTraces(db, { useCase: worst.useCase, from: new Date(dayStart), to: now }, 'costliest'),
      };
    }
    case 'review-wrong-rate':
    case 'review-override-rate':
    case 'review-ungrounded-rate': {
      // Grades of the human review queue (src/review), by grading time; the sample is small, so the default
      // minSample is 5 graded reviews.
      const reviewMinSample = numberParam(spec.params, 'minSample', 5);
      const matching =
        spec.kind === 'review-wrong-rate' ? 'wrong' : spec.kind === 'review-override-rate' ? 'overridden' : 'ungrounded';
      const outcomes = await reviewOutcomes(db, window, matching);
      if (outcomes.graded < reviewMinSample) {
        return noData(`${outcomes.graded} reviews graded in the window (minSample ${reviewMinSample})`, outcomes.graded);
      }
      return {
        value: outcomes[matching] / outcomes.graded,
        sample: outcomes.graded,
        details: {
          ...windowDetails,
          graded: outcomes.graded,
          matching: outcomes[matching],
          correct: outcomes.correct,
          partially: outcomes.partially,
          wrong: outcomes.wrong,
          ungrounded: outcomes.ungrounded,
          overridden: outcomes.overridden,
        },
        examples: outcomes.exampleTraceIds,
      };
    }
    case 'action-anomaly': {
      // Agent actions of every use case: counts per (agent, action), window vs baseline (7 × window by default).
      const found = await actionAnomalies(
        db,
        { from, to: now, baselineFrom: baseline.from },
        {
          rateRatio: numberParam(spec.params, 'rateRatio', 3),
          minSample: numberParam(spec.params, 'minSample', 5),
          minExpected: numberParam(spec.params, 'minExpected', 1),
          maxNewTargets: numberParam(spec.params, 'maxNewTargets', 5),
        },
      );
      return {
        value: found.anomalies.length,
        sample: found.invocations,
        details: { ...windowDetails, groups: found.groups, invocations: found.invocations, anomalies: found.anomalies },
        examples: [],
      };
    }
    case 'freshness':
    case 'update-lag':
    case 'documents-count':
    case 'quarantine-rate': {
      const source = await getSource(db, spec.source as string).catch(() => undefined);
      if (!source) return noData(`source ${spec.source} does not exist (any more)`);
      const [status] = await ingestStatus(db, { sourceId: source.id });
      if (!status) return noData(`source ${spec.source} has no status`);
      if (spec.kind === 'freshness') {
        if (!status.lastSuccessAt) return noData('the source never synced successfully');
        return {
          value: Math.max(0, (now.getTime() - status.lastSuccessAt.getTime()) / 1000),
          sample: 1,
          details: { lastSuccessAt: status.lastSuccessAt.toISOString(), lastError: status.failures.lastError },
          examples: [],
        };
      }
      if (spec.kind === 'update-lag') {
        const lag = spec.params.stat === 'median' ? status.updateLagSeconds.median : status.updateLagSeconds.worst;
        if (lag === null) return noData('no indexed document with a modification time');
        return { value: lag, sample: status.documents, details: { ...status.updateLagSeconds }, examples: [] };
      }
      if (spec.kind === 'documents-count') {
        return {
          value: status.documents,
          sample: status.documents,
          details: {
            documents: status.documents,
            lastSuccessAt: status.lastSuccessAt?.toISOString() ?? null,
            lastRun: status.lastRun
              ? { id: status.lastRun.id, status: status.lastRun.status, counts: status.lastRun.counts }
              : null,
          },
          examples: [],
        };
      }
      const files = status.documents + status.quarantine.total;
      if (files === 0) return noData('the source has no files');
      return {
        value: status.quarantine.total / files,
        sample: files,
        details: { quarantined: status.quarantine.total, documents: status.documents, byCode: status.quarantine.byCode },
        examples: [],
      };
    }
  }
}
