/**
 * Per-caller token buckets, in memory, per process: `requestsPerSecond` sustained, `burst` at most.
 * Behind a load balancer with N processes a caller gets up to N times the rate; that is acceptable for
 * abuse protection (budgets, if needed, belong in the database).
 */
export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Seconds until one token is available again (for `Retry-After`), when not allowed. */
  readonly retryAfterSeconds: number;
}

export interface RateLimiter {
  take(key: string, nowMs?: number): RateLimitDecision;
}

export function createRateLimiter(options: { requestsPerSecond: number; burst: number; maxKeys?: number }): RateLimiter {
  const { requestsPerSecond, burst } = options;
  const maxKeys = options.maxKeys ?? 100_000;
  const buckets = new Map<string, { tokens: number; updatedMs: number }>();
  return {
    take(key, nowMs = performance.now()) {
      if (requestsPerSecond <= 0) return { allowed: true, retryAfterSeconds: 0 };
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
        return { allowed: true, retryAfterSeconds: 0 };
      }
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / requestsPerSecond)) };
    },
  };
}
