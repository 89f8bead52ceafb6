import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the rollout feature throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const rolloutErrorCodes = {
  'rollout.not_available': {
    category: 'forbidden',
    description:
      "The use case is not available to this caller: it is killed, retired, in draft, or the caller is outside its pilot/limited rollout. The message is the owner's.",
    fix: 'Ask the use case owner to add you to the rollout (a pilot cohort), or use another use case; a killed use case comes back when its owner restores it.',
  },
  'rollout.unknown_stage': {
    category: 'usage',
    description: 'The stage is not one of draft, pilot, limited, general, retired.',
    fix: 'Use one of: draft, pilot, limited, general, retired.',
  },
  'rollout.unknown_cohort': {
    category: 'usage',
    description: 'A cohort named for the rollout does not exist (the message names the valid ones).',
    fix: 'Give one of the cohorts the message names, or create it with `groundwork cohorts create NAME --principals …`.',
  },
  'rollout.invalid_percent': {
    category: 'usage',
    description: 'The percentage is not a number from 0 to 100.',
    fix: 'Give --percent a number from 0 to 100 (fractions allowed, e.g. 12.5).',
  },
  'rollout.invalid': {
    category: 'usage',
    description:
      'The rollout settings are not valid (a kill message too long, nothing to change, cohorts on a stage without them).',
    fix: 'Correct the named setting (see `groundwork rollout --help`).',
  },
  'rollout.use_case_not_found': {
    category: 'not_found',
    description: 'There is no use case with this name (or the caller may not see it).',
    fix: 'List use cases with `groundwork use-cases list`.',
  },
  'rollout.forbidden': {
    category: 'forbidden',
    description: "Only admins and the use case's owner may kill or restore it.",
    fix: 'Ask an admin or the owner (shown by `groundwork use-cases show NAME`).',
  },
  'rollout.criteria_not_on_track': {
    category: 'conflict',
    description:
      'The policy rollout.requireCriteriaOnTrack refuses a stage expansion while any success criterion of the use case is not on track.',
    fix: 'Bring the criteria on track (`groundwork use-cases criteria list NAME`), or narrow the change; the policy is rollout.requireCriteriaOnTrack.',
  },
} as const satisfies ErrorCodeTable;
