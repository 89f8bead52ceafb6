import { PgBoss } from 'pg-boss';
import { type GroundworkConfig, GroundworkError, isGroundworkError, type Logger, toGroundworkError } from '../core/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import {
  deadLetterQueue,
  isJobName,
  type JobData,
  type JobInput,
  type JobName,
  type JobTypeDefaults,
  jobContracts,
  jobNames,
  jobTypeDefaults,
} from './contracts.ts';

export type JobsConfig = GroundworkConfig['jobs'];

/** What a handler learns about its job. */
export interface JobInfo {
  readonly id: string;
  /** 0 on the first attempt. */
  readonly retryCount: number;
  /**
   * Aborted when the worker shuts down and its grace period is over (the job is then failed and retried
   * elsewhere) or when the job expired. Long handlers pass it on (a sync stops between documents).
   */
  readonly signal: AbortSignal;
}

export type JobHandler<N extends JobName> = (data: JobData<N>, job: JobInfo) => Promise<unknown>;

export interface WorkOptions {
  /** Jobs of this type this process runs at once. Default: the type's configured concurrency. */
  readonly concurrency?: number;
  /** Jobs each of those fetches per poll, run one after another. Default 1 (long jobs). */
  readonly batchSize?: number;
  readonly pollingIntervalSeconds?: number;
}

/** Where a job stands. `dead`: its retries are spent and it waits in the dead letters for an operator. */
export const jobStates = ['created', 'retry', 'active', 'completed', 'cancelled', 'failed', 'dead'] as const;
export type JobState = (typeof jobStates)[number];

/** One job as operators see it (API, CLI, web UI). */
export interface JobView {
  readonly id: string;
  /** The job type. For a dead letter: the type it failed as. */
  readonly name: string;
  readonly state: JobState;
  readonly data: unknown;
  /** The handler's result, or `{ error }` for a failed attempt. For a dead letter: the last failure. */
  readonly output: unknown;
  readonly retryCount: number;
  readonly retryLimit: number;
  readonly createdOn: Date;
  readonly startedOn: Date | null;
  readonly completedOn: Date | null;
  readonly singletonKey: string | null;
  /** A dead letter: the id of the job that failed (its row in its own queue stays `failed`). */
  readonly failedJobId: string | null;
}

export interface ScheduleView {
  readonly name: string;
  readonly key: string;
  readonly cron: string;
  readonly data: unknown;
}

/**
 * The job queue on PostgreSQL (pg-boss 12) — the same on the embedded store and on server PostgreSQL. Its
 * tables live in their own schema, `<store schema>_jobs`, so isolated stores (tests) have isolated queues.
 *
 * Failures: a handler that throws a retryable error (`GroundworkError.isRetryable`, or anything unexpected)
 * is retried with exponential backoff per its type's policy; once the retries are spent the job is copied to
 * the dead letters (`dead-letters` queue). A non-retryable GroundworkError goes to the dead letters at once
 * (retrying cannot help). A worker that dies mid-job stops sending heartbeats: the next maintenance pass of
 * any worker fails the job, and it is retried like any failure.
 */
