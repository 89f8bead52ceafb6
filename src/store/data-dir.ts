import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { GroundworkError } from '../core/index.ts';

/**
 * The embedded store's data directory: PGlite files in `pgdata/`, a lock file so only one process opens it,
 * and a format marker so an older Groundwork refuses a directory written by a newer one.
 */

/** Bump when the on-disk layout changes incompatibly (not for ordinary migrations). */
export const storeFormatVersion = 1;

const lockFileName = 'groundwork.lock';
const markerFileName = 'groundwork-store.json';

export interface DataDirHandle {
  readonly path: string;
  readonly pgdata: string;
  release(): void;
}

export function openDataDir(path: string, appVersion: string): DataDirHandle {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    throw new GroundworkError(
      'store.data_dir_unwritable',
      `Cannot create the data directory ${path}: ${(error as Error).message}.`,
      {
        category: 'unavailable',
        fix: 'Choose a writable location with --data-dir or GROUNDWORK_DATA_DIR.',
        cause: error,
      },
    );
  }
  checkMarker(path, appVersion);
  const release = acquireLock(path);
  return { path, pgdata: join(path, 'pgdata'), release };
}

function checkMarker(path: string, appVersion: string): void {
  const markerPath = join(path, markerFileName);
  if (!existsSync(markerPath)) {
    writeFileSync(markerPath, `${JSON.stringify({ storeFormat: storeFormatVersion, createdWith: appVersion }, null, 2)}\n`);
    return;
  }
  let marker: { storeFormat?: number; createdWith?: string };
  try {
    marker = JSON.parse(readFileSync(markerPath, 'utf8'));
  } catch {
    throw new GroundworkError('store.data_dir_corrupt', `The data directory marker ${markerPath} is not valid JSON.`, {
      category: 'unavailable',
      fix: 'Restore the data directory from a backup, or move it away and start with an empty --data-dir.',
    });
  }
  if ((marker.storeFormat ?? 0) > storeFormatVersion) {
    throw new GroundworkError(
      'store.data_dir_newer',
      `The data directory ${path} was created by a newer Groundwork (${marker.createdWith ?? 'unknown'}, store format ${marker.storeFormat}); this is ${appVersion} (format ${storeFormatVersion}).`,
      { category: 'unavailable', fix: 'Upgrade Groundwork to at least the version that created it, or use another --data-dir.' },
    );
  }
}

/**
 * Fails with `store.data_dir_locked` when a live Groundwork process holds the data directory's lock (a stale
 * lock of a dead process does not count). For commands that would delete or replace a data directory: the
 * lock only stops a second process from opening the store, not from removing its files.
 */
export function assertDataDirUnlocked(path: string): void {
  const lockPath = join(path, lockFileName);
  if (!existsSync(lockPath)) return;
  const holder = readLock(lockPath);
  if (holder) throwIfHeld(path, lockPath, holder);
}

function throwIfHeld(path: string, lockPath: string, holder: { pid: number; host: string; since: string }): void {
  if (holder.host === hostname() && isAlive(holder.pid)) {
    throw new GroundworkError(
      'store.data_dir_locked',
      `The data directory ${path} is in use by another Groundwork process (pid ${holder.pid}, since ${holder.since}).`,
      {
        category: 'conflict',
        fix: 'Stop that process, or use the HTTP API it serves (--server URL), or point --data-dir elsewhere. For several processes on one store, use server mode (DATABASE_URL).',
      },
    );
  }
  if (holder.host !== hostname()) {
    throw new GroundworkError(
      'store.data_dir_locked',
      `The data directory ${path} is locked by host ${holder.host} (pid ${holder.pid}).`,
      {
        category: 'conflict',
        fix: `If no process on ${holder.host} uses it any more, delete ${lockPath}.`,
      },
    );
  }
}

function acquireLock(path: string): () => void {
  const lockPath = join(path, lockFileName);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        rmSync(lockPath, { force: true });
      };
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readLock(lockPath);
      if (holder) throwIfHeld(path, lockPath, holder);
      // Stale lock from a process that died (e.g. kill -9): take it over.
      rmSync(lockPath, { force: true });
    }
  }
  throw new GroundworkError('store.data_dir_locked', `Could not lock the data directory ${path}.`, {
    category: 'conflict',
    fix: `Check that no other process uses it, then delete ${lockPath}.`,
  });
}

function readLock(lockPath: string): { pid: number; host: string; since: string } | undefined {
  try {
    return JSON.parse(readFileSync(lockPath, 'utf8'));
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
