import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the review feature throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const reviewErrorCodes = {
  'review.not_found': {
    category: 'not_found',
    description: 'There is no review item with this id that you may review.',
    fix: 'List the queue with `groundwork review list` (GET /v1/reviews), or take the next item with `groundwork review next`.',
  },
  'review.invalid_verdict': {
    category: 'usage',
    description: 'The verdict is not one of correct, partially or wrong (or grounded is not yes or no).',
    fix: 'Grade with --verdict correct|partially|wrong and optionally --grounded yes|no.',
  },
  'review.invalid_status': {
    category: 'usage',
    description: 'The status filter is not one of pending or graded.',
    fix: 'Use --status pending or --status graded (query status=pending|graded).',
  },
  'review.text_too_long': {
    category: 'usage',
    description: 'The corrected answer or the reason is longer than allowed.',
    fix: 'Keep the corrected answer under 20,000 characters and the reason under 4,000.',
  },
  'review.use_case_not_reviewable': {
    category: 'forbidden',
    description: 'You may not review this use case (or it does not exist).',
    fix: 'Name a use case you may use; the message lists them. A reviewer reviews the use cases they may use.',
  },
  'review.own_answer': {
    category: 'forbidden',
    description: 'A reviewer may not grade an answer they asked themselves (four eyes).',
    fix: 'Leave this item to another reviewer; `groundwork review next` never hands you your own answers.',
  },
  'review.claimed': {
    category: 'conflict',
    description: 'Another reviewer holds the lease on this item.',
    fix: 'Take another item with `groundwork review next`, or wait until the lease (review.leaseMinutes) ends.',
  },
  'review.already_graded': {
    category: 'conflict',
    description: 'The item was already graded.',
    fix: 'Each sampled answer is graded once; take the next item with `groundwork review next`.',
  },
  'review.not_graded': {
    category: 'conflict',
    description: 'Only a graded review can become an evaluation candidate.',
    fix: 'Grade it first (`groundwork review grade ID --verdict …`), or grade with --to-eval.',
  },
} as const satisfies ErrorCodeTable;
