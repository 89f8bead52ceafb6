import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GroundworkError, groundworkVersion } from '../core/index.ts';
import { openDataDir } from './data-dir.ts';

/**
 * Backup and restore of the embedded store (`groundwork db backup|restore`): PGlite's own dump of its data
 * directory (a gzipped tar, `dumpDataDir`), taken while holding the data directory's lock — so no Groundwork
 * process writes meanwhile and the copy is consistent — after a CHECKPOINT. Server PostgreSQL is backed up
 * with its own tools (`pg_dump`, base backups): see docs/operations.md#backups.
 *
 * A backup holds every document and trace of the store: it is written readable by its owner only.
 */

async function openPglite(pgdata: string, loadDataDir?: Blob) {
  const [{ PGlite }, { vector }, { pg_textsearch }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite-pgvector'),
    import('@electric-sql/pglite-pg_textsearch'),
  ]);
  return PGlite.create(pgdata, { extensions: { vector, pg_textsearch }, ...(loadDataDir ? { loadDataDir } : {}) });
}

export interface BackupResult {
  readonly file: string;
  readonly bytes: number;
}

/** Writes a backup of the embedded store in `dataDir` to `file` (replaced atomically). */
export async function backupEmbeddedStore(dataDir: string, file: string): Promise<BackupResult> {
  if (!existsSync(join(dataDir, 'pgdata'))) {
    throw new GroundworkError('store.no_embedded_store', `There is no embedded store in ${dataDir}.`, {
      category: 'not_found',
      fix: 'Pass the data directory of the store to back up with --data-dir (default ./.groundwork).',
    });
  }
  const handle = openDataDir(dataDir, groundworkVersion);
  const target = resolve(file);
  const partial = `${target}.partial`;
  try {
    const db = await openPglite(handle.pgdata);
    let dump: Blob;
    try {
      await db.exec('CHECKPOINT');
      dump = await db.dumpDataDir('gzip');
    } finally {
      await db.close();
    }
    const bytes = Buffer.from(await dump.arrayBuffer());
    writeFileSync(partial, bytes, { mode: 0o600 });
    renameSync(partial, target);
    return { file: target, bytes: bytes.length };
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    handle.release();
  }
}

/** Restores a backup into `dataDir`, which must not hold a store yet. The next start applies pending migrations. */
export async function restoreEmbeddedStore(file: string, dataDir: string): Promise<{ dataDir: string }> {
  const source = resolve(file);
  if (!existsSync(source) || !statSync(source).isFile()) {
    throw new GroundworkError('store.backup_not_found', `The backup ${file} does not exist.`, {
      category: 'not_found',
      fix: 'Give the path of a file written by `groundwork db backup`.',
    });
  }
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new GroundworkError('store.restore_target_not_empty', `${dataDir} is not empty; a restore never overwrites a store.`, {
      category: 'conflict',
      fix: 'Restore into a new --data-dir, check it (groundwork doctor), then stop Groundwork and swap the directories.',
    });
  }
  const existed = existsSync(dataDir);
  const handle = openDataDir(dataDir, groundworkVersion);
  let restored = false;
  try {
    const db = await openPglite(handle.pgdata, new Blob([readFileSync(source)]));
    try {
      await db.query('SELECT 1');
    } finally {
      await db.close();
    }
    restored = true;
    return { dataDir: handle.path };
  } catch (error) {
    if (error instanceof GroundworkError) throw error;
    throw new GroundworkError('store.restore_failed', `Cannot restore ${file}: ${(error as Error).message}`, {
      category: 'usage',
      fix: 'Give a file written by `groundwork db backup` (a gzipped tar of an embedded store).',
      cause: error,
    });
  } finally {
    handle.release();
    // Leave nothing behind a failed restore: the directory was empty (or absent) before.
    if (!restored) {
      if (existed) for (const entry of readdirSync(dataDir)) rmSync(join(dataDir, entry), { recursive: true, force: true });
      else rmSync(dataDir, { recursive: true, force: true });
    }
  }
}
