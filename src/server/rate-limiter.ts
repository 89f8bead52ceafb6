import type { Queryable } from '../store/index.ts';

/**
 * Per-caller token buckets: `requestsPerSecond` sustained, `burst` at most. The server's limiter keeps its
 * buckets in PostgreSQL (`createSharedRateLimiter`), so N API processes and any number of replicas on one
 * database enforce one limit per caller; `createRateLimiter` keeps them in memory (one process, tests).
 */
export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Seconds until one token is available again (for `Retry-After`), when not allowed. */
  readonly retryAfterSeconds: number;
}

export interface RateLimiter {
  take(key: string, nowMs?: number): Promise<RateLimitDecision>;
}

export interface RateLimitOptions {
  readonly requestsPerSecond: number;
  readonly burst: number;
}

const allowed: RateLimitDecision = Object.freeze({ allowed: true, retryAfterSeconds: 0 });

function refusal(tokens: number, requestsPerSecond: number): RateLimitDecision {
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / requestsPerSecond)) };
}

/** In-memory buckets of this process only (each process of a deployment would allow the full rate). */
export function createRateLimiter(options: RateLimitOptions & { maxKeys?: number }): RateLimiter {
  const { requestsPerSecond, burst } = options;
  const maxKeys = options.maxKeys ?? 100_000;
  const buckets = new Map<string, { tokens: number; updatedMs: number }>();
  return {
    async take(key, nowMs = performance.now()) {
      if (requestsPerSecond <= 0) return allowed;
      let bucket = buckets.get(key);
      if (!bucket) {
        if (buckets.size >= maxKeys) {
          // Drop the oldest entry (Map keeps insertion order): a full bucket is the default anyway.
          const oldest = buckets.keys().next().value;
          if (oldest !== undefined) buckets.delete(oldest);
        }
        bucket = { tokens: burst, updatedMs: nowMs };
        buckets.set(key, bucket);
      }
      bucket.tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.updatedMs) / 1000) * requestsPerSecond);
      bucket.updatedMs = nowMs;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return allowed;
      }
      return refusal(bucket.tokens, requestsPerSecond);
    },
  };
}

/** Refill, then take one token when there is one: one statement, atomic per key under concurrency. */
const takeSql = `
INSERT INTO rate_limit_buckets AS b (key, tokens, updated_at, allowed)
VALUES ($1, $3::float8 - 1, clock_timestamp(), true)
ON CONFLICT (key) DO UPDATE SET
  tokens = CASE
    WHEN least($3::float8, b.tokens + extract(epoch FROM clock_timestamp() - b.updated_at)::float8 * $2::float8) >= 1
    THEN least($3::float8, b.tokens + extract(epoch FROM clock_timestamp() - b.updated_at)::float8 * $2::float8) - 1
    ELSE least($3::float8, b.tokens + extract(epoch FROM clock_timestamp() - b.updated_at)::float8 * $2::float8)
  END,
  allowed = least($3::float8, b.tokens + extract(epoch FROM clock_timestamp() - b.updated_at)::float8 * $2::float8) >= 1,
  updated_at = clock_timestamp()
RETURNING tokens, allowed`;

/**
 * Buckets in the `rate_limit_buckets` table: the database clock, so processes on several hosts agree.
 * Costs one single-row upsert per authenticated request (an UNLOGGED table: no WAL; measured in
 * docs/benchmarks.md). Buckets idle for an hour are deleted now and then (a full bucket is the default).
 */
export function createSharedRateLimiter(db: Queryable, options: RateLimitOptions & { random?: () => number }): RateLimiter {
  const { requestsPerSecond, burst } = options;
  const random = options.random ?? Math.random;
  return {
    async take(key) {
      if (requestsPerSecond <= 0) return allowed;
      const result = await db.query<{ tokens: number; allowed: boolean }>(takeSql, [key, requestsPerSecond, burst]);
      if (random() < 0.001) {
        await db.query(`DELETE FROM rate_limit_buckets WHERE updated_at < now() - interval '1 hour'`).catch(() => {});
      }
      const row = result.rows[0];
      if (!row || row.allowed) return allowed;
      return refusal(row.tokens, requestsPerSecond);
    },
  };
}
