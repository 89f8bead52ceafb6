/**
 * Typed errors with stable codes.
 *
 * Every failure a user can meet carries a stable `code` (`area.problem`), a human `message` that names the
 * problem, a `fix` that says what to do, and `isRetryable` for policy code (queues, retries). Expected
 * outcomes such as "skipped" or "quarantined" are values, not exceptions. HTTP status and CLI exit codes are
 * decided at the edges (server/, cli/) from the code's category, never here.
 */

/** Broad category of an error code; edges map categories to exit codes and HTTP statuses. */
export type ErrorCategory =
  | 'usage' // the caller asked for something malformed (bad flag, bad config, bad request)
  | 'not_found'
  | 'forbidden'
  | 'unauthenticated'
  | 'conflict'
  | 'limit' // rate limit, budget, size limit
  | 'unavailable' // a dependency is down or missing (database, extension, provider)
  | 'internal';

/**
 * One registered error code. Every code a feature throws is listed in that feature's `error-codes.ts` table;
 * src/error-codes.ts aggregates the tables, the HTTP edge takes the status from it and the CLI the exit code,
 * and docs/errors.md is generated from it. A test keeps the tables, the throw sites and the docs in step.
 */
export interface ErrorCodeEntry {
  /** Must equal the category the code is thrown with. */
  readonly category: ErrorCategory;
  /** HTTP status when it differs from the category's (e.g. 413 for a `limit` that is a size). */
  readonly status?: number;
  /** True when retrying the same request later can succeed (a dependency was down, a lock was held). */
  readonly retryable?: boolean;
  /** One sentence: what went wrong. */
  readonly description: string;
  /** What to do about it (the thrown error may carry a more specific fix). */
  readonly fix?: string;
}

/** A feature's error codes, keyed by code (`area.problem`). */
export type ErrorCodeTable = Readonly<Record<string, ErrorCodeEntry>>;

export interface ErrorDetails {
  readonly [key: string]: unknown;
}

export interface GroundworkErrorOptions {
  /** What the user should do about it, in one or two sentences. */
  readonly fix?: string;
  readonly category?: ErrorCategory;
  readonly isRetryable?: boolean;
  /** Structured, non-secret details for machine-readable output. */
  readonly details?: ErrorDetails;
  readonly cause?: unknown;
}

export class GroundworkError extends Error {
  readonly code: string;
  readonly fix: string | undefined;
  readonly category: ErrorCategory;
  readonly isRetryable: boolean;
  readonly details: ErrorDetails;

  constructor(code: string, message: string, options: GroundworkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GroundworkError';
    this.code = code;
    this.fix = options.fix;
    this.category = options.category ?? 'internal';
    this.isRetryable = options.isRetryable ?? false;
    this.details = options.details ?? {};
  }

  /** One paragraph for humans: the problem, then the fix. */
  toHuman(): string {
    return this.fix ? `${this.message}\nFix: ${this.fix}` : this.message;
  }

  toJSON(): { code: string; message: string; fix?: string; details?: ErrorDetails } {
    return {
      code: this.code,
      message: this.message,
      ...(this.fix ? { fix: this.fix } : {}),
      ...(Object.keys(this.details).length > 0 ? { details: this.details } : {}),
    };
  }
}

export function isGroundworkError(error: unknown): error is GroundworkError {
  return error instanceof GroundworkError;
}

/** Wraps anything thrown into a GroundworkError without losing the original as `cause`. */
export function toGroundworkError(error: unknown): GroundworkError {
  if (isGroundworkError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GroundworkError('internal.unexpected', `Unexpected error: ${message}`, {
    category: 'internal',
    fix: 'This is a bug in Groundwork. Re-run with GROUNDWORK_LOG_LEVEL=debug and report the output.',
    cause: error,
  });
}
