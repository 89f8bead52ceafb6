import type { Dirent, Stats } from 'node:fs';
import { lstat, opendir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import picomatch from 'picomatch';
import { GroundworkError } from '../../../core/index.ts';
import type { FetchedItem, SidecarMetadata, Source, SourceChange, SourceCursor, SourceItem, SourceProblem } from '../source.ts';

/** Suffix of metadata sidecars: `report.pdf.meta.json` describes `report.pdf` and is never a document itself. */
export const sidecarSuffix = '.meta.json';

/** Settings of a filesystem source (stored as the source's `config`). */
export interface FilesystemSourceConfig {
  /** Absolute path of the root folder (a local folder, a mounted share, a DMS export). */
  readonly path: string;
  /** Picomatch globs relative to the root; empty = everything. */
  readonly include?: readonly string[];
  /** Picomatch globs relative to the root, applied after `include`. */
  readonly exclude?: readonly string[];
  /** Larger files fail to fetch with `ingest.too_large` (bytes). */
  readonly maxFileBytes: number;
}

/** Folders that are never content (VCS metadata, our own data directory). */
const alwaysSkippedDirs = new Set(['.git', '.svn', '.hg', '.groundwork', 'node_modules']);

/**
 * A folder as a source. Listings are full snapshots (not incremental): the sync compares `mtime:size`
 * versions with the store, so an unchanged file is never read. Symbolic links are not followed while listing
 * (each is reported with its own code, see `linkProblem`); reads go through realpath and never leave the root.
 */
export function createFilesystemSource(config: FilesystemSourceConfig): Source {
  const include = config.include && config.include.length > 0 ? picomatch([...config.include], { dot: true }) : undefined;
  const exclude = config.exclude && config.exclude.length > 0 ? picomatch([...config.exclude], { dot: true }) : undefined;
  let rootReal: Promise<string> | undefined;
  const root = () => {
    rootReal ??= realpath(config.path).catch((error: unknown) => {
      throw new GroundworkError('ingest.source_unavailable', `The source folder ${config.path} cannot be read.`, {
        category: 'unavailable',
        isRetryable: true,
        fix: 'Check that the folder exists and is mounted, and that Groundwork may read it; or change the source path.',
        cause: error,
      });
    });
    return rootReal;
  };

  const wanted = (ref: string) => (!include || include(ref)) && !exclude?.(ref);

  async function resolveInside(ref: string): Promise<string> {
    if (ref.split('/').some((part) => part === '..' || part === '') || ref.startsWith('/')) {
      throw notFound(ref);
    }
    const base = await root();
    const full = join(base, ...ref.split('/'));
    let real: string;
    try {
      real = await realpath(full);
    } catch (error) {
      throw notFound(ref, error);
    }
    if (!inside(base, real)) throw outsideRoot(ref);
    return real;
  }

  async function readSidecar(ref: string): Promise<SidecarMetadata | undefined> {
    const base = await root();
    const sidecarRef = `${ref}${sidecarSuffix}`;
    const path = join(base, ...sidecarRef.split('/'));
    let text: string;
    try {
      // Through realpath like the document itself: a sidecar linked to a file outside the root would put that
      // file's keys into metadata that every reader of the document sees.
      const real = await realpath(path);
      if (!inside(base, real)) throw outsideRoot(sidecarRef);
      const info = await stat(real);
      if (!info.isFile()) throw specialFile(sidecarRef, info.isDirectory() ? 'directory' : kindOfStats(info));
      text = await readFile(real, 'utf8');
    } catch (error) {
      if (error instanceof GroundworkError) throw error;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        // A dangling link is not "no sidecar": its principals may be what restricts the document.
        const link = await lstat(path).catch(() => undefined);
        if (link) throw symlinkBroken(sidecarRef);
        return undefined;
      }
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw symlinkLoop(sidecarRef);
      throw unreadable(sidecarRef, error);
    }
    try {
      const value: unknown = JSON.parse(text);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
      return value as SidecarMetadata;
    } catch (error) {
      throw new GroundworkError(
        'ingest.bad_sidecar',
        `${ref}${sidecarSuffix} is not a JSON object: ${(error as Error).message}.`,
        {
          category: 'usage',
          fix: 'Correct the sidecar (a JSON object with keys such as title, author, tags, principals, sensitivity) or remove it.',
        },
      );
    }
  }

  return {
    type: 'filesystem',
    capabilities: { incremental: false, renames: false, contentHash: false, permissions: false },

    async *listChanges(_cursor: SourceCursor | undefined, onProblem: (problem: SourceProblem) => void) {
      const listedAt = new Date().toISOString();
      const base = await root();
      const report = (ref: string, error: GroundworkError) =>
        onProblem({ ref, code: error.code, message: error.message, fix: error.fix });
      // Depth-first, sorted, one directory in memory at a time: listing a million files stays flat.
      const stack: string[] = [''];
      while (stack.length > 0) {
        const dirRef = stack.pop() as string;
        const dirPath = join(base, ...dirRef.split('/').filter(Boolean));
        const entries = await readDir(dirPath, dirRef, onProblem);
        const names = new Set(entries.map((entry) => entry.name));
        const subdirs: string[] = [];
        // Every entry ends up listed, reported as a problem, or skipped on purpose (a sidecar, an always-skipped
        // folder, the include/exclude globs). Nothing disappears silently.
        for (const entry of entries) {
          const ref = dirRef ? `${dirRef}/${entry.name}` : entry.name;
          const full = join(base, ...ref.split('/'));
          const kind = await entryKind(entry, full);
          if (kind === 'vanished') continue; // removed between readdir and lstat: the next sync sees it gone
          if (kind === 'directory') {
            if (!alwaysSkippedDirs.has(entry.name)) subdirs.push(ref);
            continue;
          }
          if (entry.name.endsWith(sidecarSuffix)) continue; // metadata of its document, never a document itself
          if (kind === 'symlink') {
            const problem = await linkProblem(base, dirPath, ref, full);
            if (problem && (problem.folder ? !exclude?.(ref) : wanted(ref))) report(ref, problem.error);
            continue;
          }
          if (!wanted(ref)) continue;
          if (kind !== 'file') {
            report(ref, specialFile(ref, kind));
            continue;
          }
          const info = await stat(full).catch(() => undefined);
          if (!info) continue; // vanished between readdir and stat: the next sync sees it gone
          let sidecarVersion: string | undefined;
          if (names.has(`${entry.name}${sidecarSuffix}`)) {
            const sidecarInfo = await lstat(`${full}${sidecarSuffix}`).catch(() => undefined);
            if (sidecarInfo) sidecarVersion = `${Math.trunc(sidecarInfo.mtimeMs)}:${sidecarInfo.size}`;
          }
          const item: SourceItem = {
            ref,
            version: `${Math.trunc(info.mtimeMs)}:${info.size}`,
            sizeBytes: info.size,
            modifiedAt: info.mtime,
            uri: pathToFileURL(full).href,
            ...(sidecarVersion ? { sidecarVersion } : {}),
          };
          yield { kind: 'upsert', item } satisfies SourceChange;
        }
        // Reverse so the stack pops subfolders in sorted order.
        for (const sub of subdirs.reverse()) stack.push(sub);
      }
      yield { kind: 'checkpoint', cursor: { listedAt } } satisfies SourceChange;
    },

    async fetch(ref: string): Promise<FetchedItem> {
      const path = await resolveInside(ref);
      const info = await stat(path).catch((error: unknown) => {
        throw notFound(ref, error);
      });
      if (!info.isFile()) throw specialFile(ref, info.isDirectory() ? 'directory' : kindOfStats(info));
      if (info.size > config.maxFileBytes) {
        throw new GroundworkError(
          'ingest.too_large',
          `${ref} is ${info.size} bytes, over the limit of ${config.maxFileBytes} bytes (ingest.maxFileBytes).`,
          {
            category: 'limit',
            fix: 'Split the file, exclude it from the source, or raise ingest.maxFileBytes in the configuration.',
            details: { bytes: info.size, maxFileBytes: config.maxFileBytes },
          },
        );
      }
      let bytes: Uint8Array;
      try {
        bytes = await readFile(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(ref, error);
        throw unreadable(ref, error);
      }
      const sidecar = await readSidecar(ref);
      return sidecar ? { bytes, sidecar } : { bytes };
    },

    fetchSidecar: readSidecar,
  };
}

/** What a directory entry is, from its dirent (lstat when the file system does not say). */
type EntryKind = 'file' | 'directory' | 'symlink' | SpecialKind | 'vanished';
type SpecialKind = 'fifo' | 'socket' | 'device' | 'other';

async function entryKind(entry: Dirent, full: string): Promise<EntryKind> {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'directory';
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isFIFO()) return 'fifo';
  if (entry.isSocket()) return 'socket';
  if (entry.isBlockDevice() || entry.isCharacterDevice()) return 'device';
  const info = await lstat(full).catch(() => undefined);
  if (!info) return 'vanished';
  if (info.isFile()) return 'file';
  if (info.isDirectory()) return 'directory';
  if (info.isSymbolicLink()) return 'symlink';
  return kindOfStats(info);
}

