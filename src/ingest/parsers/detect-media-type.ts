import { isOleCompoundFile, oleEntryNames, oleKind } from './ole/compound-file.ts';
import { listZipNames } from './ooxml/ooxml-package.ts';
import { extensionOf } from './parsed-document.ts';

export const mediaTypes = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  zip: 'application/zip',
  png: 'image/png',
  jpeg: 'image/jpeg',
  tiff: 'image/tiff',
  bmp: 'image/bmp',
  gif: 'image/gif',
  webp: 'image/webp',
  html: 'text/html',
  markdown: 'text/markdown',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  text: 'text/plain',
  eml: 'message/rfc822',
  msg: 'application/vnd.ms-outlook',
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  ppt: 'application/vnd.ms-powerpoint',
  rtf: 'application/rtf',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  tar: 'application/x-tar',
  gzip: 'application/gzip',
  ole: 'application/x-ole-storage',
  octet: 'application/octet-stream',
} as const;

const byExtension: Readonly<Record<string, string>> = {
  pdf: mediaTypes.pdf,
  docx: mediaTypes.docx,
  docm: mediaTypes.docx,
  xlsx: mediaTypes.xlsx,
  xlsm: mediaTypes.xlsx,
  pptx: mediaTypes.pptx,
  pptm: mediaTypes.pptx,
  zip: mediaTypes.zip,
  png: mediaTypes.png,
  jpg: mediaTypes.jpeg,
  jpeg: mediaTypes.jpeg,
  tif: mediaTypes.tiff,
  tiff: mediaTypes.tiff,
  bmp: mediaTypes.bmp,
  gif: mediaTypes.gif,
  webp: mediaTypes.webp,
  html: mediaTypes.html,
  htm: mediaTypes.html,
  xhtml: mediaTypes.html,
  md: mediaTypes.markdown,
  markdown: mediaTypes.markdown,
  mdx: mediaTypes.markdown,
  csv: mediaTypes.csv,
  tsv: mediaTypes.tsv,
  tab: mediaTypes.tsv,
  txt: mediaTypes.text,
  text: mediaTypes.text,
  log: mediaTypes.text,
  ini: mediaTypes.text,
  cfg: mediaTypes.text,
  json: 'application/json',
  xml: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  eml: mediaTypes.eml,
  doc: mediaTypes.doc,
  dot: mediaTypes.doc,
  xls: mediaTypes.xls,
  xlt: mediaTypes.xls,
  ppt: mediaTypes.ppt,
  pps: mediaTypes.ppt,
  pot: mediaTypes.ppt,
  msg: mediaTypes.msg,
  rtf: mediaTypes.rtf,
  odt: mediaTypes.odt,
  ott: mediaTypes.odt,
  ods: mediaTypes.ods,
  ots: mediaTypes.ods,
  odp: mediaTypes.odp,
  otp: mediaTypes.odp,
  tar: mediaTypes.tar,
  tgz: mediaTypes.gzip,
  gz: mediaTypes.gzip,
};

/** OpenDocument media types by the `mimetype` a package declares (templates parse as their documents). */
const odfByMimetype: Readonly<Record<string, string>> = {
  [mediaTypes.odt]: mediaTypes.odt,
  'application/vnd.oasis.opendocument.text-template': mediaTypes.odt,
  [mediaTypes.ods]: mediaTypes.ods,
  'application/vnd.oasis.opendocument.spreadsheet-template': mediaTypes.ods,
  [mediaTypes.odp]: mediaTypes.odp,
  'application/vnd.oasis.opendocument.presentation-template': mediaTypes.odp,
};

/**
 * The `mimetype` an OpenDocument package declares: by the specification its first member, stored
 * uncompressed, so it is readable from the local file header without inflating anything.
 */
function odfMimetype(bytes: Uint8Array): string | undefined {
  if (bytes.length < 38) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const method = view.getUint16(8, true);
  const size = view.getUint32(18, true);
  const nameLength = view.getUint16(26, true);
  const extraLength = view.getUint16(28, true);
  if (method !== 0 || nameLength !== 8 || size > 100) return undefined;
  if (new TextDecoder('latin1').decode(bytes.subarray(30, 38)) !== 'mimetype') return undefined;
  const start = 30 + nameLength + extraLength;
  if (start + size > bytes.length) return undefined;
  return new TextDecoder('latin1').decode(bytes.subarray(start, start + size)).trim();
}

/** True when a 512-byte tar header sits at `offset`: POSIX `ustar` magic, or an old-style header whose checksum adds up. */
export function isTarHeader(bytes: Uint8Array, offset = 0): boolean {
  if (bytes.length < offset + 512) return false;
  const magic = new TextDecoder('latin1').decode(bytes.subarray(offset + 257, offset + 262));
  if (magic === 'ustar') return true;
  const field = new TextDecoder('latin1').decode(bytes.subarray(offset + 148, offset + 156));
  const stored = Number.parseInt(field.split('\u0000')[0]?.trim() ?? '', 8);
  if (!Number.isFinite(stored) || bytes[offset] === 0) return false;
  let sum = 0;
  for (let index = 0; index < 512; index++) sum += index >= 148 && index < 156 ? 0x20 : (bytes[offset + index] ?? 0);
  return sum === stored;
}

/** Media types whose content is text (decoded by `decodeText`). */
export function isTextType(mediaType: string): boolean {
  return (
    mediaType.startsWith('text/') ||
    ['application/json', 'application/xml', 'application/yaml', mediaTypes.eml].includes(mediaType)
  );
}

