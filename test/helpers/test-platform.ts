/**
 * Test stores: every test gets its own schema, on the embedded store always and on server PostgreSQL when
 * GROUNDWORK_TEST_DATABASE_URL is set (CI runs the suite once each way).
 *
 * The embedded store shares one in-memory PGlite per test process (opening one costs about a second);
 * tests inside a file run one after another, and each leaves by closing its platform, which drops its schema.
 */
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';
import { type GroundworkConfigInput, loadConfig, silentLogger } from '../../src/core/index.ts';
import { createPlatform, type Platform } from '../../src/create-platform.ts';
import { attachStore, type Database, type OpenedPool } from '../../src/store/index.ts';

export const testDatabaseUrl = process.env.GROUNDWORK_TEST_DATABASE_URL || undefined;
export const testStoreKind: 'embedded' | 'server' = testDatabaseUrl ? 'server' : 'embedded';

let sharedEmbedded: Promise<{ pool: pg.Pool; close(): Promise<void> }> | undefined;

async function embeddedPool(): Promise<pg.Pool> {
  return (await embedded()).pool;
}

function embedded(): Promise<{ pool: pg.Pool; close(): Promise<void> }> {
  sharedEmbedded ??= (async () => {
    const [{ PGlite }, { vector }, { pg_textsearch }, { createPgConfig }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite-pgvector'),
      import('@electric-sql/pglite-pg_textsearch'),
      import('@electric-sql/pglite/node-postgres'),
    ]);
    const pglite = await PGlite.create('memory://', { extensions: { vector, pg_textsearch } });
    const pool = new pg.Pool(createPgConfig(pglite) as unknown as pg.PoolConfig);
    return {
      pool,
      async close() {
        await pool.end();
        await pglite.close();
      },
    };
  })();
  return sharedEmbedded;
}

export function newSchemaName(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

/** Opens an isolated, migrated database for one test. Closing it drops the schema. */
export async function openTestDatabase(options: { migrate?: boolean; schema?: string } = {}): Promise<Database> {
  const schema = options.schema ?? newSchemaName();
  let opened: OpenedPool;
  if (testDatabaseUrl) {
    const pool = new pg.Pool({ connectionString: testDatabaseUrl, max: 4 });
    pool.on('error', () => {});
    opened = {
      mode: 'server',
      pool,
      location: 'test server',
      async close() {
        await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
        // The job queue's schema beside it (pg-boss, created on first use).
        await pool.query(`DROP SCHEMA IF EXISTS ${schema}_jobs CASCADE`).catch(() => {});
        await pool.end();
      },
    };
  } else {
    const pool = await embeddedPool();
    opened = {
      mode: 'embedded',
      pool,
      location: 'memory://',
      async close() {
        await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
        // The job queue's schema beside it (pg-boss, created on first use).
        await pool.query(`DROP SCHEMA IF EXISTS ${schema}_jobs CASCADE`).catch(() => {});
        await pool.query('SET search_path TO public');
        pool.removeAllListeners('connect');
      },
    };
  }
  return attachStore(opened, { schema, ...(options.migrate === undefined ? {} : { migrate: options.migrate }) });
}

/** A whole platform over an isolated test database, with optional configuration. */
export async function createTestPlatform(config: GroundworkConfigInput = {}): Promise<Platform> {
  const database = await openTestDatabase();
  // Queue-delay shedding off unless a test asks for it: tests fire bursts on a busy CI machine, and a
  // response that depends on the machine's load is a flaky test (the concurrency cap stays on).
  const flags = { ...config, server: { maxQueueDelayMs: 0, ...config.server } };
  const loaded = loadConfig({ env: {}, flags: flags as Record<string, unknown>, cwd: '/nonexistent' });
  return createPlatform(loaded, { database, logger: silentLogger });
}

/** Closes the shared embedded instance so the test process can exit. */
export async function closeSharedStores(): Promise<void> {
  if (sharedEmbedded) {
    const shared = await sharedEmbedded;
    sharedEmbedded = undefined;
    await shared.close();
  }
}

// Registered once per test file that imports this helper: let the process exit when the file is done.
after(closeSharedStores);
