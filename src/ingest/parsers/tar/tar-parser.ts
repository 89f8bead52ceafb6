import { createGunzip } from 'node:zlib';
import { isTarHeader } from '../detect-media-type.ts';
import { abortedError, corruptError, throwIfAborted, zipBombError } from '../parse-errors.ts';
import { buildDocument, extensionOf, titleFromFileName, withoutControlCharacters } from '../parsed-document.ts';
import type { ChildDocument, ParsedDocument, ParseInput, Parser, ParseWarning } from '../parser.ts';
import { safeMemberPath } from '../zip/zip-parser.ts';
import { type TarEntry, TarFormatError, TarReader } from './tar-reader.ts';

/** Members above this size must also respect the compression-ratio limit (tiny files compress absurdly well). */
const ratioCheckedAboveBytes = 1024 * 1024;
/** Compressed bytes handed to gunzip at a time: the granularity at which limits are checked. */
const inflateChunkBytes = 64 * 1024;

/** Thrown from inside the streaming callbacks to stop inflating; carries the GroundworkError to report. */
class Stop extends Error {
  readonly error: Error;
  constructor(error: Error) {
    super(error.message);
    this.error = error;
  }
}

interface Collector {
  push(chunk: Uint8Array, compressedSoFar: number): void;
  finish(): void;
}

/**
 * Tar archives, plain or gzip-compressed (`.tar`, `.tar.gz`, `.tgz`), and single gzip-compressed files
 * (`report.pdf.gz`): members become `children` with their paths, like ZIP members, under the same
 * `ingest.zip` limits. Everything is streamed: the gzip stream is inflated 64 KiB of input at a time and
 * the limits are checked as the bytes come out — entry count, total uncompressed size (declared sizes are
 * checked from each header before its data arrives), the compression ratio of the whole archive and of
 * each member over 1 MiB, and the nesting depth — so a gzip bomb fails with `parse.zip_bomb` after at most
 * `maxRatio` × its compressed size of output, which is discarded. Only regular files are kept; directories
 * are skipped silently, links, devices and pipes with a `zip.member_skipped` warning (a link's target is
 * never followed). Paths are made safe like ZIP's (`..`, leading `/` removed).
 */
export const tarParser: Parser = {
  name: 'tar',
  mediaTypes: [
    'application/x-tar',
    'application/gzip',
    'application/x-gzip',
    'application/x-gtar',
    'application/x-compressed-tar',
  ],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    const { limits, fileName, signal } = input;
    const depth = input.depth ?? 0;
    if (depth > limits.zip.maxDepth) {
      throw zipBombError(
        fileName,
        `archives are nested ${depth} levels deep (limit ingest.zip.maxDepth = ${limits.zip.maxDepth})`,
      );
    }
    const gzipped = input.bytes[0] === 0x1f && input.bytes[1] === 0x8b;
    const warnings: ParseWarning[] = [];
    const children: ChildDocument[] = [];
    let kind: 'tar' | 'gzip' = 'tar';
    let entries = 0;
    let collector: Collector | undefined;
    const chooseCollector = (head: Uint8Array): Collector => {
      if (!gzipped || isTarHeader(head)) {
        const tar = tarCollector(input, warnings, children);
        return {
          push: tar.push,
          finish: () => {
            tar.finish();
            entries = tar.entries();
          },
        };
      }
      kind = 'gzip';
      entries = 1;
      return singleFileCollector(input, gzipNameOf(input.bytes, fileName), warnings, children);
    };
    try {
      if (gzipped) {
        let head = new Uint8Array(0);
        // Output is held back until 512 bytes tell whether the gzip stream holds a tar archive or one file.
        await gunzipStreaming(
          input.bytes,
          fileName,
          (chunk, compressedSoFar) => {
            if (collector) return collector.push(chunk, compressedSoFar);
            const joined = new Uint8Array(head.length + chunk.length);
            joined.set(head);
            joined.set(chunk, head.length);
            head = joined;
            if (head.length < 512) return;
            collector = chooseCollector(head);
            collector.push(head, compressedSoFar);
          },
          signal,
          limits.zip,
        );
        if (!collector) {
          collector = chooseCollector(head);
          collector.push(head, input.bytes.length);
        }
      } else {
        collector = chooseCollector(input.bytes);
        collector.push(input.bytes, input.bytes.length);
      }
      collector.finish();
    } catch (error) {
      if (error instanceof Stop) throw error.error;
      if (error instanceof TarFormatError) throw corruptError(fileName, 'tar archive', error);
      throw error;
    }
    throwIfAborted(signal, fileName);
    return buildDocument({
      // `claims.2026.tar.gz` → `claims.2026` (titleFromFileName strips one extension: give it a dummy one).
      title: titleFromFileName(fileName.replace(/\.(tar\.gz|tgz|tar|gz)$/i, '.x')),
      mediaType: gzipped ? 'application/gzip' : 'application/x-tar',
      sections: [],
      metadata: {
        format: gzipped ? (kind === 'tar' ? 'tar+gzip' : 'gzip') : 'tar',
        entries,
        members: children.map((child) => child.path),
      },
      warnings,
      children,
    });
  },
};

