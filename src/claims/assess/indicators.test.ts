/**
 * Fraud indicators one by one (each positive and negative, with its evidence and comparison data), the
 * combined score, routing (incl. never auto-denying), the determination and the photo EXIF round trip.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClaimCitation, ClaimRecordInput, ExtractedField, HistoryClaim } from '../model.ts';
import {
  assessFraud,
  buildExif,
  calibratedConfidence,
  claimsConfigSchema,
  combineFraudScore,
  defaultClaimsConfig,
  determine,
  expectedCalibrationError,
  fitPlatt,
  readPhotoMetadata,
  routeClaim,
} from './index.ts';

const cite = (passage: string, documentId = 'CLM-1/fnol.pdf'): ClaimCitation => ({ documentId, page: 1, passage });
const found = (value: unknown, passage = String(value), documentId?: string): ExtractedField => ({
  value,
  status: 'found',
  citation: cite(passage, documentId),
  method: 'deterministic',
  confidence: 0.97,
});
const missing: ExtractedField = { value: null, status: 'missing', citation: null, method: 'deterministic', confidence: 0 };

const claim: ClaimRecordInput = {
  claimNumber: 'CLM-2026-00001',
  policyNumber: 'PA-1',
  lineOfBusiness: 'personal_auto',
  lossDate: '2026-05-10',
  reportedDate: '2026-05-12',
  region: 'North',
};

/** A clean claim's fields: nothing suspicious. */
function cleanFields(): Record<string, ExtractedField> {
  return {
    claimNumber: found('CLM-2026-00001'),
    policyNumber: found('PA-1'),
    parties: found(
      [
        { role: 'insured', name: 'Dana Whitfield', address: '12 Elm Street, Springfield' },
        { role: 'other_party', name: 'Sam Okafor' },
      ],
      'Insured name: Dana Whitfield',
    ),
    vehicles: found([{ year: 2019, make: 'Toyota', model: 'Camry', vin: '1HGCM82633A004352' }], 'VIN: 1HGCM82633A004352'),
    lossDate: found('2026-05-10', 'Date of loss: May 10, 2026'),
    reportedDate: found('2026-05-12', 'Date reported: May 12, 2026'),
    circumstances: found('Insured vehicle was rear-ended while waiting at a stop sign'),
    pointOfImpact: found('rear', 'Point of impact: Rear'),
    repairLineItems: found(
      [
        { part: 'Rear bumper cover', labourHours: 2, amount: 900 },
        { part: 'Trunk lid', labourHours: 1.5, amount: 1200 },
        { part: 'Paint and materials', labourHours: 1, amount: 400 },
      ],
      'Rear bumper cover 2.0 $900.00',
      'CLM-1/repair-estimate.pdf',
    ),
    repairTotal: found(2500, 'Estimate total: $2,500.00', 'CLM-1/repair-estimate.pdf'),
    coverages: found(
      [
        { name: 'Collision', limit: 25000, deductible: 500 },
        { name: 'Comprehensive', limit: 25000, deductible: 250 },
      ],
      'Collision $25,000.00 $500.00\nComprehensive $25,000.00 $250.00',
      'CLM-1/declarations.pdf',
    ),
    policyEffectiveDate: found('2025-12-01', 'Effective date: 2025-12-01', 'CLM-1/declarations.pdf'),
    policyExpiryDate: found('2026-12-01', 'Expiry date: 2026-12-01', 'CLM-1/declarations.pdf'),
    coverageIncreaseDate: missing,
    cancellationNoticeDate: missing,
  };
}

/** 20 peers (collision_rear, North) around 2,500 with sd ~300. */
function peers(): HistoryClaim[] {
  return Array.from({ length: 20 }, (_, index) => ({
    claimNumber: `H-${index}`,
    policyNumber: `PA-H${index}`,
    lineOfBusiness: 'personal_auto',
    lossDate: '2025-01-01',
    region: 'North',
    damageType: 'collision_rear',
    amount: 2500 + (index % 2 === 0 ? 1 : -1) * 300,
    claimantName: `Peer ${index}`,
    vehicleVin: `VINPEER${String(index).padStart(10, '0')}`,
    address: `${index} Peer Road`,
  }));
}

const codes = (fields: Record<string, ExtractedField>, history: HistoryClaim[] = peers(), record: ClaimRecordInput = claim) =>
  assessFraud({ claim: record, fields, history, config: defaultClaimsConfig });

