/**
 * The facts of a synthetic claims dataset, before any file is rendered: policies, claims, planted fraud
 * patterns, the history of older claims and the ground truth (field values, outcome, tier). Seeded and
 * deterministic: the same seed gives the same scenario.
 */
import { defaultClaimsConfig } from '../assess/config.ts';
import { combineFraudScore, damageAreaParts } from '../assess/index.ts';
import type { ClaimOutcome, ClaimTier } from '../model.ts';

/** A small deterministic generator (mulberry32). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rng = () => number;
export const pick = <T>(items: readonly T[], next: Rng): T => items[Math.floor(next() * items.length)] as T;
const between = (low: number, high: number, next: Rng) => low + Math.floor(next() * (high - low + 1));

/** Every planted pattern has the reason code the assessment reports for it. */
export const fraudPatterns = [
  'fraud.early_loss',
  'fraud.late_report',
  'fraud.prior_claims',
  'fraud.amount_outlier',
  'fraud.inconsistent_repair',
  'fraud.mismatched_documents',
  'fraud.near_expiry',
  'fraud.after_cancellation_notice',
] as const;
export type FraudPattern = (typeof fraudPatterns)[number];

/** Share of claims each pattern is planted in. */
export const patternShares: Readonly<Record<FraudPattern, number>> = {
  'fraud.early_loss': 0.07,
  'fraud.late_report': 0.07,
  'fraud.prior_claims': 0.06,
  'fraud.amount_outlier': 0.06,
  'fraud.inconsistent_repair': 0.06,
  'fraud.mismatched_documents': 0.06,
  'fraud.near_expiry': 0.05,
  'fraud.after_cancellation_notice': 0.04,
};

const firstNames = [
  'Dana',
  'Marcus',
  'Priya',
  'Elena',
  'Tomas',
  'Grace',
  'Owen',
  'Leila',
  'Victor',
  'Hannah',
  'Samuel',
  'Nadia',
  'Peter',
  'Rosa',
  'Felix',
  'Irene',
  'Jonah',
  'Clara',
  'Martin',
  'Alice',
  'Derek',
  'Fiona',
  'Henry',
  'Julia',
  'Kevin',
  'Laura',
  'Nathan',
  'Olivia',
  'Ralph',
  'Sofia',
  'Walter',
  'Yvonne',
];
const lastNames = [
  'Whitfield',
  'Okafor',
  'Lindqvist',
  'Moreno',
  'Brennan',
  'Castillo',
  'Duval',
  'Fischer',
  'Garland',
  'Hughes',
  'Ivanova',
  'Jensen',
  'Kowalski',
  'Lambert',
  'Mendes',
  'Nakamura',
  'Osborne',
  'Petrov',
  'Quinlan',
  'Russo',
  'Sandoval',
  'Thornton',
  'Underwood',
  'Vasquez',
  'Wagner',
  'Yamada',
  'Zimmerman',
  'Albright',
];
const streets = [
  'Elm Street',
  'Main Street',
  'Oak Avenue',
  'Maple Drive',
  'Cedar Lane',
  'Harbor Road',
  'Hill Street',
  'Park Avenue',
];
export const regions: Readonly<Record<string, readonly string[]>> = {
  North: ['Springfield', 'Northfield'],
  South: ['Shelbyville', 'Southbank'],
  East: ['Ogdenville', 'Eastport'],
  West: ['Brockway', 'Westover'],
  Central: ['Capital City', 'Midvale'],
};
const makes: readonly [string, readonly string[]][] = [
  ['Toyota', ['Camry', 'Corolla', 'RAV4']],
  ['Honda', ['Civic', 'Accord', 'CR-V']],
  ['Ford', ['Focus', 'Escape', 'F-150']],
  ['Subaru', ['Outback', 'Forester']],
  ['Volkswagen', ['Golf', 'Jetta']],
  ['Mazda', ['Mazda3', 'CX-5']],
];
const adjusters = ['adjuster.kim', 'adjuster.ortiz', 'adjuster.shaw', 'adjuster.nguyen'];
const vinAlphabet = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';

