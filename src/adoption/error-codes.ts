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
  'criteria.invalid': {
    category: 'usage',
    description:
      'A success criterion (or a value recorded for one) is not valid: a number, date, cadence, direction, id or unit.',
    fix: 'Give --metric, a finite --target (and --baseline), --direction up|down, --cadence daily|weekly|monthly, --due YYYY-MM-DD; manual metrics need --unit.',
  },
  'criteria.unknown_metric': {
    category: 'usage',
    description: 'The metric is not one a success criterion can track.',
    fix: 'Use a usage metric (activeUsers.daily|weekly|monthly, active30|60|90, timeToValue.medianHours|p90Hours, taskCompletionRate, refusalRate, feedbackRate, overrideRate), eval:<metric> of an evaluation run, or manual:<name> with --unit.',
  },
  'criteria.not_found': {
    category: 'not_found',
    description: 'The use case has no success criterion with this id.',
    fix: 'List them with `groundwork use-cases criteria list NAME`; the message names the valid ids.',
  },
  'criteria.exists': {
    category: 'conflict',
    description: 'The use case already has a success criterion with this id.',
    fix: 'Give another --id, or remove the criterion first (`groundwork use-cases criteria remove NAME ID`).',
  },
  'criteria.not_manual': {
    category: 'usage',
    description: 'Values can be recorded only for manual:… criteria; usage and eval metrics are measured by Groundwork.',
    fix: 'Record values for a criterion whose metric is manual:<name>.',
  },
  'health.invalid_review': {
    category: 'usage',
    description: 'A program review has no valid decision, or its notes are too long.',
    fix: 'Give --decision continue|fix|pivot|stop and notes of at most 4,000 characters.',
  },
} as const satisfies ErrorCodeTable;