export interface JobQueue {
  /**
   * Validates `data` against the job's contract and enqueues it. Returns the job id (null: a duplicate).
   * With `tx`, the job is inserted in that transaction — it exists only if the caller's write commits (the one
   * write path: write, audit and enqueue together). The queue must be `prepare`d first, outside the
   * transaction (creating a queue runs on its own connection; on the embedded store that would wait forever).
   */
  send<N extends JobName>(
    name: N,
    data: JobInput<N>,
    options?: {
      readonly singletonKey?: string;
      readonly tx?: Queryable;
      /** Not before this many seconds from now (a safety net that normally finds its work done). */
      readonly startAfterSeconds?: number;
    },
  ): Promise<string | null>;
  /** Creates the queue of `name` if needed, so a later `send` with `tx` runs only inside that transaction. */
  prepare(name: JobName): Promise<void>;
  /** Starts workers for `name`. Resolves once registered; handlers run until `stop`. */
  work<N extends JobName>(name: N, handler: JobHandler<N>, options?: WorkOptions): Promise<void>;
  /** Jobs of `name` not yet finished (created, retry or active). */
  pending(name: JobName): Promise<number>;
  /** The state and output of one job of `name`, or undefined. */
  job(name: JobName, id: string): Promise<{ state: string; output: unknown; retryCount: number } | undefined>;
  /** One job by id, whatever its type (dead letters included), or undefined. */
  find(id: string): Promise<JobView | undefined>;
  /** Recent jobs, newest first; `dead` lists the dead letters, `failed` the failed attempts of every type. */
  list(filter?: { readonly state?: JobState; readonly name?: string; readonly limit?: number }): Promise<JobView[]>;
  /**
   * Runs a failed or dead-lettered job again (a new attempt with fresh retries). Returns the job that will
   * run. `jobs.not_found` for unknown ids, `jobs.not_retryable` for jobs that have not failed. The retry (or
   * the dead letter's redrive) runs in one transaction, and `inTransaction` — the caller's audit record — runs
   * in it too: both happen or neither.
   */
  retry(id: string, options?: { readonly inTransaction?: (tx: Queryable, job: JobView) => Promise<void> }): Promise<JobView>;
  /**
   * Resolves with the job once it completed, an attempt failed (state `retry`, its error as output) or it was
   * dead-lettered (state `dead`); undefined after `timeoutMs` or when `signal` aborts.
   */
  waitFor(
    name: JobName,
    id: string,
    options: { readonly timeoutMs: number; readonly signal?: AbortSignal },
  ): Promise<JobView | undefined>;
  /**
   * Creates or updates a recurring job (cron, UTC), keyed: two workers never send one occurrence twice.
   * The workers' cron pass (`jobs.cronIntervalSeconds`) sends it; `jobs.invalid_schedule` for a bad cron.
   */
  schedule<N extends JobName>(name: N, key: string, cron: string, data: JobInput<N>): Promise<void>;
  unschedule(name: JobName, key: string): Promise<void>;
  schedules(name?: JobName): Promise<ScheduleView[]>;
  /** Throws `jobs.invalid_schedule` unless `cron` is a valid cron expression. */
  assertCron(cron: string): void;
  /** The underlying pg-boss instance; started on first use. */
  boss(): Promise<PgBoss>;
  /** Stops fetching, waits for running handlers up to `timeoutMs`, releases the rest for a retry, stops. */
  stop(options?: { readonly timeoutMs?: number }): Promise<void>;
}

export interface JobQueueOptions {
  readonly config?: JobsConfig;
  /**
   * A worker process runs queue maintenance (dead workers' jobs, expiry, retention) and the cron pass that
   * sends due schedules. Short-lived processes (CLI commands, API processes in server mode) leave both off.
   */
  readonly role?: 'client' | 'worker';
}

export function jobSchemaFor(db: Database): string {
  return `${db.schema}_jobs`;
}

