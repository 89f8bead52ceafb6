import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the store feature throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const storeErrorCodes = {
  'store.auth_failed': {
    category: 'unavailable',
    description: 'PostgreSQL at … rejected the credentials.',
    fix: "Check the user and password in DATABASE_URL, and the server's pg_hba.conf.",
  },
  'store.backup_not_found': {
    category: 'not_found',
    description: 'The backup … does not exist.',
    fix: 'Give the path of a file written by `groundwork db backup`.',
  },
  'store.backup_server_mode': {
    category: 'usage',
    description: "… is server PostgreSQL: back it up with PostgreSQL's tools, not with groundwork db backup.",
    fix: 'Run `pg_dump --format=custom --file groundwork.dump "$DATABASE_URL"` (a consistent snapshot while Groundwork runs) and restore with `pg_restore --dbname NEW_URL groundwork.dump`; see docs/operations.md#backups.',
  },
  'store.connect_failed': {
    category: 'unavailable',
    description: 'Cannot open PostgreSQL at ….',
    fix: 'Check DATABASE_URL / --database-url and that the server accepts connections.',
  },
  'store.data_dir_corrupt': {
    category: 'unavailable',
    description: 'The data directory marker … is not valid JSON.',
    fix: 'Restore the data directory from a backup, or move it away and start with an empty --data-dir.',
  },
  'store.data_dir_locked': {
    category: 'conflict',
    description: 'The data directory … is in use by another Groundwork process.',
    fix: 'Stop that process, or use the HTTP API it serves (--server URL), or point --data-dir elsewhere. For several processes on one store, use server mode (DATABASE_URL).',
  },
  'store.data_dir_newer': {
    category: 'unavailable',
    description: 'The data directory was created by a newer Groundwork with a newer store format.',
    fix: 'Upgrade Groundwork to at least the version that created it, or use another --data-dir.',
  },
  'store.data_dir_unwritable': {
    category: 'unavailable',
    description: 'Cannot create the data directory ….',
    fix: 'Choose a writable location with --data-dir or GROUNDWORK_DATA_DIR.',
  },
  'store.database_missing': {
    category: 'unavailable',
    description: 'The database in … does not exist.',
    fix: 'Create it first (e.g. `createdb -h HOST -U USER NAME`) or point DATABASE_URL at an existing database.',
  },
  'store.embedded_open_failed': {
    category: 'unavailable',
    description: 'Cannot open the embedded store in ….',
    fix: 'Check that the directory is writable and was written by Groundwork; restore it from a backup or use another --data-dir.',
  },
  'store.extension_permission': {
    category: 'unavailable',
    description: 'The database user may not create the pgvector extension in ….',
    fix: 'Ask a superuser to run `CREATE EXTENSION vector;` in this database once, then start Groundwork again.',
  },
  'store.migration_changed': {
    category: 'internal',
    description: 'An applied migration differs from the file shipped with this Groundwork (checksum mismatch).',
    fix: 'Applied migrations must never be edited: restore the original file and add a new migration for the change.',
  },
  'store.migration_failed': {
    category: 'internal',
    description: 'A database migration failed.',
    fix: 'Nothing was applied (the migration transaction rolled back). Check the database server log; if the schema was changed by hand, restore it.',
  },
  'store.newer_schema': {
    category: 'unavailable',
    description: 'The database has a migration this Groundwork does not know (it was upgraded by a newer release).',
    fix: 'Upgrade Groundwork to the version that last migrated this database.',
  },
  'store.no_embedded_store': {
    category: 'not_found',
    description: 'There is no embedded store in ….',
    fix: 'Pass the data directory of the store to back up with --data-dir (default ./.groundwork).',
  },
  'store.pgvector_missing': {
    category: 'unavailable',
    description: 'PostgreSQL at … does not have the pgvector extension installed.',
    fix: 'Install pgvector on the server (Debian/Ubuntu: `apt-get install postgresql-<major>-pgvector`, or run scripts/install-pgvector.sh on this machine), then start Groundwork again.',
  },
  'store.read_replica_without_server': {
    category: 'usage',
    description: 'databaseReadUrl (DATABASE_READ_URL) names a read replica, but no databaseUrl (DATABASE_URL) names its primary.',
    fix: 'Set DATABASE_URL to the primary PostgreSQL as well, or unset DATABASE_READ_URL (the embedded store has no replicas).',
  },
  'store.restore_failed': {
    category: 'usage',
    description: 'Cannot restore ….',
    fix: 'Give a file written by `groundwork db backup` (a gzipped tar of an embedded store).',
  },
  'store.restore_target_not_empty': {
    category: 'conflict',
    description: '… is not empty; a restore never overwrites a store.',
    fix: 'Restore into a new --data-dir, check it (groundwork doctor), then stop Groundwork and swap the directories.',
  },
  'store.server_too_old': {
    category: 'unavailable',
    description: 'PostgreSQL at … is older than 15.',
    fix: 'Use PostgreSQL 15 or newer with the pgvector extension.',
  },
  'store.unavailable': {
    category: 'unavailable',
    retryable: true,
    description: 'The database cannot be reached right now.',
    fix: 'Retry shortly; the server reconnects by itself when the database is back. Operators: check that PostgreSQL is running and reachable from this host (`groundwork doctor`).',
  },
  'store.unreachable': {
    category: 'unavailable',
    retryable: true,
    description: 'Cannot reach PostgreSQL at ….',
    fix: 'Start the PostgreSQL server (e.g. `pg_ctlcluster 15 main start`) or correct DATABASE_URL / --database-url. Omit both to use the embedded store in --data-dir.',
  },
} as const satisfies ErrorCodeTable;
