/**
 * PLACEHOLDER of the claims assessment (branch `claimscore` replaces this file with the real one): classifies
 * documents by file name, reads a few labelled fields (`Label: value`) with citations, flags a late report and
 * routes per config. It depends only on model.ts, like the real one.
 */
import type {
  AssessClaimInput,
  ClaimAssessment,
  ClaimCitation,
  ClaimDocumentType,
  ClaimsConfig,
  ClaimTier,
  ExtractedField,
  FraudIndicator,
} from '../model.ts';

export const defaultClaimsConfig: ClaimsConfig = {
  version: 1,
  fraudWeights: { 'fraud.late_report': 0.4, 'fraud.early_loss': 0.4, 'fraud.prior_claims': 0.3 },
  fraudThresholds: { lateReportDays: 30, earlyLossDays: 30 },
  routing: { fastTrackConfidence: 0.85, cleanFraudScore: 0.2, seniorBelowConfidence: 0.5, siuFraudScore: 0.6 },
};

export const defaultExtractionPrompt = {
  name: 'claims-extraction',
  text: 'Extract the claim fields from the documents below. Cite the document and page of every value; leave missing fields null.',
};

const typeByName: readonly [RegExp, ClaimDocumentType][] = [
  [/fnol|first.?notice/i, 'fnol'],
  [/police/i, 'police_report'],
  [/estimate|repair/i, 'repair_estimate'],
  [/medical/i, 'medical_bill'],
  [/\.(jpe?g|png|tiff?)$/i, 'photo'],
  [/polic(y|ies)|declaration/i, 'policy_declarations'],
  [/\.eml$/i, 'correspondence'],
];

const labels: Readonly<Record<string, RegExp>> = {
  claimNumber: /claim (?:number|no\.?)\s*:\s*(.+)/i,
  policyNumber: /policy (?:number|no\.?)\s*:\s*(.+)/i,
  lossDate: /(?:date of loss|loss date)\s*:\s*(\d{4}-\d{2}-\d{2})/i,
  lossLocation: /(?:location|place of loss)\s*:\s*(.+)/i,
  circumstances: /(?:circumstances|description)\s*:\s*(.+)/i,
  policeReportNumber: /(?:police )?report (?:number|no\.?)\s*:\s*(.+)/i,
  repairTotal: /(?:estimate )?total\s*:\s*\$?([\d,]+(?:\.\d+)?)/i,
  deductible: /deductible\s*:\s*\$?([\d,]+(?:\.\d+)?)/i,
};
const numeric = new Set(['repairTotal', 'deductible']);

function days(from: string, to: string): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);
}

export async function assessClaim(input: AssessClaimInput): Promise<ClaimAssessment> {
  const documents = input.documents.map((d) => {
    const match = typeByName.find(([pattern]) => pattern.test(d.fileName));
    return {
      documentId: d.documentId,
      type: match ? match[1] : ('other' as ClaimDocumentType),
      confidence: match ? 0.9 : 0.3,
      reason: match ? `file name matches ${match[0]}` : 'no file name pattern matched',
    };
  });
  const extracted: Record<string, ExtractedField> = {};
  for (const [field, pattern] of Object.entries(labels)) {
    let found: ExtractedField | undefined;
    for (const d of input.documents) {
      for (const p of d.pages) {
        for (const line of p.text.split(/\r?\n/)) {
          const m = pattern.exec(line);
          if (!m?.[1] || found) continue;
          const raw = m[1].trim();
          const value = numeric.has(field) ? Number(raw.replace(/,/g, '')) : raw;
          found = {
            value,
            status: 'found',
            citation: { documentId: d.documentId, page: p.page, passage: line.trim().slice(0, 200) },
            method: 'deterministic',
            confidence: 0.9,
          };
        }
      }
    }
    extracted[field] = found ?? { value: null, status: 'missing', citation: null, method: 'deterministic', confidence: 0 };
  }
  const indicators: FraudIndicator[] = [];
  const lossDate = (extracted.lossDate?.value as string | null) ?? input.claim.lossDate;
  if (lossDate && input.claim.reportedDate) {
    const late = days(lossDate, input.claim.reportedDate);
    const threshold = input.config.fraudThresholds.lateReportDays ?? 30;
    if (late > threshold) {
      const citation = extracted.lossDate?.citation;
      indicators.push({
        code: 'fraud.late_report',
        reason: `Reported ${late} days after the loss (threshold ${threshold}).`,
        weight: input.config.fraudWeights['fraud.late_report'] ?? 0.4,
        evidence: [{ fact: `loss ${lossDate}, reported ${input.claim.reportedDate}`, ...(citation ? { citation } : {}) }],
        comparison: { days: late, threshold },
      });
    }
  }
  const prior = input.history.filter(
    (h) => h.policyNumber === input.claim.policyNumber && h.claimNumber !== input.claim.claimNumber,
  );
  if (prior.length >= 2) {
    indicators.push({
      code: 'fraud.prior_claims',
      reason: `${prior.length} prior claims on the same policy.`,
      weight: input.config.fraudWeights['fraud.prior_claims'] ?? 0.3,
      evidence: [{ fact: `prior claims ${prior.map((h) => h.claimNumber).join(', ')}` }],
      comparison: { priorClaims: prior.map((h) => h.claimNumber) },
    });
  }
  const score = Math.min(
    1,
    indicators.reduce((sum, i) => sum + i.weight, 0),
  );
  const missing = ['policyNumber', 'lossDate', 'repairTotal'].filter((f) => extracted[f]?.status === 'missing');
  const terms: ClaimCitation[] = [...(await input.searchPolicyTerms('collision coverage deductible'))].slice(0, 3);
  const found = Object.values(extracted).filter((f) => f.status === 'found').length;
  const confidence = missing.length > 0 ? 0.3 : Math.min(0.95, 0.5 + found * 0.06 + (terms.length > 0 ? 0.1 : 0));
  const outcome = missing.length > 0 ? 'needs_information' : 'covered';
  const deductible = (extracted.deductible?.value as number | null) ?? null;
  const total = (extracted.repairTotal?.value as number | null) ?? null;
  const r = input.config.routing;
  let tier: ClaimTier;
  let tierReason: string;
  if (score >= r.siuFraudScore) {
    tier = 'siu_referral';
    tierReason = `fraud score ${score.toFixed(2)} ≥ ${r.siuFraudScore}`;
  } else if (confidence < r.seniorBelowConfidence) {
    tier = 'senior_review';
    tierReason = `confidence ${confidence.toFixed(2)} < ${r.seniorBelowConfidence}`;
  } else if (confidence >= r.fastTrackConfidence && score < r.cleanFraudScore) {
    tier = 'fast_track';
    tierReason = `confidence ${confidence.toFixed(2)} ≥ ${r.fastTrackConfidence} and fraud score ${score.toFixed(2)} < ${r.cleanFraudScore}`;
  } else {
    tier = 'standard';
    tierReason = 'neither fast-track nor senior/SIU thresholds met';
  }
  return {
    documents,
    extracted,
    fraud: { score, indicators, configVersion: input.config.version },
    determination: {
      outcome,
      confidence,
      terms,
      deductible,
      estimatedPayable: total !== null ? Math.max(0, total - (deductible ?? 0)) : null,
      rationale: outcome === 'covered' ? 'All key fields found; collision coverage applies.' : `Missing: ${missing.join(', ')}.`,
      missing,
    },
    tier,
    tierReason,
  };
}
