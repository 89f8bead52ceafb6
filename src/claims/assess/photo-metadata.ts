/**
 * Photo metadata: a minimal EXIF (APP1) reader for JPEG photos of a claim — DateTimeOriginal, the caption
 * (ImageDescription), the camera — and the matching writer the example generator uses. The workflow reads a
 * photo with `readPhotoMetadata` and hands the caption as the photo's page text and the rest as `exif`.
 */

export interface PhotoMetadata {
  /** `YYYY-MM-DDTHH:MM:SS` when the photo carries DateTimeOriginal. */
  readonly dateTimeOriginal?: string;
  readonly description?: string;
  readonly make?: string;
  readonly model?: string;
}

const tags = { description: 0x010e, make: 0x010f, model: 0x0110, exifPointer: 0x8769, dateTimeOriginal: 0x9003 } as const;

/** Reads the EXIF of a JPEG; an empty object when there is none or it cannot be read. */
export function readPhotoMetadata(bytes: Uint8Array): PhotoMetadata {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return {};
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1] as number;
    const length = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
    if (marker === 0xe1 && String.fromCharCode(...bytes.subarray(at + 4, at + 8)) === 'Exif') {
      try {
        return readTiff(bytes.subarray(at + 10, at + 2 + length));
      } catch {
        return {};
      }
    }
    if (marker === 0xda) break;
    at += 2 + length;
  }
  return {};
}

function readTiff(tiff: Uint8Array): PhotoMetadata {
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const little = tiff[0] === 0x49;
  const u16 = (offset: number) => view.getUint16(offset, little);
  const u32 = (offset: number) => view.getUint32(offset, little);
  const out: Record<string, string> = {};
  const ascii = (offset: number, count: number) =>
    String.fromCharCode(...tiff.subarray(offset, offset + count))
      .replace(/\0+$/, '')
      .trim();
  const readIfd = (offset: number, into: (tag: number, value: string | number) => void) => {
    const count = u16(offset);
    for (let index = 0; index < count; index++) {
      const entry = offset + 2 + index * 12;
      const tag = u16(entry);
      const type = u16(entry + 2);
      const n = u32(entry + 4);
      if (type === 2) into(tag, ascii(n <= 4 ? entry + 8 : u32(entry + 8), n));
      else if (type === 4) into(tag, u32(entry + 8));
    }
  };
  let exifOffset = 0;
  readIfd(u32(4), (tag, value) => {
    if (tag === tags.description) out.description = String(value);
    else if (tag === tags.make) out.make = String(value);
    else if (tag === tags.model) out.model = String(value);
    else if (tag === tags.exifPointer) exifOffset = Number(value);
  });
  if (exifOffset > 0) {
    readIfd(exifOffset, (tag, value) => {
      if (tag === tags.dateTimeOriginal) {
        const match = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}:\d{2}:\d{2})/.exec(String(value));
        if (match) out.dateTimeOriginal = `${match[1]}-${match[2]}-${match[3]}T${match[4]}`;
      }
    });
  }
  return out;
}

/** An APP1 Exif segment (marker included) with the given fields; `dateTimeOriginal` as `YYYY:MM:DD HH:MM:SS`. */
export function buildExif(fields: { description: string; make: string; model: string; dateTimeOriginal: string }): Uint8Array {
  const encoder = new TextEncoder();
  const strings = [
    [tags.description, encoder.encode(`${fields.description}\0`)],
    [tags.make, encoder.encode(`${fields.make}\0`)],
    [tags.model, encoder.encode(`${fields.model}\0`)],
  ] as const;
  const date = encoder.encode(`${fields.dateTimeOriginal}\0`);
  const ifd0Entries = strings.length + 1;
  const ifd0Size = 2 + ifd0Entries * 12 + 4;
  const exifIfdSize = 2 + 12 + 4;
  let dataOffset = 8 + ifd0Size + exifIfdSize;
  const size = dataOffset + strings.reduce((sum, [, value]) => sum + value.length, 0) + date.length;
  const tiff = new Uint8Array(size);
  const view = new DataView(tiff.buffer);
  tiff.set([0x49, 0x49, 0x2a, 0x00]);
  view.setUint32(4, 8, true);
  view.setUint16(8, ifd0Entries, true);
  let entry = 10;
  for (const [tag, value] of strings) {
    view.setUint16(entry, tag, true);
    view.setUint16(entry + 2, 2, true);
    view.setUint32(entry + 4, value.length, true);
    if (value.length <= 4) tiff.set(value, entry + 8);
    else {
      view.setUint32(entry + 8, dataOffset, true);
      tiff.set(value, dataOffset);
      dataOffset += value.length;
    }
    entry += 12;
  }
  const exifIfd = 8 + ifd0Size;
  view.setUint16(entry, tags.exifPointer, true);
  view.setUint16(entry + 2, 4, true);
  view.setUint32(entry + 4, 1, true);
  view.setUint32(entry + 8, exifIfd, true);
  view.setUint32(entry + 12, 0, true);
  view.setUint16(exifIfd, 1, true);
  view.setUint16(exifIfd + 2, tags.dateTimeOriginal, true);
  view.setUint16(exifIfd + 4, 2, true);
  view.setUint32(exifIfd + 6, date.length, true);
  view.setUint32(exifIfd + 10, dataOffset, true);
  view.setUint32(exifIfd + 14, 0, true);
  tiff.set(date, dataOffset);
  const header = encoder.encode('Exif\0\0');
  const length = 2 + header.length + tiff.length;
  const out = new Uint8Array(2 + length);
  out.set([0xff, 0xe1, length >> 8, length & 0xff]);
  out.set(header, 4);
  out.set(tiff, 4 + header.length);
  return out;
}

/** The photo as the assessment reads it: EXIF as strings (`dateTimeOriginal`, `make`, `model`) and the caption. */
export function photoDocumentParts(bytes: Uint8Array): { exif: Record<string, string>; caption: string } {
  const meta = readPhotoMetadata(bytes);
  const exif: Record<string, string> = {};
  if (meta.dateTimeOriginal) exif.dateTimeOriginal = meta.dateTimeOriginal;
  if (meta.make) exif.make = meta.make;
  if (meta.model) exif.model = meta.model;
  return { exif, caption: meta.description ?? '' };
}
