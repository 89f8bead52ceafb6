import type { Command } from 'commander';
import {
  type Cohort,
  createCohort,
  deleteCohort,
  getCohort,
  listCohorts,
  type SimulationSummary,
  simulateUsage,
  type UsageReport,
  usageReport,
} from '../../adoption/index.ts';
import { GroundworkError, localOperator } from '../../core/index.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { table } from '../output.ts';

type CohortJson = Omit<Cohort, 'createdAt'> & { createdAt: string };

const cohortJson = (cohort: Cohort): CohortJson => ({ ...cohort, createdAt: cohort.createdAt.toISOString() });

const pct = (rate: number | null, partial = false) => (rate === null ? '–' : `${Math.round(rate * 100)}%${partial ? '*' : ''}`);
const hours = (value: number | null) => (value === null ? '–' : `${value} h`);

function describeReport(r: UsageReport): string {
  const lines = [
    `Usage of ${r.useCase}${r.cohort ? ` (cohort ${r.cohort})` : ''} as of ${r.asOf}${r.includesSimulated ? ' — INCLUDES SIMULATED USAGE (demo data)' : ''}`,
    `Users ${r.users}, answers ${r.answers}; active today ${r.activeUsers.daily}, 7 days ${r.activeUsers.weekly}, 30 days ${r.activeUsers.monthly}`,
    `Time to value: median ${hours(r.timeToValue.medianHours)}, p90 ${hours(r.timeToValue.p90Hours)} (${r.timeToValue.users} users reached it)`,
    `Task completion ${pct(r.taskCompletionRate)}, refusals ${pct(r.refusalRate)}, feedback ${pct(r.feedbackRate)}, overrides ${pct(r.overrideRate)}`,
    '',
  ];
  if (r.cohorts.length === 0) lines.push('No users yet.');
  else {
    lines.push(
      table(
        [`FIRST EXPOSED (${r.period})`, 'USERS', 'DAYS 1–30', 'DAYS 31–60', 'DAYS 61–90', 'TTV MEDIAN'],
        r.cohorts.map((c) => [
          c.cohort,
          String(c.users),
          pct(c.active30, c.partial.active30),
          pct(c.active60, c.partial.active60),
          pct(c.active90, c.partial.active90),
          hours(c.timeToValue.medianHours),
        ]),
      ),
      '* partial: the window has not elapsed for every user of the cohort yet',
    );
  }
  return lines.join('\n');
}

