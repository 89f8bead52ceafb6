import iconv from 'iconv-lite';

/** One worksheet of a BIFF workbook: its name and its cells as rendered text, rows in order. */
export interface BiffSheet {
  readonly name: string;
  readonly rows: string[][];
}

export interface BiffWorkbook {
  readonly sheets: BiffSheet[];
  /** The workbook is password-protected (FILEPASS): its records cannot be read. */
  readonly encrypted: boolean;
  /** 8 for BIFF8 (Excel 97–2003), 5 for BIFF5 (Excel 5/95). */
  readonly biffVersion: number;
}

export class BiffError extends Error {}

const rec = {
  bof: 0x0809,
  eof: 0x000a,
  filePass: 0x002f,
  codePage: 0x0042,
  dateMode: 0x0022,
  format: 0x041e,
  xf: 0x00e0,
  boundSheet: 0x0085,
  sst: 0x00fc,
  continue: 0x003c,
  labelSst: 0x00fd,
  label: 0x0204,
  rString: 0x00d6,
  number: 0x0203,
  rk: 0x027e,
  mulRk: 0x00bd,
  formula: 0x0006,
  string: 0x0207,
  boolErr: 0x0205,
} as const;

/** Built-in number formats that show dates or times ([MS-XLS] 2.5.165). */
const builtInDateFormats = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 30, 36, 45, 46, 47, 50, 57]);
/** Most cells kept per sheet: a bound against crafted files (real sheets are far smaller). */
const maxCellsPerSheet = 5_000_000;
const maxColumns = 16_384;

interface RawRecord {
  readonly type: number;
  readonly body: Uint8Array;
  /** CONTINUE record bodies that follow, for SST. */
  readonly continues: Uint8Array[];
}

function* records(stream: Uint8Array, start: number): Generator<RawRecord & { offset: number }> {
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  let at = start;
  let pending: (RawRecord & { offset: number }) | undefined;
  while (at + 4 <= stream.length) {
    const type = view.getUint16(at, true);
    const length = view.getUint16(at + 2, true);
    const body = stream.subarray(at + 4, Math.min(stream.length, at + 4 + length));
    const offset = at;
    at += 4 + length;
    if (type === rec.continue && pending) {
      pending.continues.push(body);
      continue;
    }
    if (pending) yield pending;
    pending = { type, body, continues: [], offset };
    if (type === rec.eof) {
      yield pending;
      return;
    }
  }
  if (pending) yield pending;
}

/** Decodes an RK number ([MS-XLS] 2.5.217): a 30-bit integer or the top of a double, optionally ÷ 100. */
function rkValue(rk: number): number {
  const divided = (rk & 1) !== 0;
  let value: number;
  if ((rk & 2) !== 0) value = rk >> 2;
  else {
    const buffer = new DataView(new ArrayBuffer(8));
    buffer.setUint32(4, rk & 0xfffffffc, true);
    value = buffer.getFloat64(0, true);
  }
  return divided ? value / 100 : value;
}

