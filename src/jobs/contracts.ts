import { z } from 'zod';

/**
 * Job contracts: every job the queue carries, by name, with its payload schema. Senders and workers both
 * validate against these, so a payload from an older or newer process fails loudly instead of silently.
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
} as const;

export type JobName = keyof typeof jobContracts;
export type JobData<N extends JobName> = z.output<(typeof jobContracts)[N]>;
export type JobInput<N extends JobName> = z.input<(typeof jobContracts)[N]>;

/** Retry policy per job: attempts after the first, first delay in seconds, exponential backoff. */
export const jobRetryPolicy: Readonly<Record<JobName, { retryLimit: number; retryDelay: number; retryBackoff: boolean }>> = {
  'sync-source': { retryLimit: 4, retryDelay: 15, retryBackoff: true },
};
