/**
 * Ranking-quality metrics with trec_eval definitions (pure functions, reusable by the evaluation feature).
 *
 * A run is the ranked list of returned ids for one query (best first, duplicates ignored after the first);
 * judgments map id → graded relevance (≥ 1 counts as relevant, as trec_eval's default `relevance_level`).
 *
 * - nDCG@k: Σ_{i≤k} rel_i / log2(i + 1), divided by the same sum over the ideal ordering of all judged
 *   relevances (linear gains, as trec_eval `ndcg_cut` and BEIR).
 * - Recall@k: relevant ids in the top k / all relevant ids.
 * - MRR@k: 1 / rank of the first relevant id within the top k, else 0.
 * - AP (MAP when averaged, cut at 1000 as trec_eval): Σ over relevant ids retrieved at rank r ≤ 1000 of
 *   precision@r, divided by the number of relevant ids.
 * - P@k: relevant ids in the top k / k (k, not the number retrieved, as trec_eval).
 * A query without any relevant judgment scores 0 everywhere; evaluators skip such queries (as trec_eval).
 */

export type Judgments = ReadonlyMap<string, number>;

function dedupe(run: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const id of run) {
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
  }
  return out;
}

function relevantCount(judgments: Judgments): number {
  let n = 0;
  for (const rel of judgments.values()) if (rel >= 1) n++;
  return n;
}

export function ndcgAt(run: readonly string[], judgments: Judgments, k: number): number {
  const ranked = dedupe(run).slice(0, k);
  let dcg = 0;
  ranked.forEach((id, i) => {
    const rel = judgments.get(id) ?? 0;
    if (rel > 0) dcg += rel / Math.log2(i + 2);
  });
  const ideal = [...judgments.values()]
    .filter((rel) => rel > 0)
    .sort((a, b) => b - a)
    .slice(0, k);
  let idcg = 0;
  ideal.forEach((rel, i) => {
    idcg += rel / Math.log2(i + 2);
  });
  return idcg === 0 ? 0 : dcg / idcg;
}

export function recallAt(run: readonly string[], judgments: Judgments, k: number): number {
  const total = relevantCount(judgments);
  if (total === 0) return 0;
  const hits = dedupe(run)
    .slice(0, k)
    .filter((id) => (judgments.get(id) ?? 0) >= 1).length;
  return hits / total;
}

export function precisionAt(run: readonly string[], judgments: Judgments, k: number): number {
  const hits = dedupe(run)
    .slice(0, k)
    .filter((id) => (judgments.get(id) ?? 0) >= 1).length;
  return hits / k;
}

export function reciprocalRankAt(run: readonly string[], judgments: Judgments, k: number): number {
  const ranked = dedupe(run).slice(0, k);
  const index = ranked.findIndex((id) => (judgments.get(id) ?? 0) >= 1);
  return index === -1 ? 0 : 1 / (index + 1);
}

export function averagePrecision(run: readonly string[], judgments: Judgments, cutoff = 1000): number {
  const total = relevantCount(judgments);
  if (total === 0) return 0;
  let hits = 0;
  let sum = 0;
  dedupe(run)
    .slice(0, cutoff)
    .forEach((id, i) => {
      if ((judgments.get(id) ?? 0) >= 1) {
        hits++;
        sum += hits / (i + 1);
      }
    });
  return sum / total;
}

/** The standard per-query metric set reported by `groundwork eval retrieval`. */
export interface QueryMetrics {
  readonly ndcg10: number;
  readonly recall100: number;
  readonly mrr10: number;
  readonly map: number;
  readonly p10: number;
}

export function queryMetrics(run: readonly string[], judgments: Judgments): QueryMetrics {
  return {
    ndcg10: ndcgAt(run, judgments, 10),
    recall100: recallAt(run, judgments, 100),
    mrr10: reciprocalRankAt(run, judgments, 10),
    map: averagePrecision(run, judgments, 1000),
    p10: precisionAt(run, judgments, 10),
  };
}

/** Arithmetic mean of each metric (0 for an empty list). */
export function meanMetrics(all: readonly QueryMetrics[]): QueryMetrics {
  const n = all.length || 1;
  const sum = (key: keyof QueryMetrics) => all.reduce((acc, m) => acc + m[key], 0) / n;
  return { ndcg10: sum('ndcg10'), recall100: sum('recall100'), mrr10: sum('mrr10'), map: sum('map'), p10: sum('p10') };
}
