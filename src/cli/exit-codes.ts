import type { ErrorCategory } from '../core/index.ts';
import { errorCodeEntry } from '../error-codes.ts';

/** Documented exit codes (README, `groundwork --help`). */
export const exitCodes = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** Some work succeeded and some did not (e.g. files quarantined during a sync). */
  partial: 3,
} as const;

/** Exit code for an error: from its code's registered category (src/error-codes.ts), else the thrown one. */
export function exitCodeFor(error: { readonly code: string; readonly category: ErrorCategory }): number {
  const category = errorCodeEntry(error.code)?.category ?? error.category;
  return category === 'usage' ? exitCodes.usage : exitCodes.failure;
}
