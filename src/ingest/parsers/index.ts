/**
 * Document parsers: bytes of one file → a structured document (sections with heading paths and pages,
 * metadata, warnings, child documents). See `parser.ts` for the port and docs/ingestion-formats.md.
 */
export { detectMediaType, isTextType, mediaTypes } from './detect-media-type.ts';
export { createTesseractOcr, type OcrEngine, type OcrResult, sharedOcrEngine, terminateSharedOcr } from './ocr/ocr-engine.ts';
export {
  builtInParsers,
  defaultParseLimits,
  parseDocument,
  parseLimitsFromConfig,
  parserFor,
} from './parse-document.ts';
export { type ParseErrorCode, parseErrorCodes } from './parse-errors.ts';
export {
  closeParsers,
  createParserPool,
  type ParseIsolatedOptions,
  type ParserPool,
  type ParserPoolOptions,
  parseIsolated,
} from './parse-isolated.ts';
export type {
  ChildDocument,
  OcrLimits,
  PageOcrInfo,
  ParsedDocument,
  ParsedMetadata,
  ParsedPage,
  ParsedSection,
  ParseInput,
  ParseLimits,
  Parser,
  ParseWarning,
  ZipLimits,
} from './parser.ts';
export { type DecodedText, type DecodeTextOptions, decodeText } from './text/decode-text.ts';
