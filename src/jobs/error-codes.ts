import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the jobs feature throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const jobsErrorCodes = {
  'jobs.invalid_payload': {
    category: 'usage',
    description: 'Invalid payload for job ….',
    fix: 'This is a bug in the caller: the payload must match src/jobs/contracts.ts.',
  },
  'jobs.invalid_schedule': {
    category: 'usage',
    description: '"…" is not a cron expression.',
    fix: 'Give five fields, minute hour day-of-month month day-of-week, in UTC: e.g. "0 2 * * *" (02:00 every day) or "*/15 * * * *".',
  },
  'jobs.invalid_state': {
    category: 'usage',
    description: '"…" is not a job state.',
    fix: 'Use one of: ….',
  },
  'jobs.not_found': {
    category: 'not_found',
    description: 'There is no job ….',
    fix: 'List jobs with `groundwork jobs list` (GET /v1/jobs); finished jobs are kept 7 days, dead letters 30.',
  },
  'jobs.not_prepared': {
    category: 'internal',
    description: 'A job was sent inside a transaction before its queue was prepared (a bug).',
    fix: 'This is a bug in Groundwork: call jobs.prepare(name) before opening the transaction that sends the job.',
  },
  'jobs.not_retryable': {
    category: 'conflict',
    description: 'Dead letter … names no job type this release runs.',
    fix: 'Upgrade the workers to a release that knows this job type, or delete the job.',
  },
  'jobs.unavailable': {
    category: 'unavailable',
    retryable: true,
    description: 'The job queue could not start.',
    fix: 'Check the database connection (groundwork doctor); the queue needs permission to create its schema.',
  },
  'jobs.unknown_type': {
    category: 'usage',
    description: 'jobs.types names "…", which is not a job type.',
    fix: 'Job types: ….',
  },
} as const satisfies ErrorCodeTable;
