/**
 * Error codes of the governed write path (src/govern/changes), for the error-code registry.
 * Each is thrown as `GroundworkError(code, message, {category, fix})`; docs/errors.md / docs/governance.md list them.
 */
export const changesErrorCodes = {
  'govern.self_approval': {
    category: 'forbidden',
    retryable: false,
    description: 'The caller is the author of the change request (or holds a key the author was issued or created).',
    fix: 'Ask another person among the request’s eligible approvers to approve it.',
  },
  'govern.not_an_approver': {
    category: 'forbidden',
    retryable: false,
    description: 'The caller is neither an admin nor an approver of a use case the change affects.',
    fix: 'Ask one of the approvers named in the error, or have the use case owner add you with `use-cases update --approvers`.',
  },
  'govern.not_the_author': {
    category: 'forbidden',
    retryable: false,
    description: 'Only the author of a change request can withdraw it.',
    fix: 'Reject it instead if you are one of its approvers.',
  },
  'govern.change_not_found': {
    category: 'not_found',
    retryable: false,
    description: 'No change request has this id.',
    fix: 'List change requests with `groundwork changes list` (GET /v1/changes).',
  },
  'govern.change_stale': {
    category: 'conflict',
    retryable: false,
    description:
      'The target changed after the request was made (or its stored content no longer matches its hash); it cannot be applied.',
    fix: 'Look at the target again and request the change anew.',
  },
  'govern.change_expired': {
    category: 'conflict',
    retryable: false,
    description: 'The change request stayed undecided past its expiry (governance.requestTtlHours).',
    fix: 'Request the change anew.',
  },
  'govern.change_not_pending': {
    category: 'conflict',
    retryable: false,
    description: 'The change request was already applied, rejected, withdrawn or expired.',
    fix: 'Request the change anew if it is still wanted.',
  },
  'govern.already_approved': {
    category: 'conflict',
    retryable: false,
    description: 'This person has already approved the request; approvals must come from distinct people.',
    fix: 'Ask another eligible approver.',
  },
  'govern.eval_run_required': {
    category: 'usage',
    retryable: false,
    description: 'The policy (governance.requireEvalRunFor) requires an evaluation run for this change.',
    fix: 'Attach a run that passed its gates with --eval-run RUN_ID (API: evalRunId).',
  },
  'govern.eval_run_not_found': {
    category: 'not_found',
    retryable: false,
    description: 'The attached evaluation run does not exist.',
    fix: 'List runs with `groundwork eval runs` and attach an existing id.',
  },
  'govern.eval_run_failed': {
    category: 'conflict',
    retryable: false,
    description: 'The attached evaluation run did not finish successfully or failed its gates.',
    fix: 'Fix the regression and attach a run that passed.',
  },
  'govern.eval_run_mismatch': {
    category: 'conflict',
    retryable: false,
    description:
      'The attached evaluation run passed but measured something else: another prompt or model configuration version than the one the label moves to (or a retrieval-only run).',
    fix: 'Evaluate the candidate: groundwork eval run DATASET --mode answer --use-case USE_CASE --prompt-version N (or --model-version N), then attach that run.',
  },
  'govern.unknown_kind': {
    category: 'internal',
    retryable: false,
    description: 'The change request has a kind this process does not know (mixed versions).',
    fix: 'Run the same Groundwork version in every process.',
  },
} as const;
