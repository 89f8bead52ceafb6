/**
 * The preliminary determination: covered / not_covered / needs_information, the policy terms it rests on
 * (found through the caller's permission-aware `searchPolicyTerms`), the deductible, the estimated payable
 * amount (repair total − deductible, capped at the coverage limit), a rationale, what is missing, and a
 * calibrated confidence.
 *
 * Confidence: a raw score from extraction confidence, conflicts, term evidence and the outcome, mapped through
 * a Platt fit (sigmoid(a·raw + b)) and multiplied by completeness² (a prior, see `calibratedConfidence`) made on the generated dataset against ground truth
 * (`npm run bench:claims` refits it and reports the reliability table and ECE). It estimates the probability
 * that the determination is right and final (a needs-information determination is never final).
 */
import type { ClaimCitation, ClaimOutcome, ClassifiedDocument, Determination, ExtractedField } from '../model.ts';
import { coverageNeeded } from './extract.ts';
import { daysBetween, normalizeName } from './text.ts';

/** The key facts a determination needs and the document that gives them. */
const keyFields: readonly [string, string][] = [
  ['lossDate', 'fnol'],
  ['circumstances', 'fnol'],
  ['repairTotal', 'repair_estimate'],
  ['coverages', 'policy_declarations'],
  ['policyEffectiveDate', 'policy_declarations'],
  ['policyExpiryDate', 'policy_declarations'],
];

/** Fields whose completeness and confidence feed the raw confidence score. */
const scoredFields = [
  'claimNumber',
  'policyNumber',
  'parties',
  'vehicles',
  'lossDate',
  'reportedDate',
  'circumstances',
  'repairTotal',
  'coverages',
];

/** Platt constants fitted on the generated dataset (seed 18, 200 claims; see docs/claims-assessment.md). */
export const confidenceCalibration = { a: 1.687, b: -3.625, version: 1 } as const;

export interface DeterminationFeatures {
  /** Share of the scored fields found (0..1). */
  readonly completeness: number;
  /** Mean extraction confidence of the scored fields found (0..1). */
  readonly fieldConfidence: number;
  /** Fields in conflict between documents. */
  readonly conflicts: number;
  /** Policy terms found for the determination. */
  readonly terms: number;
  readonly outcome: ClaimOutcome;
}

/** The uncalibrated score (higher: more likely right and final), from everything but completeness. */
export function rawConfidence(features: DeterminationFeatures): number {
  return (
    3 +
    2 * features.fieldConfidence -
    0.7 * features.conflicts +
    (features.terms > 0 ? 0.5 : -0.5) -
    (features.outcome === 'needs_information' ? 4 : 0)
  );
}

/**
 * The confidence: the Platt-calibrated raw score times completeness². The generated set has no incomplete but
 * decidable claims to fit a completeness weight on, so it enters as a prior: at completeness 1 the confidence is
 * the calibrated one; a claim missing facts (an unread form) cannot look certain — one of nine key fields
 * missing caps it at 0.79, under the fast-track threshold.
 */
export function calibratedConfidence(
  raw: number,
  calibration: { a: number; b: number } = confidenceCalibration,
  completeness = 1,
): number {
  const calibrated = 1 / (1 + Math.exp(-(calibration.a * raw + calibration.b)));
  return Math.round(calibrated * completeness ** 2 * 1000) / 1000;
}

/** Fits Platt constants (logistic regression of `label` on `raw`) by gradient descent. */
export function fitPlatt(samples: readonly { raw: number; label: 0 | 1 }[], iterations = 4000): { a: number; b: number } {
  let a = 1;
  let b = 0;
  const rate = 0.05;
  for (let step = 0; step < iterations; step++) {
    let ga = 0;
    let gb = 0;
    for (const sample of samples) {
      const p = 1 / (1 + Math.exp(-(a * sample.raw + b)));
      ga += (p - sample.label) * sample.raw;
      gb += p - sample.label;
    }
    a -= (rate * ga) / samples.length;
    b -= (rate * gb) / samples.length;
  }
  return { a: Math.round(a * 1000) / 1000, b: Math.round(b * 1000) / 1000 };
}

/** Expected calibration error over `bins` equal-width bins, and the reliability table. */
export function expectedCalibrationError(
  samples: readonly { confidence: number; label: 0 | 1 }[],
  bins = 10,
): { ece: number; table: { from: number; to: number; n: number; meanConfidence: number; accuracy: number }[] } {
  const table: { from: number; to: number; n: number; meanConfidence: number; accuracy: number }[] = [];
  let ece = 0;
  for (let bin = 0; bin < bins; bin++) {
    const from = bin / bins;
    const to = (bin + 1) / bins;
    const inBin = samples.filter((s) => s.confidence >= from && (bin === bins - 1 ? s.confidence <= to : s.confidence < to));
    if (inBin.length === 0) continue;
    const meanConfidence = inBin.reduce((sum, s) => sum + s.confidence, 0) / inBin.length;
    const accuracy = inBin.reduce((sum, s) => sum + s.label, 0) / inBin.length;
    ece += (inBin.length / samples.length) * Math.abs(meanConfidence - accuracy);
    table.push({ from, to, n: inBin.length, meanConfidence, accuracy });
  }
  return { ece, table };
}