describe('fraud indicators', () => {
  test('a clean claim has no indicator and a zero score', () => {
    const fraud = codes(cleanFields());
    assert.deepEqual(fraud.indicators, []);
    assert.equal(fraud.score, 0);
    assert.equal(fraud.configVersion, 1);
  });

  test('fraud.early_loss: days from inception or from a coverage increase', () => {
    const fields = cleanFields();
    fields.policyEffectiveDate = found('2026-04-25', 'Effective date: 2026-04-25', 'CLM-1/declarations.pdf');
    const [indicator] = codes(fields).indicators;
    assert.equal(indicator?.code, 'fraud.early_loss');
    assert.deepEqual(indicator?.comparison, { days: 15, thresholdDays: 30, from: 'policy inception' });
    assert.equal(indicator?.evidence[1]?.citation?.documentId, 'CLM-1/declarations.pdf');
    const increased = cleanFields();
    increased.coverageIncreaseDate = found('2026-05-01', 'Endorsement: Collision limit increased effective 2026-05-01');
    assert.equal(codes(increased).indicators[0]?.comparison.from, 'coverage increase');
    const later = cleanFields();
    later.coverageIncreaseDate = found('2026-03-01');
    assert.deepEqual(codes(later).indicators, []);
  });

  test('fraud.late_report: more than 30 days from loss to report', () => {
    const late = codes(cleanFields(), peers(), { ...claim, reportedDate: '2026-07-01' });
    assert.equal(late.indicators[0]?.code, 'fraud.late_report');
    assert.equal(late.indicators[0]?.comparison.days, 52);
    assert.deepEqual(codes(cleanFields(), peers(), { ...claim, reportedDate: '2026-06-09' }).indicators, []);
  });

  test('fraud.prior_claims: two or more by the same claimant, vehicle or address in 36 months', () => {
    const history = [
      ...peers(),
      {
        claimNumber: 'H-A',
        policyNumber: 'X',
        lineOfBusiness: 'personal_auto',
        lossDate: '2025-02-01',
        claimantName: 'dana whitfield',
      },
      {
        claimNumber: 'H-B',
        policyNumber: 'X',
        lineOfBusiness: 'personal_auto',
        lossDate: '2024-08-01',
        vehicleVin: '1HGCM82633A004352',
      },
      {
        claimNumber: 'H-OLD',
        policyNumber: 'X',
        lineOfBusiness: 'personal_auto',
        lossDate: '2022-01-01',
        address: '12 Elm Street, Springfield',
      },
    ];
    const [indicator] = codes(cleanFields(), history).indicators;
    assert.equal(indicator?.code, 'fraud.prior_claims');
    assert.deepEqual(
      ((indicator?.comparison.priorClaims ?? []) as { claimNumber: string; by: string[] }[]).map((match) => [
        match.claimNumber,
        match.by,
      ]),
      [
        ['H-A', ['claimant']],
        ['H-B', ['vehicle']],
      ],
    );
    // One prior claim in the window (the other is older than 36 months): no indicator.
    assert.deepEqual(codes(cleanFields(), [...peers(), history[20] as HistoryClaim, history[22] as HistoryClaim]).indicators, []);
  });

  test('fraud.amount_outlier: z-score against peers of the same line, region and damage type; skipped with a note when too few', () => {
    const fields = cleanFields();
    fields.repairTotal = found(4000, 'Estimate total: $4,000.00');
    const [indicator] = codes(fields).indicators;
    assert.equal(indicator?.code, 'fraud.amount_outlier');
    assert.equal(indicator?.comparison.n, 20);
    assert.equal(indicator?.comparison.mean, 2500);
    assert.ok((indicator?.comparison.z as number) >= 3);
    assert.deepEqual((indicator?.comparison.peers as Record<string, unknown> | undefined)?.damageType, 'collision_rear');
    // Other regions are not peers; too few peers: skipped, with a note.
    const few = codes(fields, peers().slice(0, 5));
    assert.deepEqual(few.indicators, []);
    assert.match(few.notes?.[0] ?? '', /fraud\.amount_outlier skipped: 5 peer claims/);
    assert.deepEqual(codes(cleanFields()).indicators, []);
  });

  test('fraud.inconsistent_repair: front parts for a rear collision', () => {
    const fields = cleanFields();
    fields.repairLineItems = found([
      { part: 'Rear bumper cover', labourHours: 2, amount: 900 },
      { part: 'Hood panel', labourHours: 2, amount: 900 },
      { part: 'Left headlamp assembly', labourHours: 1, amount: 600 },
      { part: 'Paint and materials', labourHours: 1, amount: 100 },
    ]);
    const [indicator] = codes(fields).indicators;
    assert.equal(indicator?.code, 'fraud.inconsistent_repair');
    assert.deepEqual(
      ((indicator?.comparison.foreignParts ?? []) as { part: string; area: string }[]).map((part) => part.area),
      ['front', 'front'],
    );
    assert.match(indicator?.reason ?? '', /2 of 3 repair parts/);
  });

  test('fraud.mismatched_documents: a loss date or a party the documents disagree on', () => {
    const fields = cleanFields();
    fields.lossDate = {
      ...found('2026-05-10', 'Date of loss: May 10, 2026'),
      status: 'conflict',
      alsoSeen: [{ ...cite('Date of incident: 05/13/2026', 'CLM-1/police-report.pdf'), value: '2026-05-13' }],
    };
    const [indicator] = codes(fields).indicators;
    assert.equal(indicator?.code, 'fraud.mismatched_documents');
    assert.deepEqual(indicator?.comparison, { fields: ['lossDate'] });
    assert.ok(indicator?.evidence.some((evidence) => evidence.citation?.documentId === 'CLM-1/police-report.pdf'));
  });

  test('fraud.near_expiry and fraud.after_cancellation_notice', () => {
    const fields = cleanFields();
    fields.policyExpiryDate = found('2026-05-20', 'Expiry date: 2026-05-20');
    assert.deepEqual(
      codes(fields).indicators.map((indicator) => indicator.code),
      ['fraud.near_expiry'],
    );
    const cancelled = cleanFields();
    cancelled.cancellationNoticeDate = found('2026-05-03', 'Notice date: 2026-05-03', 'CLM-1/cancellation-notice.eml');
    const [indicator] = codes(cancelled).indicators;
    assert.equal(indicator?.code, 'fraud.after_cancellation_notice');
    assert.equal(indicator?.comparison.daysAfterNotice, 7);
    const noticeLater = cleanFields();
    noticeLater.cancellationNoticeDate = found('2026-06-03');
    assert.deepEqual(codes(noticeLater).indicators, []);
  });

  test('the score combines the weights of the configuration (noisy-or) and two strong indicators reach SIU', () => {
    const fields = cleanFields();
    fields.policyExpiryDate = found('2026-05-20');
    fields.repairTotal = found(4000);
    const fraud = codes(fields, peers(), { ...claim, reportedDate: '2026-07-01' });
    assert.equal(fraud.indicators.length, 3);
    assert.equal(
      fraud.score,
      combineFraudScore(
        fraud.indicators.map((indicator) => ({ code: indicator.code, strength: 1 })),
        defaultClaimsConfig,
      ),
    );
    assert.equal(fraud.score, 0.784);
    assert.ok(fraud.indicators.every((indicator) => indicator.weight === 0.4));
    const heavier = {
      ...defaultClaimsConfig,
      version: 2,
      fraudWeights: { ...defaultClaimsConfig.fraudWeights, 'fraud.late_report': 0.9 },
    };
    assert.equal(combineFraudScore([{ code: 'fraud.late_report', strength: 1 }], heavier), 0.9);
  });
});

