import { type Command, InvalidArgumentError } from 'commander';
import {
  addCriterion,
  type CriteriaReport,
  type CriterionView,
  healthOfUseCase,
  listCriteria,
  listReviews,
  type Measurement,
  type Review,
  recordMeasurement,
  recordReview,
  removeCriterion,
  type UseCaseHealth,
  updateCriterion,
} from '../../adoption/index.ts';
import { localOperator } from '../../core/index.ts';
import type { ChangeRequest, SubmitChangeResult } from '../../govern/index.ts';
import type { CliRuntime, CommandContext } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { table } from '../output.ts';
import { printChangeOutcome } from './changes.ts';

const number = (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('must be a number');
  return n;
};

const path = (name: string, rest = '') => `/v1/use-cases/${encodeURIComponent(name)}${rest}`;

type LocalPlatform = Awaited<ReturnType<CommandContext['platform']>>;
type AsOfOptions = { asOf?: string; includeSimulated: boolean; clock: LocalPlatform['clock'] };

/** A read as of a day (`--as-of`, `--include-simulated`): over the API with `--server`, else on the local store. */
async function readAsOf<T>(
  context: CommandContext,
  name: string,
  route: string,
  o: { asOf?: string; includeSimulated?: boolean },
  local: (platform: LocalPlatform, options: AsOfOptions) => Promise<T>,
): Promise<T> {
  const api = context.api();
  if (api) {
    const query = new URLSearchParams();
    if (o.asOf) query.set('asOf', o.asOf);
    if (o.includeSimulated) query.set('includeSimulated', 'true');
    return api.get<T>(path(name, `${route}?${query}`));
  }
  const platform = await context.platform();
  return local(platform, {
    ...(o.asOf ? { asOf: o.asOf } : {}),
    includeSimulated: o.includeSimulated === true,
    clock: platform.clock,
  });
}
const fmt = (v: number | null, unit?: string | null) =>
  v === null ? '–' : `${Math.round(v * 10000) / 10000}${unit ? ` ${unit}` : ''}`;

function describeCriteria(r: CriteriaReport): string {
  if (r.criteria.length === 0) {
    return `No success criteria for ${r.useCase}. Add one with \`groundwork use-cases criteria add ${r.useCase} --metric M --target T\`.`;
  }
  return [
    `Success criteria of ${r.useCase} as of ${r.asOf}${r.includesSimulated ? ' — INCLUDES SIMULATED USAGE (demo data)' : ''}`,
    table(
      ['ID', 'METRIC', 'TARGET', 'BASELINE', 'LATEST', 'STATUS', 'CADENCE', 'OWNER'],
      r.criteria.map((c: CriterionView) => [
        c.id,
        c.metric,
        `${c.direction === 'up' ? '≥' : '≤'} ${fmt(c.target, c.unit)}${c.due ? ` by ${c.due}` : ''}`,
        fmt(c.baseline, c.unit),
        fmt(c.latest, c.unit),
        c.status,
        c.cadence,
        c.owner ?? '–',
      ]),
    ),
    ...r.criteria.map((c) => `  ${c.id}: ${c.reason}`),
    `All on track: ${r.allOnTrack ? 'yes' : 'no'}`,
  ].join('\n');
}

function describeHealth(h: UseCaseHealth): string {
  const lines = [
    `Program health of ${h.useCase} as of ${h.asOf}${h.includesSimulated ? ' — INCLUDES SIMULATED USAGE (demo data)' : ''}`,
    `Live since ${h.liveSince ?? '–'} (${h.liveDays} days); ${h.users} users, ${h.activeLast30} active in the last 30 days (${h.activePrevious30} the 30 before)`,
  ];
  if (h.flags.length === 0) lines.push('No flags.');
  for (const f of h.flags) {
    lines.push(`! ${f.title}`, `    data:   ${JSON.stringify(f.data)}`, `    action: ${f.action} — ${f.suggestion}`);
  }
  if (h.latestReview) {
    lines.push(`Latest review: ${h.latestReview.decision} by ${h.latestReview.reviewer} at ${h.latestReview.createdAt}`);
  }
  return lines.join('\n');
}

async function governed(
  context: CommandContext,
  viaApi: (api: NonNullable<ReturnType<CommandContext['api']>>) => Promise<Record<string, unknown>>,
  local: () => Promise<SubmitChangeResult>,
): Promise<SubmitChangeResult | { changeRequest: ChangeRequest }> {
  const api = context.api();
  if (!api) return local();
  const response = await viaApi(api);
  return 'changeRequest' in response
    ? { changeRequest: response.changeRequest as ChangeRequest }
    : { status: 'applied', result: response };
}

/**
 * `groundwork use-cases criteria add|list|record|remove`, `use-cases health`, `use-cases review` and
 * `use-cases reviews` (local store as the operator, or `--server`).
 */
