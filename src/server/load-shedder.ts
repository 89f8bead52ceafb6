/**
 * Decides when this process sheds load (503 + Retry-After), on *queueing delay* as well as on a concurrency
 * cap: latency explodes when requests queue (for the event loop, or for a database connection), long before
 * 64 are in flight.
 *
 * Signals, per process:
 * - event-loop lag: how late a 25 ms timer fires, smoothed (CPU-bound queueing in this process): over the
 *   limit, every new request is shed until the loop catches up;
 * - CoDel's standing-queue test: the *fastest* /v1 request of two 500 ms windows in a row took longer than
 *   the limit, so every request waits (typically for the connection pool, or an overloaded database). Then
 *   the process is *congested*: it admits only `congestedConcurrency` requests at once (the pool size) and
 *   sheds the rest at once, so admitted requests see the database's time instead of a queue. A burst does
 *   not trip it; any window whose fastest request is under the limit ends it. Admission never stops, so the
 *   shedder cannot lock itself out.
 */
export type ShedReason = 'concurrency' | 'queue_delay';

export interface LoadShedder {
  /** Why a new request should be refused now (with `inFlight` requests already admitted), or undefined. */
  shouldShed(inFlight: number): ShedReason | undefined;
  /** Records the duration of an admitted request, in milliseconds. */
  observe(durationMs: number): void;
  /** The current queueing-delay estimate (ms), for error details and logs. */
  queueDelayMs(): number;
  close(): void;
}

export interface LoadShedderOptions {
  /** Requests in flight at most (`server.maxConcurrentRequests`). */
  readonly maxConcurrentRequests: number;
  /** Queueing delay limit in ms (`server.maxQueueDelayMs`); 0 = only the concurrency cap. */
  readonly maxQueueDelayMs: number;
  /** In flight at most while congested (default: a quarter of maxConcurrentRequests, at least 1). */
  readonly congestedConcurrency?: number;
  /**
   * Whether event-loop lag counts (default true). Off on the embedded store: PGlite runs its queries on this
   * thread, so lag there is database work, not queueing.
   */
  readonly eventLoop?: boolean;
  readonly windowMs?: number;
  readonly minSamples?: number;
}

export function createLoadShedder(options: LoadShedderOptions): LoadShedder {
  const { maxConcurrentRequests, maxQueueDelayMs } = options;
  const congestedConcurrency = Math.max(1, options.congestedConcurrency ?? Math.floor(maxConcurrentRequests / 4));
  const windowMs = options.windowMs ?? 500;
  const minSamples = options.minSamples ?? 5;
  if (maxQueueDelayMs <= 0) {
    return {
      shouldShed: (inFlight) => (inFlight >= maxConcurrentRequests ? 'concurrency' : undefined),
      observe: () => {},
      queueDelayMs: () => 0,
      close: () => {},
    };
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
  let slowWindows = 0;
  let congested = false;
  let standingDelay = 0;
  const roll = (now: number) => {
    if (now - windowStart < windowMs) return;
    if (windowCount > 0 && windowMin <= maxQueueDelayMs) {
      // Some request got through without queueing: no standing queue.
      slowWindows = 0;
      congested = false;
      standingDelay = windowMin;
    } else if (windowCount >= minSamples) {
      slowWindows += 1;
      standingDelay = windowMin;
      // Two slow windows in a row: one can be a burst of slow requests, two are a queue.
      if (slowWindows >= 2) congested = true;
    }
    // Too few requests to tell (all slow): keep the state.
    windowStart = now;
    windowMin = Number.POSITIVE_INFINITY;
    windowCount = 0;
  };
  return {
    shouldShed(inFlight) {
      roll(performance.now());
      if (inFlight >= maxConcurrentRequests) return 'concurrency';
      if (lag > maxQueueDelayMs) return 'queue_delay';
      if (congested && inFlight >= congestedConcurrency) return 'queue_delay';
      return undefined;
    },
    observe(durationMs) {
      roll(performance.now());
      windowMin = Math.min(windowMin, durationMs);
      windowCount += 1;
    },
    queueDelayMs: () => Math.round(Math.max(lag, congested ? standingDelay : 0)),
    close: () => clearInterval(ticker),
  };
}
