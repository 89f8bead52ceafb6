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
 * checksum. A changed applied migration is an error. All of it runs in one transaction under a database-wide
 * advisory lock, so concurrent starts of several processes do not race (extensions are database-wide too).
 *
 * Zero-downtime upgrades (docs/operations.md): the new release's migrations run while the old release still
 * serves, so an applied migration this build does not know (a newer Groundwork ran here) is tolerated when it
 * is an *expand* step (additive: new tables, nullable or defaulted columns, indexes). A *contract* step —
 * one that drops or changes what older code reads — says so on a line `-- groundwork:requires NNNN`: code
 * that does not know migration NNNN must not run against it, and is refused with `store.newer_schema`.
 */

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
  /**
   * Contract migrations only: the oldest migration the running code must know (`-- groundwork:requires NNNN`).
   * Undefined for expand migrations, which every older release tolerates.
   */
  readonly requiresVersion: number | undefined;
}

export interface MigrationStatus {
  readonly applied: ReadonlyArray<{ version: number; name: string; appliedAt: Date }>;
  readonly pending: readonly Migration[];
  /** Applied by a newer release and compatible with this one (expand steps, or contracts this code satisfies). */
  readonly newer: ReadonlyArray<{ version: number; name: string }>;
}

const requiresDirective = /^--\s*groundwork:requires\s+(\d{4})\s*$/m;

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
      const requires = requiresDirective.exec(sql)?.[1];
      return {
        version: Number(file.slice(0, 4)),
        name: file.slice(5, -4),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
        requiresVersion: requires === undefined ? undefined : Number(requires),
      };
    });
  const seen = new Set<number>();
  for (const migration of migrations) {
    if (seen.has(migration.version)) throw new Error(`Two migrations share version ${migration.version}`);
    if (migration.requiresVersion !== undefined && migration.requiresVersion > migration.version) {
      throw new Error(`Migration ${migration.version} requires a later migration (${migration.requiresVersion})`);
    }
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
// Added after the first releases (an expand step of its own): NULL for expand migrations. Only run when
// missing: ALTER TABLE locks the table against the readiness probes of every running process.
const requiresColumnExists = `SELECT EXISTS (SELECT 1 FROM pg_attribute
  WHERE attrelid = to_regclass('groundwork_migrations') AND attname = 'requires_version' AND NOT attisdropped) AS exists`;
const addRequiresColumn = 'ALTER TABLE groundwork_migrations ADD COLUMN requires_version integer';

interface AppliedRow {
  [key: string]: unknown;
  version: number;
  name: string;
  checksum: string;
  requires_version: number | null;
  applied_at: Date;
}

// Read through to_jsonb so that a table created before `requires_version` existed reads as NULL.
const selectApplied = `SELECT version, name, checksum, (to_jsonb(m) ->> 'requires_version')::integer AS requires_version, applied_at
  FROM groundwork_migrations m ORDER BY version`;

export async function migrationStatus(db: Queryable, migrations = loadMigrations()): Promise<MigrationStatus> {
  const exists = await db.query<{ exists: boolean }>(`SELECT to_regclass('groundwork_migrations') IS NOT NULL AS exists`);
  if (!exists.rows[0]?.exists) return { applied: [], pending: migrations, newer: [] };
  const applied = await db.query<AppliedRow>(selectApplied);
  const newer = verifyApplied(applied.rows, migrations);
  const done = new Set(applied.rows.map((row) => row.version));
  return {
    applied: applied.rows.map((row) => ({ version: row.version, name: row.name, appliedAt: row.applied_at })),
    pending: migrations.filter((m) => !done.has(m.version)),
    newer,
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
    const column = await tx.query<{ exists: boolean }>(requiresColumnExists);
    if (!column.rows[0]?.exists) await tx.query(addRequiresColumn);
    const applied = await tx.query<AppliedRow>(selectApplied);
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
      await tx.query('INSERT INTO groundwork_migrations (version, name, checksum, requires_version) VALUES ($1, $2, $3, $4)', [
        migration.version,
        migration.name,
        migration.checksum,
        migration.requiresVersion ?? null,
      ]);
    }
    return pending;
  });
}

/**
 * Checks applied migrations against this build's; returns the newer ones it tolerates (expand steps, and
 * contract steps whose required migration this build knows).
 */
function verifyApplied(
  applied: ReadonlyArray<Pick<AppliedRow, 'version' | 'name' | 'checksum' | 'requires_version'>>,
  migrations: readonly Migration[],
): Array<{ version: number; name: string }> {
  const known = new Map(migrations.map((m) => [m.version, m]));
  const latestKnown = migrations.reduce((latest, m) => Math.max(latest, m.version), 0);
  const newer: Array<{ version: number; name: string }> = [];
  for (const row of applied) {
    const migration = known.get(row.version);
    if (!migration) {
      if (row.version > latestKnown && (row.requires_version === null || row.requires_version <= latestKnown)) {
        newer.push({ version: row.version, name: row.name });
        continue;
      }
      const why =
        row.requires_version === null
          ? 'it was created by another build of Groundwork'
          : `it is a contract step of a newer Groundwork that requires code knowing migration ${row.requires_version}`;
      throw new GroundworkError(
        'store.newer_schema',
        `The database has migration ${row.version}_${row.name}, which this Groundwork does not know: ${why}.`,
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
  return newer;
}