/** A reader of XLUnicodeRichExtendedString sequences across an SST record and its CONTINUE records. */
class SegmentedReader {
  #segments: Uint8Array[];
  #segment = 0;
  #at = 0;
  constructor(segments: Uint8Array[]) {
    this.#segments = segments;
  }
  get #current(): Uint8Array {
    return this.#segments[this.#segment] ?? new Uint8Array(0);
  }
  #advanceIfAtEnd(): boolean {
    while (this.#at >= this.#current.length) {
      if (this.#segment >= this.#segments.length - 1) return false;
      this.#segment++;
      this.#at = 0;
    }
    return true;
  }
  byte(): number {
    if (!this.#advanceIfAtEnd()) throw new BiffError('shared strings end early');
    return this.#current[this.#at++] ?? 0;
  }
  u16(): number {
    return this.byte() | (this.byte() << 8);
  }
  u32(): number {
    return (this.u16() | (this.u16() << 16)) >>> 0;
  }
  skip(count: number): void {
    for (let left = count; left > 0; ) {
      if (!this.#advanceIfAtEnd()) return;
      const take = Math.min(left, this.#current.length - this.#at);
      this.#at += take;
      left -= take;
    }
  }
  /** `count` characters; at a record boundary inside the characters, a fresh flags byte says their width. */
  characters(count: number, wide: boolean): string {
    let text = '';
    let left = count;
    let isWide = wide;
    while (left > 0) {
      if (this.#at >= this.#current.length) {
        if (!this.#advanceIfAtEnd()) throw new BiffError('a shared string ends early');
        isWide = (this.byte() & 1) === 1;
      }
      const width = isWide ? 2 : 1;
      const available = Math.floor((this.#current.length - this.#at) / width);
      const take = Math.min(left, Math.max(1, available));
      const bytes = Buffer.from(this.#current.subarray(this.#at, this.#at + take * width));
      text += isWide ? bytes.toString('utf16le') : bytes.toString('latin1');
      this.#at += take * width;
      left -= take;
    }
    return text;
  }
}

function sharedStrings(record: RawRecord): string[] {
  const reader = new SegmentedReader([record.body, ...record.continues]);
  reader.u32();
  const unique = Math.min(reader.u32(), 10_000_000);
  const strings: string[] = [];
  try {
    for (let index = 0; index < unique; index++) {
      const count = reader.u16();
      const flags = reader.byte();
      const runs = flags & 0x08 ? reader.u16() : 0;
      const extended = flags & 0x04 ? reader.u32() : 0;
      strings.push(reader.characters(count, (flags & 1) === 1));
      reader.skip(runs * 4 + extended);
    }
  } catch (error) {
    // A damaged table keeps the strings read before the damage; cells pointing past them stay empty.
    if (!(error instanceof BiffError)) throw error;
  }
  return strings;
}

/** A BIFF8 XLUnicodeString (`lengthBytes` 2) or ShortXLUnicodeString (1) at `at`; BIFF5 strings are 8-bit. */
function biffString(body: Uint8Array, at: number, lengthBytes: 1 | 2, biff8: boolean, codePage: string): string {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (at + lengthBytes > body.length) return '';
  const count = lengthBytes === 2 ? view.getUint16(at, true) : (body[at] ?? 0);
  if (!biff8) return iconv.decode(Buffer.from(body.subarray(at + lengthBytes, at + lengthBytes + count)), codePage);
  const wide = ((body[at + lengthBytes] ?? 0) & 1) === 1;
  const start = at + lengthBytes + 1;
  const bytes = Buffer.from(body.subarray(start, start + count * (wide ? 2 : 1)));
  return wide ? bytes.toString('utf16le') : bytes.toString('latin1');
}

/** A format string shows a date when it has d, m, y, h or s outside quotes, escapes and [colour] brackets. */
export function isDateFormat(format: string): boolean {
  const bare = format.replace(/"[^"]*"|\\.|\[[^\]]*\]|_.|\*./g, '');
  return /[dmyhs]/i.test(bare) && !/^(general|@)$/i.test(bare.trim());
}

/** An Excel serial date as ISO 8601 (date only when it has no time), in the 1900 or the 1904 date system. */
function excelDate(serial: number, date1904: boolean): string {
  // The 1900 system counts a 29 February 1900 that never was (Lotus compatibility): serials below 60 are a day off.
  const days = date1904 ? serial + 1462 : serial < 60 ? serial + 1 : serial;
  const iso = new Date(Math.round((days - 25_569) * 86_400_000)).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 19);
}

function numberText(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 1e6) / 1e6);
}

/**
 * Reads the cells of a BIFF8 (or BIFF5) workbook stream ([MS-XLS]): sheets from BOUNDSHEET, the shared
 * string table (with its CONTINUE records), LABELSST/LABEL/RSTRING strings, NUMBER/RK/MULRK numbers (dates
 * by their cell format), cached FORMULA results and BOOLERR booleans. Errors and empty cells are empty text.
 */
export function readBiffWorkbook(stream: Uint8Array): BiffWorkbook {
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  if (stream.length < 8 || view.getUint16(0, true) !== rec.bof)
    throw new BiffError('the workbook stream does not start with a BOF record');
  const version = view.getUint16(4, true);
  const biff8 = version === 0x0600;
  let codePage = 'cp1252';
  let date1904 = false;
  const formats = new Map<number, string>();
  const xfFormats: number[] = [];
  const sheetsToRead: { name: string; offset: number }[] = [];
  let strings: string[] = [];
  for (const record of records(stream, 0)) {
    const body = record.body;
    const bodyView = new DataView(body.buffer, body.byteOffset, body.byteLength);
    if (record.type === rec.filePass) return { sheets: [], encrypted: true, biffVersion: biff8 ? 8 : 5 };
    if (record.type === rec.codePage && body.length >= 2) {
      const page = bodyView.getUint16(0, true);
      codePage =
        page === 1200 ? 'utf16le' : page === 0x8000 ? 'macintosh' : iconv.encodingExists(`cp${page}`) ? `cp${page}` : 'cp1252';
    } else if (record.type === rec.dateMode && body.length >= 2) date1904 = bodyView.getUint16(0, true) === 1;
    else if (record.type === rec.format && body.length >= 3) {
      formats.set(bodyView.getUint16(0, true), biffString(body, 2, biff8 ? 2 : 1, biff8, codePage));
    } else if (record.type === rec.xf && body.length >= 4) xfFormats.push(bodyView.getUint16(2, true));
    else if (record.type === rec.boundSheet && body.length >= 7) {
      const kind = body[5] ?? 0;
      if (kind === 0) sheetsToRead.push({ offset: bodyView.getUint32(0, true), name: biffString(body, 6, 1, biff8, codePage) });
    } else if (record.type === rec.sst) strings = sharedStrings(record);
  }
  const isDateXf = (xf: number) => {
    const format = xfFormats[xf];
    if (format === undefined) return false;
    return builtInDateFormats.has(format) || isDateFormat(formats.get(format) ?? '');
  };
  const render = (value: number, xf: number) =>
    isDateXf(xf) && value >= 0 && value < 2_958_466 ? excelDate(value, date1904) : numberText(value);
  const sheets: BiffSheet[] = [];
  for (const { name, offset } of sheetsToRead) {
    if (offset + 4 > stream.length || view.getUint16(offset, true) !== rec.bof) continue;
    const cells = new Map<number, Map<number, string>>();
    let count = 0;
    const put = (row: number, column: number, text: string) => {
      if (text === '' || column >= maxColumns || count >= maxCellsPerSheet) return;
      let line = cells.get(row);
      if (!line) {
        line = new Map();
        cells.set(row, line);
      }
      if (!line.has(column)) count++;
      line.set(column, text);
    };
    let pendingFormula: { row: number; column: number } | undefined;
    let first = true;
    for (const record of records(stream, offset)) {
      if (first) {
        first = false;
        continue;
      }
      const body = record.body;
      const bodyView = new DataView(body.buffer, body.byteOffset, body.byteLength);
      if (record.type === rec.bof) break;
      if (body.length < 6 && record.type !== rec.string) continue;
      const row = body.length >= 2 ? bodyView.getUint16(0, true) : 0;
      const column = body.length >= 4 ? bodyView.getUint16(2, true) : 0;
      const xf = body.length >= 6 ? bodyView.getUint16(4, true) : 0;
      switch (record.type) {
        case rec.labelSst:
          if (body.length >= 10) put(row, column, strings[bodyView.getUint32(6, true)] ?? '');
          break;
        case rec.label:
        case rec.rString:
          put(row, column, biffString(body, 6, 2, biff8, codePage));
          break;
        case rec.number:
          if (body.length >= 14) put(row, column, render(bodyView.getFloat64(6, true), xf));
          break;
        case rec.rk:
          if (body.length >= 10) put(row, column, render(rkValue(bodyView.getInt32(6, true)), xf));
          break;
        case rec.mulRk: {
          const last = bodyView.getUint16(body.length - 2, true);
          for (let index = 0; column + index <= last && 4 + index * 6 + 6 <= body.length - 2; index++) {
            const cellXf = bodyView.getUint16(4 + index * 6, true);
            put(row, column + index, render(rkValue(bodyView.getInt32(6 + index * 6, true)), cellXf));
          }
          break;
        }
        case rec.formula:
          if (body.length >= 14) {
            if (bodyView.getUint16(12, true) === 0xffff) {
              const kind = body[6];
              if (kind === 0) pendingFormula = { row, column };
              else if (kind === 1) put(row, column, body[8] ? 'TRUE' : 'FALSE');
            } else put(row, column, render(bodyView.getFloat64(6, true), xf));
          }
          break;
        case rec.string:
          if (pendingFormula) put(pendingFormula.row, pendingFormula.column, biffString(body, 0, 2, biff8, codePage));
          pendingFormula = undefined;
          break;
        case rec.boolErr:
          if (body.length >= 8 && body[7] === 0) put(row, column, body[6] ? 'TRUE' : 'FALSE');
          break;
        default:
          break;
      }
    }
    const rows: string[][] = [];
    for (const rowIndex of [...cells.keys()].sort((a, b) => a - b)) {
      const line = cells.get(rowIndex) ?? new Map<number, string>();
      const width = Math.max(...line.keys()) + 1;
      rows.push(Array.from({ length: width }, (_, index) => line.get(index) ?? ''));
    }
    sheets.push({ name, rows });
  }
  return { sheets, encrypted: false, biffVersion: biff8 ? 8 : 5 };
}
