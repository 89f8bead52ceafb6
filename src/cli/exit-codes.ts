import type { ErrorCategory } from '../core/index.ts';

/** Documented exit codes (README, `groundwork --help`). */
export const exitCodes = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** Some work succeeded and some did not (e.g. files quarantined during a sync). */
  partial: 3,
} as const;

export function exitCodeFor(category: ErrorCategory): number {
  return category === 'usage' ? exitCodes.usage : exitCodes.failure;
}
