import type { Command } from 'commander';
import { GroundworkError, localOperator } from '../../core/index.ts';
import { requireAnswerRun } from '../../evaluate/index.ts';
import {
  type Budget,
  type BudgetStatus,
  budgetOverview,
  builtInPrices,
  type CostForecast,
  type CostGrouping,
  costReport,
  evaluationUsageLabel,
  type ForecastOverrides,
  forecastCost,
  requestBudgetChange,
} from '../../observe/index.ts';
import type { CliRuntime } from '../context.ts';
import { table } from '../output.ts';
import { printChangeOutcome } from './changes.ts';
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

/** A non-negative number flag (`--name VALUE`); `positive` also refuses 0, `integer` fractions. */
function numberFlag(
  flag: string,
  text: string | undefined,
  rules: { positive?: boolean; integer?: boolean } = {},
): number | undefined {
  if (text === undefined) return undefined;
  const value = text.trim() === '' ? Number.NaN : Number(text);
  const valid =
    Number.isFinite(value) && value >= 0 && !(rules.positive && value === 0) && !(rules.integer && !Number.isInteger(value));
  if (!valid) {
    const kind = `${rules.positive ? 'a positive' : 'a non-negative'} ${rules.integer ? 'whole number' : 'number'}`;
    throw new GroundworkError('cli.bad_number', `--${flag} ${text} is not ${kind}.`, {
      category: 'usage',
      fix: `Give ${kind}, e.g. --${flag} ${rules.positive ? 10 : 0}.`,
      details: { flag: `--${flag}`, value: text },
    });
  }
  return value;
}

interface ForecastFlags {
  useCase: string;
  queriesPerDay: string;
  users?: string;
  model?: string;
  dataset?: string;
  since: string;
  newDocumentsPerMonth?: string;
  ocrPagesPerMonth?: string;
  bytesPerChunk?: string;
  requestsPerCore?: string;
  corePrice?: string;
  minCores?: string;
  storagePrice?: string;
  engineeringHoursPerMonth?: string;
  engineeringRate?: string;
}

const partsOfMonth = ['model', 'embedding', 'ocr', 'infrastructure', 'engineering'] as const;
const eighths = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A horizontal bar of `share` (0..1) in `width` cells, in eighths of a cell. */
function bar(share: number, width: number): string {
  const cells = Math.max(0, Math.min(1, share)) * width;
  const full = Math.floor(cells);
  return `${'█'.repeat(full)}${eighths[Math.floor((cells - full) * 8)] ?? ''}`;
}

const dollars = (usd: number): string =>
  usd >= 1 ? `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}` : money(usd);

function renderForecast(f: CostForecast): string {
  const lines = [
    `Cost forecast for use case ${f.useCase}: ${f.queriesPerDay.toLocaleString('en-US')} queries/day${f.users === null ? '' : `, ${f.users.toLocaleString('en-US')} users`}, model ${f.model ?? 'extractive (no model)'}${f.model ? ` (${f.modelTier})` : ''}.`,
    '',
    `Per query: ${Math.round(f.perQuery.tokensIn).toLocaleString('en-US')} tokens in, ${Math.round(f.perQuery.tokensOut).toLocaleString('en-US')} tokens out, ${money(f.perQuery.cost)} model spend; ${money(f.perQuery.allInCost)} all in.`,
    '',
    table(
      ['MONTHLY', 'USD', 'SHARE', ''],
      [
        ...partsOfMonth.map((part) => {
          const share = f.monthly.total > 0 ? f.monthly[part] / f.monthly.total : 0;
          return [part, dollars(f.monthly[part]), `${(share * 100).toFixed(1)}%`, bar(share, 30)];
        }),
        ['total', dollars(f.monthly.total), '100%', ''],
      ],
    ),
  ];
  if (f.perUser)
    lines.push('', `Per user: ${dollars(f.perUser.monthly)} a month (${f.perUser.queriesPerDay.toFixed(1)} queries/day).`);
  lines.push(
    '',
    `Sizing: ${f.sizing.cores} vCPU for a peak of ${f.sizing.peakRequestsPerSecond.toFixed(2)} requests/s; ${f.sizing.storageGb.toFixed(2)} GB for ${Math.round(f.sizing.chunksAtMonthEnd).toLocaleString('en-US')} chunks and the retained traces.`,
    '',
    `Rule of thumb: ${f.ruleOfThumb.summary}`,
    ...f.warnings.map((warning) => `Warning: ${warning}`),
    '',
    'Assumptions:',
    table(
      ['NAME', 'VALUE', 'UNIT', 'SOURCE', 'NOTE'],
      Object.entries(f.assumptions).map(([name, a]) => [
        name,
        typeof a.value === 'number' ? String(Number(a.value.toPrecision(6))) : String(a.value),
        a.unit,
        a.source,
        a.note ?? '',
      ]),
    ),
    '',
    `Prices: ${f.prices.note}.`,
  );
  return lines.join('\n');
}