test('the default configuration is valid; inverted thresholds are not', () => {
  assert.deepEqual(claimsConfigSchema.parse(defaultClaimsConfig), defaultClaimsConfig);
  const inverted = { ...defaultClaimsConfig, routing: { ...defaultClaimsConfig.routing, cleanFraudScore: 0.9 } };
  assert.match(claimsConfigSchema.safeParse(inverted).error?.message ?? '', /cleanFraudScore must not exceed siuFraudScore/);
  assert.equal(claimsConfigSchema.safeParse({ ...defaultClaimsConfig, fraudWeights: { 'fraud.late_report': 2 } }).success, false);
});

describe('routing', () => {
  const route = (fraudScore: number, confidence: number, outcome: 'covered' | 'not_covered' | 'needs_information') =>
    routeClaim({ fraudScore, confidence, outcome, config: defaultClaimsConfig });

  test('SIU over senior over fast track over standard, each saying which threshold decided', () => {
    assert.equal(route(0.6, 0.99, 'covered').tier, 'siu_referral');
    assert.equal(route(0.65, 0.2, 'covered').tier, 'siu_referral', 'fraud beats low confidence');
    assert.equal(route(0.1, 0.59, 'covered').tier, 'senior_review');
    assert.equal(route(0.19, 0.85, 'covered').tier, 'fast_track');
    assert.equal(route(0.2, 0.99, 'covered').tier, 'standard');
    assert.equal(route(0, 0.84, 'covered').tier, 'standard');
    assert.match(route(0.6, 0.9, 'covered').tierReason, /siuFraudScore 0\.6/);
    assert.match(route(0, 0.3, 'covered').tierReason, /seniorBelowConfidence/);
    assert.match(route(0, 0.9, 'covered').tierReason, /^fast_track: covered/);
  });

  test('nothing is ever auto-denied: not covered with full confidence and a clean score goes to a person', () => {
    const denied = route(0, 1, 'not_covered');
    assert.equal(denied.tier, 'standard');
    assert.match(denied.tierReason, /never fast-tracked/);
    assert.equal(route(0, 1, 'needs_information').tier, 'standard');
    for (let confidence = 0; confidence <= 1; confidence += 0.05) {
      for (let score = 0; score <= 1; score += 0.05) assert.notEqual(route(score, confidence, 'not_covered').tier, 'fast_track');
    }
  });
});

