import { z } from 'zod';
import { roles } from '../core/index.ts';

/**
 * Job contracts: every job the queue carries, by name, with its payload schema. Senders and workers both
 * validate against these, so a payload from an older or newer process fails loudly instead of silently.
 *
 * Adding a kind of background work (a monitor, a document workflow, an agent action): add its contract and
 * its defaults below, then its handler in `src/worker.ts` — the worker's handler table is typed by these
 * names, so a contract without a handler does not compile.
 *
 * Granularity: one `sync-source` job syncs one source end to end (the sync itself runs files concurrently,
 * writes each document atomically and is idempotent, so a retried job redoes only what is missing).
 */
export const jobContracts = {
  'sync-source': z.strictObject({
    /** Source name or id. */
    source: z.string().min(1),
    /** Stored on the sync run: who asked (`worker`, `api`, `schedule`, `cli`). */
    trigger: z.string().default('worker'),
  }),
  /** One run of a configured evaluation schedule (`evaluation.schedules[].name`), then its drift check. */
  'evaluation-scheduled-run': z.strictObject({
    schedule: z.string().min(1),
  }),
  /**
   * An evaluation run asked for over the API (`POST /v1/eval/runs`): the validated request, the run id the
   * API answered with, and the caller it runs as (cases without principals are asked as that caller).
   */
  'evaluation-run': z.strictObject({
    runId: z.string().min(1),
    request: z.record(z.string(), z.unknown()),
    caller: z.strictObject({
      id: z.string().min(1),
      role: z.enum(roles),
      principals: z.array(z.string()),
      seesEverything: z.boolean(),
    }),
  }),
  /** One pass of the monitors (`monitoring.schedule`): evaluates every due monitor (src/monitor). */
  'monitors-evaluate': z.strictObject({
    trigger: z.string().default('schedule'),
  }),
  /** One webhook notice of an alert (a row of alert_deliveries), retried with backoff, then marked failing. */
  'monitor-webhook': z.strictObject({
    deliveryId: z.string().min(1),
  }),
  /** The execution of one approved action proposal (src/actions): its state machine makes a re-run execute once. */
  'action-execute': z.strictObject({
    proposalId: z.string().min(1),
  }),
  /**
   * Assessing claims (`claims process --all`, POST /v1/claims/process): the claim numbers (absent: every claim
   * the caller may process) and the caller it runs as — policy terms are searched with that caller's ACL.
   */
  'claims-process': z.strictObject({
    claims: z.array(z.string().min(1)).optional(),
    caller: z.strictObject({
      id: z.string().min(1),
      role: z.enum(roles),
      principals: z.array(z.string()),
      seesEverything: z.boolean(),
    }),
    trigger: z.string().default('worker'),
  }),
} as const;

export type JobName = keyof typeof jobContracts;
export type JobData<N extends JobName> = z.output<(typeof jobContracts)[N]>;
export type JobInput<N extends JobName> = z.input<(typeof jobContracts)[N]>;

export const jobNames = Object.keys(jobContracts) as JobName[];

export function isJobName(value: string): value is JobName {
  return Object.hasOwn(jobContracts, value);
}

/** Retry policy of one job type: attempts after the first, first delay in seconds, exponential backoff. */
export interface JobRetryPolicy {
  readonly retryLimit: number;
  readonly retryDelay: number;
  readonly retryBackoff: boolean;
}

/** Defaults per job type; `jobs.types.<name>` in the configuration overrides each field. */
export interface JobTypeDefaults extends JobRetryPolicy {
  /** Jobs of this type one worker process runs at once. */
  readonly concurrency: number;
  /**
   * A running job's worker proves it is alive this often (seconds, at least 10); a job whose worker stopped
   * proving it (killed, frozen, partitioned) is failed and retried after this long, instead of after its
   * expiry. Syncs run for minutes, so this is what makes a killed worker's job come back quickly.
   */
  readonly heartbeatSeconds: number;
  /** Longest a job may run before it is failed (and retried). */
  readonly expireInSeconds: number;
}

export const jobTypeDefaults: Readonly<Record<JobName, JobTypeDefaults>> = {
  // A sync already parses its files on a pool of worker threads: two syncs at once keep a 2-core worker busy.
  'sync-source': {
    concurrency: 2,
    retryLimit: 4,
    retryDelay: 15,
    retryBackoff: true,
    heartbeatSeconds: 30,
    expireInSeconds: 6 * 3600,
  },
  // Evaluations call models and rank every case: one at a time per process.
  'evaluation-scheduled-run': {
    concurrency: 1,
    retryLimit: 2,
    retryDelay: 60,
    retryBackoff: true,
    heartbeatSeconds: 60,
    expireInSeconds: 6 * 3600,
  },
  // Not retried: the run id was handed to the caller, and a half-written run is not resumable. A failed or
  // interrupted run is a dead letter an operator sees (and the caller starts a new run).
  'evaluation-run': {
    concurrency: 1,
    retryLimit: 0,
    retryDelay: 0,
    retryBackoff: false,
    heartbeatSeconds: 60,
    expireInSeconds: 6 * 3600,
  },
  // Reads aggregates over a window per monitor; one pass at a time (the schedule fires every minute).
  'monitors-evaluate': {
    concurrency: 1,
    retryLimit: 1,
    retryDelay: 30,
    retryBackoff: false,
    heartbeatSeconds: 30,
    expireInSeconds: 900,
  },
  // A notice: retried with backoff (10 s, 20 s, 40 s, …), then the monitor's webhook is marked failing.
  'monitor-webhook': {
    concurrency: 4,
    retryLimit: 5,
    retryDelay: 10,
    retryBackoff: true,
    heartbeatSeconds: 30,
    expireInSeconds: 120,
  },
  // An approved action: retried when its worker died (the proposal says where it got to, and the executor
  // gets the same idempotency key); an executor error is not retried here — the proposal is failed, and a
  // person retries it.
  'action-execute': {
    concurrency: 4,
    retryLimit: 10,
    retryDelay: 5,
    retryBackoff: true,
    heartbeatSeconds: 10,
    expireInSeconds: 300,
  },
  // Each claim is assessed in seconds and stored as a new version: a retried batch reassesses what it did.
  'claims-process': {
    concurrency: 1,
    retryLimit: 2,
    retryDelay: 30,
    retryBackoff: true,
    heartbeatSeconds: 60,
    expireInSeconds: 6 * 3600,
  },
};

/** The queue every job type sends its jobs to once their retries are spent (pg-boss dead-letter queue). */
export const deadLetterQueue = 'dead-letters';
