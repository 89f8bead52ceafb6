import type { ClaimsConfig } from '../model.ts';

/** Noisy-or of the indicators' weighted strengths: 1 − Π(1 − weight × strength), rounded to 3 decimals. */
export function combineFraudScore(indicators: readonly { code: string; strength: number }[], config: ClaimsConfig): number {
  let clean = 1;
  for (const indicator of indicators) {
    const weight = config.fraudWeights[indicator.code] ?? 0;
    clean *= 1 - Math.max(0, Math.min(1, weight * indicator.strength));
  }
  return Math.round((1 - clean) * 1000) / 1000;
}
