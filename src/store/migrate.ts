import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GroundworkError } from '../core/index.ts';
import type { Queryable } from './database.ts';

/**
 * Versioned, checksummed SQL migrations.
 *
 * Files `migrations/NNNN_name.sql` are applied in order, each recorded in `groundwork_migrations` with its
 * checksum. A changed applied migration, or an applied version this build does not know (a newer
 * Groundwork ran here), is an error. All of it runs in one transaction under a database-wide advisory lock,
 * so concurrent starts of several processes do not race (extensions are database-wide too).
 */

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface MigrationStatus {
  readonly applied: ReadonlyArray<{ version: number; name: string; appliedAt: Date }>;
  readonly pending: readonly Migration[];
}

/** Arbitrary constant: "groundwork migrations" lock id, shared by every schema in the database. */
const migrationLockId = 0x67776d67;
const migrationsDir = join(fileURLToPath(new URL('.', import.meta.url)), 'migrations');

let cached: Migration[] | undefined;

export function loadMigrations(dir = migrationsDir): Migration[] {
  if (dir === migrationsDir && cached) return cached;
  const migrations = readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return {
        version: Number(file.slice(0, 4)),
        name: file.slice(5, -4),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
  const seen = new Set<number>();
  for (const migration of migrations) {
    if (seen.has(migration.version)) throw new Error(`Two migrations share version ${migration.version}`);
    seen.add(migration.version);
  }
  if (dir === migrationsDir) cached = migrations;
  return migrations;
}

const createTable = `
  CREATE TABLE IF NOT EXISTS groundwork_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

export async function migrationStatus(db: Queryable, migrations = loadMigrations()): Promise<MigrationStatus> {
  const exists = await db.query<{ exists: boolean }>(`SELECT to_regclass('groundwork_migrations') IS NOT NULL AS exists`);
  if (!exists.rows[0]?.exists) return { applied: [], pending: migrations };
  const applied = await db.query<{ version: number; name: string; checksum: string; applied_at: Date }>(
    'SELECT version, name, checksum, applied_at FROM groundwork_migrations ORDER BY version',
  );
  verifyApplied(applied.rows, migrations);
  const done = new Set(applied.rows.map((row) => row.version));
  return {
    applied: applied.rows.map((row) => ({ version: row.version, name: row.name, appliedAt: row.applied_at })),
    pending: migrations.filter((m) => !done.has(m.version)),
  };
}

/**
 * Applies pending migrations; returns the ones applied. `transaction` must give one connection.
 */
export async function migrate(
  transaction: <T>(work: (tx: Queryable) => Promise<T>) => Promise<T>,
  migrations = loadMigrations(),
): Promise<Migration[]> {
  return transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [migrationLockId]);
    await tx.query(createTable);
    const applied = await tx.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM groundwork_migrations ORDER BY version',
    );
    verifyApplied(applied.rows, migrations);
    const done = new Set(applied.rows.map((row) => row.version));
    const pending = migrations.filter((m) => !done.has(m.version));
    for (const migration of pending) {
      try {
        await tx.query(migration.sql);
      } catch (error) {
        throw new GroundworkError(
          'store.migration_failed',
          `Migration ${migration.version}_${migration.name} failed: ${(error as Error).message}`,
          {
            category: 'internal',
            fix: 'Nothing was applied (the migration transaction rolled back). Check the database server log; if the schema was changed by hand, restore it.',
            cause: error,
          },
        );
      }
      await tx.query('INSERT INTO groundwork_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
    }
    return pending;
  });
}

function verifyApplied(
  applied: ReadonlyArray<{ version: number; name: string; checksum: string }>,
  migrations: readonly Migration[],
): void {
  const known = new Map(migrations.map((m) => [m.version, m]));
  for (const row of applied) {
    const migration = known.get(row.version);
    if (!migration) {
      throw new GroundworkError(
        'store.newer_schema',
        `The database has migration ${row.version}_${row.name}, which this Groundwork does not know: it was created by a newer version.`,
        { category: 'unavailable', fix: 'Upgrade Groundwork to the version that last migrated this database.' },
      );
    }
    if (migration.checksum !== row.checksum) {
      throw new GroundworkError(
        'store.migration_changed',
        `Applied migration ${row.version}_${row.name} differs from the file shipped with this Groundwork (checksum mismatch).`,
        {
          category: 'internal',
          fix: 'Applied migrations must never be edited: restore the original file and add a new migration for the change.',
        },
      );
    }
  }
}
