/**
 * Decides when this process sheds load on *queueing delay*, not only on a concurrency cap: latency explodes
 * when requests queue (for the event loop or for a database connection), long before 64 are in flight.
 *
 * Two signals, both per process:
 * - event-loop lag: how late a 25 ms timer fires, smoothed (CPU-bound queueing in this process);
 * - CoDel's standing-queue test: the *fastest* /v1 request that completed in each of the last two 500 ms
 *   windows took longer than the limit, so every request waits (e.g. for the connection pool) — a burst does
 *   not trip it, a standing queue does.
 * Shed requests are not observed, so a window in which everything was shed has no minimum and admission
 * resumes in the next: under a standing queue the process alternates windows (admit, shed), it cannot lock
 * itself out.
 */
export interface LoadShedder {
  /** True while new requests should be refused with 503 + Retry-After. */
  shouldShed(): boolean;
  /** Records the duration of an admitted request, in milliseconds. */
  observe(durationMs: number): void;
  /** The current estimate (ms), for metrics and logs. */
  queueDelayMs(): number;
  close(): void;
}

export function createLoadShedder(options: {
  maxQueueDelayMs: number;
  /**
   * Whether event-loop lag counts (default true). Off on the embedded store: PGlite runs its queries on this
   * thread, so lag there is database work, not queueing (the standing-queue test still applies).
   */
  eventLoop?: boolean;
  windowMs?: number;
  minSamples?: number;
}): LoadShedder {
  const { maxQueueDelayMs } = options;
  const windowMs = options.windowMs ?? 500;
  const minSamples = options.minSamples ?? 5;
  if (maxQueueDelayMs <= 0) {
    return { shouldShed: () => false, observe: () => {}, queueDelayMs: () => 0, close: () => {} };
  }
  const tickMs = 25;
  let lag = 0;
  let expected = performance.now() + tickMs;
  const ticker =
    options.eventLoop === false
      ? undefined
      : setInterval(() => {
          const now = performance.now();
          lag = 0.7 * lag + 0.3 * Math.max(0, now - expected);
          expected = now + tickMs;
        }, tickMs);
  ticker?.unref();
  let windowStart = performance.now();
  let windowMin = Number.POSITIVE_INFINITY;
  let windowCount = 0;
  let standingDelay = 0;
  let previousMin = 0;
  const roll = (now: number) => {
    if (now - windowStart < windowMs) return;
    // A window with too few admitted requests (e.g. all shed) says nothing: admit again in the next one.
    const min = windowCount >= minSamples ? windowMin : 0;
    // Two windows in a row over the limit: one slow window can be a burst of slow requests, two are a queue.
    standingDelay = Math.min(min, previousMin);
    previousMin = min;
    windowStart = now;
    windowMin = Number.POSITIVE_INFINITY;
    windowCount = 0;
  };
  return {
    shouldShed() {
      roll(performance.now());
      return lag > maxQueueDelayMs || standingDelay > maxQueueDelayMs;
    },
    observe(durationMs) {
      roll(performance.now());
      windowMin = Math.min(windowMin, durationMs);
      windowCount += 1;
    },
    queueDelayMs: () => Math.round(Math.max(lag, standingDelay)),
    close: () => clearInterval(ticker),
  };
}
