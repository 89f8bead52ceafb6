import { PgBoss } from 'pg-boss';
import { GroundworkError, isGroundworkError, type Logger, toGroundworkError } from '../core/index.ts';
import type { Database } from '../store/index.ts';
import { type JobData, type JobInput, type JobName, jobContracts, jobRetryPolicy } from './contracts.ts';

/** What a handler learns about its job. */
export interface JobInfo {
  readonly id: string;
  /** 0 on the first attempt. */
  readonly retryCount: number;
}

export type JobHandler<N extends JobName> = (data: JobData<N>, job: JobInfo) => Promise<unknown>;

export interface WorkOptions {
  /** Jobs fetched per poll (pg-boss caps at ~8 jobs/s with 1 and no burst). Default 10. */
  readonly batchSize?: number;
  readonly pollingIntervalSeconds?: number;
}

/**
 * The job queue on PostgreSQL (pg-boss 12) — the same on the embedded store and on server PostgreSQL. Its
 * tables live in their own schema, `<store schema>_jobs`, so isolated stores (tests) have isolated queues.
 *
 * Failures: a handler that throws a retryable error (`GroundworkError.isRetryable`, or anything unexpected)
 * is retried with exponential backoff per `jobRetryPolicy`; a non-retryable GroundworkError completes the
 * job with `{ error }` as output (retrying cannot help; the failure is recorded where the work is, e.g. the
 * sync run).
 */
export interface JobQueue {
  /** Validates `data` against the job's contract and enqueues it. Returns the job id. */
  send<N extends JobName>(name: N, data: JobInput<N>, options?: { readonly singletonKey?: string }): Promise<string | null>;
  /** Starts a worker for `name`. Resolves once registered; handlers run until `stop`. */
  work<N extends JobName>(name: N, handler: JobHandler<N>, options?: WorkOptions): Promise<void>;
  /** Jobs of `name` not yet finished (created, retry or active). */
  pending(name: JobName): Promise<number>;
  /** The state and output of one job, or undefined. */
  job(name: JobName, id: string): Promise<{ state: string; output: unknown; retryCount: number } | undefined>;
  /** The underlying pg-boss instance (schedules, cron); started on first use. */
  boss(): Promise<PgBoss>;
  /** Stops workers (waiting for running handlers up to `timeoutMs`) and the queue. */
  stop(options?: { readonly timeoutMs?: number }): Promise<void>;
}

export function jobSchemaFor(db: Database): string {
  return `${db.schema}_jobs`;
}

export function createJobQueue(db: Database, logger: Logger): JobQueue {
  let started: Promise<PgBoss> | undefined;
  let maintenance: NodeJS.Timeout | undefined;
  const created = new Set<string>();
  const boss = () => {
    started ??= (async () => {
      const make = () => {
        const instance = new PgBoss({
          db: {
            executeSql: async (text: string, values?: unknown[]) => {
              const result = await db.query(text, values && values.length > 0 ? values : undefined);
              return { rows: result.rows };
            },
          },
          schema: jobSchemaFor(db),
          // Maintenance and cron are a server-mode worker's business; the CLI's short-lived queues skip them.
          supervise: false,
          schedule: false,
        });
        instance.on('error', (error: unknown) => logger.warn('job queue error', { error }));
        return instance;
      };
      // Two processes creating the queue schema at the same moment collide on it (a worker and
      // `sync --enqueue` starting together): the loser retries and finds it created.
      let instance = make();
      for (let attempt = 1; ; attempt++) {
        try {
          await instance.start();
          break;
        } catch (error) {
          if (attempt < 4) {
            await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
            instance = make();
            continue;
          }
          throw new GroundworkError('jobs.unavailable', `The job queue could not start: ${(error as Error).message}`, {
            category: 'unavailable',
            isRetryable: true,
            fix: 'Check the database connection (groundwork doctor); the queue needs permission to create its schema.',
            cause: error,
          });
        }
      }
      return instance;
    })();
    return started;
  };
  const ensureQueue = async (name: JobName) => {
    const instance = await boss();
    if (created.has(name)) return instance;
    const existing = await instance.getQueue(name);
    if (!existing) await instance.createQueue(name, { ...jobRetryPolicy[name] });
    created.add(name);
    return instance;
  };

  return {
    async send(name, data, options = {}) {
      const parsed = jobContracts[name].safeParse(data);
      if (!parsed.success) {
        throw new GroundworkError('jobs.invalid_payload', `Invalid payload for job ${name}: ${parsed.error.message}`, {
          category: 'usage',
          fix: 'This is a bug in the caller: the payload must match src/jobs/contracts.ts.',
        });
      }
      const instance = await ensureQueue(name);
      return instance.send(name, parsed.data, {
        ...jobRetryPolicy[name],
        ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
      });
    },
    async work(name, handler, options = {}) {
      const instance = await ensureQueue(name);
      // A long-running worker does the queue maintenance (expiring jobs of dead workers, retention) that the
      // constructor leaves off for short-lived CLI processes.
      if (!maintenance) {
        const supervise = () =>
          instance.supervise().catch((error: unknown) => logger.warn('job queue maintenance failed', { error }));
        await supervise();
        maintenance = setInterval(supervise, 60_000);
        maintenance.unref();
      }
      await instance.work<unknown>(
        name,
        { batchSize: options.batchSize ?? 10, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 1 },
        async (jobs) => {
          const outputs: unknown[] = [];
          for (const job of jobs) {
            const data = jobContracts[name].parse(job.data) as JobData<typeof name>;
            const retryCount = (job as { retryCount?: number }).retryCount ?? 0;
            try {
              outputs.push(await handler(data, { id: job.id, retryCount }));
            } catch (error) {
              const failure = isGroundworkError(error) ? error : toGroundworkError(error);
              if (isGroundworkError(error) && !error.isRetryable) {
                logger.warn('job failed (not retryable)', { job: name, id: job.id, code: failure.code });
                await instance.complete(name, job.id, { error: failure.toJSON() });
                continue;
              }
              logger.warn('job failed; it will be retried', { job: name, id: job.id, code: failure.code, retryCount });
              await instance.fail(name, job.id, { error: failure.toJSON() });
            }
          }
          // Jobs of the batch were settled one by one above (complete/fail); nothing left for pg-boss to do.
          return outputs;
        },
      );
    },
    async pending(name) {
      await ensureQueue(name);
      // Counted in the job table itself: pg-boss's cached queue stats are refreshed only by its supervisor.
      const result = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${jobSchemaFor(db)}.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`,
        [name],
      );
      return result.rows[0]?.n ?? 0;
    },
    async job(name, id) {
      const instance = await ensureQueue(name);
      const found = await instance.getJobById(name, id);
      if (!found) return undefined;
      return { state: found.state, output: found.output, retryCount: found.retryCount };
    },
    boss: () => boss(),
    async stop(options = {}) {
      if (maintenance) clearInterval(maintenance);
      maintenance = undefined;
      if (!started) return;
      const instance = await started.catch(() => undefined);
      started = undefined;
      await instance?.stop({ graceful: true, close: true, timeout: options.timeoutMs ?? 30_000 });
    },
  };
}
