import type { Command } from 'commander';
import { GroundworkError, localOperator } from '../../core/index.ts';
import { type JobState, jobStates } from '../../jobs/index.ts';
import { retryJob } from '../../worker.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { table } from '../output.ts';

/** A job as `--json` prints it (the API's shape: dates as ISO strings). */
interface JobRow {
  id: string;
  name: string;
  state: JobState;
  data: unknown;
  output: unknown;
  retryCount: number;
  retryLimit: number;
  createdOn: string;
  startedOn: string | null;
  completedOn: string | null;
  failedJobId: string | null;
}

function serialise(job: { createdOn: Date | string; startedOn: Date | string | null; completedOn: Date | string | null }) {
  const iso = (d: Date | string | null) => (d === null ? null : typeof d === 'string' ? d : d.toISOString());
  return { ...job, createdOn: iso(job.createdOn) as string, startedOn: iso(job.startedOn), completedOn: iso(job.completedOn) };
}

function errorCode(output: unknown): string {
  const error = (output as { error?: { code?: string } } | null)?.error;
  return error?.code ?? '';
}

/** `groundwork jobs list|retry`: background jobs, their failures and the dead letters (local store or --server). */
export function registerJobsCommands(program: Command, runtime: CliRuntime): void {
  const jobs = program.command('jobs').description('background jobs on the queue: state, failures, dead letters, retry');

  jobs
    .command('list')
    .description('recent jobs, newest first (--state dead: the dead letters, whose retries are spent)')
    .option('--state <state>', `only jobs in this state (${jobStates.join(', ')})`)
    .option('--type <type>', 'only jobs of this type (e.g. sync-source)')
    .option('--limit <n>', 'at most this many', '50')
    .action(
      runtime.action(async (context, options: { state?: string; type?: string; limit: string }) => {
        if (options.state !== undefined && !(jobStates as readonly string[]).includes(options.state)) {
          throw new GroundworkError('jobs.invalid_state', `"${options.state}" is not a job state.`, {
            category: 'usage',
            fix: `Use one of: ${jobStates.join(', ')}.`,
          });
        }
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
          throw new GroundworkError('cli.invalid_option', `--limit ${options.limit} is not a number from 1 to 1000.`, {
            category: 'usage',
            fix: 'Give --limit a whole number from 1 to 1000.',
          });
        }
        const api = context.api();
        let rows: JobRow[];
        if (api) {
          const query = new URLSearchParams({ limit: String(limit) });
          if (options.state) query.set('state', options.state);
          if (options.type) query.set('type', options.type);
          rows = (await api.get<{ jobs: JobRow[] }>(`/v1/jobs?${query}`)).jobs;
        } else {
          const platform = await context.platform();
          const listed = await platform.jobs.list({
            limit,
            ...(options.state ? { state: options.state as JobState } : {}),
            ...(options.type ? { name: options.type } : {}),
          });
          rows = listed.map((job) => serialise(job) as JobRow);
        }
        context.output.result({ jobs: rows }, (r) =>
          r.jobs.length === 0
            ? 'No jobs.'
            : table(
                ['ID', 'TYPE', 'STATE', 'ATTEMPTS', 'CREATED', 'ERROR'],
                r.jobs.map((j) => [
                  j.id,
                  j.name,
                  j.state,
                  `${j.retryCount + 1}/${j.retryLimit + 1}`,
                  j.createdOn,
                  errorCode(j.output),
                ]),
              ),
        );
        return exitCodes.ok;
      }),
    );

  jobs
    .command('retry <id>')
    .description('run a failed or dead-lettered job again, with fresh retries')
    .action(
      runtime.action(async (context, id: string) => {
        const api = context.api();
        const job = api
          ? await api.post<JobRow>(`/v1/jobs/${encodeURIComponent(id)}/retry`, {})
          : (serialise(await retryJob(await context.platform(), localOperator, id)) as JobRow);
        context.output.result(job, (j) => `Job ${id} queued again as ${j.id} (${j.name}, state ${j.state}).`);
        return exitCodes.ok;
      }),
    );
}
