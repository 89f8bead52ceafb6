/** Injectable time source so tests control "now". */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(start: Date, stepMs = 0): Clock {
  let current = start.getTime();
  return {
    now() {
      const value = new Date(current);
      current += stepMs;
      return value;
    },
  };
}