/** The original file name a gzip header records (FNAME), else the archive's name without `.gz`. */
function gzipNameOf(bytes: Uint8Array, fileName: string): string {
  const flags = bytes[3] ?? 0;
  let at = 10;
  if (flags & 0x04) at += 2 + ((bytes[10] ?? 0) | ((bytes[11] ?? 0) << 8));
  if (flags & 0x08) {
    const end = bytes.indexOf(0, at);
    if (end > at && end - at < 1024) {
      const stored = safeMemberPath(new TextDecoder('latin1').decode(bytes.subarray(at, end)))
        ?.split('/')
        .pop();
      if (stored) return stored;
    }
  }
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const stem = extensionOf(base) === 'gz' ? base.slice(0, -3) : extensionOf(base) === 'tgz' ? `${base.slice(0, -4)}.tar` : base;
  return withoutControlCharacters(stem) || 'content';
}

/**
 * Inflates a gzip stream (all its members) 64 KiB of input at a time, handing each output chunk to
 * `deliver` with the compressed bytes consumed so far. Fails with `parse.zip_bomb` as soon as the output
 * exceeds `maxTotalBytes` or, past 1 MiB, `maxRatio` times the whole input; `parse.corrupt` on bad data.
 */
async function gunzipStreaming(
  bytes: Uint8Array,
  fileName: string,
  deliver: (chunk: Uint8Array, compressedSoFar: number) => void,
  signal: AbortSignal | undefined,
  { maxRatio, maxTotalBytes }: { readonly maxRatio: number; readonly maxTotalBytes: number },
): Promise<void> {
  const gunzip = createGunzip({ chunkSize: inflateChunkBytes });
  let written = 0;
  let produced = 0;
  let failure: unknown;
  const done = new Promise<void>((resolve, reject) => {
    gunzip.on('data', (chunk: Buffer) => {
      if (failure) return;
      produced += chunk.length;
      try {
        if (produced > maxTotalBytes) {
          throw new Stop(
            zipBombError(
              fileName,
              `more than ${maxTotalBytes} uncompressed bytes (limit ingest.zip.maxTotalBytes = ${maxTotalBytes})`,
            ),
          );
        }
        if (produced > ratioCheckedAboveBytes && produced / bytes.length > maxRatio) {
          throw new Stop(
            zipBombError(
              fileName,
              `compression ratio over ${Math.floor(produced / bytes.length)}:1 and growing (limit ingest.zip.maxRatio = ${maxRatio})`,
            ),
          );
        }
        if (signal?.aborted) throw new Stop(abortedError(fileName));
        deliver(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), Math.min(written, bytes.length));
      } catch (error) {
        failure = error;
        gunzip.destroy();
        reject(error);
      }
    });
    gunzip.on('error', (error) => {
      if (failure) return;
      failure = error;
      reject(error instanceof Stop ? error : new Stop(corruptError(fileName, 'gzip file', error)));
    });
    gunzip.on('end', () => resolve());
    gunzip.on('close', () => {
      if (!failure) resolve();
    });
  });
  done.catch(() => {});
  for (let at = 0; at < bytes.length && !failure; at += inflateChunkBytes) {
    const piece = Buffer.from(bytes.buffer, bytes.byteOffset + at, Math.min(inflateChunkBytes, bytes.length - at));
    written += piece.length;
    if (!gunzip.write(piece))
      await new Promise<void>((resolve) => {
        const settle = () => {
          gunzip.off('drain', settle);
          gunzip.off('close', settle);
          resolve();
        };
        gunzip.once('drain', settle);
        gunzip.once('close', settle);
      });
  }
  if (!failure) gunzip.end();
  await done;
}

