import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the adoption feature throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const adoptionErrorCodes = {
  'cohort.exists': {
    category: 'conflict',
    description: 'A cohort with this name already exists.',
    fix: 'Pick another name, or delete the cohort first (`groundwork cohorts delete NAME`).',
  },
  'cohort.invalid': {
    category: 'usage',
    description: 'The cohort name or its principals are not valid.',
    fix: 'Name a cohort with 1–64 lower-case letters, digits, `-` or `_`, and give at least one principal (user:… or group:…).',
  },
  'cohort.not_found': {
    category: 'not_found',
    description: 'There is no cohort with this name.',
    fix: 'List cohorts with `groundwork cohorts list` (GET /v1/cohorts); the message names the valid ones.',
  },
  'usage.unknown_cohort': {
    category: 'usage',
    description: 'The usage report was asked for a cohort that does not exist.',
    fix: 'Give one of the cohorts the message names, or create it with `groundwork cohorts create NAME --principals …`.',
  },
  'usage.invalid_period': {
    category: 'usage',
    description: 'The period is not one of week or month.',
    fix: 'Use --period week or --period month (query period=week|month).',
  },
  'usage.invalid_date': {
    category: 'usage',
    description: 'A date of the usage report is not a valid YYYY-MM-DD date.',
    fix: 'Give dates as YYYY-MM-DD, e.g. --as-of 2026-06-30.',
  },
} as const satisfies ErrorCodeTable;
