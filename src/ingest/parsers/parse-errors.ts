import { GroundworkError } from '../../core/index.ts';

/**
 * The stable `parse.*` error codes. The pipeline records them in the quarantine; each error's `fix` tells
 * the operator what to do with the file. Parsers also throw `ingest.too_large` (the ingest limits
 * `maxFileBytes` and `maxChunksPerDocument`, see `tooLargeError` and `tooMuchTextError`).
 */
export const parseErrorCodes = [
  'parse.encrypted',
  'parse.corrupt',
  'parse.unsupported_type',
  'parse.zip_bomb',
  'parse.timeout',
  'parse.crashed',
  'parse.empty',
  'parse.aborted',
] as const;
export type ParseErrorCode = (typeof parseErrorCodes)[number];

export function encryptedError(fileName: string, what: string, cause?: unknown): GroundworkError {
  return new GroundworkError('parse.encrypted', `${fileName}: the ${what} is password-protected or encrypted.`, {
    category: 'usage',
    fix: `Export an unprotected copy (remove the password / encryption) and put it in the source, or exclude the file.`,
    cause,
  });
}

export function corruptError(fileName: string, what: string, cause?: unknown): GroundworkError {
  const reason = cause instanceof Error ? `: ${cause.message}` : '';
  return new GroundworkError('parse.corrupt', `${fileName}: the ${what} is damaged or not what its type says${reason}.`, {
    category: 'usage',
    fix: 'Open the file in its usual application; if it opens, re-save or re-export it. Otherwise replace it with a good copy.',
    cause,
  });
}

export function unsupportedTypeError(fileName: string, mediaType: string, fix?: string): GroundworkError {
  return new GroundworkError('parse.unsupported_type', `${fileName}: files of type ${mediaType} cannot be parsed.`, {
    category: 'usage',
    fix:
      fix ??
      'Convert the file to a supported format (PDF, DOCX, XLSX, PPTX, HTML, Markdown, text, CSV, EML, ZIP, PNG/JPEG/TIFF) or exclude it with the source include/exclude patterns.',
    details: { mediaType },
  });
}

/**
 * Over `ingest.maxFileBytes` (the input, or an OOXML package's parts once inflated). The code is the ingest
 * one (`ingest.too_large`, as when the source refuses the file): one problem, one code, whichever layer
 * notices it first.
 */
export function tooLargeError(fileName: string, bytes: number, maxBytes: number): GroundworkError {
  return new GroundworkError(
    'ingest.too_large',
    `${fileName}: ${bytes} bytes exceeds the limit of ${maxBytes} bytes (ingest.maxFileBytes).`,
    {
      category: 'limit',
      fix: 'Split the file, exclude it from the source, or raise ingest.maxFileBytes if the machine has the memory for it; then run `groundwork quarantine retry --all`.',
      details: { bytes, maxBytes },
    },
  );
}

/**
 * More text than `ingest.maxChunksPerDocument` chunks can hold (`limits.maxTextChars` visible characters),
 * noticed while decoding or after parsing: the document is refused whole, never indexed in part.
 */
export function tooMuchTextError(fileName: string, maxTextChars: number): GroundworkError {
  return new GroundworkError(
    'ingest.too_large',
    `${fileName}: more than ${maxTextChars} characters of text, more than ingest.maxChunksPerDocument chunks can hold; the document was not indexed.`,
    {
      category: 'limit',
      fix: 'Split the file into smaller documents, exclude it from the source (logs and data dumps rarely belong in search), or raise ingest.maxChunksPerDocument; then run `groundwork quarantine retry --all`.',
      details: { maxTextChars },
    },
  );
}

export function zipBombError(fileName: string, reason: string): GroundworkError {
  return new GroundworkError('parse.zip_bomb', `${fileName}: archive refused, ${reason}.`, {
    category: 'limit',
    fix: 'Check where the archive came from. If it is legitimate, extract it into the source folder or raise the ingest.zip limits.',
    details: { reason },
  });
}

export function emptyError(fileName: string, reason: string, fix?: string, details?: Record<string, unknown>): GroundworkError {
  return new GroundworkError('parse.empty', `${fileName}: ${reason}.`, {
    category: 'usage',
    fix: fix ?? 'Nothing to index: check that the file has content; exclude it if it is meant to be empty.',
    ...(details ? { details } : {}),
  });
}

export function timeoutError(fileName: string, timeoutMs: number, setting = 'ingest.parseTimeoutMs'): GroundworkError {
  return new GroundworkError(
    'parse.timeout',
    `${fileName}: parsing took longer than ${timeoutMs} ms (${setting}) and was stopped.`,
    {
      category: 'limit',
      isRetryable: true,
      fix: `Retry when the machine is less busy, raise ${setting}, or split the file (very large or OCR-heavy files are slow).`,
      details: { timeoutMs, setting },
    },
  );
}

export function crashedError(fileName: string, reason: string, cause?: unknown): GroundworkError {
  return new GroundworkError('parse.crashed', `${fileName}: the parser crashed (${reason}).`, {
    category: 'internal',
    fix: 'The file is probably malformed or too large for the parser memory limit: re-export it, split it, or exclude it. Report it if it opens fine elsewhere.',
    details: { reason },
    cause,
  });
}

export function abortedError(fileName: string): GroundworkError {
  return new GroundworkError('parse.aborted', `${fileName}: parsing was cancelled.`, {
    category: 'unavailable',
    isRetryable: true,
    fix: 'Nothing to fix: the run was cancelled. Start it again to parse the file.',
  });
}

/** Throws `parse.aborted` when the signal is aborted; parsers call it between pages, sheets and members. */
export function throwIfAborted(signal: AbortSignal | undefined, fileName: string): void {
  if (signal?.aborted) throw abortedError(fileName);
}
