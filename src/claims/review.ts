import { type Caller, GroundworkError, newId } from '../core/index.ts';
import { type Candidate, proposeWorkflowCandidate } from '../evaluate/index.ts';
import { authorize, recordAudit } from '../govern/index.ts';
import {
  type ClaimRow,
  type ClaimSummary,
  type ClaimsDeps,
  claimsRole,
  getClaim,
  isClaimOutcome,
  mayDecide,
  visibleClaim,
} from './claims.ts';
import { claimPrincipals } from './documents.ts';
import { type ClaimOutcome, type ClaimTier, claimFieldNames, claimOutcomes, type ExtractedField } from './model.ts';

/**
 * The adjuster's decision on the current assessment: accept it as it is, edit extracted fields, or override
 * the determination with a registered reason code and a comment. Recorded (who, what, why: claim_reviews,
 * claim_field_edits, the audit chain), an override or edit becomes a pending evaluation candidate, and
 * `claim-reviewed` feeds the override-rate metric. The assigned adjuster decides standard and fast-track
 * claims, senior adjusters any claim (and alone senior-review ones), SIU the SIU referrals.
 */

/** Why an adjuster overrides a determination (registered; `claims review --reason CODE`). */
export const overrideReasonCodes = [
  'coverage_misread',
  'policy_exception',
  'missing_document',
  'liability_dispute',
  'amount_adjusted',
  'fraud_suspected',
  'fraud_cleared',
  'duplicate_claim',
  'other',
] as const;
export type OverrideReasonCode = (typeof overrideReasonCodes)[number];

export const maxCommentLength = 4000;

export interface ClaimReviewInput {
  readonly accept?: boolean;
  /** Field name → corrected value (strings are parsed as JSON when they look like JSON, else kept). */
  readonly edits?: Readonly<Record<string, unknown>>;
  readonly override?: string;
  readonly reason?: string;
  readonly comment?: string;
}

const invalidReview = (message: string) =>
  new GroundworkError('claims.invalid_review', message, {
    category: 'usage',
    fix: 'Review with --accept, --edit field=value… (fields of the claim schema) or --override OUTCOME --reason CODE --comment TEXT.',
  });

function validate(input: ClaimReviewInput): {
  action: 'accept' | 'edit' | 'override';
  edits: [string, unknown][];
  override?: ClaimOutcome;
  reason?: OverrideReasonCode;
  comment?: string;
} {
  const edits = Object.entries(input.edits ?? {});
  const comment = input.comment?.trim() || undefined;
  if ((comment?.length ?? 0) > maxCommentLength)
    throw invalidReview(`The comment is longer than ${maxCommentLength} characters.`);
  for (const [field] of edits) {
    if (!(claimFieldNames as readonly string[]).includes(field)) {
      throw invalidReview(`"${field}" is not a claim field; fields: ${claimFieldNames.join(', ')}.`);
    }
  }
  if (input.override !== undefined) {
    if (!isClaimOutcome(input.override)) {
      throw invalidReview(`"${input.override}" is not an outcome; valid: ${claimOutcomes.join(', ')}.`);
    }
    if (!input.reason || !(overrideReasonCodes as readonly string[]).includes(input.reason)) {
      throw new GroundworkError(
        'claims.invalid_override_reason',
        `${input.reason ? `"${input.reason}" is not an override reason code` : 'An override needs a reason code'}; valid: ${overrideReasonCodes.join(', ')}.`,
        { category: 'usage', fix: 'Give --reason with one of the override reason codes listed in the message (docs/claims.md).' },
      );
    }
    if (!comment) throw invalidReview('An override needs a --comment saying why.');
    return {
      action: 'override',
      edits,
      override: input.override,
      reason: input.reason as OverrideReasonCode,
      comment,
    };
  }
  if (input.reason !== undefined) throw invalidReview('A reason code goes with --override OUTCOME.');
  if (edits.length > 0) return { action: 'edit', edits, ...(comment ? { comment } : {}) };
  if (input.accept) return { action: 'accept', edits, ...(comment ? { comment } : {}) };
  throw invalidReview('Say what you decide: accept, edit fields, or override the outcome.');
}

