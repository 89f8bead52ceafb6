import type { Caller } from '../core/index.ts';
import { authorize } from '../govern/index.ts';
import { type ClaimsDeps, documentVisibleClaims, visibleClaimsFilter } from './claims.ts';
import type { ExtractedField } from './model.ts';

/**
 * Claims metrics (GET /v1/claims/metrics, `claims metrics`), over the claims the caller may see:
 * - time from assignment (or, without one, the first document; else creation) to the first preliminary
 *   determination and to the adjuster's decision: p50 / p90 in hours (nearest rank);
 * - straight-through rate: decided claims whose decision accepted a fast-track assessment unchanged;
 * - override rate (overall and per ISO week of the decision): overrides of the outcome among decisions; edits
 *   counted beside it;
 * - fraud-flag precision and false-positive rate: flagged = assessed tier siu_referral; the truth is the SIU
 *   outcome, or `not_fraud` for a decided claim without one whose override reason is not fraud_suspected;
 * - extraction field accuracy against reviewed values: fields found or edited in the decided assessment; an
 *   edited field is an error;
 * - cost per processed claim (tokens priced, OCR pages), from the stored assessments.
 */
export interface ClaimsMetrics {
  readonly claims: number;
  readonly processed: number;
  readonly decided: number;
  readonly byTier: Readonly<Record<string, number>>;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly timeToDetermination: Percentiles;
  readonly timeToDecision: Percentiles;
  readonly straightThroughRate: number | null;
  readonly overrideRate: number | null;
  readonly editRate: number | null;
  readonly overrideRateWeekly: readonly {
    readonly week: string;
    readonly decisions: number;
    readonly overrides: number;
    readonly edits: number;
    readonly rate: number;
  }[];
  readonly fraud: {
    readonly flagged: number;
    readonly withOutcome: number;
    readonly truePositives: number;
    readonly falsePositives: number;
    readonly trueNegatives: number;
    readonly falseNegatives: number;
    readonly precision: number | null;
    readonly falsePositiveRate: number | null;
  };
  readonly fieldAccuracy: { readonly fields: number; readonly edited: number; readonly accuracy: number | null };
  readonly cost: {
    readonly totalUsd: number;
    readonly perClaimUsd: number | null;
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly ocrPages: number;
    readonly assessments: number;
  };
}

export interface Percentiles {
  readonly n: number;
  readonly p50Hours: number | null;
  readonly p90Hours: number | null;
}

export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
}

function percentiles(hours: number[]): Percentiles {
  const sorted = [...hours].sort((a, b) => a - b);
  return { n: sorted.length, p50Hours: nearestRank(sorted, 0.5), p90Hours: nearestRank(sorted, 0.9) };
}