/** `groundwork cohorts create|list|show|delete` and `groundwork usage report|simulate` (local store or --server). */
export function registerAdoptionCommands(program: Command, runtime: CliRuntime): void {
  const cohorts = program.command('cohorts').description('named sets of principals that usage reports (and rollouts) use');

  cohorts
    .command('create <name>')
    .description('create a cohort of principals (audited)')
    .requiredOption('--principals <list>', 'comma-separated principals, e.g. group:pilot-adjusters,user:ann@example.com')
    .option('--description <text>', 'what the cohort is')
    .action(
      runtime.action(async (context, name: string, options: { principals: string; description?: string }) => {
        const principals = options.principals
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean);
        const input = { name, principals, ...(options.description ? { description: options.description } : {}) };
        const api = context.api();
        const cohort = api
          ? await api.post<CohortJson>('/v1/cohorts', input)
          : cohortJson(await createCohort((await context.platform()).db, localOperator, input));
        context.output.result(cohort, (c) => `Created cohort ${c.name}: ${c.principals.join(', ')}`);
        return exitCodes.ok;
      }),
    );

  cohorts
    .command('list')
    .description('cohorts by name')
    .action(
      runtime.action(async (context) => {
        const api = context.api();
        const rows = api
          ? (await api.get<{ cohorts: CohortJson[] }>('/v1/cohorts')).cohorts
          : (await listCohorts((await context.platform()).db, localOperator)).map(cohortJson);
        context.output.result({ cohorts: rows }, (r) =>
          r.cohorts.length === 0
            ? 'No cohorts. Create one with `groundwork cohorts create NAME --principals group:…`.'
            : table(
                ['NAME', 'PRINCIPALS', 'CREATED BY'],
                r.cohorts.map((c) => [c.name, c.principals.join(','), c.createdBy]),
              ),
        );
        return exitCodes.ok;
      }),
    );

  cohorts
    .command('show <name>')
    .description('one cohort')
    .action(
      runtime.action(async (context, name: string) => {
        const api = context.api();
        const cohort = api
          ? await api.get<CohortJson>(`/v1/cohorts/${encodeURIComponent(name)}`)
          : cohortJson(await getCohort((await context.platform()).db, localOperator, name));
        context.output.result(
          cohort,
          (c) =>
            `${c.name}${c.description ? ` — ${c.description}` : ''}\nprincipals: ${c.principals.join(', ')}\ncreated by ${c.createdBy} at ${c.createdAt}`,
        );
        return exitCodes.ok;
      }),
    );

  cohorts
    .command('delete <name>')
    .description('delete a cohort (audited)')
    .action(
      runtime.action(async (context, name: string) => {
        const api = context.api();
        const cohort = api
          ? await api.delete<CohortJson>(`/v1/cohorts/${encodeURIComponent(name)}`)
          : cohortJson(await deleteCohort((await context.platform()).db, localOperator, name));
        context.output.result(cohort, (c) => `Deleted cohort ${c.name}.`);
        return exitCodes.ok;
      }),
    );

  const usage = program.command('usage').description('usage analytics by cohort, from the usage rollups (docs/adoption.md)');

  usage
    .command('report')
    .description('active users, N-day active rate per cohort, time-to-value, completion, refusal, feedback and override rates')
    .requiredOption('--use-case <name>', 'the use case')
    .option('--cohort <name>', 'only users matching this named cohort')
    .option('--period <period>', 'group first-exposure cohorts by week or month', 'month')
    .option('--as-of <date>', 'compute as of this day (YYYY-MM-DD, UTC; default today)')
    .option('--from <date>', 'rates count answers from this day on (YYYY-MM-DD)')
    .option('--include-simulated', 'include the simulator’s rows (labelled as simulated)')
    .action(
      runtime.action(
        async (
          context,
          options: { useCase: string; cohort?: string; period: string; asOf?: string; from?: string; includeSimulated?: boolean },
        ) => {
          const request = {
            useCase: options.useCase,
            period: options.period,
            ...(options.cohort ? { cohort: options.cohort } : {}),
            ...(options.asOf ? { asOf: options.asOf } : {}),
            ...(options.from ? { from: options.from } : {}),
            includeSimulated: options.includeSimulated === true,
          };
          const api = context.api();
          let report: UsageReport;
          if (api) {
            const query = new URLSearchParams({ useCase: request.useCase, period: request.period });
            if (request.cohort) query.set('cohort', request.cohort);
            if (request.asOf) query.set('asOf', request.asOf);
            if (request.from) query.set('from', request.from);
            if (request.includeSimulated) query.set('includeSimulated', 'true');
            report = await api.get<UsageReport>(`/v1/usage?${query}`);
          } else {
            const platform = await context.platform();
            report = await usageReport(platform.db, localOperator, request, { clock: platform.clock });
          }
          context.output.result(report, describeReport);
          return exitCodes.ok;
        },
      ),
    );

  usage
    .command('simulate')
    .description('replace the use case’s SIMULATED usage with a seeded 120-day simulation of three cohorts (demo data)')
    .requiredOption('--use-case <name>', 'the use case')
    .option('--seed <n>', 'the simulator’s seed', '42')
    .action(
      runtime.action(async (context, options: { useCase: string; seed: string }) => {
        const seed = Number(options.seed);
        if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 31) {
          throw new GroundworkError('cli.invalid_option', `--seed ${options.seed} is not a whole number from 0 to 2^31.`, {
            category: 'usage',
            fix: 'Give --seed a whole number, e.g. --seed 42.',
          });
        }
        const api = context.api();
        let summary: SimulationSummary;
        if (api) summary = await api.post<SimulationSummary>('/v1/usage/simulate', { useCase: options.useCase, seed });
        else {
          const platform = await context.platform();
          await platform.answerer.useCases.require(options.useCase);
          summary = await simulateUsage(platform.db, localOperator, { useCase: options.useCase, seed, clock: platform.clock });
        }
        context.output.result(
          summary,
          (s) =>
            `Simulated (not real) usage of ${s.useCase}: ${s.users} users, ${s.answers} answers, ${s.firstDay} → ${s.lastDay} (seed ${s.seed}).\nSee it with \`groundwork usage report --use-case ${s.useCase} --include-simulated\`.`,
        );
        return exitCodes.ok;
      }),
    );
}
