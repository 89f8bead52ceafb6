import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the data audit throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const dataAuditErrorCodes = {
  'data_audit.target_not_found': {
    category: 'not_found',
    description: 'The audit target is neither a registered source nor a folder that can be read.',
    fix: 'Give the name of a registered source (`groundwork sources list`) or the path of an existing folder.',
  },
  'data_audit.invalid_option': {
    category: 'usage',
    description: 'An audit option is out of range (--stale-years, --sample, --similarity or --max-text-chars).',
    fix: 'Use --stale-years N (1–100), --sample N (a positive whole number), --similarity 0.5–1.',
  },
} as const satisfies ErrorCodeTable;
