import { GroundworkError } from '../core/index.ts';

/** Translates driver errors into errors that name the problem and the fix. */
export function describeConnectionError(error: unknown, location: string): GroundworkError {
  const err = error as { code?: string; message?: string };
  const code = err.code ?? '';
  const message = err.message ?? String(error);
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNRESET'].includes(code)) {
    return new GroundworkError('store.unreachable', `Cannot reach PostgreSQL at ${location} (${code}).`, {
      category: 'unavailable',
      isRetryable: true,
      fix: 'Start the PostgreSQL server (e.g. `pg_ctlcluster 15 main start`) or correct DATABASE_URL / --database-url. Omit both to use the embedded store in --data-dir.',
      cause: error,
    });
  }
  if (code === '3D000') {
    return new GroundworkError('store.database_missing', `The database in ${location} does not exist (${message}).`, {
      category: 'unavailable',
      fix: 'Create it first (e.g. `createdb -h HOST -U USER NAME`) or point DATABASE_URL at an existing database.',
      cause: error,
    });
  }
  if (code === '28P01' || code === '28000') {
    return new GroundworkError('store.auth_failed', `PostgreSQL at ${location} rejected the credentials (${message}).`, {
      category: 'unavailable',
      fix: "Check the user and password in DATABASE_URL, and the server's pg_hba.conf.",
      cause: error,
    });
  }
  return new GroundworkError('store.connect_failed', `Cannot open PostgreSQL at ${location}: ${message}`, {
    category: 'unavailable',
    fix: 'Check DATABASE_URL / --database-url and that the server accepts connections.',
    cause: error,
  });
}

/** A connection URL with its password removed, safe for logs and messages. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/:\/\/([^:@/]+):[^@]*@/, '://$1:***@');
  }
}

const lostConnectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// SQLSTATE class 08 (connection exception) and the server shutting down or starting up.
const lostConnectionStates = /^(08...|57P01|57P02|57P03)$/;
const lostConnectionMessage =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable/i;

/** Whether a driver error means the database could not be reached (as opposed to a failing statement). */
export function isConnectionLost(error: unknown): boolean {
  const err = error as { code?: unknown; message?: unknown } | null;
  const code = typeof err?.code === 'string' ? err.code : '';
  if (lostConnectionCodes.has(code) || lostConnectionStates.test(code)) return true;
  return typeof err?.message === 'string' && lostConnectionMessage.test(err.message);
}

/**
 * `store.unavailable` (HTTP 503, retryable): a running process lost its database. Nothing to restart —
 * the pool opens new connections on the next request once the database answers again.
 */
export function storeUnavailableError(location: string, cause: unknown): GroundworkError {
  const detail = (cause as { code?: string; message?: string } | null)?.code ?? (cause as Error | null)?.message ?? 'no answer';
  // The location stays out of the message (API clients see it); the server log shows it with the cause.
  const logged = new Error(`${location}: ${(cause as Error | null)?.message ?? detail}`, { cause });
  return new GroundworkError('store.unavailable', `The database cannot be reached right now (${detail}).`, {
    category: 'unavailable',
    isRetryable: true,
    fix: 'Retry shortly; the server reconnects by itself when the database is back. Operators: check that PostgreSQL is running and reachable from this host (`groundwork doctor`).',
    cause: logged,
  });
}
