import { averagePrecision, ndcgAt, precisionAt, recallAt, reciprocalRankAt } from '../retrieve/index.ts';
import type { MetricSummary } from './types.ts';

/**
 * Evaluation metric names and per-case computation.
 *
 * Retrieval metrics are id-based and deterministic, computed at document level with the retrieval
 * feature's trec_eval definitions: `ndcg@K`, `recall@K`, `precision@K`, `mrr@K`, `map` (cut at the run's
 * depth). Answer metrics: `citation_precision`, `citation_recall` (cited documents vs relevant documents),
 * `exact_match` and `token_f1` (SQuAD normalisation) against the reference answer, `groundedness`
 * (offline checker over the cited chunks' text), `judge_correctness` and `judge_faithfulness` (only with
 * a judge model), `refusal_accuracy` (refused exactly when the case expects
 * it). Per case also `latency_ms` and, when known, `cost_usd`. A metric that does not apply to a case
 * (no relevant documents, no reference answer) is absent for it, never 0.
 */

const parameterised = ['ndcg', 'recall', 'precision', 'mrr'] as const;
const plainMetrics = [
  'map',
  'citation_precision',
  'citation_recall',
  'exact_match',
  'token_f1',
  'groundedness',
  'judge_correctness',
  'judge_faithfulness',
  'refusal_accuracy',
  'latency_ms',
  'cost_usd',
] as const;

/** Metrics where a lower value is better. */
const lowerIsBetter = new Set(['latency_ms', 'cost_usd']);

/** The metrics every retrieval run reports (more `@K` variants are added on demand by gates). */
export const defaultRetrievalMetrics: readonly string[] = [
  'ndcg@5',
  'ndcg@10',
  'recall@5',
  'recall@10',
  'recall@100',
  'precision@1',
  'precision@5',
  'precision@10',
  'mrr@10',
  'map',
];

/** Human list of accepted metric names, for error messages and help. */
export const knownMetricNames: readonly string[] = [...parameterised.map((m) => `${m}@K`), ...plainMetrics];

/** Parses `ndcg@10` / `map`; undefined when unknown. K must be 1–1000. */
export function parseMetricName(name: string): { base: string; k?: number } | undefined {
  const trimmed = name.trim().toLowerCase();
  const match = /^([a-z_]+)@(\d+)$/.exec(trimmed);
  if (match) {
    const [, base = '', kText = ''] = match;
    const k = Number(kText);
    if (!(parameterised as readonly string[]).includes(base) || k < 1 || k > 1000) return undefined;
    return { base, k };
  }
  return (plainMetrics as readonly string[]).includes(trimmed) ? { base: trimmed } : undefined;
}

export function isLowerBetter(metric: string): boolean {
  return lowerIsBetter.has(metric);
}

/** Per-case retrieval metrics for the requested names (only `@K` and `map` names are computed here). */
export function retrievalCaseMetrics(
  retrieved: readonly string[],
  relevance: ReadonlyMap<string, number>,
  names: readonly string[],
  depth: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of names) {
    const parsed = parseMetricName(name);
    if (!parsed) continue;
    const k = parsed.k ?? 0;
    if (parsed.base === 'ndcg') out[name] = ndcgAt(retrieved, relevance, k);
    else if (parsed.base === 'recall') out[name] = recallAt(retrieved, relevance, k);
    else if (parsed.base === 'precision') out[name] = precisionAt(retrieved, relevance, k);
    else if (parsed.base === 'mrr') out[name] = reciprocalRankAt(retrieved, relevance, k);
    else if (parsed.base === 'map') out[name] = averagePrecision(retrieved, relevance, depth);
  }
  return out;
}

/** SQuAD answer normalisation: lower case, no punctuation, no articles, single spaces. */
export function normalizeAnswer(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\b(a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function exactMatch(prediction: string, reference: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(reference) ? 1 : 0;
}

/** Token-overlap F1 of normalised answers (SQuAD definition). */
export function tokenF1(prediction: string, reference: string): number {
  const predicted = normalizeAnswer(prediction).split(' ').filter(Boolean);
  const expected = normalizeAnswer(reference).split(' ').filter(Boolean);
  if (predicted.length === 0 || expected.length === 0) return predicted.length === expected.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const token of expected) counts.set(token, (counts.get(token) ?? 0) + 1);
  let common = 0;
  for (const token of predicted) {
    const left = counts.get(token) ?? 0;
    if (left > 0) {
      common++;
      counts.set(token, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / predicted.length;
  const recall = common / expected.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Cited distinct documents that are relevant / cited distinct documents; undefined without citations. */
export function citationPrecision(citedDocumentIds: readonly string[], relevant: ReadonlySet<string>): number | undefined {
  const cited = new Set(citedDocumentIds);
  if (cited.size === 0) return undefined;
  let hits = 0;
  for (const id of cited) if (relevant.has(id)) hits++;
  return hits / cited.size;
}

/** Relevant documents cited / relevant documents; undefined without relevant documents. */
export function citationRecall(citedDocumentIds: readonly string[], relevant: ReadonlySet<string>): number | undefined {
  if (relevant.size === 0) return undefined;
  const cited = new Set(citedDocumentIds);
  let hits = 0;
  for (const id of relevant) if (cited.has(id)) hits++;
  return hits / relevant.size;
}

function spread(values: readonly number[]): { mean: number; std: number; min: number; max: number } {
  const n = values.length;
  if (n === 0) return { mean: 0, std: 0, min: 0, max: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values) };
}

/**
 * Aggregates per-case metrics. With several samples per case, `samples` reports the spread of the
 * per-sample means (the run-to-run variability a single run would show).
 */
export function summarizeMetrics(
  results: ReadonlyArray<{ readonly sample: number; readonly metrics: Readonly<Record<string, number>> }>,
): Record<string, MetricSummary> {
  const byMetric = new Map<string, number[]>();
  const bySample = new Map<string, Map<number, number[]>>();
  for (const result of results) {
    for (const [name, value] of Object.entries(result.metrics)) {
      if (!Number.isFinite(value)) continue;
      let all = byMetric.get(name);
      if (!all) {
        all = [];
        byMetric.set(name, all);
      }
      all.push(value);
      let samples = bySample.get(name);
      if (!samples) {
        samples = new Map();
        bySample.set(name, samples);
      }
      let list = samples.get(result.sample);
      if (!list) {
        list = [];
        samples.set(result.sample, list);
      }
      list.push(value);
    }
  }
  const out: Record<string, MetricSummary> = {};
  for (const name of [...byMetric.keys()].sort()) {
    const values = byMetric.get(name) ?? [];
    const overall = spread(values);
    const samples = bySample.get(name) ?? new Map();
    const sampleMeans = [...samples.values()].map((list) => spread(list).mean);
    out[name] = {
      ...overall,
      n: values.length,
      ...(samples.size > 1 ? { samples: spread(sampleMeans) } : {}),
    };
  }
  return out;
}