function kindOfStats(info: Stats): SpecialKind {
  if (info.isFIFO()) return 'fifo';
  if (info.isSocket()) return 'socket';
  if (info.isBlockDevice() || info.isCharacterDevice()) return 'device';
  return 'other';
}

function inside(base: string, real: string): boolean {
  return real === base || real.startsWith(base + sep);
}

/**
 * Why a symbolic link in the listing is not listed as a document. Links are never followed while listing:
 * a link out of the root crosses a security boundary; a link inside it would index the same file twice,
 * under a path whose ACL rules and exclude globs may differ from the target's (a link in `public/` to a file
 * in `hr/` must not make it public); a link to its own folder or above it loops. `folder` says whether the
 * target is a folder (exclude globs apply to it, include globs do not). Undefined: gone since readdir.
 */
async function linkProblem(
  base: string,
  dirPath: string,
  ref: string,
  full: string,
): Promise<{ error: GroundworkError; folder: boolean } | undefined> {
  let target: string;
  try {
    target = await realpath(full);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { error: symlinkLoop(ref), folder: false };
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const exists = await lstat(full).then(
        () => true,
        () => false,
      );
      return exists ? { error: symlinkBroken(ref), folder: false } : undefined;
    }
    return { error: unreadable(ref, error), folder: false };
  }
  const info = await stat(target).catch(() => undefined);
  const folder = Boolean(info?.isDirectory());
  if (!inside(base, target)) return { error: outsideRoot(ref), folder };
  // The link's own folder, or any folder above it: following it would list the same tree again, forever.
  if (folder && (target === dirPath || dirPath.startsWith(target + sep))) return { error: symlinkLoop(ref), folder };
  return { error: symlinkInsideRoot(ref, refOf(base, target) || '.', folder), folder };
}