export function registerCriteriaCommands(useCases: Command, runtime: CliRuntime): void {
  const criteria = useCases.command('criteria').description('success criteria of a use case: metric, baseline, target, status');

  criteria
    .command('add <name>')
    .description('add a success criterion (past draft: a change request)')
    .requiredOption('--metric <metric>', 'a usage metric (e.g. active30, taskCompletionRate), eval:<metric> or manual:<name>')
    .requiredOption('--target <n>', 'the target value', number)
    .option('--baseline <n>', 'the value before launch', number)
    .option('--direction <dir>', 'up (higher is better) or down (default: the metric’s)')
    .option('--owner <principal>', 'who answers for it (default: the use case owner)')
    .option('--cadence <cadence>', 'daily, weekly or monthly', 'weekly')
    .option('--unit <unit>', 'unit of a manual metric, e.g. minutes')
    .option('--due <date>', 'the target is due by this day (YYYY-MM-DD)')
    .option('--id <id>', 'criterion id (default: from the metric)')
    .option('--description <text>', 'what it means')
    .option('--reason <text>', 'why (kept in the change request and the audit log)')
    .action(
      runtime.action(
        async (
          context,
          name: string,
          o: {
            metric: string;
            target: number;
            baseline?: number;
            direction?: string;
            owner?: string;
            cadence: string;
            unit?: string;
            due?: string;
            id?: string;
            description?: string;
            reason?: string;
          },
        ) => {
          const input = {
            metric: o.metric,
            target: o.target,
            cadence: o.cadence,
            ...(o.baseline === undefined ? {} : { baseline: o.baseline }),
            ...(o.direction ? { direction: o.direction } : {}),
            ...(o.owner ? { owner: o.owner } : {}),
            ...(o.unit ? { unit: o.unit } : {}),
            ...(o.due ? { due: o.due } : {}),
            ...(o.id ? { id: o.id } : {}),
            ...(o.description ? { description: o.description } : {}),
          };
          const outcome = await governed(
            context,
            (api) => api.post(path(name, '/criteria'), { ...input, ...(o.reason ? { reason: o.reason } : {}) }),
            async () => {
              const platform = await context.platform();
              return addCriterion(
                platform.governance,
                platform.db,
                localOperator,
                name,
                input,
                o.reason ? { reason: o.reason } : {},
              );
            },
          );
          return printChangeOutcome<{ id: string; metric: string; target: number; direction: string }>(context, outcome, {
            json: (r) => r,
            text: (r) => `Added criterion ${r.id} to ${name}: ${r.metric} ${r.direction === 'up' ? '≥' : '≤'} ${r.target}.`,
          });
        },
      ),
    );

  criteria
    .command('update <name> <id>')
    .description(
      'change a criterion’s target, baseline, direction, owner, cadence, due day or unit (past draft: a change request)',
    )
    .option('--target <n>', 'the target value', number)
    .option('--baseline <n>', 'the value before launch', number)
    .option('--direction <dir>', 'up or down')
    .option('--owner <principal>', 'who answers for it')
    .option('--cadence <cadence>', 'daily, weekly or monthly')
    .option('--unit <unit>', 'unit of a manual metric')
    .option('--due <date>', 'the target is due by this day (YYYY-MM-DD; "" = no due day)')
    .option('--description <text>', 'what it means')
    .option('--reason <text>', 'why (kept in the change request and the audit log)')
    .action(
      runtime.action(
        async (
          context,
          name: string,
          id: string,
          o: {
            target?: number;
            baseline?: number;
            direction?: string;
            owner?: string;
            cadence?: string;
            unit?: string;
            due?: string;
            description?: string;
            reason?: string;
          },
        ) => {
          const { reason, ...patch } = o;
          const outcome = await governed(
            context,
            (api) =>
              api.request('PATCH', path(name, `/criteria/${encodeURIComponent(id)}`), {
                body: { ...patch, ...(reason ? { reason } : {}) },
              }),
            async () => {
              const platform = await context.platform();
              return updateCriterion(platform.governance, platform.db, localOperator, name, id, patch, reason ? { reason } : {});
            },
          );
          return printChangeOutcome<{ id: string; metric: string; target: number; direction: string }>(context, outcome, {
            json: (r) => r,
            text: (r) => `Updated criterion ${r.id} of ${name}: ${r.metric} ${r.direction === 'up' ? '≥' : '≤'} ${r.target}.`,
          });
        },
      ),
    );

  criteria
    .command('list <name>')
    .description('criteria with their latest value and status (on_track, at_risk, missed, no_data)')
    .option('--as-of <date>', 'evaluate as of this day (YYYY-MM-DD)')
    .option('--include-simulated', 'measure usage metrics on the simulator’s rows too (labelled)')
    .action(
      runtime.action(async (context, name: string, o: { asOf?: string; includeSimulated?: boolean }) => {
        const report = await readAsOf<CriteriaReport>(context, name, '/criteria', o, (platform, options) =>
          listCriteria(platform.db, localOperator, name, options),
        );
        context.output.result(report, describeCriteria);
        return exitCodes.ok;
      }),
    );

  criteria
    .command('record <name> <id>')
    .description('record a value of a manual:… criterion for a day (audited)')
    .requiredOption('--value <n>', 'the value', number)
    .option('--date <date>', 'the day it is for (YYYY-MM-DD; default today)')
    .option('--note <text>', 'where it comes from')
    .action(
      runtime.action(async (context, name: string, id: string, o: { value: number; date?: string; note?: string }) => {
        const input = { value: o.value, ...(o.date ? { date: o.date } : {}), ...(o.note ? { note: o.note } : {}) };
        const api = context.api();
        const m = api
          ? await api.post<Measurement & { recordedAt: string }>(
              path(name, `/criteria/${encodeURIComponent(id)}/measurements`),
              input,
            )
          : await (async () => {
              const platform = await context.platform();
              const r = await recordMeasurement(platform.db, localOperator, name, id, input, { clock: platform.clock });
              return { ...r, recordedAt: r.recordedAt.toISOString() };
            })();
        context.output.result(m, (r) => `Recorded ${r.value} for ${r.criterionId} of ${r.useCase} on ${r.day}.`);
        return exitCodes.ok;
      }),
    );

  criteria
    .command('remove <name> <id>')
    .description('remove a success criterion (past draft: a change request)')
    .option('--reason <text>', 'why (kept in the change request and the audit log)')
    .action(
      runtime.action(async (context, name: string, id: string, o: { reason?: string }) => {
        const outcome = await governed(
          context,
          (api) => api.delete(path(name, `/criteria/${encodeURIComponent(id)}`)),
          async () => {
            const platform = await context.platform();
            return removeCriterion(
              platform.governance,
              platform.db,
              localOperator,
              name,
              id,
              o.reason ? { reason: o.reason } : {},
            );
          },
        );
        return printChangeOutcome<unknown>(context, outcome, {
          json: (r) => r,
          text: () => `Removed criterion ${id} from ${name}.`,
        });
      }),
    );

  useCases
    .command('health <name>')
    .description('program-health flags with the data behind them and a suggested action')
    .option('--as-of <date>', 'evaluate as of this day (YYYY-MM-DD)')
    .option('--include-simulated', 'include the simulator’s rows (labelled)')
    .action(
      runtime.action(async (context, name: string, o: { asOf?: string; includeSimulated?: boolean }) => {
        const health = await readAsOf<UseCaseHealth>(context, name, '/health', o, (platform, options) =>
          healthOfUseCase(platform.db, localOperator, name, options),
        );
        context.output.result(health, describeHealth);
        return exitCodes.ok;
      }),
    );

  useCases
    .command('review <name>')
    .description('record a program review: the decision taken on the health flags (audited)')
    .requiredOption('--decision <decision>', 'continue, fix, pivot or stop')
    .option('--notes <text>', 'what was decided and why', '')
    .option('--include-simulated', 'snapshot the flags including simulated usage (demo)')
    .action(
      runtime.action(async (context, name: string, o: { decision: string; notes: string; includeSimulated?: boolean }) => {
        const api = context.api();
        const review = api
          ? await api.post<Review>(path(name, '/reviews'), {
              decision: o.decision,
              notes: o.notes,
              ...(o.includeSimulated ? { includeSimulated: true } : {}),
            })
          : await (async () => {
              const platform = await context.platform();
              return recordReview(
                platform.db,
                localOperator,
                name,
                { decision: o.decision, notes: o.notes },
                { clock: platform.clock, includeSimulated: o.includeSimulated === true },
              );
            })();
        context.output.result(
          review,
          (r) =>
            `Recorded review ${r.id} of ${r.useCase}: ${r.decision}${r.flags.length ? ` (on ${r.flags.map((f) => f.code).join(', ')})` : ''}.`,
        );
        return exitCodes.ok;
      }),
    );

  useCases
    .command('reviews <name>')
    .description('program reviews of a use case, newest first')
    .action(
      runtime.action(async (context, name: string) => {
        const api = context.api();
        const reviews = api
          ? (await api.get<{ reviews: Review[] }>(path(name, '/reviews'))).reviews
          : await listReviews((await context.platform()).db, localOperator, name);
        context.output.result({ reviews }, (r) =>
          r.reviews.length === 0
            ? `No reviews of ${name} yet.`
            : table(
                ['WHEN', 'DECISION', 'REVIEWER', 'FLAGS', 'NOTES'],
                r.reviews.map((x) => [
                  x.createdAt,
                  x.decision,
                  x.reviewer,
                  x.flags.map((f) => f.code).join(','),
                  x.notes.slice(0, 60),
                ]),
              ),
        );
        return exitCodes.ok;
      }),
    );
}