/** Collects the regular files of a tar stream as children, enforcing the entry, size and ratio limits. */
function tarCollector(
  input: ParseInput,
  warnings: ParseWarning[],
  children: ChildDocument[],
): { push: Collector['push']; finish: () => void; entries: () => number } {
  const { limits, fileName } = input;
  const usedPaths = new Set<string>();
  let declaredTotal = 0;
  let current:
    | { entry: TarEntry; path: string | undefined; parts: Uint8Array[] | undefined; compressedAtStart: number }
    | undefined;
  let compressed = 0;
  const reader = new TarReader({
    onEntry(entry) {
      if (reader.entries > limits.zip.maxEntries) {
        throw new Stop(zipBombError(fileName, `more than ${limits.zip.maxEntries} entries (limit ingest.zip.maxEntries)`));
      }
      declaredTotal += entry.size;
      if (declaredTotal > limits.zip.maxTotalBytes) {
        throw new Stop(
          zipBombError(
            fileName,
            `${declaredTotal} uncompressed bytes declared (limit ingest.zip.maxTotalBytes = ${limits.zip.maxTotalBytes})`,
          ),
        );
      }
      const path = safeMemberPath(entry.name);
      let keep = entry.kind === 'file' && path !== undefined;
      if (path && entry.kind !== 'file' && entry.kind !== 'directory') {
        warnings.push({
          code: 'zip.member_skipped',
          message: `${path}: a ${entry.kind === 'other' ? `type ${entry.typeFlag || '?'} entry` : entry.kind} is not a regular file; skipped${entry.kind.endsWith('link') ? ' (links are never followed)' : ''}.`,
        });
      }
      if (keep && path && (path.startsWith('__MACOSX/') || path.split('/').pop()?.startsWith('._'))) keep = false;
      if (keep && path && entry.size > limits.maxBytes) {
        warnings.push({
          code: 'zip.member_skipped',
          message: `${path}: ${entry.size} bytes exceeds ingest.maxFileBytes; skipped.`,
        });
        keep = false;
      }
      if (keep && path && usedPaths.has(path)) keep = false;
      if (keep && path) usedPaths.add(path);
      current = { entry, path, parts: keep ? [] : undefined, compressedAtStart: compressed };
    },
    onData(chunk) {
      current?.parts?.push(chunk.slice());
    },
    onEntryEnd() {
      const member = current;
      current = undefined;
      if (!member) return;
      const consumed = Math.max(1, compressed - member.compressedAtStart);
      if (member.entry.size > ratioCheckedAboveBytes && member.entry.size / consumed > limits.zip.maxRatio) {
        throw new Stop(
          zipBombError(
            fileName,
            `member ${member.path ?? member.entry.name} has compression ratio ${Math.round(member.entry.size / consumed)}:1 (limit ingest.zip.maxRatio = ${limits.zip.maxRatio})`,
          ),
        );
      }
      if (!member.parts || !member.path) return;
      const bytes = new Uint8Array(member.entry.size);
      let offset = 0;
      for (const part of member.parts) {
        bytes.set(part, offset);
        offset += part.length;
      }
      children.push({ name: member.path.split('/').pop() ?? member.path, path: member.path, bytes });
    },
  });
  return {
    push(chunk, compressedSoFar) {
      compressed = compressedSoFar;
      reader.push(chunk);
    },
    finish() {
      if (reader.midEntry) throw new TarFormatError('the archive ends in the middle of an entry (truncated)');
      if (reader.entries === 0) throw new TarFormatError('no tar header found');
    },
    entries: () => reader.entries,
  };
}

/** The content of a gzip file that is not a tar archive, as its one child (skipped when over maxBytes). */
function singleFileCollector(input: ParseInput, name: string, warnings: ParseWarning[], children: ChildDocument[]): Collector {
  const parts: Uint8Array[] = [];
  let size = 0;
  let skipped = false;
  return {
    push(chunk) {
      size += chunk.length;
      if (size > input.limits.maxBytes) {
        if (!skipped)
          warnings.push({ code: 'zip.member_skipped', message: `${name}: over ingest.maxFileBytes uncompressed; skipped.` });
        skipped = true;
        parts.length = 0;
        return;
      }
      parts.push(chunk.slice());
    },
    finish() {
      if (skipped) return;
      const bytes = new Uint8Array(size);
      let offset = 0;
      for (const part of parts) {
        bytes.set(part, offset);
        offset += part.length;
      }
      children.push({ name, path: name, bytes });
    },
  };
}
