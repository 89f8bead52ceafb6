import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the govern feature throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const governErrorCodes = {
  'audit.bad_option': {
    category: 'usage',
    description: 'Give --limit as 1–1000 and --before as a sequence number.',
    fix: 'e.g. `groundwork audit list --limit 100 --before 4711`.',
  },
  'audit.head_missing': {
    category: 'internal',
    description: 'The audit log head row is missing.',
    fix: 'Run `groundwork audit verify`; restore the database from a backup if the audit tables were altered.',
  },
  'auth.forbidden': {
    category: 'forbidden',
    description: 'The caller lacks the scope or use-case access the request needs.',
    fix: 'Ask an administrator to add one of your groups to it (`groundwork use-cases update … --principals …`), or use another use case.',
  },
  'auth.invalid_key': {
    category: 'unauthenticated',
    description: 'The API key is not valid: unknown, revoked or expired.',
    fix: 'Create a new key with `groundwork keys create` (an admin can list keys with `groundwork keys list`).',
  },
  'auth.invalid_token': {
    category: 'unauthenticated',
    description: 'The bearer token was rejected.',
    fix: 'Sign in again to get a fresh token from the configured identity provider (issuer and audience must match auth.oidc).',
  },
  'auth.malformed': {
    category: 'unauthenticated',
    description: 'The Authorization header must be `Bearer <token>`.',
    fix: 'Send `Authorization: Bearer <API key or OIDC token>`.',
  },
  'auth.missing': {
    category: 'unauthenticated',
    description: 'This request needs credentials.',
    fix: 'Send `Authorization: Bearer <API key>` (create one with `groundwork keys create`) or an OIDC access token.',
  },
  'auth.oidc_unavailable': {
    category: 'unavailable',
    retryable: true,
    description: 'Cannot read the OIDC discovery document at ….',
    fix: 'Check auth.oidc.issuer and that the server can reach it, or set auth.oidc.jwksUrl directly.',
  },
  'feedback.comment_too_long': {
    category: 'usage',
    description: 'The feedback comment is longer than 4,000 characters.',
    fix: 'Shorten the comment.',
  },
  'feedback.bad_selection': {
    category: 'usage',
    description: 'Give 1 to 500 feedback (or notice) ids.',
    fix: 'Pass the ids to change, at most 500 at a time.',
  },
  'feedback.invalid_status': {
    category: 'usage',
    description: '"…" is not a feedback status.',
    fix: 'Use one of: open, planned, fixed, wont_fix.',
  },
  'feedback.invalid_transition': {
    category: 'conflict',
    description: 'Feedback … cannot move to that status (nothing was changed).',
    fix: 'Allowed moves: open → planned|fixed|wont_fix; planned → open|fixed|wont_fix; fixed → open; wont_fix → open|planned.',
  },
  'feedback.not_found': {
    category: 'not_found',
    description: 'No feedback with the id(s) … (nothing was changed).',
    fix: 'List feedback with `groundwork feedback list` (GET /v1/feedback) and use ids from it.',
  },
  'feedback.not_triager': {
    category: 'forbidden',
    description: 'The caller does not triage the use case of the feedback (nothing was changed).',
    fix: "Feedback is triaged by its use case's owner or approvers, or an admin (`groundwork use-cases update NAME --owner … --approvers …`).",
  },
  'feedback.note_required': {
    category: 'usage',
    description: 'Setting feedback to wont_fix needs a note for the reporter.',
    fix: 'Say why it will not be fixed (`note`, `--note`).',
  },
  'feedback.note_too_long': {
    category: 'usage',
    description: 'The note is longer than 2,000 characters.',
    fix: 'Shorten the note to at most 2,000 characters.',
  },
  'feedback.trace_not_found': {
    category: 'not_found',
    description: 'No trace … of yours exists.',
    fix: 'Give feedback with the trace id returned with your own answer (the `traceId` field).',
  },
  'key.bad_expiry': {
    category: 'usage',
    description: '--expires … is not a whole number of days.',
    fix: 'Give the number of days, e.g. --expires 90.',
  },
  'key.bad_role': {
    category: 'usage',
    description: '--role … is not a role.',
    fix: 'Use one of viewer, user, reviewer, builder, admin (or --admin alone).',
  },
  'key.invalid': {
    category: 'usage',
    description: 'The API key request is invalid.',
    fix: 'Give a name, principals such as user:alice@example.com or group:underwriting, and a positive number of days.',
  },
  'key.not_found': {
    category: 'not_found',
    description: 'No API key has the id ….',
    fix: 'List the keys with `groundwork keys list` and use an id from the first column.',
  },
} as const satisfies ErrorCodeTable;