export interface DetermineInput {
  readonly fields: Readonly<Record<string, ExtractedField>>;
  readonly documents: readonly ClassifiedDocument[];
  readonly searchPolicyTerms: (query: string) => Promise<readonly ClaimCitation[]>;
  readonly cancellationEffectiveDate?: string | null;
  readonly calibration?: { a: number; b: number };
}

export interface DeterminationResult extends Determination {
  readonly features: DeterminationFeatures;
  readonly rawConfidence: number;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

export async function determine(input: DetermineInput): Promise<DeterminationResult> {
  const { fields } = input;
  const missing: string[] = [];
  for (const [name, documentType] of keyFields) {
    if (fields[name]?.status === 'missing') {
      if (!missing.includes(documentType)) missing.push(documentType);
      missing.push(name);
    }
  }
  // Documents present but unreadable are named as such.
  const circumstances = typeof fields.circumstances?.value === 'string' ? fields.circumstances.value : '';
  const needed = coverageNeeded(circumstances);
  const coverages = Array.isArray(fields.coverages?.value)
    ? (fields.coverages.value as { name: string; limit: number | null; deductible: number | null }[])
    : [];
  const coverage = coverages.find((item) => normalizeName(item.name) === needed.toLowerCase());
  const lossDate = typeof fields.lossDate?.value === 'string' ? fields.lossDate.value : null;
  const effective = typeof fields.policyEffectiveDate?.value === 'string' ? fields.policyEffectiveDate.value : null;
  const expiry = typeof fields.policyExpiryDate?.value === 'string' ? fields.policyExpiryDate.value : null;
  const cancelled =
    input.cancellationEffectiveDate ??
    (typeof fields.cancellationEffectiveDate?.value === 'string' ? fields.cancellationEffectiveDate.value : null);
  const repairTotal = typeof fields.repairTotal?.value === 'number' ? fields.repairTotal.value : null;

  // The terms: the coverage the loss falls under, the policy period, and the deductible clause.
  const queries = [
    `${needed} coverage direct and accidental loss`,
    'policy period losses which occur',
    'deductible shown in the Declarations',
  ];
  if (cancelled) queries.push('cancellation notice');
  const terms: ClaimCitation[] = [];
  const seen = new Set<string>();
  for (const query of queries) {
    for (const citation of (await input.searchPolicyTerms(query)).slice(0, 1)) {
      const key = `${citation.documentId}:${citation.page}:${citation.passage}`;
      if (seen.has(key)) continue;
      seen.add(key);
      terms.push(citation);
    }
  }
  if (fields.coverages?.citation && coverage) terms.push({ ...fields.coverages.citation });

  let outcome: ClaimOutcome;
  let rationale: string;
  let deductible: number | null = null;
  let estimatedPayable: number | null = null;
  if (missing.length > 0) {
    outcome = 'needs_information';
    rationale = `A determination needs ${missing.filter((item) => !item.includes('_')).join(', ')}; missing or unreadable: ${missing.filter((item) => item.includes('_')).join(', ')}. Ask for them before deciding.`;
  } else if (lossDate && effective && expiry && (daysBetween(effective, lossDate) < 0 || daysBetween(lossDate, expiry) < 0)) {
    outcome = 'not_covered';
    rationale = `The loss on ${lossDate} is outside the policy period ${effective} to ${expiry}.`;
  } else if (lossDate && cancelled && daysBetween(cancelled, lossDate) >= 0) {
    outcome = 'not_covered';
    rationale = `The policy was cancelled effective ${cancelled}, before the loss on ${lossDate}.`;
  } else if (!coverage) {
    outcome = 'not_covered';
    rationale = `The loss (${circumstances || 'as described'}) falls under ${needed} coverage, which the declarations do not list (${coverages.map((item) => item.name).join(', ') || 'none'}).`;
  } else {
    outcome = 'covered';
    deductible = coverage.deductible;
    const afterDeductible = Math.max(0, (repairTotal ?? 0) - (deductible ?? 0));
    estimatedPayable = round2(coverage.limit === null ? afterDeductible : Math.min(afterDeductible, coverage.limit));
    rationale = `The loss on ${lossDate} falls under ${needed} coverage, in force from ${effective} to ${expiry}. Repair total ${repairTotal?.toFixed(2)} less the ${needed.toLowerCase()} deductible ${(deductible ?? 0).toFixed(2)}${coverage.limit !== null && afterDeductible > coverage.limit ? `, capped at the limit ${coverage.limit.toFixed(2)}` : ''}: ${estimatedPayable.toFixed(2)} payable.`;
  }
  if (outcome !== 'covered' && coverage) deductible = coverage.deductible;

  const scored = scoredFields.map((name) => fields[name]).filter((field): field is ExtractedField => Boolean(field));
  const found = scored.filter((field) => field.status !== 'missing');
  const features: DeterminationFeatures = {
    completeness: scored.length > 0 ? found.length / scored.length : 0,
    fieldConfidence: found.length > 0 ? found.reduce((sum, field) => sum + field.confidence, 0) / found.length : 0,
    conflicts: Object.values(fields).filter((field) => field.status === 'conflict').length,
    terms: terms.length,
    outcome,
  };
  const raw = rawConfidence(features);
  return {
    outcome,
    confidence: calibratedConfidence(raw, input.calibration, features.completeness),
    terms,
    deductible,
    estimatedPayable,
    rationale,
    missing: outcome === 'needs_information' ? missing : [],
    features,
    rawConfidence: Math.round(raw * 1000) / 1000,
  };
}
