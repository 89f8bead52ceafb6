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
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  ppt: 'application/vnd.ms-powerpoint',
  msg: 'application/vnd.ms-outlook',
  rtf: 'application/rtf',
  odt: 'application/vnd.oasis.opendocument.text',
};

/** Media types whose content is text (decoded by `decodeText`). */
export function isTextType(mediaType: string): boolean {
  return (
    mediaType.startsWith('text/') ||
    ['application/json', 'application/xml', 'application/yaml', mediaTypes.eml].includes(mediaType)
  );
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
  if (names.includes('mimetype') && extension.startsWith('od')) return byExtension[extension] ?? mediaTypes.zip;
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
 * TIFF, BMP, GIF, WebP, OLE compound files), then the content of text files (HTML, e-mail headers), then
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
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) {
    // Legacy Office (.doc/.xls/.ppt/.msg) — and password-protected OOXML, which is wrapped in the same container.
    return byExtension[extension] ?? mediaTypes.ole;
  }
  if (!looksLikeText(head)) {
    // Binary bytes behind a text extension are not text, whatever the name says.
    const byName = byExtension[extension];
    return byName && !isTextType(byName) ? byName : mediaTypes.octet;
  }
  const sniffed = sniffText(head, extension);
  if (sniffed && (sniffed === mediaTypes.html ? !['md', 'markdown'].includes(extension) : true)) return sniffed;
  return byExtension[extension] ?? mediaTypes.text;
}