export type DamageArea = 'front' | 'rear' | 'left side' | 'right side';
export type LossCause = 'collision' | 'hail' | 'vandalism';

const circumstancesByArea: Readonly<Record<DamageArea, readonly string[]>> = {
  front: [
    'Insured vehicle struck the rear of a stopped car at a red light',
    'Insured vehicle hit a guard rail head on after sliding on ice',
    'Front of insured vehicle collided with a delivery van backing out',
  ],
  rear: [
    'Insured vehicle was rear-ended while waiting at a stop sign',
    'A pickup truck struck the rear of the insured vehicle in traffic',
    'Insured vehicle was hit from behind in a parking lot',
  ],
  'left side': [
    'Another car sideswiped the left side of the insured vehicle',
    'Insured vehicle was struck on the driver side at an intersection',
  ],
  'right side': [
    'Another car sideswiped the right side of the insured vehicle',
    'Insured vehicle was struck on the passenger side at an intersection',
  ],
};
const hailCircumstances = ['Hail storm dented the roof hood and trunk of the parked insured vehicle'];
const vandalismCircumstances = ['Parked insured vehicle was keyed and its mirrors broken overnight'];
const injuryKinds = ['neck strain', 'back sprain', 'wrist fracture', 'concussion', 'knee contusion'];

export interface Person {
  readonly name: string;
  readonly address: string;
  readonly phone: string;
}
export interface Vehicle {
  readonly year: number;
  readonly make: string;
  readonly model: string;
  readonly vin: string;
  readonly plate: string;
}
export interface LineItem {
  readonly part: string;
  readonly labourHours: number;
  readonly amount: number;
}
export interface Coverage {
  readonly name: string;
  readonly limit: number;
  readonly deductible: number | null;
}

/** One claim: the truth, and how it is told in the documents. */
export interface ScenarioClaim {
  readonly index: number;
  readonly claimNumber: string;
  readonly policyNumber: string;
  readonly lineOfBusiness: string;
  readonly region: string;
  readonly adjuster: string;
  readonly insured: Person;
  readonly otherParty: string | null;
  readonly vehicle: Vehicle;
  readonly lossDate: string;
  readonly lossTime: string;
  readonly lossLocation: string;
  readonly cause: LossCause;
  readonly area: DamageArea | 'multiple';
  readonly damageType: string;
  readonly circumstances: string;
  readonly policeReportNumber: string | null;
  readonly injuries: readonly string[];
  readonly repairLineItems: readonly LineItem[];
  readonly repairTotal: number;
  readonly medicalItems: readonly LineItem[];
  readonly medicalTotal: number | null;
  readonly coverages: readonly Coverage[];
  readonly deductible: number | null;
  readonly policyEffectiveDate: string;
  readonly policyExpiryDate: string;
  readonly coverageIncreaseDate: string | null;
  readonly cancellationNoticeDate: string | null;
  readonly reportedDate: string;
  readonly patterns: readonly FraudPattern[];
  /** How the documents tell it. */
  readonly mismatch:
    | { readonly kind: 'date'; readonly policeDate: string }
    | { readonly kind: 'party'; readonly policeParty: string }
    | null;
  readonly scanned: readonly ('fnol' | 'repair_estimate')[];
  readonly estimate: 'present' | 'missing' | 'unreadable';
  readonly hasEmail: boolean;
  /** Which carrier form / police agency / body shop layout the documents use (label wording, date formats). */
  readonly templates: { readonly fnol: 0 | 1 | 2; readonly police: 0 | 1; readonly estimate: 0 | 1 };
  readonly photos: number;
  readonly outcome: ClaimOutcome;
  readonly tier: ClaimTier;
  readonly missing: readonly string[];
  readonly estimatedPayable: number | null;
}

