/**
 * Fraud indicators: deterministic and explainable. Each has a reason code, a sentence, the evidence (cited
 * when it comes from a document) and the comparison data; the score combines them with the configured
 * weights (noisy-or, `combineFraudScore`).
 */
import type {
  ClaimCitation,
  ClaimRecordInput,
  ClaimsConfig,
  ExtractedField,
  FraudAssessment,
  FraudIndicator,
  HistoryClaim,
} from '../model.ts';
import { areaOfPart, type DamageArea } from './lexicon.ts';
import { combineFraudScore } from './score.ts';
import { daysBetween, normalizeName, normalizeVin } from './text.ts';

export const fraudCodes = {
  earlyLoss: 'fraud.early_loss',
  lateReport: 'fraud.late_report',
  priorClaims: 'fraud.prior_claims',
  amountOutlier: 'fraud.amount_outlier',
  inconsistentRepair: 'fraud.inconsistent_repair',
  mismatchedDocuments: 'fraud.mismatched_documents',
  nearExpiry: 'fraud.near_expiry',
  afterCancellationNotice: 'fraud.after_cancellation_notice',
} as const;

export interface FraudInput {
  readonly claim: ClaimRecordInput;
  readonly fields: Readonly<Record<string, ExtractedField>>;
  readonly history: readonly HistoryClaim[];
  readonly config: ClaimsConfig;
}

type Draft = Omit<FraudIndicator, 'weight'> & { strength: number };

const str = (field: ExtractedField | undefined) =>
  field && field.value !== null && typeof field.value === 'string' ? field.value : null;
const cite = (field: ExtractedField | undefined): { citation?: ClaimCitation } =>
  field?.citation ? { citation: field.citation } : {};
const threshold = (config: ClaimsConfig, name: string, fallback: number) => config.fraudThresholds[name] ?? fallback;

/** The damage type of a claim for peer comparison: `<cause>_<area>` (e.g. `collision_front`, `hail_multiple`). */
export function damageTypeOf(fields: Readonly<Record<string, ExtractedField>>): string | null {
  const circumstances = str(fields.circumstances) ?? '';
  const area = str(fields.pointOfImpact);
  const cause = /hail/i.test(circumstances)
    ? 'hail'
    : /vandal|keyed|malicious/i.test(circumstances)
      ? 'vandalism'
      : /theft|stolen/i.test(circumstances)
        ? 'theft'
        : 'collision';
  if (!area) return null;
  return `${cause}_${area}`;
}

