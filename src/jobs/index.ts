/**
 * jobs/ — job contracts (zod) and the job queue on PostgreSQL (pg-boss 12, embedded and server stores).
 */
export {
  deadLetterQueue,
  isJobName,
  type JobData,
  type JobInput,
  type JobName,
  type JobRetryPolicy,
  type JobTypeDefaults,
  jobContracts,
  jobNames,
  jobTypeDefaults,
} from './contracts.ts';
export { jobsErrorCodes } from './error-codes.ts';
export {
  createJobQueue,
  type JobHandler,
  type JobInfo,
  type JobQueue,
  type JobQueueOptions,
  type JobState,
  type JobsConfig,
  type JobView,
  jobSchemaFor,
  jobStates,
  jobTypeSettings,
  type ScheduleView,
  type WorkOptions,
} from './job-queue.ts';