export interface HistoryRow {
  readonly claimNumber: string;
  readonly policyNumber: string;
  readonly lineOfBusiness: string;
  readonly lossDate: string;
  readonly region: string;
  readonly damageType: string;
  readonly amount: number;
  readonly claimantName: string;
  readonly vehicleVin: string;
  readonly address: string;
  readonly outcome: string;
}

export interface Scenario {
  readonly seed: number;
  readonly claims: readonly ScenarioClaim[];
  readonly history: readonly HistoryRow[];
}

export interface ScenarioOptions {
  readonly seed: number;
  readonly claims: number;
  readonly years: number;
  /** Claims whose FNOL or estimate is a scan (OCR is slow): every `scanEvery`-th claim. Default 25. */
  readonly scanEvery?: number;
  /**
   * Every FNOL in the held-out layout (2: labels above their values, other wording), which the extractor was not
   * written for: the benchmark's measure of how it does on a form it has not seen.
   */
  readonly heldOutLayout?: boolean;
}

const day = 86_400_000;
export const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const dateMs = (iso: string) => Date.parse(`${iso}T00:00:00Z`);
const round2 = (value: number) => Math.round(value * 100) / 100;

/** Base repair cost per damage type (mean, sd) for peers and claims. */
const amountBase: Readonly<Record<string, readonly [number, number]>> = {
  collision_front: [4200, 900],
  collision_rear: [3300, 700],
  'collision_left side': [2900, 650],
  'collision_right side': [2900, 650],
  hail_multiple: [3800, 800],
  vandalism_multiple: [1500, 350],
};

