/**
 * Typed lifecycle events.
 *
 * Features announce what happened (`document-parsed`, `answer-end`, …); observers (tracing, cost, metrics)
 * subscribe. Publishing is synchronous and never throws into the publisher: a failing subscriber is reported
 * through `onSubscriberError` and the pipeline goes on.
 *
 * The event map is open: each feature declares its events by augmenting `GroundworkEventMap`:
 *
 * ```ts
 * declare module '../core/events.ts' {
 *   interface GroundworkEventMap { 'document-parsed': { documentId: string; pages: number } }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by features through declaration merging.
export interface GroundworkEventMap {}

export type EventName = keyof GroundworkEventMap & string;
export type EventListener<Name extends EventName> = (payload: GroundworkEventMap[Name]) => void;

export interface EventBus {
  publish<Name extends EventName>(name: Name, payload: GroundworkEventMap[Name]): void;
  subscribe<Name extends EventName>(name: Name, listener: EventListener<Name>): () => void;
  /** Listens to every event; used by tracing and tests. */
  subscribeAll(listener: (name: EventName, payload: unknown) => void): () => void;
}

export function createEventBus(onSubscriberError: (error: unknown, name: string) => void = () => {}): EventBus {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const wildcard = new Set<(name: EventName, payload: unknown) => void>();
  return {
    publish(name, payload) {
      for (const listener of listeners.get(name) ?? []) {
        try {
          listener(payload);
        } catch (error) {
          onSubscriberError(error, name);
        }
      }
      for (const listener of wildcard) {
        try {
          listener(name, payload);
        } catch (error) {
          onSubscriberError(error, name);
        }
      }
    },
    subscribe(name, listener) {
      let set = listeners.get(name);
      if (!set) {
        set = new Set();
        listeners.set(name, set);
      }
      const entry = listener as (payload: unknown) => void;
      set.add(entry);
      return () => set.delete(entry);
    },
    subscribeAll(listener) {
      wildcard.add(listener);
      return () => wildcard.delete(listener);
    },
  };
}
