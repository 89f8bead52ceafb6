import type { GroundworkError } from '../core/index.ts';
import { httpStatusForError } from '../error-codes.ts';

/**
 * The ONE place where errors become HTTP statuses: the code's entry in the error-code registry
 * (src/error-codes.ts) decides, falling back to the category for codes relayed from elsewhere. Routes and
 * features throw GroundworkErrors; the app's error handler calls this.
 */
export function httpStatusFor(error: Pick<GroundworkError, 'category' | 'code'>): number {
  return httpStatusForError(error);
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