function gaussian(next: Rng): number {
  const u = Math.max(next(), 1e-9);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

/** Deterministic shuffle of 0..n-1. */
function shuffled(n: number, next: Rng): number[] {
  const out = Array.from({ length: n }, (_, index) => index);
  for (let index = n - 1; index > 0; index--) {
    const other = Math.floor(next() * (index + 1));
    [out[index], out[other]] = [out[other] as number, out[index] as number];
  }
  return out;
}

function vin(next: Rng): string {
  let out = '';
  for (let index = 0; index < 17; index++) out += vinAlphabet[Math.floor(next() * vinAlphabet.length)];
  return out;
}

function lineItemsFor(area: DamageArea | 'multiple', cause: LossCause, target: number, next: Rng): LineItem[] {
  const parts =
    cause === 'hail'
      ? ['Roof panel dent repair', 'Hood panel dent repair', 'Trunk lid dent repair', 'Refinish roof']
      : cause === 'vandalism'
        ? ['Left mirror assembly', 'Right mirror assembly', 'Refinish left doors', 'Refinish right doors']
        : [...(damageAreaParts[area as DamageArea] ?? [])];
  const chosen = shuffled(parts.length, next)
    .slice(0, Math.min(parts.length, between(2, 4, next)))
    .map((index) => parts[index] as string);
  chosen.push('Paint and materials');
  const weights = chosen.map(() => 0.5 + next());
  const sum = weights.reduce((a, b) => a + b, 0);
  const items = chosen.map((part, index) => ({
    part,
    labourHours: Math.round((0.5 + next() * 5) * 2) / 2,
    amount: round2(((weights[index] as number) / sum) * target),
  }));
  return items;
}

const total = (items: readonly LineItem[]) => round2(items.reduce((sum, item) => sum + item.amount, 0));

/** Builds the whole scenario. */
export function buildScenario(options: ScenarioOptions): Scenario {
  const next = random(options.seed);
  const n = options.claims;
  const scanEvery = options.scanEvery ?? 25;
  const end = Date.UTC(2026, 10, 30);
  const start = end - options.years * 365 * day;
  const regionNames = Object.keys(regions);
  const config = defaultClaimsConfig;

  // Who gets which pattern: a seeded shuffle per pattern, a known share of the claims.
  const patternsOf: FraudPattern[][] = Array.from({ length: n }, () => []);
  for (const pattern of fraudPatterns) {
    const count = Math.max(1, Math.round(n * patternShares[pattern]));
    for (const index of shuffled(n, next).slice(0, count)) patternsOf[index]?.push(pattern);
  }
  // Outcomes planted by index: not covered (no collision coverage) and missing/unreadable estimates.
  const order = shuffled(n, next);
  const notCovered = new Set(order.slice(0, Math.max(1, Math.round(n * 0.08))));
  const missingEstimate = new Set(order.slice(n - Math.max(1, Math.round(n * 0.04))));
  const unreadableEstimate = new Set(
    n >= 40 ? order.slice(n - Math.round(n * 0.04) - Math.round(n * 0.02), n - Math.round(n * 0.04)) : [],
  );

  // History first: older claims of other people, peers for the amount z-score.
  const history: HistoryRow[] = [];
  const historyCount = Math.max(600, n * 4);
  const nameOf = (index: number) => {
    const first = firstNames[index % firstNames.length] as string;
    const last = lastNames[Math.floor(index / firstNames.length) % lastNames.length] as string;
    const suffix = Math.floor(index / (firstNames.length * lastNames.length));
    return suffix > 0 ? `${first} ${String.fromCharCode(65 + suffix)}. ${last}` : `${first} ${last}`;
  };
  // Enough distinct names for everyone (a middle initial tells namesakes apart): unique claimants, no accidental priors.
  const nameVariants = Math.min(26, Math.ceil((historyCount + n * 6) / (firstNames.length * lastNames.length)) + 1);
  const nameOrder = shuffled(firstNames.length * lastNames.length * nameVariants, next);
  let nameCursor = 0;
  const freshName = () => {
    const name = nameOf(nameOrder[nameCursor++] as number);
    return name;
  };
  const damageTypes = Object.keys(amountBase);
  for (let index = 0; index < historyCount; index++) {
    const region = pick(regionNames, next);
    const damageType = pick(damageTypes, next);
    const [mean, sd] = amountBase[damageType] as [number, number];
    history.push({
      claimNumber: `H-${String(100000 + index)}`,
      policyNumber: `PA-${String(500000 + index)}`,
      lineOfBusiness: 'personal_auto',
      lossDate: isoDate(start - 4 * 365 * day + Math.floor(next() * (4 * 365 + options.years * 365 - 30)) * day),
      region,
      damageType,
      amount: round2(Math.max(300, mean + gaussian(next) * sd)),
      claimantName: freshName(),
      vehicleVin: vin(next),
      address: `${between(10, 990, next)} ${pick(streets, next)}, ${pick(regions[region] ?? [], next)}`,
      outcome: next() < 0.05 ? 'fraud_confirmed' : 'legitimate',
    });
  }
  const peerStats = (region: string, damageType: string) => {
    const amounts = history.filter((row) => row.region === region && row.damageType === damageType).map((row) => row.amount);
    const mean = amounts.reduce((a, b) => a + b, 0) / Math.max(1, amounts.length);
    const sd = Math.sqrt(amounts.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, amounts.length - 1));
    return { mean, sd, n: amounts.length };
  };

  const claims: ScenarioClaim[] = [];
  for (let index = 0; index < n; index++) {
    const patterns: FraudPattern[] = patternsOf[index] ?? [];
    const has = (pattern: FraudPattern) => patterns.includes(pattern);
    const region = pick(regionNames, next);
    const city = pick(regions[region] ?? [], next);
    const name = freshName();
    const insured: Person = {
      name,
      address: `${between(10, 990, next)} ${pick(streets, next)}, ${city}`,
      phone: `555-${String(between(1000, 9999, next))}`,
    };
    const [make, models] = pick(makes, next);
    const vehicle: Vehicle = {
      year: between(2012, 2025, next),
      make,
      model: pick(models, next),
      vin: vin(next),
      plate: `${String.fromCharCode(65 + between(0, 25, next))}${String.fromCharCode(65 + between(0, 25, next))}${between(1000, 9999, next)}`,
    };
    const causeRoll = next();
    const cause: LossCause = causeRoll < 0.84 ? 'collision' : causeRoll < 0.93 ? 'hail' : 'vandalism';
    const collisionAreas: DamageArea[] = ['front', 'rear', 'left side', 'right side'];
    const area: DamageArea | 'multiple' = cause === 'collision' ? pick(collisionAreas, next) : 'multiple';
    // Inconsistent repairs need a described impact point: make those claims collisions.
    const finalCause: LossCause = has('fraud.inconsistent_repair') || has('fraud.mismatched_documents') ? 'collision' : cause;
    const finalArea: DamageArea | 'multiple' = finalCause === 'collision' && area === 'multiple' ? 'front' : area;
    const damageType = `${finalCause}_${finalArea}`;
    const circumstances =
      finalCause === 'collision'
        ? pick(circumstancesByArea[finalArea as DamageArea], next)
        : finalCause === 'hail'
          ? (hailCircumstances[0] as string)
          : (vandalismCircumstances[0] as string);

    // Policy period and loss date.
    const lossMs = start + Math.floor(next() * (options.years * 365 - 20)) * day;
    const lossDate = isoDate(lossMs);
    let effectiveMs = lossMs - between(60, 300, next) * day;
    if (has('fraud.early_loss') && next() < 0.6) effectiveMs = lossMs - between(3, 25, next) * day;
    let expiryMs = effectiveMs + 365 * day;
    if (has('fraud.near_expiry')) {
      expiryMs = lossMs + between(2, 20, next) * day;
      effectiveMs = expiryMs - 365 * day;
      if (lossMs - effectiveMs < 45 * day) effectiveMs = lossMs - 200 * day;
    }
    const coverageIncreaseDate =
      has('fraud.early_loss') && lossMs - effectiveMs > 30 * day ? isoDate(lossMs - between(3, 20, next) * day) : null;
    const cancellationNoticeDate = has('fraud.after_cancellation_notice') ? isoDate(lossMs - between(2, 12, next) * day) : null;
    const reportedMs = has('fraud.late_report') ? lossMs + between(45, 120, next) * day : lossMs + between(0, 6, next) * day;

    const collisionDeductible = pick([250, 500, 1000], next);
    const coverages: Coverage[] = [
      { name: 'Bodily Injury Liability', limit: pick([50000, 100000, 250000], next), deductible: null },
      { name: 'Property Damage Liability', limit: pick([25000, 50000, 100000], next), deductible: null },
    ];
    const hasCollision = !notCovered.has(index) || finalCause !== 'collision';
    if (hasCollision)
      coverages.push({ name: 'Collision', limit: pick([25000, 35000, 50000], next), deductible: collisionDeductible });
    const comprehensiveCovered = !(notCovered.has(index) && finalCause !== 'collision');
    if (comprehensiveCovered)
      coverages.push({
        name: 'Comprehensive',
        limit: pick([25000, 35000, 50000], next),
        deductible: pick([100, 250, 500], next),
      });
    coverages.push({ name: 'Medical Payments', limit: pick([5000, 10000], next), deductible: null });
    const needed = finalCause === 'collision' ? 'Collision' : 'Comprehensive';
    const applicable = coverages.find((coverage) => coverage.name === needed);

    // Amounts: ordinary claims within ±2 sd of their peers, outliers 4-6 sd over.
    const peers = peerStats(region, damageType);
    const z = has('fraud.amount_outlier') ? 5 + next() * 2 : Math.max(-1.8, Math.min(1.8, gaussian(next) * 0.8));
    const target = Math.max(400, peers.mean + z * peers.sd);
    let items = lineItemsFor(finalArea, finalCause, target, next);
    if (has('fraud.inconsistent_repair')) {
      const described = finalArea as DamageArea;
      const opposite: DamageArea =
        described === 'front' ? 'rear' : described === 'rear' ? 'front' : described === 'left side' ? 'right side' : 'left side';
      const foreign = damageAreaParts[opposite] ?? [];
      const keep = items.filter((item) => item.part !== 'Paint and materials').slice(0, 1);
      const extra = [foreign[0], foreign[1], foreign[2]].filter(Boolean).map((part) => ({
        part: part as string,
        labourHours: Math.round((1 + next() * 3) * 2) / 2,
        amount: 0,
      }));
      const all = [...keep, ...extra, { part: 'Paint and materials', labourHours: 1, amount: 0 }];
      const weights = all.map(() => 0.5 + next());
      const sum = weights.reduce((a, b) => a + b, 0);
      items = all.map((item, at) => ({ ...item, amount: round2(((weights[at] as number) / sum) * target) }));
    }
    const repairTotal = total(items);

    const injured = finalCause === 'collision' && next() < 0.22;
    const injuries = injured ? [pick(injuryKinds, next)] : [];
    const medicalItems: LineItem[] = injured
      ? [
          { part: 'Emergency room visit', labourHours: 0, amount: round2(600 + next() * 1400) },
          { part: 'Diagnostic imaging', labourHours: 0, amount: round2(200 + next() * 800) },
          { part: 'Physical therapy', labourHours: 0, amount: round2(150 + next() * 900) },
        ]
      : [];
    const hasPolice = finalCause === 'collision' && (injured || next() < 0.7 || has('fraud.mismatched_documents'));
    const otherParty = finalCause === 'collision' ? freshName() : null;
    let mismatch: ScenarioClaim['mismatch'] = null;
    if (has('fraud.mismatched_documents')) {
      mismatch =
        next() < 0.5 || !otherParty
          ? { kind: 'date', policeDate: isoDate(lossMs + between(2, 6, next) * day) }
          : { kind: 'party', policeParty: freshName() };
    }

    const estimate: ScenarioClaim['estimate'] = missingEstimate.has(index)
      ? 'missing'
      : unreadableEstimate.has(index)
        ? 'unreadable'
        : 'present';
    const scanned: ('fnol' | 'repair_estimate')[] = [];
    if (index % scanEvery === 3) scanned.push(Math.floor(index / scanEvery) % 2 === 0 ? 'fnol' : 'repair_estimate');
    if (estimate !== 'present' && scanned.includes('repair_estimate')) scanned.splice(0, 1, 'fnol');

    // Truth: outcome, payable, tier.
    const missing: string[] = [];
    if (estimate !== 'present') {
      missing.push('repair_estimate', 'repairTotal');
      // Without an estimate there is no amount to compare and no repair line to check.
      for (const pattern of ['fraud.amount_outlier', 'fraud.inconsistent_repair'] as const) {
        const at = patterns.indexOf(pattern);
        if (at >= 0) patterns.splice(at, 1);
      }
    }
    let outcome: ClaimOutcome;
    if (missing.length > 0) outcome = 'needs_information';
    else if (!applicable) outcome = 'not_covered';
    else outcome = 'covered';
    const deductible = applicable?.deductible ?? null;
    const estimatedPayable =
      outcome === 'covered' && applicable
        ? round2(Math.max(0, Math.min(repairTotal - (deductible ?? 0), applicable.limit)))
        : null;
    const fraudScore = combineFraudScore(
      patterns.map((pattern) => ({ code: pattern, strength: 1 })),
      config,
    );
    let tier: ClaimTier;
    if (fraudScore >= config.routing.siuFraudScore) tier = 'siu_referral';
    else if (outcome === 'needs_information') tier = 'senior_review';
    else if (outcome === 'covered' && fraudScore < config.routing.cleanFraudScore) tier = 'fast_track';
    else tier = 'standard';

    const claimNumber = `CLM-${lossDate.slice(0, 4)}-${String(10001 + index)}`;
    const policyNumber = `PA-${String(200000 + index * 7)}`;
    claims.push({
      index,
      claimNumber,
      policyNumber,
      lineOfBusiness: 'personal_auto',
      region,
      adjuster: pick(adjusters, next),
      insured,
      otherParty,
      vehicle,
      lossDate,
      lossTime: `${String(between(6, 22, next)).padStart(2, '0')}:${String(between(0, 11, next) * 5).padStart(2, '0')}`,
      lossLocation: `${pick(streets, next)} and ${pick(streets, next).split(' ')[0]} Road, ${city}`,
      cause: finalCause,
      area: finalArea,
      damageType,
      circumstances,
      policeReportNumber: hasPolice ? `PR-${lossDate.slice(2, 4)}-${String(between(10000, 99999, next))}` : null,
      injuries,
      repairLineItems: estimate === 'present' ? items : [],
      repairTotal,
      medicalItems,
      medicalTotal: injured ? total(medicalItems) : null,
      coverages,
      deductible,
      policyEffectiveDate: isoDate(effectiveMs),
      policyExpiryDate: isoDate(expiryMs),
      coverageIncreaseDate,
      cancellationNoticeDate,
      reportedDate: isoDate(reportedMs),
      patterns,
      mismatch,
      scanned,
      estimate,
      hasEmail: next() < 0.6,
      templates: {
        fnol: options.heldOutLayout ? 2 : next() < 0.5 ? 0 : 1,
        police: next() < 0.5 ? 0 : 1,
        estimate: next() < 0.5 ? 0 : 1,
      },
      photos: between(1, 2, next),
      outcome,
      tier,
      missing,
      estimatedPayable,
    });

    // Prior claims by the same claimant, vehicle or address within 36 months.
    if (has('fraud.prior_claims')) {
      const priors = between(2, 3, next);
      for (let prior = 0; prior < priors; prior++) {
        const by = prior % 3;
        history.push({
          claimNumber: `H-P${String(index).padStart(4, '0')}${prior}`,
          policyNumber: `PA-${String(700000 + index * 10 + prior)}`,
          lineOfBusiness: 'personal_auto',
          lossDate: isoDate(lossMs - between(60, 34 * 30, next) * day),
          region,
          damageType,
          amount: round2(peers.mean + gaussian(next) * peers.sd * 0.5),
          claimantName: by === 0 || by === 2 ? insured.name : freshName(),
          vehicleVin: by === 1 ? vehicle.vin : vin(next),
          address:
            by === 2 ? insured.address : `${between(10, 990, next)} ${pick(streets, next)}, ${pick(regions[region] ?? [], next)}`,
          outcome: 'legitimate',
        });
      }
    }
  }
  return { seed: options.seed, claims, history };
}

