import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the observe feature throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const observeErrorCodes = {
  'budget.exhausted': {
    category: 'limit',
    description: "The use case's budget for the period is spent.",
    fix: 'Wait for the next …, or raise the budget: groundwork cost budget set … --… <USD>.',
  },
  'budget.invalid': {
    category: 'usage',
    description: 'The … budget must be a non-negative amount in USD, got ….',
    fix: 'Pass a number such as --… 5 (US dollars).',
  },
  'budget.not_found': {
    category: 'not_found',
    description: 'Use case … has no budget.',
    fix: 'See the budgets with: groundwork cost budget list',
  },
  'cost.no_token_measurements': {
    category: 'usage',
    description: 'The measured answers made no model call, so the tokens per answer cannot be measured.',
    fix: 'Measure them with that model: create a use case that uses it (`groundwork use-cases create …-… --model …`), run `groundwork eval run DATASET --mode answer --use-case` with it, and forecast that use case with --dataset DATASET; or forecast extractive answers with --model extractive.',
  },
  'cost.no_usage': {
    category: 'not_found',
    description: 'No answered traces with token usage in the window to forecast from.',
    fix: 'Forecast from an answer evaluation instead: `groundwork eval run DATASET --mode answer --use-case …`, then `groundwork cost forecast --use-case … --dataset DATASET …`; or widen the window with --since (e.g. --since 90d).',
  },
  'cost.unknown_price': {
    category: 'usage',
    description: 'The model has no price in the price table, so its cost cannot be computed.',
    fix: 'Add it under observe.prices.models in the config, e.g. "…": { "inputPerMillion": 0.5, "outputPerMillion": 1.5 }, or …. Priced models: ….',
  },
  'trace.not_found': {
    category: 'not_found',
    description: 'No trace with this id exists that you may read.',
    fix: 'List recent traces with: groundwork traces list (traces older than observe.retentionDays, … days, are purged).',
  },
} as const satisfies ErrorCodeTable;
