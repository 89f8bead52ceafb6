import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the claims workflow throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const claimsErrorCodes = {
  'claims.invalid_note': {
    category: 'usage',
    description: 'A claim note or manual tier change is invalid (empty or too long text, unknown tier, no reason).',
    fix: 'Give a note of 1–4000 characters; for a tier change one of fast_track, standard, senior_review, siu_referral and a reason.',
  },
  'claims.not_found': {
    category: 'not_found',
    description: 'There is no claim with this id or claim number that you may see.',
    fix: 'List your queue with `groundwork claims list` (GET /v1/claims); adjusters see the claims assigned to them.',
  },
  'claims.document_not_found': {
    category: 'not_found',
    description: 'The claim has no document with this id that you may read.',
    fix: 'Use a documentId from the claim summary (`groundwork claims show ID --json`).',
  },
  'claims.invalid_claim': {
    category: 'usage',
    description: 'The claim record is invalid (claim number, dates, adjuster).',
    fix: 'Give a claim number of 1–64 letters, digits, dots, dashes or underscores, dates as YYYY-MM-DD and an adjuster e-mail or name.',
  },
  'claims.invalid_filter': {
    category: 'usage',
    description: 'A list filter (tier or status) is not one of the known values.',
    fix: 'Use --tier fast_track|standard|senior_review|siu_referral and --status open|needs_information|assessed|decided|closed.',
  },
  'claims.invalid_upload': {
    category: 'usage',
    description: 'The upload is not a multipart/form-data body with a `file` part and a usable file name.',
    fix: 'Send multipart/form-data with the document in a part named `file` (curl -F file=@estimate.pdf).',
  },
  'claims.too_large': {
    category: 'limit',
    status: 413,
    description: 'The uploaded document is larger than claims.maxUploadBytes.',
    fix: 'Upload a smaller file (split a large scan), or raise claims.maxUploadBytes.',
  },
  'claims.invalid_review': {
    category: 'usage',
    description:
      'The review names no action, an unknown field, an outcome that is not covered|not_covered|needs_information, or lacks a comment.',
    fix: 'Review with --accept, --edit field=value… (fields of the claim schema) or --override OUTCOME --reason CODE --comment TEXT.',
  },
  'claims.invalid_override_reason': {
    category: 'usage',
    description: 'An override needs a registered reason code.',
    fix: 'Give --reason with one of the override reason codes listed in the message (docs/claims.md).',
  },
  'claims.not_assessed': {
    category: 'conflict',
    description: 'The claim has no assessment to review yet.',
    fix: 'Process it first: `groundwork claims process ID` (POST /v1/claims/:id/process).',
  },
  'claims.already_decided': {
    category: 'conflict',
    description: 'The current assessment of this claim was decided already.',
    fix: 'Process the claim again (new documents or config) to get a new assessment to review.',
  },
  'claims.not_assigned': {
    category: 'forbidden',
    description: 'Only the assigned adjuster (or a senior adjuster; SIU for SIU referrals) may decide this claim.',
    fix: 'Leave it to the assigned adjuster, or ask a senior adjuster (claims.seniorPrincipals) to decide it.',
  },
  'claims.not_claims_staff': {
    category: 'forbidden',
    description: 'Creating a claim takes membership of the claims group (claims.group) or a senior/SIU principal.',
    fix: 'Ask an administrator for the claims group, or have a claims handler open the claim.',
  },
  'claims.invalid_outcome': {
    category: 'usage',
    description: 'The SIU outcome is not fraud_confirmed or not_fraud.',
    fix: 'Record --outcome fraud_confirmed or --outcome not_fraud.',
  },
  'claims.invalid_config': {
    category: 'usage',
    description: 'The claims configuration does not match the schema (fraud weights, thresholds, routing).',
    fix: 'Correct the fields listed in the message; `groundwork claims config show` prints the current version.',
  },
  'claims.missing_target': {
    category: 'usage',
    description: '`claims process` needs a claim (ID or claim number) or --all; `claims import` runs on the local store only.',
    fix: 'Run `groundwork claims process CL-123` or `groundwork claims process --all`; run `claims import` on the server machine (without --server).',
  },
  'claims.import_invalid': {
    category: 'usage',
    description: 'The import folder, a claim.json or history.csv could not be read.',
    fix: 'Point at a folder of claim folders (DIR/claims/<claim-no>/claim.json or DIR/<claim-no>/claim.json), with an optional DIR/history.csv.',
  },
} as const satisfies ErrorCodeTable;