/** Monday (UTC) of the ISO week of `at`, as YYYY-MM-DD. */
export function isoWeek(at: Date): string {
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

export async function claimsMetrics(deps: Pick<ClaimsDeps, 'db' | 'config'>, caller: Caller): Promise<ClaimsMetrics> {
  authorize(caller, 'claims:read');
  const { db } = deps;
  const params: unknown[] = [];
  const where = visibleClaimsFilter(caller, deps.config.claims, params);
  const claims = await db.query<{
    id: string;
    status: string;
    tier: string | null;
    latest_assessment_id: string | null;
    created_at: Date;
    assigned_at: Date | null;
    first_document_at: Date | null;
    determined_at: Date | null;
    decided_at: Date | null;
  }>(
    `SELECT id, status, tier, latest_assessment_id, created_at, assigned_at, first_document_at, determined_at, decided_at
       FROM claims WHERE ${where}`,
    params,
  );
  const visible = await documentVisibleClaims(
    db,
    caller,
    claims.rows.map((c) => c.id),
  );
  const rows = claims.rows.filter((c) => visible.has(c.id));
  const ids = rows.map((r) => r.id);
  const hours = (from: Date, to: Date) => (new Date(to).getTime() - new Date(from).getTime()) / 3_600_000;
  const start = (r: (typeof rows)[number]) => r.assigned_at ?? r.first_document_at ?? r.created_at;
  const toDetermination = rows.filter((r) => r.determined_at).map((r) => hours(start(r), r.determined_at as Date));
  const toDecision = rows.filter((r) => r.decided_at).map((r) => hours(start(r), r.decided_at as Date));
  const byTier: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  for (const r of rows) {
    if (r.tier) byTier[r.tier] = (byTier[r.tier] ?? 0) + 1;
    byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  }
  const reviews = await db.query<{
    id: string;
    claim_id: string;
    assessment_id: string;
    action: 'accept' | 'edit' | 'override';
    assessed_outcome: string;
    outcome: string;
    tier: string;
    reason_code: string | null;
    unchanged: boolean;
    created_at: Date;
    edits: number;
  }>(
    `SELECT r.*, (SELECT count(*) FROM claim_field_edits e WHERE e.review_id = r.id)::int AS edits
       FROM claim_reviews r WHERE r.claim_id = ANY($1::text[]) ORDER BY r.created_at, r.id`,
    [ids],
  );
  // The decision of a claim: its latest review.
  const decisionOf = new Map<string, (typeof reviews.rows)[number]>();
  for (const r of reviews.rows) decisionOf.set(r.claim_id, r);
  const decidedClaims = rows.filter((r) => r.status === 'decided' || r.status === 'closed');
  const straight = decidedClaims.filter((r) => {
    const d = decisionOf.get(r.id);
    return d?.unchanged && d.tier === 'fast_track';
  }).length;
  const isOverride = (r: (typeof reviews.rows)[number]) => r.action === 'override' && r.outcome !== r.assessed_outcome;
  const weekly = new Map<string, { decisions: number; overrides: number; edits: number }>();
  for (const r of reviews.rows) {
    const week = isoWeek(new Date(r.created_at));
    const w = weekly.get(week) ?? { decisions: 0, overrides: 0, edits: 0 };
    w.decisions++;
    if (isOverride(r)) w.overrides++;
    if (Number(r.edits) > 0) w.edits++;
    weekly.set(week, w);
  }
  const siu = await db.query<{ claim_id: string; outcome: string }>(
    'SELECT claim_id, outcome FROM claim_siu_outcomes WHERE claim_id = ANY($1::text[])',
    [ids],
  );
  const truth = new Map<string, string>();
  for (const d of decidedClaims) {
    const decision = decisionOf.get(d.id);
    if (decision && decision.reason_code !== 'fraud_suspected') truth.set(d.id, 'not_fraud');
  }
  for (const s of siu.rows) truth.set(s.claim_id, s.outcome);
  const assessments = await db.query<{
    id: string;
    claim_id: string;
    tier: string;
    cost_usd: number;
    ocr_pages: number;
    usage: { inputTokens?: number; outputTokens?: number } | null;
    extracted: Record<string, ExtractedField> | null;
  }>(
    `SELECT id, claim_id, tier, cost_usd, ocr_pages, usage, assessment->'extracted' AS extracted
       FROM claim_assessments WHERE claim_id = ANY($1::text[])`,
    [ids],
  );
  const byId = new Map(assessments.rows.map((a) => [a.id, a]));
  const latestTier = new Map(
    rows.map((r) => [r.id, r.latest_assessment_id ? byId.get(r.latest_assessment_id)?.tier : undefined]),
  );
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let flagged = 0;
  for (const r of rows) {
    const isFlagged = latestTier.get(r.id) === 'siu_referral';
    if (isFlagged) flagged++;
    const t = truth.get(r.id);
    if (!t) continue;
    if (isFlagged && t === 'fraud_confirmed') tp++;
    else if (isFlagged) fp++;
    else if (t === 'fraud_confirmed') fn++;
    else tn++;
  }
  const edits = await db.query<{ review_id: string; field: string }>(
    'SELECT review_id, field FROM claim_field_edits WHERE claim_id = ANY($1::text[])',
    [ids],
  );
  let fields = 0;
  let edited = 0;
  for (const claim of decidedClaims) {
    const decision = decisionOf.get(claim.id);
    if (!decision) continue;
    const extracted = byId.get(decision.assessment_id)?.extracted ?? {};
    const editedFields = new Set(edits.rows.filter((e) => e.review_id === decision.id).map((e) => e.field));
    const evaluated = new Set([
      ...Object.entries(extracted)
        .filter(([, f]) => f.status === 'found')
        .map(([n]) => n),
      ...editedFields,
    ]);
    fields += evaluated.size;
    edited += editedFields.size;
  }
  const totalUsd = assessments.rows.reduce((s, a) => s + Number(a.cost_usd), 0);
  const processedClaims = new Set(assessments.rows.map((a) => a.claim_id)).size;
  return {
    claims: rows.length,
    processed: processedClaims,
    decided: decidedClaims.length,
    byTier,
    byStatus,
    timeToDetermination: percentiles(toDetermination),
    timeToDecision: percentiles(toDecision),
    straightThroughRate: ratio(straight, decidedClaims.length),
    overrideRate: ratio(reviews.rows.filter(isOverride).length, reviews.rows.length),
    editRate: ratio(reviews.rows.filter((r) => Number(r.edits) > 0).length, reviews.rows.length),
    overrideRateWeekly: [...weekly.entries()]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([week, w]) => ({ week, ...w, rate: w.overrides / w.decisions })),
    fraud: {
      flagged,
      withOutcome: tp + fp + tn + fn,
      truePositives: tp,
      falsePositives: fp,
      trueNegatives: tn,
      falseNegatives: fn,
      precision: ratio(tp, tp + fp),
      falsePositiveRate: ratio(fp, fp + tn),
    },
    fieldAccuracy: { fields, edited, accuracy: fields === 0 ? null : 1 - edited / fields },
    cost: {
      totalUsd,
      perClaimUsd: ratio(totalUsd, processedClaims),
      inputTokens: assessments.rows.reduce((s, a) => s + Number(a.usage?.inputTokens ?? 0), 0),
      outputTokens: assessments.rows.reduce((s, a) => s + Number(a.usage?.outputTokens ?? 0), 0),
      ocrPages: assessments.rows.reduce((s, a) => s + Number(a.ocr_pages), 0),
      assessments: assessments.rows.length,
    },
  };
}
