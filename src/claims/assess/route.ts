/**
 * Tiered routing from the configured thresholds, in this order: SIU referral (fraud score at or over
 * siuFraudScore) > senior review (confidence under seniorBelowConfidence) > fast track (confidence at or over
 * fastTrackConfidence, fraud score under cleanFraudScore, outcome covered) > standard. Nothing is ever
 * auto-denied: a not_covered (or needs_information) outcome never fast-tracks, it goes to a person.
 */
import type { ClaimOutcome, ClaimsConfig, ClaimTier } from '../model.ts';

export interface RouteInput {
  readonly fraudScore: number;
  readonly confidence: number;
  readonly outcome: ClaimOutcome;
  readonly config: ClaimsConfig;
}

export function routeClaim(input: RouteInput): { tier: ClaimTier; tierReason: string } {
  const { fraudScore, confidence, outcome } = input;
  const routing = input.config.routing;
  const v = `config v${input.config.version}`;
  if (fraudScore >= routing.siuFraudScore) {
    return {
      tier: 'siu_referral',
      tierReason: `siu_referral: fraud score ${fraudScore} ≥ siuFraudScore ${routing.siuFraudScore} (${v})`,
    };
  }
  if (confidence < routing.seniorBelowConfidence) {
    return {
      tier: 'senior_review',
      tierReason: `senior_review: confidence ${confidence} < seniorBelowConfidence ${routing.seniorBelowConfidence} (${v})`,
    };
  }
  if (outcome === 'covered' && confidence >= routing.fastTrackConfidence && fraudScore < routing.cleanFraudScore) {
    return {
      tier: 'fast_track',
      tierReason: `fast_track: covered, confidence ${confidence} ≥ fastTrackConfidence ${routing.fastTrackConfidence} and fraud score ${fraudScore} < cleanFraudScore ${routing.cleanFraudScore} (${v})`,
    };
  }
  const why =
    outcome !== 'covered'
      ? `outcome ${outcome} is never fast-tracked (nothing is auto-denied; a person decides)`
      : confidence < routing.fastTrackConfidence
        ? `confidence ${confidence} < fastTrackConfidence ${routing.fastTrackConfidence}`
        : `fraud score ${fraudScore} ≥ cleanFraudScore ${routing.cleanFraudScore}`;
  return { tier: 'standard', tierReason: `standard: ${why} (${v})` };
}
