/**
 * An incremental reader of tar archives (POSIX ustar, pax extended headers, GNU long names): bytes are
 * pushed in as they arrive (from a gunzip stream, say) and entries come out through callbacks, so nothing
 * larger than one 512-byte header plus the caller's chunk is buffered here. Member data is handed to
 * `onData` as it streams past; the caller decides what to keep.
 */

/** One archive entry, as its header (and any pax / GNU long-name header before it) describes it. */
export interface TarEntry {
  /** The path as stored (not yet made safe). */
  readonly name: string;
  /** Declared size in bytes of the data that follows the header. */
  readonly size: number;
  /** `file`, `directory`, `symlink`, `hardlink`, `device`, `fifo`, or `other` (type flag in `typeFlag`). */
  readonly kind: 'file' | 'directory' | 'symlink' | 'hardlink' | 'device' | 'fifo' | 'other';
  readonly typeFlag: string;
}

export interface TarReaderEvents {
  /** A new entry starts; its data (if any) follows through `onData`, then `onEntryEnd`. */
  onEntry(entry: TarEntry): void;
  onData(chunk: Uint8Array): void;
  onEntryEnd(): void;
}

/** A header that is not a tar header, or a size field that cannot be read. */
export class TarFormatError extends Error {}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');
/** Meta entries (pax, GNU long names) larger than this are refused: real ones are a few hundred bytes. */
const maxMetaBytes = 1024 * 1024;