/** The effective settings of one job type: the defaults of src/jobs/contracts.ts with `jobs.types` applied. */
export function jobTypeSettings(config: JobsConfig | undefined, name: JobName): JobTypeDefaults {
  const defaults = jobTypeDefaults[name];
  const override = config?.types[name] ?? {};
  return {
    concurrency: override.concurrency ?? defaults.concurrency,
    retryLimit: override.retryLimit ?? defaults.retryLimit,
    retryDelay: override.retryDelaySeconds ?? defaults.retryDelay,
    retryBackoff: override.retryBackoff ?? defaults.retryBackoff,
    heartbeatSeconds: override.heartbeatSeconds ?? defaults.heartbeatSeconds,
    expireInSeconds: override.expireInSeconds ?? defaults.expireInSeconds,
  };
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const nilUuid = '00000000-0000-0000-0000-000000000000';

/** pg-boss's connection port over one of our connections or transactions (pg-boss's `db` option). */
function connectionOf(q: Queryable): {
  executeSql: (text: string, values?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;
} {
  return {
    executeSql: async (text: string, values?: unknown[]) => {
      // pg-boss's cron and claim statements are multi-statement batches: it needs the rows of every
      // statement, which `pg` returns as an array of results.
      const result: unknown = await q.query(text, values && values.length > 0 ? values : undefined);
      const results = (Array.isArray(result) ? result : [result]) as Array<{ rows?: Record<string, unknown>[] }>;
      return { rows: results.flatMap((r) => r.rows ?? []) };
    },
  };
}

type JobRow = {
  id: string;
  name: string;
  state: string;
  data: unknown;
  output: unknown;
  retry_count: number;
  retry_limit: number;
  created_on: Date;
  started_on: Date | null;
  completed_on: Date | null;
  singleton_key: string | null;
  source_name: string | null;
  source_id: string | null;
  source_output: unknown;
  source_retry_count: number | null;
  source_root_id: string | null;
};

const jobColumns = `id, name, state::text AS state, data, output, retry_count, retry_limit, created_on, started_on, completed_on,
  singleton_key, source_name, source_id, source_output, source_retry_count, source_root_id`;

function viewOf(row: JobRow): JobView {
  const dead = row.name === deadLetterQueue;
  return {
    id: row.id,
    name: dead ? (row.source_name ?? deadLetterQueue) : row.name,
    // A dead letter waits (created) until an operator retries it; once retried it is gone from the table.
    state: dead && (row.state === 'created' || row.state === 'retry') ? 'dead' : (row.state as JobState),
    data: row.data,
    output: dead ? (row.source_output ?? row.output) : row.output,
    retryCount: dead ? (row.source_retry_count ?? row.retry_count) : row.retry_count,
    // A dead letter spent every retry of its type: the limit it had is the retries it consumed.
    retryLimit: dead ? (row.source_retry_count ?? row.retry_limit) : row.retry_limit,
    createdOn: row.created_on,
    startedOn: row.started_on,
    completedOn: row.completed_on,
    singletonKey: row.singleton_key,
    failedJobId: dead ? row.source_id : null,
  };
}

function notFound(id: string): GroundworkError {
  return new GroundworkError('jobs.not_found', `There is no job ${id}.`, {
    category: 'not_found',
    fix: 'List jobs with `groundwork jobs list` (GET /v1/jobs); finished jobs are kept 7 days, dead letters 30.',
  });
}

export function createJobQueue(db: Database, logger: Logger, options: JobQueueOptions = {}): JobQueue {
  const config = options.config;
  const worker = options.role === 'worker';
  for (const name of Object.keys(config?.types ?? {})) {
    if (!isJobName(name)) {
      throw new GroundworkError('jobs.unknown_type', `jobs.types names "${name}", which is not a job type.`, {
        category: 'usage',
        fix: `Job types: ${jobNames.join(', ')}.`,
      });
    }
  }
  const schema = jobSchemaFor(db);
  let started: Promise<PgBoss> | undefined;
  const created = new Map<string, Promise<void>>();
  const workers: string[] = [];
  const updated = new Set<string>();
  const prepared = new Set<string>();
  const boss = () => {
    started ??= (async () => {
      const make = () => {
        const maintenance = config?.maintenanceIntervalSeconds ?? 30;
        const instance = new PgBoss({
          db: connectionOf(db.pool),
          schema,
          supervise: worker,
          schedule: worker,
          ...(worker
            ? {
                superviseIntervalSeconds: maintenance,
                monitorIntervalSeconds: maintenance,
                cronMonitorIntervalSeconds: config?.cronIntervalSeconds ?? 30,
                cronWorkerIntervalSeconds: Math.min(5, config?.cronIntervalSeconds ?? 30),
                instanceName: 'groundwork-worker',
              }
            : { registerInstance: false }),
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
  const createOnce = (instance: PgBoss, name: string, make: () => Promise<void>) => {
    let done = created.get(name);
    if (!done) {
      done = (async () => {
        if (!(await instance.getQueue(name))) {
          try {
            await make();
          } catch (error) {
            // Another process created it between our look and our create.
            if (!(await instance.getQueue(name))) throw error;
          }
        }
        // Fills pg-boss's queue cache now: a later send or retry inside a caller's transaction must not
        // look the queue up on another connection (the embedded store has one).
        await instance.getJobById(name, nilUuid);
      })();
      created.set(name, done);
      done.catch(() => created.delete(name));
    }
    return done;
  };
  const ensureQueue = async (name: JobName) => {
    const instance = await boss();
    // Nobody works the dead letters: they wait for an operator (`jobs retry`), 30 days.
    await createOnce(instance, deadLetterQueue, () =>
      instance.createQueue(deadLetterQueue, { retentionSeconds: 30 * 86_400, deleteAfterSeconds: 30 * 86_400, retryLimit: 0 }),
    );
    const settings = jobTypeSettings(config, name);
    const queueOptions = {
      retryLimit: settings.retryLimit,
      retryDelay: settings.retryDelay,
      retryBackoff: settings.retryBackoff,
      heartbeatSeconds: settings.heartbeatSeconds,
      expireInSeconds: settings.expireInSeconds,
      deadLetter: deadLetterQueue,
    };
    await createOnce(instance, name, () => instance.createQueue(name, queueOptions));
    // A worker brings an existing queue's settings up to its configuration: a redriven dead letter and a
    // scheduled job take the queue's, not the ones its first sender had.
    if (worker && !updated.has(name)) {
      updated.add(name);
      await instance.updateQueue(name, queueOptions);
    }
    return { instance, settings, queueOptions };
  };
  const parsePayload = <N extends JobName>(name: N, data: JobInput<N>): JobData<N> => {
    const parsed = jobContracts[name].safeParse(data);
    if (!parsed.success) {
      throw new GroundworkError('jobs.invalid_payload', `Invalid payload for job ${name}: ${parsed.error.message}`, {
        category: 'usage',
        fix: 'This is a bug in the caller: the payload must match src/jobs/contracts.ts.',
      });
    }
    return parsed.data as JobData<N>;
  };
  const findRow = async (id: string): Promise<JobRow | undefined> => {
    if (!uuidPattern.test(id)) return undefined;
    await boss();
    const result = await db.query<JobRow>(`SELECT ${jobColumns} FROM ${schema}.job WHERE id = $1`, [id]);
    return result.rows[0];
  };
  const assertCron = (cron: string) => {
    const fields = cron.trim().split(/\s+/);
    let valid = fields.length === 5;
    if (valid) {
      try {
        // Preview without a database: pg-boss's own parser, so what passes here passes `schedule`.
        new PgBoss({ db: { executeSql: async () => ({ rows: [] }) } }).previewSchedule(cron, { count: 1 });
      } catch {
        valid = false;
      }
    }
    if (!valid) {
      throw new GroundworkError('jobs.invalid_schedule', `"${cron}" is not a cron expression.`, {
        category: 'usage',
        fix: 'Give five fields, minute hour day-of-month month day-of-week, in UTC: e.g. "0 2 * * *" (02:00 every day) or "*/15 * * * *".',
      });
    }
  };

  const queue: JobQueue = {
    async send(name, data, sendOptions = {}) {
      const payload = parsePayload(name, data);
      if (sendOptions.tx && !prepared.has(name)) {
        throw new GroundworkError('jobs.not_prepared', `The ${name} queue was not prepared before a transactional send.`, {
          category: 'internal',
          fix: 'This is a bug in Groundwork: call jobs.prepare(name) before opening the transaction that sends the job.',
        });
      }
      const { instance, queueOptions } = await ensureQueue(name);
      return instance.send(name, payload, {
        ...queueOptions,
        ...(sendOptions.singletonKey ? { singletonKey: sendOptions.singletonKey } : {}),
        ...(sendOptions.startAfterSeconds ? { startAfter: sendOptions.startAfterSeconds } : {}),
        ...(sendOptions.tx ? { db: connectionOf(sendOptions.tx) } : {}),
      });
    },
    async prepare(name) {
      await ensureQueue(name);
      prepared.add(name);
    },
    async work(name, handler, workOptions = {}) {
      const { instance, settings } = await ensureQueue(name);
      const id = await instance.work<unknown>(
        name,
        {
          localConcurrency: workOptions.concurrency ?? settings.concurrency,
          batchSize: workOptions.batchSize ?? 1,
          pollingIntervalSeconds: workOptions.pollingIntervalSeconds ?? config?.pollingIntervalSeconds ?? 2,
          perJobResults: true,
        },
        async (jobs) => {
          const results: Array<{ id: string; status: 'completed' | 'failed' | 'deadletter'; output?: unknown }> = [];
          for (const job of jobs) {
            const retryCount = job.retryCount ?? 0;
            try {
              const data = jobContracts[name].parse(job.data) as JobData<typeof name>;
              const output = await handler(data, { id: job.id, retryCount, signal: job.signal });
              results.push({ id: job.id, status: 'completed', output: output ?? null });
            } catch (error) {
              const failure = toGroundworkError(error);
              if (isGroundworkError(error) && !error.isRetryable) {
                logger.warn('job failed (not retryable): dead letter', { job: name, id: job.id, code: failure.code });
                results.push({ id: job.id, status: 'deadletter', output: failureOutput(failure) });
                continue;
              }
              logger.warn('job failed; it will be retried', { job: name, id: job.id, code: failure.code, retryCount });
              results.push({ id: job.id, status: 'failed', output: failureOutput(failure) });
            }
          }
          return results;
        },
      );
      workers.push(id);
    },
    async pending(name) {
      await ensureQueue(name);
      // Counted in the job table itself: pg-boss's cached queue stats are refreshed only by its supervisor.
      const result = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${schema}.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`,
        [name],
      );
      return result.rows[0]?.n ?? 0;
    },
    async job(name, id) {
      const row = await findRow(id);
      if (!row || row.name !== name) return undefined;
      return { state: row.state, output: row.output, retryCount: row.retry_count };
    },
    async find(id) {
      const row = await findRow(id);
      return row ? viewOf(row) : undefined;
    },
    async list(filter = {}) {
      await boss();
      const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
      const where: string[] = [`name NOT LIKE '\\_\\_pgboss\\_\\_%'`];
      const params: unknown[] = [];
      if (filter.state === 'dead') {
        where.push(`name = '${deadLetterQueue}'`, `state IN ('created', 'retry')`);
        if (filter.name) {
          params.push(filter.name);
          where.push(`source_name = $${params.length}`);
        }
      } else {
        where.push(`name <> '${deadLetterQueue}'`);
        if (filter.state) {
          params.push(filter.state);
          where.push(`state::text = $${params.length}`);
        }
        if (filter.name) {
          params.push(filter.name);
          where.push(`name = $${params.length}`);
        }
      }
      params.push(limit);
      const result = await db.query<JobRow>(
        `SELECT ${jobColumns} FROM ${schema}.job WHERE ${where.join(' AND ')} ORDER BY created_on DESC LIMIT $${params.length}`,
        params,
      );
      return result.rows.map(viewOf);
    },
    async retry(id, retryOptions = {}) {
      const row = await findRow(id);
      if (!row) throw notFound(id);
      const instance = await boss();
      // A failed job whose retries are spent has a copy in the dead letters: retry that copy (once), so the
      // work runs once and the dead letter is cleared.
      let dead = row.name === deadLetterQueue ? row : undefined;
      if (!dead && row.state === 'failed') {
        const copy = await db.query<JobRow>(
          `SELECT ${jobColumns} FROM ${schema}.job WHERE name = $1 AND source_id = $2 AND state IN ('created', 'retry')`,
          [deadLetterQueue, row.id],
        );
        dead = copy.rows[0];
      }
      // Everything that may create a queue or fill pg-boss's cache runs before the transaction opens.
      let run: (tx: Queryable) => Promise<JobView>;
      if (dead) {
        const type = dead.source_name;
        if (!type || !isJobName(type)) {
          throw new GroundworkError('jobs.not_retryable', `Dead letter ${dead.id} names no job type this release runs.`, {
            category: 'conflict',
            fix: 'Upgrade the workers to a release that knows this job type, or delete the job.',
          });
        }
        if (dead.state !== 'created' && dead.state !== 'retry') throw notRetryable(id, 'already retried');
        await ensureQueue(type);
        const letter = dead;
        run = async (tx) => {
          const moved = await instance.redrive(deadLetterQueue, { ids: [letter.id], db: connectionOf(tx) });
          if (moved !== 1) throw notRetryable(id, 'already retried');
          const rerun = await tx.query<JobRow>(
            `SELECT ${jobColumns} FROM ${schema}.job WHERE name = $1 AND source_root_id = $2 ORDER BY created_on DESC LIMIT 1`,
            [type, letter.source_root_id ?? letter.source_id],
          );
          const job = rerun.rows[0];
          if (!job) throw notFound(id);
          return viewOf(job);
        };
      } else {
        if (row.state !== 'failed' && row.state !== 'cancelled') throw notRetryable(id, `it is ${row.state}`);
        const name = row.name;
        if (!isJobName(name)) throw notRetryable(id, 'unknown job type');
        await ensureQueue(name);
        run = async (tx) => {
          await instance.retry(name, row.id, { db: connectionOf(tx) });
          const again = await tx.query<JobRow>(`SELECT ${jobColumns} FROM ${schema}.job WHERE id = $1`, [row.id]);
          return viewOf(again.rows[0] ?? row);
        };
      }
      return db.transaction(async (tx) => {
        const job = await run(tx);
        await retryOptions.inTransaction?.(tx, job);
        return job;
      });
    },
    async waitFor(name, id, waitOptions) {
      const deadline = Date.now() + waitOptions.timeoutMs;
      for (;;) {
        const row = await findRow(id);
        if (!row || row.name !== name) return undefined;
        if (row.state === 'completed' || row.state === 'cancelled') return viewOf(row);
        // An attempt failed and a retry is scheduled: that failure is the answer a waiting caller wants.
        if (row.state === 'retry' && (row.output as { error?: unknown } | null)?.error) return viewOf(row);
        if (row.state === 'failed') {
          // Spent retries: report the dead letter (its id is what an operator retries).
          const copy = await db.query<JobRow>(`SELECT ${jobColumns} FROM ${schema}.job WHERE name = $1 AND source_id = $2`, [
            deadLetterQueue,
            row.id,
          ]);
          return viewOf(copy.rows[0] ?? row);
        }
        if (Date.now() > deadline || waitOptions.signal?.aborted) return undefined;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    async schedule(name, key, cron, data) {
      assertCron(cron);
      const payload = parsePayload(name, data);
      const { instance, queueOptions } = await ensureQueue(name);
      await instance.schedule(name, cron, payload, { key, tz: 'UTC', ...queueOptions });
    },
    async unschedule(name, key) {
      const { instance } = await ensureQueue(name);
      await instance.unschedule(name, key);
    },
    async schedules(name) {
      const instance = await boss();
      const all = await instance.getSchedules(name);
      return all.map((s) => ({ name: s.name, key: s.key, cron: s.cron, data: s.data ?? null }));
    },
    assertCron,
    boss: () => boss(),
    async stop(stopOptions = {}) {
      if (!started) return;
      const instance = await started.catch(() => undefined);
      started = undefined;
      created.clear();
      updated.clear();
      workers.length = 0;
      await instance?.stop({ graceful: true, close: true, timeout: stopOptions.timeoutMs ?? 30_000 });
    },
  };
  return queue;
}

/** A failed attempt's output: the error as the API shows it, with its category (the HTTP status of `?wait=true`). */
function failureOutput(failure: GroundworkError): { error: Record<string, unknown> } {
  return { error: { ...failure.toJSON(), category: failure.category, retryable: failure.isRetryable } };
}

function notRetryable(id: string, reason: string): GroundworkError {
  return new GroundworkError('jobs.not_retryable', `Job ${id} cannot be retried: ${reason}.`, {
    category: 'conflict',
    fix: 'Only failed jobs and dead letters can be retried; `groundwork jobs list --state dead` lists them.',
  });
}