async function readDir(path: string, dirRef: string, onProblem: (problem: SourceProblem) => void): Promise<Dirent[]> {
  const entries: Dirent[] = [];
  try {
    const dir = await opendir(path);
    for await (const entry of dir) entries.push(entry);
  } catch (error) {
    if (dirRef === '') throw error;
    const problem = unreadable(dirRef, error);
    onProblem({ ref: dirRef, code: problem.code, message: problem.message, fix: problem.fix });
    return [];
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function notFound(ref: string, cause?: unknown): GroundworkError {
  return new GroundworkError('ingest.not_found', `${ref} no longer exists in the source.`, {
    category: 'not_found',
    fix: 'Nothing to do: it was removed or renamed while the sync ran; the next sync picks up the change.',
    cause,
  });
}

function unreadable(ref: string, cause: unknown): GroundworkError {
  const reason = (cause as NodeJS.ErrnoException)?.code ?? (cause as Error)?.message ?? 'unknown error';
  return new GroundworkError('ingest.unreadable', `${ref} cannot be read (${reason}).`, {
    category: 'unavailable',
    isRetryable: true,
    fix: 'Give the Groundwork process read permission on the file (or exclude it), then run `groundwork quarantine retry`.',
    cause,
  });
}

function outsideRoot(ref: string): GroundworkError {
  return new GroundworkError(
    'ingest.symlink_outside_root',
    `${ref} is a symbolic link that points outside the source folder; it is never read.`,
    {
      category: 'forbidden',
      fix: 'Links out of the source root are never followed. Copy the target into the source, or add its folder as its own source; or exclude the link.',
    },
  );
}

function symlinkLoop(ref: string): GroundworkError {
  return new GroundworkError(
    'ingest.symlink_loop',
    `${ref} is a symbolic link that loops (it points to itself, to its own folder or to a folder above it, or links form a circle); it is not followed.`,
    {
      category: 'usage',
      fix: 'Nothing under it is missing: its target is indexed where it really is. Remove the link, or exclude it from the source (--exclude).',
    },
  );
}

function symlinkBroken(ref: string): GroundworkError {
  return new GroundworkError('ingest.symlink_broken', `${ref} is a symbolic link whose target does not exist.`, {
    category: 'not_found',
    fix: 'Restore the target or remove the link (or exclude it from the source); the next sync picks up the change.',
  });
}

function symlinkInsideRoot(ref: string, targetRef: string, folder: boolean): GroundworkError {
  const what = folder ? 'folder' : 'file';
  return new GroundworkError(
    'ingest.symlink_inside_root',
    `${ref} is a symbolic link to the ${what} ${targetRef} in the same source; links are not followed, so its content is indexed once, under ${targetRef}, with the permissions of that path.`,
    {
      category: 'usage',
      fix: `Nothing is missing if ${targetRef} is included in the source. Exclude the link (--exclude '${ref}') to silence this, or replace it with a copy if the content must also be readable under ${ref}'s permissions.`,
    },
  );
}

const specialNames: Readonly<Record<SpecialKind | 'directory', string>> = {
  fifo: 'a named pipe (FIFO)',
  socket: 'a socket',
  device: 'a device file',
  other: 'an entry of an unknown kind',
  directory: 'a folder',
};

function specialFile(ref: string, kind: SpecialKind | 'directory'): GroundworkError {
  return new GroundworkError(
    'ingest.not_a_file',
    `${ref} is ${specialNames[kind]}, not a regular file; it is never read (reading a pipe or a device can block forever).`,
    {
      category: 'usage',
      fix: 'Move it out of the source folder, or exclude it from the source (--exclude).',
    },
  );
}

/** Relative `/`-separated path of `path` under `root` (for tests and the CLI). */
export function refOf(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}