type AssessmentRow = {
  id: string;
  tier: ClaimTier;
  outcome: ClaimOutcome;
  trace_id: string | null;
  assessment: { extracted: Record<string, ExtractedField> };
};

/** Records the adjuster's decision (POST /v1/claims/:id/review, `claims review ID …`). */
export async function reviewClaim(
  deps: ClaimsDeps,
  caller: Caller,
  claimRef: string,
  input: ClaimReviewInput,
  options: { requestId?: string } = {},
): Promise<ClaimSummary & { review: { id: string; action: string; candidate: Candidate | null } }> {
  authorize(caller, 'claims:review');
  const decision = validate(input);
  const { db, config, clock } = deps;
  const now = clock.now();
  const reviewId = (deps.ids ?? newId)('crv');
  const result = await db.transaction(async (tx) => {
    const row: ClaimRow = await visibleClaim(tx, caller, config.claims, claimRef, true);
    if (!row.latest_assessment_id) {
      throw new GroundworkError('claims.not_assessed', `Claim ${row.claim_number} has no assessment yet.`, {
        category: 'conflict',
        fix: 'Process it first: `groundwork claims process ID` (POST /v1/claims/:id/process).',
      });
    }
    if (row.status === 'decided') {
      throw new GroundworkError(
        'claims.already_decided',
        `The current assessment of claim ${row.claim_number} was decided already.`,
        {
          category: 'conflict',
          fix: 'Process the claim again (new documents or config) to get a new assessment to review.',
        },
      );
    }
    if (!mayDecide(caller, config.claims, row)) {
      const who =
        row.tier === 'senior_review'
          ? 'a senior adjuster'
          : row.tier === 'siu_referral'
            ? 'SIU or a senior adjuster'
            : 'its assigned adjuster or a senior adjuster';
      throw new GroundworkError('claims.not_assigned', `Claim ${row.claim_number} (${row.tier}) is decided by ${who}.`, {
        category: 'forbidden',
        fix: 'Leave it to the assigned adjuster, or ask a senior adjuster (claims.seniorPrincipals) to decide it.',
      });
    }
    const assessment = (
      await tx.query<AssessmentRow>('SELECT id, tier, outcome, trace_id, assessment FROM claim_assessments WHERE id = $1', [
        row.latest_assessment_id,
      ])
    ).rows[0] as AssessmentRow;
    const outcome = decision.override ?? assessment.outcome;
    const overridden = decision.action === 'override' && outcome !== assessment.outcome;
    const unchanged = decision.action === 'accept';
    const edits = decision.edits.map(([field, raw]) => {
      let value: unknown = raw;
      if (typeof raw === 'string' && /^[[{"\d-]|^(true|false|null)$/.test(raw.trim())) {
        try {
          value = JSON.parse(raw);
        } catch {
          value = raw;
        }
      }
      return { field, before: assessment.assessment.extracted[field]?.value ?? null, after: value };
    });
    let candidate: Candidate | null = null;
    if (decision.action !== 'accept') {
      const assessedValues = Object.fromEntries(edits.map((e) => [e.field, e.before]));
      const expectedValues = Object.fromEntries(edits.map((e) => [e.field, e.after]));
      candidate = await proposeWorkflowCandidate(
        tx,
        caller,
        {
          reviewId,
          traceId: assessment.trace_id ?? `claim:${row.claim_number}`,
          question: `Assess claim ${row.claim_number}: extract the fields and determine coverage.`,
          answer: JSON.stringify({ outcome: assessment.outcome, fields: assessedValues }),
          expectedAnswer: JSON.stringify({ outcome, fields: expectedValues }),
          category: decision.action === 'override' ? `claims:override:${decision.reason}` : 'claims:edit',
          ...(decision.comment ? { comment: decision.comment } : {}),
          principals: claimPrincipals(config, row),
        },
        { clock },
      );
    }
    await tx.query(
      `INSERT INTO claim_reviews (id, claim_id, assessment_id, action, assessed_outcome, outcome, tier, reason_code, comment, unchanged,
         reviewer, candidate_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        reviewId,
        row.id,
        assessment.id,
        decision.action,
        assessment.outcome,
        outcome,
        assessment.tier,
        decision.reason ?? null,
        decision.comment ?? null,
        unchanged,
        caller.id,
        candidate?.id ?? null,
        now,
      ],
    );
    for (const e of edits) {
      await tx.query(
        `INSERT INTO claim_field_edits (id, review_id, claim_id, field, before_value, after_value, edited_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          (deps.ids ?? newId)('cfe'),
          reviewId,
          row.id,
          e.field,
          JSON.stringify(e.before),
          JSON.stringify(e.after),
          caller.id,
          now,
        ],
      );
    }
    await tx.query(`UPDATE claims SET status = 'decided', outcome = $2, decided_at = $3, updated_at = $3 WHERE id = $1`, [
      row.id,
      outcome,
      now,
    ]);
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'claims.review',
        target: `claim:${row.claim_number}`,
        // Flags and codes only: field values and the comment stay in the claims tables.
        after: {
          review: reviewId,
          action: decision.action,
          assessedOutcome: assessment.outcome,
          outcome,
          reason: decision.reason ?? null,
          fields: edits.map((e) => e.field),
          comment: decision.comment !== undefined,
          tier: assessment.tier,
          ...(candidate ? { candidate: candidate.id } : {}),
        },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      clock,
    );
    return { row, candidate, overridden, edits: edits.length, tier: assessment.tier };
  });
  deps.events.publish('claim-reviewed', {
    claimId: result.row.id,
    reviewId,
    action: decision.action,
    overridden: result.overridden,
    edited: result.edits,
    tier: result.tier,
  });
  const summary = await getClaim(deps, caller, result.row.id);
  return { ...summary, review: { id: reviewId, action: decision.action, candidate: result.candidate } };
}

export const siuOutcomes = ['fraud_confirmed', 'not_fraud'] as const;

/**
 * Records the SIU (or senior adjuster's) finding on a claim — the ground truth of fraud-flag precision and the
 * false-positive rate. Audited `claims.siu_outcome`.
 */
export async function recordSiuOutcome(
  deps: ClaimsDeps,
  caller: Caller,
  claimRef: string,
  input: { outcome: string; comment?: string },
  options: { requestId?: string } = {},
): Promise<{ claimNumber: string; outcome: string; flagged: boolean }> {
  authorize(caller, 'claims:review');
  if (!(siuOutcomes as readonly string[]).includes(input.outcome)) {
    throw new GroundworkError(
      'claims.invalid_outcome',
      `"${input.outcome}" is not an SIU outcome; valid: ${siuOutcomes.join(', ')}.`,
      {
        category: 'usage',
        fix: 'Record --outcome fraud_confirmed or --outcome not_fraud.',
      },
    );
  }
  const { db, config, clock } = deps;
  const now = clock.now();
  return db.transaction(async (tx) => {
    const row = await visibleClaim(tx, caller, config.claims, claimRef, true);
    const role = claimsRole(caller, config.claims);
    if (!role.siu && !role.senior) {
      throw new GroundworkError(
        'claims.not_assigned',
        `Only SIU or a senior adjuster records the fraud outcome of ${row.claim_number}.`,
        {
          category: 'forbidden',
          fix: 'Leave it to the assigned adjuster, or ask a senior adjuster (claims.seniorPrincipals) to decide it.',
        },
      );
    }
    const flagged = row.tier === 'siu_referral';
    await tx.query(
      `INSERT INTO claim_siu_outcomes (claim_id, outcome, flagged, comment, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (claim_id) DO UPDATE SET outcome = $2, flagged = $3, comment = $4, recorded_by = $5, recorded_at = $6`,
      [row.id, input.outcome, flagged, input.comment?.trim().slice(0, maxCommentLength) || null, caller.id, now],
    );
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'claims.siu_outcome',
        target: `claim:${row.claim_number}`,
        after: { outcome: input.outcome, flagged },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      clock,
    );
    return { claimNumber: row.claim_number, outcome: input.outcome, flagged };
  });
}
