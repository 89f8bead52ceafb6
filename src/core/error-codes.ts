import type { ErrorCodeTable } from './errors.ts';

/** The error codes the core feature throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const coreErrorCodes = {
  'config.invalid': {
    category: 'usage',
    description: 'The configuration (file, GROUNDWORK_* environment or flags) has problems; all of them are listed at once.',
    fix: 'Correct each key listed above in the flag, environment variable or config file it came from; `groundwork --help` lists the flags and docs/configuration.md every key.',
  },
  'internal.unexpected': {
    category: 'internal',
    description: 'Something failed that Groundwork did not expect (a bug); the log line with the request id has the cause.',
    fix: 'This is a bug in Groundwork. Re-run with GROUNDWORK_LOG_LEVEL=debug and report the output.',
  },
} as const satisfies ErrorCodeTable;
