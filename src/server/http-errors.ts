import type { ErrorCategory, GroundworkError } from '../core/index.ts';

/**
 * The ONE place where error categories become HTTP statuses. Routes and features throw GroundworkErrors;
 * the app's error handler calls this. `limit` splits by code: sizes are 413, rates and budgets 429.
 */
const statusByCategory: Record<ErrorCategory, number> = {
  usage: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  limit: 429,
  unavailable: 503,
  internal: 500,
};

export function httpStatusFor(error: Pick<GroundworkError, 'category' | 'code'>): number {
  if (error.category === 'limit' && /too_large$/.test(error.code)) return 413;
  return statusByCategory[error.category] ?? 500;
}

/** The one error body shape of the API. */
export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly fix?: string;
    readonly requestId: string;
    readonly details?: Readonly<Record<string, unknown>>;
  };
}

export function errorBody(error: GroundworkError, requestId: string): ErrorBody {
  // Internal errors never leak their cause (stack, SQL) to the client; the log line has it, by request id.
  const internal = error.category === 'internal';
  const details = internal ? {} : error.details;
  return {
    error: {
      code: error.code,
      message: internal ? 'Internal error. The server log has the details under this request id.' : error.message,
      ...(error.fix && !internal ? { fix: error.fix } : {}),
      requestId,
      ...(Object.keys(details).length > 0 ? { details } : {}),
    },
  };
}