/**
 * Legacy Office (.doc/.xls/.ppt), Outlook .msg — and password-protected OOXML, which is wrapped in the same
 * container — told apart by the names of the container's streams; the extension decides only when the
 * directory cannot be read.
 */
function oleMediaType(bytes: Uint8Array, extension: string): string {
  const names = oleEntryNames(bytes);
  const kind = names ? oleKind(names) : undefined;
  if (kind === 'encrypted-ooxml') {
    // The OOXML parsers recognise the container and report parse.encrypted with their format's name.
    const byName = byExtension[extension];
    return byName === mediaTypes.docx || byName === mediaTypes.xlsx || byName === mediaTypes.pptx ? byName : mediaTypes.docx;
  }
  if (kind) return mediaTypes[kind];
  return byExtension[extension] ?? mediaTypes.ole;
}

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  return signature.every((byte, index) => bytes[offset + index] === byte);
}

/** The OOXML kind of a ZIP from its part names, or plain ZIP. */
function zipKind(bytes: Uint8Array, extension: string): string {
  const names = listZipNames(bytes);
  if (!names) return byExtension[extension] ?? mediaTypes.zip;
  const has = (prefix: string) => names.some((name) => name.startsWith(prefix));
  if (names.includes('[Content_Types].xml')) {
    if (has('word/')) return mediaTypes.docx;
    if (has('xl/')) return mediaTypes.xlsx;
    if (has('ppt/')) return mediaTypes.pptx;
  }
  const odf = odfByMimetype[odfMimetype(bytes) ?? ''];
  if (odf) return odf;
  if (names.includes('mimetype') && names.includes('content.xml') && extension.startsWith('o')) {
    return byExtension[extension] ?? mediaTypes.zip;
  }
  return mediaTypes.zip;
}

const emailHeader =
  /^(Return-Path|Received|From|To|Subject|Date|Message-ID|MIME-Version|Delivered-To|X-[A-Za-z-]+|Reply-To|Cc|Content-Type):[ \t]/i;

/** Text-looking bytes: no NUL bytes in the first 8 KiB (UTF-16 is recognised separately by its NUL pattern). */
function looksLikeText(head: Uint8Array): boolean {
  if (head.length === 0) return true;
  let nul = 0;
  let control = 0;
  for (const byte of head) {
    if (byte === 0) nul++;
    else if (byte < 9 || (byte > 13 && byte < 32)) control++;
  }
  if (nul === 0) return control / head.length < 0.05;
  // UTF-16 text: NULs in every other byte.
  return nul / head.length > 0.3 && nul / head.length < 0.55;
}

function sniffText(head: Uint8Array, extension: string): string | undefined {
  const text = new TextDecoder('latin1')
    .decode(head)
    .replace(/^\uFEFF|^\u00ef\u00bb\u00bf/, '')
    .replaceAll('\u0000', '');
  const start = text.trimStart().slice(0, 512).toLowerCase();
  if (start.startsWith('<!doctype html') || start.startsWith('<html') || (start.startsWith('<?xml') && start.includes('<html'))) {
    return mediaTypes.html;
  }
  const lines = text.split(/\r?\n/).slice(0, 12);
  const headerLines = lines.filter((line) => emailHeader.test(line)).length;
  if (extension !== 'md' && emailHeader.test(lines[0] ?? '') && headerLines >= 3) return mediaTypes.eml;
  return undefined;
}

/**
 * The media type of a file: magic bytes first (PDF, ZIP and the OOXML kinds by their part names, PNG, JPEG,
 * TIFF, BMP, GIF, WebP, OLE compound files told apart by their stream names, gzip, tar, RTF), then the content of text files (HTML, e-mail headers), then
 * the extension; text-looking bytes with an unknown extension are `text/plain`, anything else
 * `application/octet-stream`.
 */
export function detectMediaType(fileName: string, bytes: Uint8Array): string {
  const extension = extensionOf(fileName);
  const head = bytes.subarray(0, Math.min(bytes.length, 8192));
  const pdfAt = new TextDecoder('latin1').decode(head.subarray(0, 1024)).indexOf('%PDF-');
  // Readers accept a PDF header within the first KiB (after junk such as a MacBinary header), but a text file
  // that merely mentions "%PDF-" is not a PDF.
  if (pdfAt === 0 || (pdfAt > 0 && (extension === 'pdf' || !looksLikeText(head.subarray(0, pdfAt))))) return mediaTypes.pdf;
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06]))
    return zipKind(bytes, extension);
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47])) return mediaTypes.png;
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return mediaTypes.jpeg;
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return mediaTypes.tiff;
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38])) return mediaTypes.gif;
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) return mediaTypes.webp;
  if (startsWith(bytes, [0x42, 0x4d]) && bytes.length > 26 && extension === 'bmp') return mediaTypes.bmp;
  if (isOleCompoundFile(bytes)) return oleMediaType(bytes, extension);
  if (startsWith(bytes, [0x1f, 0x8b])) return mediaTypes.gzip;
  if (isTarHeader(bytes)) return mediaTypes.tar;
  // `{\rtf`: RTF is 7-bit text, so it is recognised before the generic text checks.
  if (startsWith(bytes, [0x7b, 0x5c, 0x72, 0x74, 0x66])) return mediaTypes.rtf;
  if (!looksLikeText(head)) {
    // Binary bytes behind a text extension are not text, whatever the name says.
    const byName = byExtension[extension];
    return byName && !isTextType(byName) ? byName : mediaTypes.octet;
  }
  const sniffed = sniffText(head, extension);
  if (sniffed && (sniffed === mediaTypes.html ? !['md', 'markdown'].includes(extension) : true)) return sniffed;
  return byExtension[extension] ?? mediaTypes.text;
}
