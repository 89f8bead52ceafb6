import type { Command } from 'commander';
import { GroundworkError, localOperator } from '../../core/index.ts';
import {
  type BudgetStatus,
  budgetOverview,
  builtInPrices,
  type CostGrouping,
  costReport,
  deleteBudget,
  setBudget,
} from '../../observe/index.ts';
import type { CliRuntime } from '../context.ts';
import { table } from '../output.ts';
import { parseSince } from './traces.ts';

const groupings: readonly CostGrouping[] = ['use-case', 'user', 'model', 'day', 'operation'];
const money = (usd: number): string => `$${usd < 0.01 && usd > 0 ? usd.toFixed(6) : usd.toFixed(4)}`;

function amount(flag: string, text: string | undefined): number | null | undefined {
  if (text === undefined) return undefined;
  if (text === 'none' || text === 'off') return null;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    throw new GroundworkError('cli.bad_amount', `--${flag} ${text} is not an amount in US dollars.`, {
      category: 'usage',
      fix: `Give dollars, e.g. --${flag} 5, or --${flag} none to remove the limit.`,
    });
  }
  return value;
}

/** `groundwork cost report|budget …`: spend from traces, and budgets per use case. */
export function registerCostCommands(program: Command, runtime: CliRuntime): void {
  const cost = program.command('cost').description('model, embedding and OCR spend; budgets per use case (observe)');

  cost
    .command('report')
    .description('spend grouped by use case, user, model, day or operation')
    .option('--by <grouping>', `one of ${groupings.join(', ')}`, 'use-case')
    .option('--since <when>', 'duration back (24h, 7d, 30d) or a date', '30d')
    .action(
      runtime.action(async (context, options: { by: string; since: string }) => {
        if (!groupings.includes(options.by as CostGrouping)) {
          throw new GroundworkError('cli.bad_grouping', `--by ${options.by} is not a grouping.`, {
            category: 'usage',
            fix: `Use one of ${groupings.join(', ')}.`,
          });
        }
        const since = parseSince(options.since);
        const platform = await context.platform();
        const report = await costReport(platform.db, { by: options.by as CostGrouping, since });
        const prices = { asOf: platform.observe.prices.asOf, note: builtInPrices.note };
        context.output.result({ ...report, prices }, (r) =>
          [
            `Spend since ${r.since.toISOString().slice(0, 10)} by ${r.by} (${r.prices.note}).`,
            '',
            r.rows.length === 0
              ? 'No recorded spend in this period.'
              : table(
                  [r.by.toUpperCase(), 'REQUESTS', 'TOKENS IN', 'TOKENS OUT', 'EMBEDDED', 'COST', 'PER REQUEST'],
                  [
                    ...r.rows.map((row) => [
                      row.key,
                      row.requests,
                      row.inputTokens,
                      row.outputTokens,
                      row.embeddingTokens,
                      money(row.costUsd),
                      money(row.costPerRequestUsd),
                    ]),
                    [
                      'TOTAL',
                      r.total.requests,
                      r.total.inputTokens,
                      r.total.outputTokens,
                      r.total.embeddingTokens,
                      money(r.total.costUsd),
                      money(r.total.costPerRequestUsd),
                    ],
                  ],
                ),
          ].join('\n'),
        );
        return 0;
      }),
    );

  const budget = cost.command('budget').description('daily and monthly budgets per use case');

  budget
    .command('set')
    .description('set or change a use case budget (USD); unspecified values are kept')
    .argument('<use-case>', 'use case name')
    .option('--daily <usd>', 'daily limit in US dollars (UTC day), or none')
    .option('--monthly <usd>', 'monthly limit in US dollars (UTC month), or none')
    .option('--warn-at <ratio>', 'warn at this share of a limit (default 0.8)')
    .option('--block', 'refuse generation with budget.exhausted once a limit is reached')
    .option('--no-block', 'only warn when a limit is reached')
    .action(
      runtime.action(
        async (context, useCase: string, options: { daily?: string; monthly?: string; warnAt?: string; block?: boolean }) => {
          const daily = amount('daily', options.daily);
          const monthly = amount('monthly', options.monthly);
          const warnRatio = options.warnAt === undefined ? undefined : Number(options.warnAt);
          const platform = await context.platform();
          const saved = await setBudget(platform.db, {
            useCase,
            actor: localOperator.id,
            ...(daily === undefined ? {} : { dailyUsd: daily }),
            ...(monthly === undefined ? {} : { monthlyUsd: monthly }),
            ...(warnRatio === undefined ? {} : { warnRatio }),
            ...(options.block === undefined ? {} : { block: options.block }),
          });
          context.output.result(
            saved,
            (b) =>
              `Budget for ${b.useCase}: daily ${b.dailyUsd === null ? 'none' : money(b.dailyUsd)}, monthly ${b.monthlyUsd === null ? 'none' : money(b.monthlyUsd)}, warn at ${Math.round(b.warnRatio * 100)}%, ${b.block ? 'blocks' : 'warns only'} when exhausted.`,
          );
          return 0;
        },
      ),
    );

  budget
    .command('list')
    .description('budgets with today’s and this month’s spend')
    .action(
      runtime.action(async (context) => {
        const platform = await context.platform();
        context.output.result(await budgetOverview(platform.db, platform.clock), (v) => {
          if (v.budgets.length === 0)
            return 'No budgets. Set one with: groundwork cost budget set USE_CASE --daily 5 --monthly 100';
          const period = (p: BudgetStatus['daily']) => (p ? `${money(p.spentUsd)} / ${money(p.limitUsd)}` : '-');
          return [
            table(
              ['USE CASE', 'TODAY', 'THIS MONTH', 'STATE', 'MODE'],
              v.budgets.map((b) => [
                b.useCase,
                period(b.status?.daily),
                period(b.status?.monthly),
                b.status?.state ?? '',
                b.block ? 'block' : 'warn',
              ]),
            ),
            ...(v.recentEvents.length > 0
              ? [
                  '',
                  'Recent budget events:',
                  ...v.recentEvents.map(
                    (e) =>
                      `  ${e.at.toISOString()}  ${e.useCase}  ${e.kind}  ${e.period}  ${money(e.spentUsd)} of ${money(e.limitUsd)}`,
                  ),
                ]
              : []),
          ].join('\n');
        });
        return 0;
      }),
    );

  budget
    .command('remove')
    .description('remove a use case budget')
    .argument('<use-case>', 'use case name')
    .action(
      runtime.action(async (context, useCase: string) => {
        const platform = await context.platform();
        const removed = await deleteBudget(platform.db, useCase);
        if (!removed) {
          throw new GroundworkError('budget.not_found', `Use case ${useCase} has no budget.`, {
            category: 'not_found',
            fix: 'See the budgets with: groundwork cost budget list',
          });
        }
        context.output.result({ removed: useCase }, (v) => `Removed the budget of ${v.removed}.`);
        return 0;
      }),
    );
}