export function assessFraud(input: FraudInput): FraudAssessment {
  const { claim, fields, history, config } = input;
  const drafts: Draft[] = [];
  const notes: string[] = [];
  const lossDate = str(fields.lossDate) ?? claim.lossDate;
  const lossEvidence = { fact: `loss date ${lossDate}`, ...cite(fields.lossDate) };

  const cannot = (code: string, why: string) => notes.push(`${code} not checked: ${why}.`);
  if (!lossDate) cannot('fraud.early_loss, fraud.late_report, fraud.prior_claims, fraud.near_expiry', 'no loss date');
  if (lossDate) {
    // Days from inception (or a coverage increase) to loss.
    const inception = claim.policy?.effectiveDate ?? str(fields.policyEffectiveDate);
    const increase = claim.policy?.coverageIncreasedOn ?? str(fields.coverageIncreaseDate);
    const early = threshold(config, 'earlyLossDays', 30);
    if (!inception && !increase) cannot(fraudCodes.earlyLoss, 'no policy inception date');
    for (const [label, from, field] of [
      ['policy inception', inception, fields.policyEffectiveDate],
      ['coverage increase', increase, fields.coverageIncreaseDate],
    ] as const) {
      if (!from) continue;
      const days = daysBetween(from, lossDate);
      if (days >= 0 && days <= early) {
        drafts.push({
          code: fraudCodes.earlyLoss,
          reason: `The loss happened ${days} days after the ${label} (${from}), within ${early} days.`,
          evidence: [lossEvidence, { fact: `${label} ${from}`, ...cite(field) }],
          comparison: { days, thresholdDays: early, from: label },
          strength: 1,
        });
        break;
      }
    }

    // Days from loss to report.
    const reported = claim.reportedDate ?? str(fields.reportedDate);
    const late = threshold(config, 'lateReportDays', 30);
    if (!reported) cannot(fraudCodes.lateReport, 'no reported date');
    if (reported) {
      const days = daysBetween(lossDate, reported);
      if (days > late) {
        drafts.push({
          code: fraudCodes.lateReport,
          reason: `The loss was reported ${days} days after it happened (more than ${late}).`,
          evidence: [lossEvidence, { fact: `reported ${reported}`, ...cite(fields.reportedDate) }],
          comparison: { days, thresholdDays: late },
          strength: 1,
        });
      }
    }

    // Prior claims by the same claimant, vehicle or address within the look-back.
    const months = threshold(config, 'priorClaimsMonths', 36);
    const minimum = threshold(config, 'priorClaimsMin', 2);
    const parties = Array.isArray(fields.parties?.value)
      ? (fields.parties.value as { role: string; name: string; address?: string }[])
      : [];
    const insured = parties.find((party) => party.role === 'insured');
    const vehicles = Array.isArray(fields.vehicles?.value) ? (fields.vehicles.value as { vin?: string }[]) : [];
    const vin = vehicles[0]?.vin ?? null;
    const since = new Date(Date.parse(`${lossDate}T00:00:00Z`));
    since.setUTCMonth(since.getUTCMonth() - months);
    const from = since.toISOString().slice(0, 10);
    if (!insured && !vin) cannot(fraudCodes.priorClaims, 'no claimant, VIN or address extracted');
    const matches: { claimNumber: string; lossDate: string; by: string[] }[] = [];
    for (const past of history) {
      if (past.claimNumber === claim.claimNumber || past.lossDate >= lossDate || past.lossDate < from) continue;
      const by: string[] = [];
      if (insured && past.claimantName && normalizeName(past.claimantName) === normalizeName(insured.name)) by.push('claimant');
      if (vin && past.vehicleVin && normalizeVin(past.vehicleVin) === vin) by.push('vehicle');
      if (insured?.address && past.address && normalizeName(past.address) === normalizeName(insured.address)) by.push('address');
      if (by.length > 0) matches.push({ claimNumber: past.claimNumber, lossDate: past.lossDate, by });
    }
    if (matches.length >= minimum) {
      drafts.push({
        code: fraudCodes.priorClaims,
        reason: `${matches.length} prior claims by the same claimant, vehicle or address in the ${months} months before the loss.`,
        evidence: [
          ...(insured ? [{ fact: `claimant ${insured.name}`, ...cite(fields.parties) }] : []),
          ...(vin ? [{ fact: `VIN ${vin}`, ...cite(fields.vehicles) }] : []),
          ...matches.map((match) => ({
            fact: `prior claim ${match.claimNumber} on ${match.lossDate} (same ${match.by.join(', ')})`,
          })),
        ],
        comparison: { priorClaims: matches, months, minimum },
        strength: 1,
      });
    }

    // Near expiry, after a cancellation notice.
    const expiry = claim.policy?.expiryDate ?? str(fields.policyExpiryDate);
    const nearDays = threshold(config, 'nearExpiryDays', 30);
    if (!expiry) cannot(fraudCodes.nearExpiry, 'no policy expiry date');
    if (expiry) {
      const days = daysBetween(lossDate, expiry);
      if (days >= 0 && days <= nearDays) {
        drafts.push({
          code: fraudCodes.nearExpiry,
          reason: `The loss happened ${days} days before the policy expires (${expiry}).`,
          evidence: [lossEvidence, { fact: `policy expires ${expiry}`, ...cite(fields.policyExpiryDate) }],
          comparison: { days, thresholdDays: nearDays },
          strength: 1,
        });
      }
    }
    const notice = claim.policy?.cancellationNoticeOn ?? str(fields.cancellationNoticeDate);
    if (notice && daysBetween(notice, lossDate) >= 0) {
      drafts.push({
        code: fraudCodes.afterCancellationNotice,
        reason: `The loss happened ${daysBetween(notice, lossDate)} days after a cancellation notice (${notice}).`,
        evidence: [lossEvidence, { fact: `cancellation notice ${notice}`, ...cite(fields.cancellationNoticeDate) }],
        comparison: { daysAfterNotice: daysBetween(notice, lossDate) },
        strength: 1,
      });
    }
  }

  // Amount z-score against peers (same line, region, damage type).
  const amount = typeof fields.repairTotal?.value === 'number' ? fields.repairTotal.value : null;
  const damageType = damageTypeOf(fields);
  if (amount === null || !damageType)
    cannot(fraudCodes.amountOutlier, amount === null ? 'no repair total' : 'no point of impact (damage type)');
  if (amount !== null && damageType) {
    const peers = history.filter(
      (past) =>
        past.claimNumber !== claim.claimNumber &&
        typeof past.amount === 'number' &&
        past.lineOfBusiness === claim.lineOfBusiness &&
        (past.region ?? null) === (claim.region ?? null) &&
        past.damageType === damageType,
    );
    const minPeers = threshold(config, 'minPeers', 8);
    if (peers.length < minPeers) {
      notes.push(
        `fraud.amount_outlier skipped: ${peers.length} peer claims (line ${claim.lineOfBusiness}, region ${claim.region ?? 'unknown'}, ${damageType}); at least ${minPeers} are needed.`,
      );
    } else {
      const amounts = peers.map((past) => past.amount as number);
      const mean = amounts.reduce((a, b) => a + b, 0) / amounts.length;
      const sd = Math.sqrt(amounts.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, amounts.length - 1));
      const z = sd > 0 ? (amount - mean) / sd : 0;
      const limit = threshold(config, 'amountZ', 3);
      if (z >= limit) {
        drafts.push({
          code: fraudCodes.amountOutlier,
          reason: `The repair total ${amount.toFixed(2)} is ${z.toFixed(1)} standard deviations above ${peers.length} peer claims (mean ${mean.toFixed(2)}).`,
          evidence: [{ fact: `repair total ${amount.toFixed(2)}`, ...cite(fields.repairTotal) }],
          comparison: {
            n: peers.length,
            mean: Math.round(mean * 100) / 100,
            sd: Math.round(sd * 100) / 100,
            z: Math.round(z * 100) / 100,
            threshold: limit,
            peers: { lineOfBusiness: claim.lineOfBusiness, region: claim.region ?? null, damageType },
          },
          strength: 1,
        });
      }
    }
  }

  // Repair items inconsistent with the described damage.
  const described = str(fields.pointOfImpact) as DamageArea | 'multiple' | null;
  const items = Array.isArray(fields.repairLineItems?.value) ? (fields.repairLineItems.value as { part: string }[]) : [];
  if (!described || items.length === 0)
    cannot(fraudCodes.inconsistentRepair, !described ? 'no point of impact' : 'no repair lines');
  if (described && described !== 'multiple' && items.length > 0) {
    const placed = items.map((item) => ({ part: item.part, area: areaOfPart(item.part) })).filter((item) => item.area !== null);
    const foreign = placed.filter((item) => item.area !== described);
    const share = placed.length > 0 ? foreign.length / placed.length : 0;
    const limit = threshold(config, 'inconsistentRepairShare', 0.3);
    if (foreign.length > 0 && share >= limit) {
      drafts.push({
        code: fraudCodes.inconsistentRepair,
        reason: `${foreign.length} of ${placed.length} repair parts are for another area than the described ${described} damage (${foreign.map((item) => item.part).join(', ')}).`,
        evidence: [
          { fact: `point of impact ${described}`, ...cite(fields.pointOfImpact) },
          {
            fact: `repair lines ${foreign.map((item) => `${item.part} (${item.area})`).join(', ')}`,
            ...cite(fields.repairLineItems),
          },
        ],
        comparison: { described, foreignParts: foreign, share: Math.round(share * 100) / 100, threshold: limit },
        strength: 1,
      });
    }
  }

  // Mismatched dates or parties between documents.
  const conflicting = ['lossDate', 'parties', 'vehicles', 'policyNumber', 'claimNumber', 'lossTime'].filter(
    (name) => fields[name]?.status === 'conflict',
  );
  if (conflicting.length > 0) {
    const evidence: { fact: string; citation?: ClaimCitation }[] = [];
    for (const name of conflicting) {
      const field = fields[name] as ExtractedField;
      evidence.push({ fact: `${name}: ${JSON.stringify(field.value)}`, ...cite(field) });
      for (const seen of field.alsoSeen ?? []) {
        const { value, ...citation } = seen;
        evidence.push({ fact: `${name} elsewhere: ${JSON.stringify(value)}`, citation });
      }
    }
    drafts.push({
      code: fraudCodes.mismatchedDocuments,
      reason: `The documents disagree on ${conflicting.join(', ')}.`,
      evidence,
      comparison: { fields: conflicting },
      strength: 1,
    });
  }

  const indicators: FraudIndicator[] = drafts.map(({ strength, ...draft }) => ({
    ...draft,
    weight: Math.round(Math.min(1, (config.fraudWeights[draft.code] ?? 0) * strength) * 1000) / 1000,
  }));
  return {
    score: combineFraudScore(
      drafts.map((draft) => ({ code: draft.code, strength: draft.strength })),
      config,
    ),
    indicators,
    configVersion: config.version,
    ...(notes.length > 0 ? { notes } : {}),
  };
}