/** The ground-truth value of every extracted field of a claim (null when the documents do not say). */
export function truthFields(claim: ScenarioClaim): Record<string, unknown> {
  const estimatePresent = claim.estimate === 'present';
  return {
    claimNumber: claim.claimNumber,
    policyNumber: claim.policyNumber,
    parties: [
      { role: 'insured', name: claim.insured.name, address: claim.insured.address, phone: claim.insured.phone },
      ...(claim.otherParty ? [{ role: 'other_party', name: claim.otherParty }] : []),
    ],
    vehicles: [{ ...claim.vehicle }],
    lossDate: claim.lossDate,
    lossTime: claim.lossTime,
    lossLocation: claim.lossLocation,
    circumstances: claim.circumstances,
    policeReportNumber: claim.policeReportNumber,
    injuries: claim.injuries,
    repairLineItems: estimatePresent ? claim.repairLineItems : null,
    repairTotal: estimatePresent ? claim.repairTotal : null,
    medicalTotal: claim.medicalTotal,
    coverages: claim.coverages,
    deductible: claim.deductible,
    policyEffectiveDate: claim.policyEffectiveDate,
    policyExpiryDate: claim.policyExpiryDate,
    reportedDate: claim.reportedDate,
    pointOfImpact: claim.area,
    coverageIncreaseDate: claim.coverageIncreaseDate,
    cancellationNoticeDate: claim.cancellationNoticeDate,
  };
}

export const scenarioDay = day;
export { dateMs };
