/**
 * The default claims configuration (version 1): fraud indicator weights and thresholds, routing thresholds.
 * The workflow stores versions of it; the assessment reads the one it is given.
 */
import { z } from 'zod';
import type { ClaimsConfig } from '../model.ts';

export const defaultClaimsConfig: ClaimsConfig = {
  version: 1,
  /** Contribution of each indicator at full strength; combined as a noisy-or (1 − Π(1 − weight × strength)). */
  fraudWeights: {
    'fraud.early_loss': 0.4,
    'fraud.late_report': 0.4,
    'fraud.prior_claims': 0.4,
    'fraud.amount_outlier': 0.4,
    'fraud.inconsistent_repair': 0.4,
    'fraud.mismatched_documents': 0.4,
    'fraud.near_expiry': 0.4,
    'fraud.after_cancellation_notice': 0.45,
  },
  fraudThresholds: {
    /** Loss within this many days of policy inception or a coverage increase. */
    earlyLossDays: 30,
    /** Reported more than this many days after the loss. */
    lateReportDays: 30,
    /** Look-back of the prior-claims check, in months. */
    priorClaimsMonths: 36,
    /** At least this many prior claims by the same claimant, vehicle or address. */
    priorClaimsMin: 2,
    /** Amount z-score against peers at or above this. */
    amountZ: 3,
    /** Fewest peers for a z-score (fewer: the indicator is skipped with a note). */
    minPeers: 8,
    /** Share of repair lines for another damage area than the one described. */
    inconsistentRepairShare: 0.3,
    /** Loss within this many days before the policy expires. */
    nearExpiryDays: 30,
  },
  routing: {
    fastTrackConfidence: 0.85,
    cleanFraudScore: 0.2,
    seniorBelowConfidence: 0.6,
    siuFraudScore: 0.6,
  },
};

/** Validates a claims configuration (a version the workflow is asked to store): weights and thresholds in range. */
export const claimsConfigSchema = z.object({
  version: z.number().int().min(1),
  fraudWeights: z.record(z.string().regex(/^fraud\.[a-z_]+$/), z.number().min(0).max(1)),
  fraudThresholds: z.record(z.string(), z.number().min(0)),
  routing: z
    .object({
      fastTrackConfidence: z.number().min(0).max(1),
      cleanFraudScore: z.number().min(0).max(1),
      seniorBelowConfidence: z.number().min(0).max(1),
      siuFraudScore: z.number().min(0).max(1),
    })
    .refine((routing) => routing.seniorBelowConfidence <= routing.fastTrackConfidence, {
      message: 'seniorBelowConfidence must not exceed fastTrackConfidence',
    })
    .refine((routing) => routing.cleanFraudScore <= routing.siuFraudScore, {
      message: 'cleanFraudScore must not exceed siuFraudScore',
    }),
}) satisfies z.ZodType<ClaimsConfig>;