/** `groundwork cost report|budget|forecast …`: spend from traces, budgets per use case, and a month's forecast. */
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

  cost
    .command('forecast')
    .description(
      "a month's cost of a use case: tokens per answer measured from its traces (or an answer evaluation run), model, embedding and OCR prices, storage and compute sized from measured figures, engineering time",
    )
    .requiredOption('--use-case <name>', 'use case to forecast')
    .requiredOption('--queries-per-day <n>', 'answered queries per day (averaged over every day)')
    .option('--users <n>', 'active users (adds the cost per user)')
    .option('--model <provider:model>', 'price answers with this model instead of the use case’s (or extractive)')
    .option('--dataset <name>', 'measure tokens per answer on the newest answer evaluation run of this dataset')
    .option('--since <when>', 'window of the traces measured: duration back (7d, 30d) or a date', '30d')
    .option('--new-documents-per-month <n>', 'documents written per month (default: measured from the window’s syncs)')
    .option('--ocr-pages-per-month <n>', 'pages OCRed per month (default: measured share of the window’s syncs)')
    .option('--bytes-per-chunk <n>', 'storage per chunk with indexes (default: measured, or the benchmark figure)')
    .option('--requests-per-core <n>', 'requests/s one vCPU sustains (default: benchmark figure for the corpus size)')
    .option('--core-price <usd>', 'USD per vCPU-month (default 30)')
    .option('--min-cores <n>', 'smallest deployment in vCPU (default 4)')
    .option('--storage-price <usd>', 'USD per GB-month of database storage (default 0.25)')
    .option('--engineering-hours-per-month <n>', 'engineering time to run the use case (default 16)')
    .option('--engineering-rate <usd>', 'USD per engineering hour (default 100)')
    .action(
      runtime.action(async (context, options: ForecastFlags) => {
        // Every flag is checked before the store is opened: a typo is a usage error at once.
        const queriesPerDay = numberFlag('queries-per-day', options.queriesPerDay) as number;
        const users = numberFlag('users', options.users, { positive: true, integer: true });
        const overrides: ForecastOverrides = {
          newDocumentsPerMonth: numberFlag('new-documents-per-month', options.newDocumentsPerMonth),
          ocrPagesPerMonth: numberFlag('ocr-pages-per-month', options.ocrPagesPerMonth),
          bytesPerChunk: numberFlag('bytes-per-chunk', options.bytesPerChunk),
          requestsPerCore: numberFlag('requests-per-core', options.requestsPerCore, { positive: true }),
          corePricePerMonth: numberFlag('core-price', options.corePrice),
          minCores: numberFlag('min-cores', options.minCores, { positive: true, integer: true }),
          storagePricePerGbMonth: numberFlag('storage-price', options.storagePrice),
          engineeringHoursPerMonth: numberFlag('engineering-hours-per-month', options.engineeringHoursPerMonth),
          engineeringRatePerHour: numberFlag('engineering-rate', options.engineeringRate),
        };
        if (options.model !== undefined && options.model !== 'extractive' && !/^[A-Za-z0-9_-]+:.+$/.test(options.model)) {
          throw new GroundworkError('cli.bad_model', `--model ${options.model} is not "provider:model" or "extractive".`, {
            category: 'usage',
            fix: 'Name a model as provider:model, e.g. --model openai:gpt-4o-mini, or --model extractive.',
          });
        }
        const since = parseSince(options.since);
        const platform = await context.platform();
        const effective = await platform.answerer.effectiveUseCase(options.useCase);
        const modelRef =
          options.model === undefined ? effective.modelRef : options.model === 'extractive' ? undefined : options.model;
        const run = options.dataset ? await requireAnswerRun(platform.db, options.dataset, options.useCase) : undefined;
        const forecast = await forecastCost(platform.db, platform.observe.prices, {
          useCase: options.useCase,
          queriesPerDay,
          users,
          model: modelRef,
          modelSource: options.model === undefined ? 'config' : 'flag',
          usage: run
            ? { from: 'evaluation', traceId: run.traceId, label: evaluationUsageLabel(run) }
            : { from: 'traces', useCase: options.useCase, since, label: `traces since ${since.toISOString().slice(0, 10)}` },
          since,
          now: platform.clock.now(),
          models: platform.config.models,
          retentionDays: platform.config.observe.retentionDays,
          chunkTargetTokens: platform.config.ingest.chunking.targetTokens,
          sources: effective.useCase.sources,
          overrides,
        });
        context.output.result(forecast, renderForecast);
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
    .option('--reason <text>', 'why (kept in the change request and the audit log)')
    .action(
      runtime.action(
        async (
          context,
          useCase: string,
          options: { daily?: string; monthly?: string; warnAt?: string; block?: boolean; reason?: string },
        ) => {
          const daily = amount('daily', options.daily);
          const monthly = amount('monthly', options.monthly);
          const warnRatio = options.warnAt === undefined ? undefined : Number(options.warnAt);
          const platform = await context.platform();
          // Governed: raising a limit (or turning blocking off) files a change request unless the local operator is trusted.
          const outcome = await requestBudgetChange(
            platform.governance,
            platform.db,
            localOperator,
            {
              useCase,
              ...(daily === undefined ? {} : { dailyUsd: daily }),
              ...(monthly === undefined ? {} : { monthlyUsd: monthly }),
              ...(warnRatio === undefined ? {} : { warnRatio }),
              ...(options.block === undefined ? {} : { block: options.block }),
            },
            options.reason ? { reason: options.reason } : {},
          );
          return printChangeOutcome<Budget>(context, outcome, {
            json: (b) => b,
            text: (b) =>
              `Budget for ${b.useCase}: daily ${b.dailyUsd === null ? 'none' : money(b.dailyUsd)}, monthly ${b.monthlyUsd === null ? 'none' : money(b.monthlyUsd)}, warn at ${Math.round(b.warnRatio * 100)}%, ${b.block ? 'blocks' : 'warns only'} when exhausted.`,
          });
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
    .description('remove a use case budget (governed: a removal loosens cost control)')
    .argument('<use-case>', 'use case name')
    .option('--reason <text>', 'why (kept in the change request and the audit log)')
    .action(
      runtime.action(async (context, useCase: string, options: { reason?: string }) => {
        const platform = await context.platform();
        const outcome = await requestBudgetChange(
          platform.governance,
          platform.db,
          localOperator,
          { useCase, remove: true },
          options.reason ? { reason: options.reason } : {},
        );
        return printChangeOutcome<{ removed: string }>(context, outcome, {
          json: (v) => v,
          text: (v) => `Removed the budget of ${v.removed}.`,
        });
      }),
    );
}
