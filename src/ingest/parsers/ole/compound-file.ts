import type { CFB$Container } from 'cfb';
import { corruptError } from '../parse-errors.ts';

/** The 8 magic bytes of an OLE2 compound file (legacy Office, Outlook .msg, password-protected OOXML). */
export const oleMagic = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1] as const;

export function isOleCompoundFile(bytes: Uint8Array): boolean {
  return oleMagic.every((byte, index) => bytes[index] === byte);
}

const endOfChain = 0xfffffffe;
/** Directory sectors read at most while sniffing (each holds 4 or 32 entries; real files have a handful). */
const maxDirectorySectors = 64;

/**
 * Names of the entries of a compound file's directory, read from its header, FAT and directory sectors
 * only (no stream is read), for type detection: `WordDocument`, `Workbook`, `PowerPoint Document`,
 * `__properties_version1.0`, `EncryptedPackage`. Undefined when the header or directory cannot be read.
 * Bounded: a FAT chain that loops or leaves the file stops the walk.
 */
export function oleEntryNames(bytes: Uint8Array): string[] | undefined {
  if (!isOleCompoundFile(bytes) || bytes.length < 512) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sectorShift = view.getUint16(0x1e, true);
  if (sectorShift !== 9 && sectorShift !== 12) return undefined;
  const sectorSize = 1 << sectorShift;
  const sectorOffset = (sector: number) => (sector + 1) * sectorSize;
  // The first 109 FAT sectors are listed in the header: enough for files up to ~6.8 MB (512-byte sectors);
  // for larger files the directory is usually near the start and still found through them.
  const fatSectors: number[] = [];
  for (let index = 0; index < 109; index++) {
    const sector = view.getUint32(0x4c + index * 4, true);
    if (sector >= 0xfffffffa) break;
    fatSectors.push(sector);
  }
  const entriesPerFatSector = sectorSize / 4;
  const next = (sector: number): number | undefined => {
    const fatSector = fatSectors[Math.floor(sector / entriesPerFatSector)];
    if (fatSector === undefined) return undefined;
    const at = sectorOffset(fatSector) + (sector % entriesPerFatSector) * 4;
    return at + 4 <= bytes.length ? view.getUint32(at, true) : undefined;
  };
  const names: string[] = [];
  const seen = new Set<number>();
  let sector: number | undefined = view.getUint32(0x30, true);
  while (sector !== undefined && sector !== endOfChain && !seen.has(sector) && seen.size < maxDirectorySectors) {
    seen.add(sector);
    const start = sectorOffset(sector);
    if (start + sectorSize > bytes.length) break;
    for (let entry = start; entry < start + sectorSize; entry += 128) {
      const nameBytes = view.getUint16(entry + 0x40, true);
      const type = bytes[entry + 0x42];
      if (nameBytes < 2 || nameBytes > 64 || type === 0) continue;
      let name = '';
      for (let offset = 0; offset < nameBytes - 2; offset += 2) name += String.fromCharCode(view.getUint16(entry + offset, true));
      names.push(name);
    }
    sector = next(sector);
  }
  return names.length > 0 ? names : undefined;
}

/** The kind of a compound file from its entry names; undefined when the names say nothing we know. */
export function oleKind(names: readonly string[]): 'doc' | 'xls' | 'ppt' | 'msg' | 'encrypted-ooxml' | undefined {
  const has = (name: string) => names.includes(name);
  if (has('EncryptedPackage') || has('EncryptionInfo')) return 'encrypted-ooxml';
  if (has('__properties_version1.0') || names.some((name) => name.startsWith('__substg1.0_'))) return 'msg';
  if (has('WordDocument')) return 'doc';
  if (has('Workbook') || has('Book')) return 'xls';
  if (has('PowerPoint Document')) return 'ppt';
  return undefined;
}

/** A compound file read with `cfb`; its streams looked up by name (case-insensitive, any storage). */
export interface CompoundFile {
  /** The content of the stream at `path` (e.g. `WordDocument`, `__attach_version1.0_#00000000/__substg1.0_3701000D`). */
  stream(path: string): Uint8Array | undefined;
  readonly paths: readonly string[];
}

/** Reads a compound file (lazily loading `cfb`); damaged containers fail with `parse.corrupt`. */
export async function readCompoundFile(bytes: Uint8Array, fileName: string, what: string): Promise<CompoundFile> {
  const { read } = await import('cfb');
  let container: CFB$Container;
  try {
    container = read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { type: 'buffer' });
  } catch (error) {
    throw corruptError(fileName, what, error);
  }
  const byPath = new Map<string, Uint8Array>();
  const root = container.FullPaths[0] ?? '';
  container.FullPaths.forEach((fullPath, index) => {
    const entry = container.FileIndex[index];
    if (entry?.type !== 2) return;
    const relative = fullPath.startsWith(root) ? fullPath.slice(root.length) : fullPath;
    const content = entry.content;
    byPath.set(relative.toLowerCase(), content instanceof Uint8Array ? content : new Uint8Array(content ?? []));
  });
  return {
    stream: (path) => byPath.get(path.toLowerCase()),
    paths: [...byPath.keys()],
  };
}

const summaryProperties: Readonly<Record<number, string>> = {
  2: 'title',
  3: 'subject',
  4: 'author',
  5: 'keywords',
  6: 'comments',
  8: 'lastModifiedBy',
  12: 'created',
  13: 'modified',
};

/**
 * Title, subject, author, keywords, comments, last author and dates from the `\u0005SummaryInformation`
 * property set that Word, Excel and PowerPoint write into every legacy file. Anything unreadable is left out.
 */
export function summaryInformation(file: CompoundFile): Record<string, string> {
  const stream = file.stream('\u0005SummaryInformation');
  const result: Record<string, string> = {};
  if (!stream || stream.length < 48) return result;
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const section = view.getUint32(44, true);
  if (section + 8 > stream.length) return result;
  const count = Math.min(view.getUint32(section + 4, true), 64);
  let codePage = 1252;
  const entries: [number, number][] = [];
  for (let index = 0; index < count; index++) {
    const at = section + 8 + index * 8;
    if (at + 8 > stream.length) break;
    entries.push([view.getUint32(at, true), section + view.getUint32(at + 4, true)]);
  }
  for (const [id, offset] of entries) if (id === 1 && offset + 6 <= stream.length) codePage = view.getUint16(offset + 4, true);
  for (const [id, offset] of entries) {
    const name = summaryProperties[id];
    if (!name || offset + 8 > stream.length) continue;
    const type = view.getUint32(offset, true) & 0xffff;
    if (type === 0x1e) {
      const size = view.getUint32(offset + 4, true);
      if (offset + 8 + size > stream.length) continue;
      const bytes = Buffer.from(stream.subarray(offset + 8, offset + 8 + size));
      const text = (
        codePage === 1200 ? bytes.toString('utf16le') : codePage === 65001 ? bytes.toString('utf8') : bytes.toString('latin1')
      )
        .replace(/\0+$/u, '')
        .trim();
      if (text) result[name] = text;
    } else if (type === 0x40 && offset + 12 <= stream.length) {
      const fileTime = view.getBigUint64(offset + 4, true);
      const ms = Number(fileTime / 10_000n) - 11_644_473_600_000;
      // Edit-time counters and unset dates come out before 1980; they are not dates.
      if (ms > Date.UTC(1980, 0, 1) && ms < Date.UTC(2200, 0, 1)) result[name] = new Date(ms).toISOString();
    }
  }
  return result;
}
