import type { GroundworkConfig } from '../../core/index.ts';
import { isGroundworkError } from '../../core/index.ts';
import { maxTextCharsForChunks } from '../chunking/index.ts';
import { csvParser } from './csv/csv-parser.ts';
import { detectMediaType, mediaTypes } from './detect-media-type.ts';
import { docParser } from './doc/doc-parser.ts';
import { docxParser } from './docx/docx-parser.ts';
import { emlParser } from './eml/eml-parser.ts';
import { htmlParser } from './html/html-parser.ts';
import { imageParser } from './image/image-parser.ts';
import { markdownParser } from './markdown/markdown-parser.ts';
import { msgParser } from './msg/msg-parser.ts';
import { odfParser } from './odf/odf-parser.ts';
import {
  corruptError,
  emptyError,
  throwIfAborted,
  tooLargeError,
  tooMuchTextError,
  unsupportedTypeError,
} from './parse-errors.ts';
import { hasText } from './parsed-document.ts';
import type { ParsedDocument, ParseInput, ParseLimits, Parser } from './parser.ts';
import { pdfParser } from './pdf/pdf-parser.ts';
import { pptParser } from './ppt/ppt-parser.ts';
import { pptxParser } from './pptx/pptx-parser.ts';
import { rtfParser } from './rtf/rtf-parser.ts';
import { tarParser } from './tar/tar-parser.ts';
import { textParser } from './text/text-parser.ts';
import { countVisibleCharacters } from './text-budget.ts';
import { xlsParser } from './xls/xls-parser.ts';
import { xlsxParser } from './xlsx/xlsx-parser.ts';
import { zipParser } from './zip/zip-parser.ts';

/** Every built-in parser, in lookup order. */
export const builtInParsers: readonly Parser[] = [
  pdfParser,
  docxParser,
  xlsxParser,
  pptxParser,
  odfParser,
  docParser,
  xlsParser,
  pptParser,
  rtfParser,
  htmlParser,
  markdownParser,
  csvParser,
  emlParser,
  msgParser,
  zipParser,
  tarParser,
  imageParser,
  textParser,
];

/** The parser for a media type (parameters such as `; charset=` ignored), or undefined. */
export function parserFor(mediaType: string, parsers: readonly Parser[] = builtInParsers): Parser | undefined {
  const bare = mediaType.split(';')[0]?.trim().toLowerCase() ?? '';
  return parsers.find((parser) => parser.mediaTypes.includes(bare));
}

/** Advice for formats we recognise but do not parse. */
const unsupportedAdvice: Readonly<Record<string, string>> = {
  'application/x-ole-storage':
    'This OLE compound file is not a Word, Excel, PowerPoint or Outlook file (no stream of theirs found): convert it, or exclude it.',
  'image/gif': 'GIF images are not OCRed: convert them to PNG.',
  'image/webp': 'WebP images are not OCRed: convert them to PNG.',
};

/** Parse limits from the `ingest` config slice. */
export function parseLimitsFromConfig(
  ingest: Pick<GroundworkConfig['ingest'], 'maxFileBytes' | 'maxChunksPerDocument' | 'chunking' | 'zip' | 'ocr'>,
): ParseLimits {
  return {
    maxBytes: ingest.maxFileBytes,
    maxTextChars: maxTextCharsForChunks(ingest.maxChunksPerDocument, ingest.chunking),
    zip: { ...ingest.zip },
    ocr: { ...ingest.ocr },
  };
}

/** The defaults of the config schema, for tools and tests that have no config at hand. */
export const defaultParseLimits: ParseLimits = {
  maxBytes: 100 * 1024 * 1024,
  maxTextChars: maxTextCharsForChunks(10_000, { targetTokens: 350 }),
  zip: { maxEntries: 10_000, maxTotalBytes: 1024 * 1024 * 1024, maxRatio: 200, maxDepth: 2 },
  ocr: { enabled: true, minPageChars: 20 },
};

/**
 * Detects the type of a file and parses it with the matching parser, in the calling thread.
 *
 * Magic bytes decide the type; `input.mediaType` is used when the bytes only say "some text" or "unknown".
 * Fails with `ingest.too_large` before any work (over `limits.maxBytes`) and when the document has more text
 * than `limits.maxTextChars` (text formats notice while decoding; every format is checked here, in the
 * parsing thread, before the document is handed on), `parse.unsupported_type` when no parser fits,
 * `parse.empty` when nothing readable (no text and no children) came out, and `parse.corrupt` for anything a
 * third-party parser throws on bad bytes. For untrusted input at scale use `parseIsolated`, which adds timeouts and
 * crash isolation.
 */
export async function parseDocument(input: ParseInput, parsers: readonly Parser[] = builtInParsers): Promise<ParsedDocument> {
  const { fileName, bytes, limits } = input;
  if (bytes.length > limits.maxBytes) throw tooLargeError(fileName, bytes.length, limits.maxBytes);
  throwIfAborted(input.signal, fileName);
  const detected = detectMediaType(fileName, bytes);
  const given = input.mediaType?.split(';')[0]?.trim().toLowerCase();
  const generic = detected === mediaTypes.octet || detected === mediaTypes.text;
  const mediaType = generic && given && parserFor(given, parsers) ? given : detected;
  const parser = parserFor(mediaType, parsers);
  if (!parser) throw unsupportedTypeError(fileName, mediaType, unsupportedAdvice[mediaType]);
  if (bytes.length === 0) throw emptyError(fileName, 'the file is empty (0 bytes)');
  let document: ParsedDocument;
  try {
    document = await parser.parse({ ...input, mediaType });
  } catch (error) {
    if (isGroundworkError(error)) throw error;
    throw corruptError(fileName, describe(mediaType), error);
  }
  if (!hasText(document.sections) && document.children.length === 0) {
    throw emptyError(fileName, 'no text could be extracted');
  }
  let visible = 0;
  for (const section of document.sections) visible += countVisibleCharacters(section.text);
  if (visible > limits.maxTextChars) throw tooMuchTextError(fileName, limits.maxTextChars);
  return document;
}

function describe(mediaType: string): string {
  const names: Record<string, string> = {
    [mediaTypes.pdf]: 'PDF',
    [mediaTypes.docx]: 'Word document',
    [mediaTypes.xlsx]: 'workbook',
    [mediaTypes.pptx]: 'presentation',
    [mediaTypes.eml]: 'e-mail',
    [mediaTypes.zip]: 'ZIP archive',
    [mediaTypes.msg]: 'Outlook message',
    [mediaTypes.doc]: 'Word document',
    [mediaTypes.xls]: 'workbook',
    [mediaTypes.ppt]: 'presentation',
    [mediaTypes.rtf]: 'RTF document',
    [mediaTypes.tar]: 'tar archive',
    [mediaTypes.gzip]: 'gzip file',
  };
  return names[mediaType] ?? `${mediaType} file`;
}
