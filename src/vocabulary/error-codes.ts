import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the vocabulary feature throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const vocabularyErrorCodes = {
  'vocabulary.invalid_term': {
    category: 'usage',
    description: 'The term is empty, too long (over 120 characters) or has no letter or digit.',
    fix: 'e.g. `groundwork vocabulary add FNOL "first notice of loss"`.',
  },
  'vocabulary.invalid_expansion': {
    category: 'usage',
    description: 'An equivalent is empty, too long, the term itself, or there are none (or more than 50).',
    fix: 'Give 1–50 equivalents of 1–120 characters, e.g. "first notice of loss".',
  },
  'vocabulary.invalid_kind': {
    category: 'usage',
    description: 'The kind is not synonym or acronym.',
    fix: 'Pass --kind synonym or --kind acronym.',
  },
  'vocabulary.invalid_option': {
    category: 'usage',
    description: 'An option of suggest or export-pairs is out of range (or --format is not jsonl).',
    fix: 'e.g. --min-count 2, --negatives 3, --format jsonl.',
  },
  'vocabulary.not_found': {
    category: 'not_found',
    description: 'The vocabulary has no such term (for this use case).',
    fix: 'List the entries with `groundwork vocabulary list`.',
  },
} as const satisfies ErrorCodeTable;
