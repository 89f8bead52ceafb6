import pg from 'pg';
import { type GroundworkConfig, GroundworkError, groundworkVersion, type Logger, silentLogger } from '../core/index.ts';
import { openDataDir } from './data-dir.ts';
import type { Database, Queryable, QueryResult, Row, StoreCapabilities } from './database.ts';
import { migrate } from './migrate.ts';
import { describeConnectionError, isConnectionLost, redactDatabaseUrl, storeUnavailableError } from './store-errors.ts';

export interface OpenStoreOptions {
  /** Isolate the platform's tables in this schema (tests); default `public`. */
  readonly schema?: string;
  /** Apply pending migrations at open (default true). `doctor` opens without migrating. */
  readonly migrate?: boolean;
  readonly logger?: Logger;
  /** Server mode connection pool size (default 10). The embedded store always has one connection. */
  readonly poolSize?: number;
  /** A read replica's pool for `Database.read` (closed with the store). */
  readonly replica?: OpenedPool;
}

// int8 (counts, sums) and numeric as JavaScript numbers: every value we keep fits in 2^53.
pg.types.setTypeParser(20, (value) => Number.parseInt(value, 10));
pg.types.setTypeParser(1700, (value) => Number.parseFloat(value));

/**
 * Opens the store named by the configuration: server PostgreSQL when `databaseUrl` is set, otherwise the
 * embedded PGlite store in `dataDir`. Ensures the extensions, applies migrations and detects capabilities.
 */
export async function openStore(
  config: Pick<GroundworkConfig, 'dataDir' | 'databaseUrl' | 'databaseReadUrl'>,
  options: OpenStoreOptions = {},
): Promise<Database> {
  if (config.databaseReadUrl && !config.databaseUrl) {
    throw new GroundworkError(
      'store.read_replica_without_server',
      'databaseReadUrl (DATABASE_READ_URL) names a read replica, but no databaseUrl (DATABASE_URL) names its primary.',
      {
        category: 'usage',
        fix: 'Set DATABASE_URL to the primary PostgreSQL as well, or unset DATABASE_READ_URL (the embedded store has no replicas).',
      },
    );
  }
  const opened = config.databaseUrl
    ? await openServer(config.databaseUrl, options.poolSize ?? 10)
    : await openEmbedded(config.dataDir);
  if (!config.databaseReadUrl) return attachStore(opened, options);
  let replica: OpenedPool;
  try {
    replica = await openServer(config.databaseReadUrl, options.poolSize ?? 10);
  } catch (error) {
    await opened.close().catch(() => {});
    throw error;
  }
  return attachStore(opened, { ...options, replica });
}

/** A connection pool and how to release it; what `attachStore` builds a Database on. */
export interface OpenedPool {
  readonly mode: Database['mode'];
  readonly pool: pg.Pool;
  readonly location: string;
  close(): Promise<void>;
}

/**
 * Builds the Database on an open pool: isolates the schema, ensures extensions, migrates, detects
 * capabilities. Tests use it to share one embedded instance between many isolated schemas.
 */
export async function attachStore(opened: OpenedPool, options: OpenStoreOptions = {}): Promise<Database> {
  const schema = options.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`Invalid schema name ${schema}`);
  const logger = options.logger ?? silentLogger;
  try {
    const replica = options.replica;
    if (schema !== 'public') {
      await opened.pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      if (opened.mode === 'server') {
        // New server connections start in the schema (a startup parameter, not a query racing the pool's
        // first one). pg-pool builds each client from `pool.options`.
        (opened.pool.options as { options?: string }).options = `-c search_path=${schema},public`;
      }
      if (replica) (replica.pool.options as { options?: string }).options = `-c search_path=${schema},public`;
      // Connections already open (the embedded store's single one; the server's probe connection) need it too.
      await opened.pool.query(`SET search_path TO ${schema}, public`);
    }
    const transaction = makeTransaction(opened.pool, opened.location);
    await ensureExtensions(transaction, opened.location);
    if (options.migrate !== false) {
      const applied = await migrate(transaction);
      if (applied.length > 0) logger.info('applied migrations', { versions: applied.map((m) => m.version) });
    }
    const capabilities = await detectCapabilities(opened.pool);
    const primary: Database = {
      mode: opened.mode,
      schema,
      capabilities,
      location: opened.location,
      pool: opened.pool,
      get read() {
        return reader;
      },
      query: (text, params) => runQuery(opened.pool, text, params, opened.location),
      transaction,
      close: async () => {
        try {
          await opened.close();
        } finally {
          await replica?.close();
        }
      },
    };
    // Read-only work on the replica: same schema and capabilities (a physical copy); closed with the primary.
    const reader: Database = replica
      ? {
          mode: primary.mode,
          schema,
          capabilities,
          location: replica.location,
          pool: replica.pool,
          get read() {
            return reader;
          },
          query: (text, params) => runQuery(replica.pool, text, params, replica.location),
          transaction: makeTransaction(replica.pool, replica.location),
          close: async () => {},
        }
      : primary;
    return primary;
  } catch (error) {
    await opened.close().catch(() => {});
    await options.replica?.close().catch(() => {});
    throw error;
  }
}

