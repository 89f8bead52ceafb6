/**
 * The errors every connector throws when the system behind it misbehaves, and the retry helper around its
 * calls. A connector maps its client's failures onto these five codes, so `sources status`, the Sources page
 * and the sync treat a SharePoint 429, an S3 `SlowDown` and a PostgreSQL `too_many_connections` alike:
 *
 * - `ingest.source_auth_failed` — the credentials were refused (not retried: a retry cannot fix a wrong key);
 * - `ingest.source_unreachable` — no connection (DNS, refused, timeout, 5xx); retried with backoff;
 * - `ingest.source_throttled` — the source asked us to slow down (429, `Retry-After`); retried after the delay;
 * - `ingest.source_bad_response` — a response that does not parse or lacks required fields; retried once or twice;
 * - `ingest.cursor_expired` — the stored cursor (a delta token) is no longer accepted; the next sync lists all.
 *
 * A failure while listing ends the run before its checkpoint, and the sync deletes nothing without a
 * checkpoint: a failed or partial listing is never a deletion (src/ingest/run-sync.ts `listAndProcess`).
 * Messages name the source and the remote operation, never a secret or a connection string.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { GroundworkError, isGroundworkError } from '../../core/index.ts';

export type SourceFailureKind = 'auth' | 'unreachable' | 'throttled' | 'bad_response' | 'cursor_expired';

export interface SourceFailureOptions {
  /** What failed, for the message: e.g. `S3 bucket "docs" (ListObjectsV2)`. No secrets. */
  readonly what: string;
  /** The remote's own short reason (an error name or status line), no secrets. */
  readonly detail?: string;
  /** For throttling: how long the source asked us to wait. */
  readonly retryAfterMs?: number;
  /** A connector-specific fix; each kind has a default. */
  readonly fix?: string;
  readonly cause?: unknown;
}

const suffix = (detail: string | undefined) => (detail ? ` (${detail})` : '');

/** A coded error for one kind of source failure. */
export function sourceFailure(kind: SourceFailureKind, options: SourceFailureOptions): GroundworkError {
  const { what, detail, cause } = options;
  const details = options.retryAfterMs === undefined ? {} : { details: { retryAfterMs: options.retryAfterMs } };
  switch (kind) {
    case 'auth':
      return new GroundworkError('ingest.source_auth_failed', `${what} refused the credentials${suffix(detail)}.`, {
        category: 'unavailable',
        isRetryable: false,
        fix:
          options.fix ??
          'Check the environment variables the source settings name (…Env keys) on every server and worker, and the account’s permissions at the source; then sync again.',
        cause,
      });
    case 'unreachable':
      return new GroundworkError('ingest.source_unreachable', `${what} cannot be reached${suffix(detail)}.`, {
        category: 'unavailable',
        isRetryable: true,
        fix:
          options.fix ?? 'Check the endpoint in the source settings, the network and the service; the sync retries on its own.',
        cause,
      });
    case 'throttled':
      return new GroundworkError('ingest.source_throttled', `${what} is throttling requests${suffix(detail)}.`, {
        category: 'unavailable',
        isRetryable: true,
        fix:
          options.fix ?? 'Nothing to do: the sync waits and retries; if it persists, sync less often or ask for a higher quota.',
        cause,
        ...details,
      });
    case 'bad_response':
      return new GroundworkError(
        'ingest.source_bad_response',
        `${what} sent a response Groundwork cannot read${suffix(detail)}.`,
        {
          category: 'unavailable',
          isRetryable: true,
          fix:
            options.fix ??
            'Check that the endpoint is the service the connector expects (not a proxy or login page); nothing was deleted.',
          cause,
        },
      );
    case 'cursor_expired':
      return new GroundworkError('ingest.cursor_expired', `${what} no longer accepts the stored sync cursor${suffix(detail)}.`, {
        category: 'unavailable',
        isRetryable: true,
        fix:
          options.fix ?? 'Sync again: the next sync lists the source in full (the stale cursor is dropped); nothing was deleted.',
        cause,
      });
  }
}

/** Codes a retry can fix. */
const retriedCodes = new Set(['ingest.source_unreachable', 'ingest.source_throttled', 'ingest.source_bad_response']);

export interface SourceRetryOptions {
  /** Attempts in all (default 4). */
  readonly attempts?: number;
  /** First backoff in ms, doubled per attempt with jitter (default 250). */
  readonly baseDelayMs?: number;
  /** Longest single wait, `Retry-After` included (default 30 s). */
  readonly maxDelayMs?: number;
  /** `ingest.source_bad_response` is retried at most this often (default 1): a malformed reply rarely heals. */
  readonly badResponseAttempts?: number;
  readonly signal?: AbortSignal;
  /** Injected in tests. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called before each wait (for a log line: no secrets in `error.message` by construction). */
  readonly onRetry?: (error: GroundworkError, attempt: number, waitMs: number) => void;
}

/**
 * Runs one remote call, retrying `ingest.source_unreachable`, `ingest.source_throttled` (after its
 * `retryAfterMs` when given) and, fewer times, `ingest.source_bad_response`, with exponential backoff and
 * jitter. Anything else (auth, expired cursor, not found, a bug) is thrown at once. The last error is thrown
 * when attempts run out.
 */
export async function withSourceRetry<T>(call: () => Promise<T>, options: SourceRetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 4);
  const base = options.baseDelayMs ?? 250;
  const max = options.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal }));
  let badResponses = 0;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!isGroundworkError(error) || !retriedCodes.has(error.code) || attempt >= attempts) throw error;
      if (error.code === 'ingest.source_bad_response' && ++badResponses > (options.badResponseAttempts ?? 1)) throw error;
      const asked = Number(error.details?.retryAfterMs);
      const backoff = base * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
      const waitMs = Math.min(max, Number.isFinite(asked) && asked > 0 ? asked : backoff);
      options.onRetry?.(error, attempt, waitMs);
      if (options.signal?.aborted) throw error;
      await sleep(waitMs, options.signal);
    }
  }
}

/** `Retry-After` (seconds or an HTTP date) in ms, or undefined. */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The failure kind of an HTTP status from a source's API: 401/403 auth, 408/5xx unreachable, 429 (and 503
 * with `Retry-After`) throttled, 410 an expired cursor; other statuses are not source failures (undefined).
 */
export function failureKindOfStatus(status: number, hasRetryAfter = false): SourceFailureKind | undefined {
  if (status === 401 || status === 403) return 'auth';
  if (status === 429 || (status === 503 && hasRetryAfter)) return 'throttled';
  if (status === 410) return 'cursor_expired';
  if (status === 408 || status >= 500) return 'unreachable';
  return undefined;
}

/** Node's network error codes that mean "no connection". */
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** True for a connection-level failure (refused, reset, DNS, timeout), looking through `cause` chains. */
export function isNetworkError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && networkCodes.has(code)) return true;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.some((inner) => isNetworkError(inner))) return true;
    if ((current as Error).name === 'TimeoutError') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Throws `ingest.missing_secret` when a `…Env` setting names an unset variable; returns its value. */
export function requireSecret(
  secrets: (name: string) => string | undefined,
  setting: string,
  envName: string,
  connector: string,
): string {
  const value = secrets(envName);
  if (value === undefined || value === '') {
    throw new GroundworkError(
      'ingest.missing_secret',
      `The ${connector} source setting ${setting} names the environment variable ${envName}, which is not set.`,
      {
        category: 'usage',
        fix: `Set ${envName} in the environment of every process that syncs (CLI, server, workers), or change ${setting}.`,
        details: { setting, env: envName },
      },
    );
  }
  return value;
}
