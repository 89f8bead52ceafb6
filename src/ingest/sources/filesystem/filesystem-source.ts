import type { Dirent } from 'node:fs';
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
 * versions with the store, so an unchanged file is never read. Symlinks are followed only when their
 * target stays inside the root (checked with realpath).
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
    if (real !== base && !real.startsWith(base + sep)) throw outsideRoot(ref);
    return real;
  }

  async function readSidecar(ref: string): Promise<SidecarMetadata | undefined> {
    const base = await root();
    const path = join(base, ...`${ref}${sidecarSuffix}`.split('/'));
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw unreadable(`${ref}${sidecarSuffix}`, error);
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
      // Depth-first, sorted, one directory in memory at a time: listing a million files stays flat.
      const stack: string[] = [''];
      while (stack.length > 0) {
        const dirRef = stack.pop() as string;
        const entries = await readDir(join(base, ...dirRef.split('/').filter(Boolean)), dirRef, onProblem);
        const names = new Set(entries.map((entry) => entry.name));
        const subdirs: string[] = [];
        for (const entry of entries) {
          const ref = dirRef ? `${dirRef}/${entry.name}` : entry.name;
          const full = join(base, ...ref.split('/'));
          let isDir = entry.isDirectory();
          let isFile = entry.isFile();
          if (entry.isSymbolicLink()) {
            const target = await realpath(full).catch(() => undefined);
            if (!target || (target !== base && !target.startsWith(base + sep))) {
              if (wanted(ref)) onProblem({ ref, code: 'ingest.symlink_outside_root', message: outsideRoot(ref).message });
              continue;
            }
            const info = await stat(target).catch(() => undefined);
            isDir = Boolean(info?.isDirectory());
            isFile = Boolean(info?.isFile());
            // A link to a folder inside the root would list the same files twice (or loop): skip it.
            if (isDir) continue;
          }
          if (isDir) {
            if (!alwaysSkippedDirs.has(entry.name)) subdirs.push(ref);
            continue;
          }
          if (!isFile || entry.name.endsWith(sidecarSuffix) || !wanted(ref)) continue;
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
      if (info.size > config.maxFileBytes) {
        throw new GroundworkError(
          'ingest.too_large',
          `${ref} is ${info.size} bytes, over the limit of ${config.maxFileBytes} bytes (ingest.maxFileBytes).`,
          {
            category: 'limit',
            fix: 'Split the file, exclude it from the source, or raise ingest.maxFileBytes in the configuration.',
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

async function readDir(path: string, dirRef: string, onProblem: (problem: SourceProblem) => void): Promise<Dirent[]> {
  const entries: Dirent[] = [];
  try {
    const dir = await opendir(path);
    for await (const entry of dir) entries.push(entry);
  } catch (error) {
    if (dirRef === '') throw error;
    onProblem({ ref: dirRef, code: 'ingest.unreadable', message: unreadable(dirRef, error).message });
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
  return new GroundworkError('ingest.symlink_outside_root', `${ref} is a symbolic link that points outside the source folder.`, {
    category: 'forbidden',
    fix: 'Links are only followed inside the source root. Copy the target into the source, or add its folder as its own source.',
  });
}

/** Relative `/`-separated path of `path` under `root` (for tests and the CLI). */
export function refOf(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}