async function openEmbedded(dataDir: string): Promise<OpenedPool> {
  // `memory://` keeps everything in memory: nothing to lock, nothing left behind (tests, throwaway runs).
  const handle = dataDir.startsWith('memory://')
    ? { path: dataDir, pgdata: dataDir, release: () => {} }
    : openDataDir(dataDir, groundworkVersion);
  try {
    // Heavy WASM modules: load only when the embedded store is used.
    const [{ PGlite }, { vector }, { pg_textsearch }, { createPgConfig }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite-pgvector'),
      import('@electric-sql/pglite-pg_textsearch'),
      import('@electric-sql/pglite/node-postgres'),
    ]);
    const pglite = await PGlite.create(handle.pgdata, { extensions: { vector, pg_textsearch } });
    const pool = new pg.Pool(createPgConfig(pglite) as unknown as pg.PoolConfig);
    return {
      mode: 'embedded',
      pool,
      location: handle.path,
      async close() {
        try {
          await pool.end();
          await pglite.close();
        } finally {
          handle.release();
        }
      },
    };
  } catch (error) {
    handle.release();
    if (error instanceof GroundworkError) throw error;
    throw new GroundworkError(
      'store.embedded_open_failed',
      `Cannot open the embedded store in ${dataDir}: ${(error as Error).message}`,
      {
        category: 'unavailable',
        fix: 'Check that the directory is writable and was written by Groundwork; restore it from a backup or use another --data-dir.',
        cause: error,
      },
    );
  }
}

async function openServer(url: string, poolSize: number): Promise<OpenedPool> {
  const location = redactDatabaseUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => {});
    throw describeConnectionError(error, location);
  }
  const version = await pool.query<{ server_version_num: string }>('SHOW server_version_num');
  if (Number(version.rows[0]?.server_version_num) < 150000) {
    await pool.end();
    throw new GroundworkError('store.server_too_old', `PostgreSQL at ${location} is older than 15.`, {
      category: 'unavailable',
      fix: 'Use PostgreSQL 15 or newer with the pgvector extension.',
    });
  }
  return { mode: 'server', pool, location, close: () => pool.end() };
}

function makeTransaction(pool: pg.Pool, location = 'the database'): Database['transaction'] {
  return async (work) => {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw isConnectionLost(error) ? storeUnavailableError(location, error) : error;
    }
    const tx: Queryable = { query: (text, params) => runQuery(client, text, params, location) };
    let broken: unknown;
    try {
      await runQuery(client, 'BEGIN', undefined, location);
      const result = await work(tx);
      await runQuery(client, 'COMMIT', undefined, location);
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      // A client whose connection broke is destroyed, not returned to the pool.
      if ((error as { code?: string }).code === 'store.unavailable') broken = error;
      throw error;
    } finally {
      client.release(broken instanceof Error ? broken : undefined);
    }
  };
}

async function runQuery<R extends Row>(
  target: pg.Pool | pg.PoolClient,
  text: string,
  params?: readonly unknown[],
  location = 'the database',
): Promise<QueryResult<R>> {
  try {
    const result = await target.query<R>(text, params as unknown[] | undefined);
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  } catch (error) {
    // A lost connection is one error the API turns into 503 (the pool drops the broken client).
    throw isConnectionLost(error) ? storeUnavailableError(location, error) : error;
  }
}

async function ensureExtensions(transaction: Database['transaction'], location: string): Promise<void> {
  await transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [0x67776d67]);
    try {
      await tx.query('CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public');
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === '42501') {
        throw new GroundworkError(
          'store.extension_permission',
          `The database user may not create the pgvector extension in ${location}.`,
          {
            category: 'unavailable',
            fix: 'Ask a superuser to run `CREATE EXTENSION vector;` in this database once, then start Groundwork again.',
            cause: error,
          },
        );
      }
      throw new GroundworkError(
        'store.pgvector_missing',
        `PostgreSQL at ${location} does not have the pgvector extension installed.`,
        {
          category: 'unavailable',
          fix: 'Install pgvector on the server (Debian/Ubuntu: `apt-get install postgresql-<major>-pgvector`, or run scripts/install-pgvector.sh on this machine), then start Groundwork again.',
          cause: error,
        },
      );
    }
    const available = await tx.query<{ name: string }>(`SELECT name FROM pg_available_extensions WHERE name = 'pg_textsearch'`);
    if (available.rows.length > 0) {
      // Optional: BM25 access method. Where it cannot be created (e.g. not preloaded) the portable BM25 is used.
      await tx.query('SAVEPOINT textsearch');
      try {
        await tx.query('CREATE EXTENSION IF NOT EXISTS pg_textsearch WITH SCHEMA public');
        await tx.query('RELEASE SAVEPOINT textsearch');
      } catch {
        await tx.query('ROLLBACK TO SAVEPOINT textsearch');
      }
    }
  });
}

async function detectCapabilities(pool: pg.Pool): Promise<StoreCapabilities> {
  const extensions = await pool.query<{ extname: string; extversion: string }>('SELECT extname, extversion FROM pg_extension');
  const versions = new Map(extensions.rows.map((row) => [row.extname, row.extversion]));
  const server = await pool.query<{ server_version: string }>('SHOW server_version');
  return {
    pgTextSearch: versions.has('pg_textsearch'),
    vector: versions.has('vector'),
    vectorVersion: versions.get('vector'),
    serverVersion: (server.rows[0]?.server_version ?? 'unknown').split(' ')[0] ?? 'unknown',
  };
}
