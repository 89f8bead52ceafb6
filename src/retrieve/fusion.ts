/**
 * Fusion of ranked candidate lists (pure functions).
 *
 * - Reciprocal-rank fusion: score = Σ 1 / (rrfK + rank), rank 1-based; robust to incomparable score scales.
 * - Weighted fusion: each list's scores min-max normalised to [0, 1] (a single candidate gets 1), then
 *   `lexicalWeight · lexical + (1 − lexicalWeight) · vector`; a list missing a candidate contributes 0.
 * Ties break by the best component rank, then by id, so results are deterministic.
 */

export interface Candidate {
  readonly id: string;
  readonly score: number;
}

export interface FusedCandidate {
  readonly id: string;
  readonly fused: number;
  readonly lexical?: number;
  readonly vector?: number;
}

export function reciprocalRankFusion(
  lexical: readonly Candidate[],
  vector: readonly Candidate[],
  rrfK: number,
  weights: { lexical: number; vector: number } = { lexical: 1, vector: 1 },
): FusedCandidate[] {
  const map = new Map<string, { fused: number; lexical?: number; vector?: number; bestRank: number }>();
  const add = (list: readonly Candidate[], kind: 'lexical' | 'vector', weight: number) => {
    list.forEach((c, index) => {
      const entry = map.get(c.id) ?? { fused: 0, bestRank: Number.POSITIVE_INFINITY };
      entry.fused += weight / (rrfK + index + 1);
      entry[kind] = c.score;
      entry.bestRank = Math.min(entry.bestRank, index + 1);
      map.set(c.id, entry);
    });
  };
  add(lexical, 'lexical', weights.lexical);
  add(vector, 'vector', weights.vector);
  return sortFused(map);
}

function normalise(list: readonly Candidate[]): Map<string, number> {
  const out = new Map<string, number>();
  if (list.length === 0) return out;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const c of list) {
    min = Math.min(min, c.score);
    max = Math.max(max, c.score);
  }
  for (const c of list) out.set(c.id, max === min ? 1 : (c.score - min) / (max - min));
  return out;
}

export function weightedFusion(
  lexical: readonly Candidate[],
  vector: readonly Candidate[],
  lexicalWeight: number,
): FusedCandidate[] {
  const w = Math.min(1, Math.max(0, lexicalWeight));
  const ln = normalise(lexical);
  const vn = normalise(vector);
  const map = new Map<string, { fused: number; lexical?: number; vector?: number; bestRank: number }>();
  lexical.forEach((c, index) => {
    map.set(c.id, { fused: w * (ln.get(c.id) ?? 0), lexical: c.score, bestRank: index + 1 });
  });
  vector.forEach((c, index) => {
    const entry = map.get(c.id) ?? { fused: 0, bestRank: Number.POSITIVE_INFINITY };
    entry.fused += (1 - w) * (vn.get(c.id) ?? 0);
    entry.vector = c.score;
    entry.bestRank = Math.min(entry.bestRank, index + 1);
    map.set(c.id, entry);
  });
  return sortFused(map);
}

function sortFused(map: Map<string, { fused: number; lexical?: number; vector?: number; bestRank: number }>): FusedCandidate[] {
  return [...map.entries()]
    .sort((a, b) => b[1].fused - a[1].fused || a[1].bestRank - b[1].bestRank || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([id, e]) => ({
      id,
      fused: e.fused,
      ...(e.lexical === undefined ? {} : { lexical: e.lexical }),
      ...(e.vector === undefined ? {} : { vector: e.vector }),
    }));
}
