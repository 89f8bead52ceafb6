import { unzipSync } from 'fflate';
import { corruptError, encryptedError, throwIfAborted, zipBombError } from '../parse-errors.ts';
import { buildDocument, titleFromFileName, withoutControlCharacters } from '../parsed-document.ts';
import type { ChildDocument, ParsedDocument, ParseInput, Parser, ParseWarning } from '../parser.ts';

interface Entry {
  readonly name: string;
  readonly compressed: number;
  readonly uncompressed: number;
  readonly method: number;
}

/** Members above this size must also respect the compression-ratio limit (tiny files compress absurdly well). */
const ratioCheckedAboveBytes = 1024 * 1024;

/**
 * A member path made safe: backslashes become slashes, leading slashes, drive letters, `.` and `..`
 * segments are removed (so `../../etc/passwd` becomes `etc/passwd`). Undefined for directories and empty names.
 */
export function safeMemberPath(name: string): string | undefined {
  if (name.endsWith('/') || name.endsWith('\\')) return undefined;
  const segments = name
    .replace(/\\/g, '/')
    .replace(/^[A-Za-z]:/, '')
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.' && segment !== '..')
    .map(withoutControlCharacters);
  return segments.length > 0 ? segments.join('/') : undefined;
}

/** True when the ZIP's central directory marks an entry as encrypted (general purpose flag bit 0). */
function hasEncryptedEntries(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = bytes.length - 22;
  while (offset >= 0 && view.getUint32(offset, true) !== 0x06054b50) offset--;
  if (offset < 0) return false;
  const count = view.getUint16(offset + 10, true);
  let entry = view.getUint32(offset + 16, true);
  for (let i = 0; i < count && entry + 46 <= bytes.length; i++) {
    if (view.getUint32(entry, true) !== 0x02014b50) return false;
    if ((view.getUint16(entry + 8, true) & 1) === 1) return true;
    entry += 46 + view.getUint16(entry + 28, true) + view.getUint16(entry + 30, true) + view.getUint16(entry + 32, true);
  }
  return false;
}

/**
 * ZIP archives, in memory (nothing is written to disk): members become `children` with their paths inside
 * the archive. Before anything is inflated the central directory is checked against the limits — entry
 * count, total uncompressed size, compression ratio (archive-wide and per large member), nesting depth — and
 * an archive over any of them fails with `parse.zip_bomb`. Declared sizes cannot be exceeded while inflating
 * (the output buffer is allocated from them). Directories are skipped; `..` paths are neutralised.
 * Members larger than `limits.maxBytes` are skipped with a warning.
 */
export const zipParser: Parser = {
  name: 'zip',
  mediaTypes: ['application/zip', 'application/x-zip-compressed'],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    const { limits, fileName } = input;
    const depth = input.depth ?? 0;
    if (depth > limits.zip.maxDepth) {
      throw zipBombError(
        fileName,
        `archives are nested ${depth} levels deep (limit ingest.zip.maxDepth = ${limits.zip.maxDepth})`,
      );
    }
    const entries: Entry[] = [];
    try {
      unzipSync(input.bytes, {
        filter(file) {
          entries.push({ name: file.name, compressed: file.size, uncompressed: file.originalSize, method: file.compression });
          if (entries.length > limits.zip.maxEntries) {
            throw zipBombError(fileName, `more than ${limits.zip.maxEntries} entries (limit ingest.zip.maxEntries)`);
          }
          return false;
        },
      });
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'parse.zip_bomb') throw error;
      throw corruptError(fileName, 'ZIP archive', error);
    }
    if (hasEncryptedEntries(input.bytes)) throw encryptedError(fileName, 'ZIP archive');
    const totalUncompressed = entries.reduce((sum, entry) => sum + entry.uncompressed, 0);
    const totalCompressed = entries.reduce((sum, entry) => sum + entry.compressed, 0);
    if (totalUncompressed > limits.zip.maxTotalBytes) {
      throw zipBombError(
        fileName,
        `${totalUncompressed} uncompressed bytes (limit ingest.zip.maxTotalBytes = ${limits.zip.maxTotalBytes})`,
      );
    }
    if (totalUncompressed > ratioCheckedAboveBytes && totalUncompressed / Math.max(1, totalCompressed) > limits.zip.maxRatio) {
      throw zipBombError(
        fileName,
        `compression ratio ${Math.round(totalUncompressed / Math.max(1, totalCompressed))}:1 (limit ingest.zip.maxRatio = ${limits.zip.maxRatio})`,
      );
    }
    for (const entry of entries) {
      if (
        entry.uncompressed > ratioCheckedAboveBytes &&
        entry.uncompressed / Math.max(1, entry.compressed) > limits.zip.maxRatio
      ) {
        throw zipBombError(
          fileName,
          `member ${entry.name} has compression ratio ${Math.round(entry.uncompressed / Math.max(1, entry.compressed))}:1 (limit ingest.zip.maxRatio = ${limits.zip.maxRatio})`,
        );
      }
    }
    const warnings: ParseWarning[] = [];
    const wanted = new Map<string, string>();
    const usedPaths = new Set<string>();
    for (const entry of entries) {
      const path = safeMemberPath(entry.name);
      if (!path || path.startsWith('__MACOSX/') || path.split('/').pop()?.startsWith('._')) continue;
      if (entry.uncompressed > limits.maxBytes) {
        warnings.push({
          code: 'zip.member_skipped',
          message: `${path}: ${entry.uncompressed} bytes exceeds ingest.maxFileBytes; skipped.`,
        });
        continue;
      }
      if (entry.method !== 0 && entry.method !== 8) {
        warnings.push({
          code: 'zip.member_skipped',
          message: `${path}: compression method ${entry.method} is not supported; skipped.`,
        });
        continue;
      }
      if (usedPaths.has(path)) continue;
      usedPaths.add(path);
      wanted.set(entry.name, path);
    }
    throwIfAborted(input.signal, fileName);
    let files: Record<string, Uint8Array>;
    try {
      files = unzipSync(input.bytes, { filter: (file) => wanted.has(file.name) });
    } catch (error) {
      throw corruptError(fileName, 'ZIP archive', error);
    }
    const children: ChildDocument[] = [];
    for (const [name, path] of wanted) {
      const bytes = files[name];
      if (!bytes) continue;
      children.push({ name: path.split('/').pop() ?? path, path, bytes });
    }
    return buildDocument({
      title: titleFromFileName(fileName),
      mediaType: 'application/zip',
      sections: [],
      metadata: { entries: entries.length, members: children.map((child) => child.path) },
      warnings,
      children,
    });
  },
};