function field(header: Uint8Array, offset: number, length: number): string {
  const bytes = header.subarray(offset, offset + length);
  const end = bytes.indexOf(0);
  return latin1.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function textField(header: Uint8Array, offset: number, length: number): string {
  const bytes = header.subarray(offset, offset + length);
  const end = bytes.indexOf(0);
  return utf8.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** An octal number field, or a base-256 one (high bit set, GNU/star for sizes of 8 GiB and more). */
function numberField(header: Uint8Array, offset: number, length: number): number {
  if (((header[offset] ?? 0) & 0x80) !== 0) {
    let value = (header[offset] ?? 0) & 0x7f;
    for (let index = 1; index < length; index++) value = value * 256 + (header[offset + index] ?? 0);
    return value;
  }
  const text = field(header, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`bad number field "${text}"`);
  return Number.parseInt(text, 8);
}

function checksumMatches(header: Uint8Array): boolean {
  const stored = numberField(header, 148, 8);
  let unsigned = 0;
  for (let index = 0; index < 512; index++) unsigned += index >= 148 && index < 156 ? 0x20 : (header[index] ?? 0);
  return unsigned === stored;
}

function kindOf(typeFlag: string): TarEntry['kind'] {
  if (typeFlag === '0' || typeFlag === '' || typeFlag === '7') return 'file';
  if (typeFlag === '5') return 'directory';
  if (typeFlag === '2') return 'symlink';
  if (typeFlag === '1') return 'hardlink';
  if (typeFlag === '3' || typeFlag === '4') return 'device';
  if (typeFlag === '6') return 'fifo';
  return 'other';
}

/** Pax records: `<length> <key>=<value>\n`. */
function paxRecords(data: Uint8Array): Map<string, string> {
  const records = new Map<string, string>();
  const text = utf8.decode(data);
  let at = 0;
  while (at < text.length) {
    const space = text.indexOf(' ', at);
    if (space < 0) break;
    const length = Number.parseInt(text.slice(at, space), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = text.slice(space + 1, at + length - 1);
    const equals = record.indexOf('=');
    if (equals > 0) records.set(record.slice(0, equals), record.slice(equals + 1));
    at += length;
  }
  return records;
}

type State =
  | { readonly type: 'header' }
  | { type: 'data'; remaining: number; padding: number }
  | { type: 'meta'; kind: 'pax' | 'gnu-name' | 'ignored'; remaining: number; padding: number; parts: Uint8Array[] }
  | { readonly type: 'end' };

export class TarReader {
  readonly #events: TarReaderEvents;
  #state: State = { type: 'header' };
  #header = new Uint8Array(512);
  #headerFill = 0;
  #pendingName: string | undefined;
  #pendingSize: number | undefined;
  #zeroBlocks = 0;
  #entries = 0;

  constructor(events: TarReaderEvents) {
    this.#events = events;
  }

  /** True once the end-of-archive marker (two zero blocks) was read. */
  get ended(): boolean {
    return this.#state.type === 'end';
  }

  /** Entries started so far (meta headers not counted). */
  get entries(): number {
    return this.#entries;
  }

  /** Whether the reader stopped in the middle of an entry (a truncated archive). */
  get midEntry(): boolean {
    return this.#state.type === 'data' || this.#state.type === 'meta' || this.#headerFill > 0;
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      const state = this.#state;
      if (state.type === 'end') return;
      if (state.type === 'header') {
        const take = Math.min(512 - this.#headerFill, chunk.length - at);
        this.#header.set(chunk.subarray(at, at + take), this.#headerFill);
        this.#headerFill += take;
        at += take;
        if (this.#headerFill === 512) {
          this.#headerFill = 0;
          this.#readHeader();
        }
        continue;
      }
      if (state.type === 'data' || state.type === 'meta') {
        if (state.remaining > 0) {
          const take = Math.min(state.remaining, chunk.length - at);
          const piece = chunk.subarray(at, at + take);
          if (state.type === 'data') this.#events.onData(piece);
          else if (state.kind !== 'ignored') state.parts.push(piece.slice());
          state.remaining -= take;
          at += take;
          if (state.remaining > 0) continue;
          if (state.type === 'data') this.#events.onEntryEnd();
          else this.#finishMeta(state);
        }
        const skip = Math.min(state.padding, chunk.length - at);
        state.padding -= skip;
        at += skip;
        if (state.padding === 0) this.#state = { type: 'header' };
      }
    }
  }

  #readHeader(): void {
    const header = this.#header;
    if (header.every((byte) => byte === 0)) {
      if (++this.#zeroBlocks >= 2) this.#state = { type: 'end' };
      return;
    }
    this.#zeroBlocks = 0;
    if (!checksumMatches(header)) throw new TarFormatError('a header checksum does not match');
    const typeFlag = field(header, 156, 1);
    const size = this.#pendingSize ?? numberField(header, 124, 12);
    const padding = (512 - (size % 512)) % 512;
    if (typeFlag === 'x' || typeFlag === 'g' || typeFlag === 'L' || typeFlag === 'K') {
      if (size > maxMetaBytes) throw new TarFormatError(`an extended header of ${size} bytes`);
      // Global pax headers and long link names do not name the next member: read past them.
      const kind = typeFlag === 'x' ? 'pax' : typeFlag === 'L' ? 'gnu-name' : 'ignored';
      this.#state = { type: 'meta', kind, remaining: size, padding, parts: [] };
      if (size === 0) this.#finishMeta(this.#state);
      return;
    }
    const prefix = field(header, 257, 6) === 'ustar' ? textField(header, 345, 155) : '';
    const stored = textField(header, 0, 100);
    const name = this.#pendingName ?? (prefix ? `${prefix}/${stored}` : stored);
    this.#pendingName = undefined;
    this.#pendingSize = undefined;
    const kind = kindOf(typeFlag);
    // Only regular files should carry data, but the size field says how much to read past either way.
    this.#entries++;
    this.#events.onEntry({ name, size, kind, typeFlag });
    if (size === 0) {
      this.#events.onEntryEnd();
      return;
    }
    this.#state = { type: 'data', remaining: size, padding };
  }

  #finishMeta(state: Extract<State, { type: 'meta' }>): void {
    const data = new Uint8Array(state.parts.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of state.parts) {
      data.set(part, offset);
      offset += part.length;
    }
    if (state.kind === 'gnu-name') {
      const end = data.indexOf(0);
      this.#pendingName = utf8.decode(end < 0 ? data : data.subarray(0, end));
    } else if (state.kind === 'pax') {
      const records = paxRecords(data);
      const path = records.get('path');
      if (path) this.#pendingName = path;
      const size = records.get('size');
      if (size && /^\d+$/.test(size)) this.#pendingSize = Number(size);
    }
    if (state.padding === 0 && state.remaining === 0) this.#state = { type: 'header' };
  }
}