describe('determination', () => {
  const search = async (query: string): Promise<ClaimCitation[]> =>
    /collision/i.test(query)
      ? [cite('Collision coverage: we will pay for direct and accidental loss', 'wording.pdf')]
      : /period/i.test(query)
        ? [cite('Policy period: this policy applies only to losses during the policy period', 'wording.pdf')]
        : [];

  test('covered: terms cited, deductible of the coverage, payable capped at the limit', async () => {
    const result = await determine({ fields: cleanFields(), documents: [], searchPolicyTerms: search });
    assert.equal(result.outcome, 'covered');
    assert.equal(result.deductible, 500);
    assert.equal(result.estimatedPayable, 2000);
    assert.deepEqual(
      result.terms.map((term) => term.documentId),
      ['wording.pdf', 'wording.pdf', 'CLM-1/declarations.pdf'],
    );
    assert.ok(result.confidence >= defaultClaimsConfig.routing.fastTrackConfidence, String(result.confidence));
    const capped = cleanFields();
    capped.repairTotal = found(40_000);
    assert.equal((await determine({ fields: capped, documents: [], searchPolicyTerms: search })).estimatedPayable, 25_000);
  });

  test('not covered when the coverage the loss falls under is not in the declarations, or the loss is outside the period', async () => {
    const hail = cleanFields();
    hail.circumstances = found('Hail storm dented the roof of the parked vehicle');
    hail.coverages = found([{ name: 'Collision', limit: 25000, deductible: 500 }]);
    const result = await determine({ fields: hail, documents: [], searchPolicyTerms: search });
    assert.equal(result.outcome, 'not_covered');
    assert.match(result.rationale, /Comprehensive coverage, which the declarations do not list/);
    assert.equal(result.estimatedPayable, null);
    const outside = cleanFields();
    outside.policyExpiryDate = found('2026-05-01');
    assert.equal((await determine({ fields: outside, documents: [], searchPolicyTerms: search })).outcome, 'not_covered');
  });

  test('needs information when a key document is missing, listing it, with a low confidence', async () => {
    const fields = cleanFields();
    fields.repairTotal = missing;
    fields.coverages = missing;
    const result = await determine({ fields, documents: [], searchPolicyTerms: search });
    assert.equal(result.outcome, 'needs_information');
    assert.deepEqual(result.missing, ['repair_estimate', 'repairTotal', 'policy_declarations', 'coverages']);
    assert.ok(result.confidence < defaultClaimsConfig.routing.seniorBelowConfidence);
  });

  test('a covered claim missing a key fact (an unread form) cannot be confident enough to fast-track', async () => {
    const fields = cleanFields();
    fields.parties = missing;
    const result = await determine({ fields, documents: [], searchPolicyTerms: search });
    assert.equal(result.outcome, 'covered');
    assert.ok(result.confidence < defaultClaimsConfig.routing.fastTrackConfidence, String(result.confidence));
    assert.equal(
      routeClaim({ fraudScore: 0, confidence: result.confidence, outcome: result.outcome, config: defaultClaimsConfig }).tier,
      'standard',
    );
  });

  test('calibration helpers: Platt fit separates, ECE of a perfect predictor is 0', () => {
    const samples = [
      ...Array.from({ length: 50 }, () => ({ raw: 4, label: 1 as const })),
      ...Array.from({ length: 50 }, () => ({ raw: -2, label: 0 as const })),
    ];
    const fit = fitPlatt(samples);
    assert.ok(calibratedConfidence(4, fit) > 0.9);
    assert.ok(calibratedConfidence(-2, fit) < 0.1);
    assert.equal(
      expectedCalibrationError([
        { confidence: 1, label: 1 },
        { confidence: 0, label: 0 },
      ]).ece,
      0,
    );
  });
});

test('photo EXIF: DateTimeOriginal, caption and camera survive a round trip through a JPEG', () => {
  const exif = buildExif({ description: 'Rear damage', make: 'Pixel', model: '7a', dateTimeOriginal: '2026:05:10 14:05:09' });
  const jpeg = new Uint8Array([0xff, 0xd8, ...exif, 0xff, 0xda, 0x00, 0x02, 0xff, 0xd9]);
  assert.deepEqual(readPhotoMetadata(jpeg), {
    description: 'Rear damage',
    make: 'Pixel',
    model: '7a',
    dateTimeOriginal: '2026-05-10T14:05:09',
  });
  assert.deepEqual(readPhotoMetadata(new Uint8Array([0xff, 0xd8, 0xff, 0xda])), {});
});
