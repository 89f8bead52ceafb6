/**
 * jobs/ — job contracts (zod) and the job queue on PostgreSQL (pg-boss 12, embedded and server stores).
 */
export { type JobData, type JobInput, type JobName, jobContracts, jobRetryPolicy } from './contracts.ts';
export { createJobQueue, type JobHandler, type JobInfo, type JobQueue, jobSchemaFor, type WorkOptions } from './job-queue.ts';
