/**
 * Paired bootstrap confidence interval of a mean difference (seeded, deterministic).
 *
 * Given per-case values of two runs on the same cases, resample cases with replacement `resamples` times
 * and take the 2.5th and 97.5th percentiles of the mean difference (B − A). The same seed and input give
 * the same interval on every machine (mulberry32 PRNG, no Math.random).
 */

/** mulberry32: small, fast, good enough for resampling indices. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BootstrapInterval {
  /** Mean of (b − a) over the paired cases. */
  readonly difference: number;
  readonly low: number;
  readonly high: number;
  readonly n: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = (sorted.length - 1) * p;
  const lower = Math.floor(index);
  const upper = Math.ceil(index);
  const a = sorted[lower] ?? 0;
  const b = sorted[upper] ?? 0;
  return a + (b - a) * (index - lower);
}

/** 95% paired-bootstrap interval of mean(b − a). `a` and `b` are aligned by case. */
export function pairedBootstrap(
  a: readonly number[],
  b: readonly number[],
  options: { resamples?: number; seed?: number; confidence?: number } = {},
): BootstrapInterval {
  if (a.length !== b.length) throw new Error('pairedBootstrap: the two runs must have the same cases');
  const n = a.length;
  const differences = a.map((value, i) => (b[i] ?? 0) - value);
  const difference = n === 0 ? 0 : differences.reduce((s, d) => s + d, 0) / n;
  if (n === 0) return { difference: 0, low: 0, high: 0, n: 0 };
  const resamples = options.resamples ?? 2000;
  const random = seededRandom(options.seed ?? 1);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += differences[Math.floor(random() * n)] ?? 0;
    means[r] = sum / n;
  }
  means.sort();
  const alpha = (1 - (options.confidence ?? 0.95)) / 2;
  const sorted = Array.from(means);
  return { difference, low: percentile(sorted, alpha), high: percentile(sorted, 1 - alpha), n };
}
