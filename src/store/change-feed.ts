import pg from 'pg';
import { type Logger, silentLogger } from '../core/index.ts';
import type { Database, Queryable } from './database.ts';

/**
 * Cache invalidation across processes by PostgreSQL LISTEN/NOTIFY.
 *
 * A process that changes what other processes cache (API keys, sources, retrieval indexes) publishes a
 * topic in the same transaction (`publishChange`); PostgreSQL delivers it at commit to every listening
 * connection, so every API process and replica on the database drops that cache within milliseconds.
 * Notifications are not durable: after its listening connection is lost and re-established a process
 * treats every topic as changed (it may have missed some), and caches keep a short TTL as a backstop.
 * On the embedded store (one process) the same SQL works inside the PGlite instance.
 */
export const changeChannel = 'groundwork_changes';

/** Topics a change can be published on; each names what listeners must re-read. */
export type ChangeTopic = 'api_keys' | 'sources' | 'retrieval_indexes' | 'rollout' | 'identity_mappings' | 'vocabulary';

/** Publishes `topic` for this schema; inside a transaction it is delivered only if (and when) it commits. */
export async function publishChange(db: Queryable, topic: ChangeTopic): Promise<void> {
  await db.query(`SELECT pg_notify('${changeChannel}', current_schema() || ':' || $1::text)`, [topic]);
}

export interface ChangeFeed {
  /** Calls `listener` whenever `topic` changes (in any process); returns the unsubscribe function. */
  subscribe(topic: ChangeTopic, listener: () => void): () => void;
  /** Resolves once the feed listens (changes committed before that may be missed). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

const topics: readonly ChangeTopic[] = ['api_keys', 'sources', 'retrieval_indexes', 'rollout', 'identity_mappings', 'vocabulary'];

export function createChangeFeed(db: Database, options: { logger?: Logger; reconnectMs?: number } = {}): ChangeFeed {
  const logger = options.logger ?? silentLogger;
  const listeners = new Map<ChangeTopic, Set<() => void>>();
  const emit = (topic: ChangeTopic) => {
    for (const listener of listeners.get(topic) ?? []) listener();
  };
  const onNotification = (message: { channel: string; payload?: string }) => {
    if (message.channel !== changeChannel || !message.payload) return;
    const separator = message.payload.lastIndexOf(':');
    if (message.payload.slice(0, separator) !== db.schema) return;
    const topic = message.payload.slice(separator + 1) as ChangeTopic;
    if (topics.includes(topic)) emit(topic);
  };
  let closed = false;
  let stop: () => Promise<void> = async () => {};
  let ready: Promise<void>;

  if (db.mode === 'embedded') {
    // One PGlite session behind every pool client: LISTEN once; each client object relays notifications.
    const attached = new Set<pg.PoolClient>();
    const attach = (client: pg.PoolClient) => {
      if (attached.has(client)) return;
      attached.add(client);
      client.on('notification', onNotification);
      client.once('end', () => attached.delete(client));
    };
    db.pool.on('connect', attach);
    ready = (async () => {
      const client = await db.pool.connect();
      try {
        attach(client);
        await client.query(`LISTEN ${changeChannel}`);
      } finally {
        client.release();
      }
    })();
    stop = async () => {
      db.pool.off('connect', attach);
      for (const client of attached) client.off('notification', onNotification);
      attached.clear();
    };
  } else {
    // A dedicated connection (pool connections are shared and do not keep LISTEN), re-opened when lost.
    let client: pg.Client | undefined;
    let timer: NodeJS.Timeout | undefined;
    let failures = 0;
    const connect = async (): Promise<void> => {
      const next = new pg.Client(db.pool.options as pg.ClientConfig);
      next.on('error', () => {});
      next.on('notification', onNotification);
      next.on('end', () => {
        if (closed || client !== next) return;
        client = undefined;
        logger.warn('change feed connection lost; reconnecting', { channel: changeChannel });
        schedule();
      });
      await next.connect();
      await next.query(`LISTEN ${changeChannel}`);
      client = next;
      if (failures > 0 || reconnecting) {
        // Anything may have changed while nobody listened.
        for (const topic of topics) emit(topic);
      }
      failures = 0;
      reconnecting = false;
    };
    let reconnecting = false;
    const schedule = () => {
      if (closed) return;
      reconnecting = true;
      const delay = Math.min(10_000, (options.reconnectMs ?? 250) * 2 ** Math.min(failures, 6));
      timer = setTimeout(() => {
        connect().catch(() => {
          failures += 1;
          schedule();
        });
      }, delay);
      timer.unref();
    };
    ready = connect().catch((error) => {
      logger.warn('change feed cannot listen yet; retrying', { error: (error as Error).message });
      failures += 1;
      schedule();
    });
    stop = async () => {
      clearTimeout(timer);
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    };
  }
  ready.catch(() => {});

  return {
    ready,
    subscribe(topic, listener) {
      let set = listeners.get(topic);
      if (!set) {
        set = new Set();
        listeners.set(topic, set);
      }
      set.add(listener);
      return () => set.delete(listener);
    },
    async close() {
      closed = true;
      await ready.catch(() => {});
      await stop();
    },
  };
}
