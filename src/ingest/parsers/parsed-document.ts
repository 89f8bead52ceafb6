import type { ChildDocument, ParsedDocument, ParsedMetadata, ParsedPage, ParsedSection, ParseWarning } from './parser.ts';

/** The file name without folders and without its last extension: the title of last resort. */
export function titleFromFileName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  return stem.trim() || base || 'Untitled';
}

/** Lower-case extension without the dot (`report.PDF` → `pdf`), or '' when there is none. */
export function extensionOf(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

/** C0 control characters other than tab and line feed, and DEL: never text (PDF.js emits some as glyph codes). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const controlCharacters = /[\u0000-\u0008\u000e-\u001f\u007f]/g;

/**
 * Readable text: non-breaking and other odd spaces become spaces, runs of spaces collapse, lines are
 * trimmed and at most one blank line separates paragraphs. Keeps line breaks (they carry structure).
 */
export function normalizeText(text: string): string {
  return text
    .replace(/\r\n?|\f|\v/g, '\n')
    .replace(controlCharacters, '')
    .replace(/[\u00a0\u2000-\u200a\u202f\u205f\u3000\t]+/g, ' ')
    .replace(/\u200b|\u200c|\u200d|\ufeff|\u00ad/g, '')
    .replace(/ {2,}/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** One line: every whitespace run becomes a single space (titles, headings, table cells). */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Removes C0 control characters (file names and paths must not carry them). */
export function withoutControlCharacters(text: string): string {
  let result = '';
  for (const char of text) if (char.charCodeAt(0) >= 0x20) result += char;
  return result;
}

export function hasText(sections: readonly ParsedSection[]): boolean {
  return sections.some((section) => /\S/.test(section.text));
}

/** Fields every parser fills; the rest default to empty. */
export interface DocumentParts {
  readonly title: string;
  readonly mediaType: string;
  readonly sections: readonly ParsedSection[];
  readonly pageCount?: number;
  readonly metadata?: ParsedMetadata;
  readonly warnings?: readonly ParseWarning[];
  readonly children?: readonly ChildDocument[];
  readonly ocrPages?: number;
  /** What OCR found per OCRed page; `stats.ocrUnreadablePages` is counted from it. */
  readonly pages?: readonly ParsedPage[];
  readonly encoding?: string;
  readonly skippedPages?: number;
}

/** Assembles a ParsedDocument, dropping sections without text and metadata keys without a value. */
export function buildDocument(parts: DocumentParts): ParsedDocument {
  const metadata: ParsedMetadata = {};
  for (const [key, value] of Object.entries(parts.metadata ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    metadata[key] = value;
  }
  return {
    title: oneLine(parts.title) || 'Untitled',
    mediaType: parts.mediaType,
    sections: parts.sections.filter((section) => /\S/.test(section.text)),
    ...(parts.pageCount === undefined ? {} : { pageCount: parts.pageCount }),
    pages: parts.pages ?? [],
    metadata,
    warnings: parts.warnings ?? [],
    children: parts.children ?? [],
    stats: {
      ocrPages: parts.ocrPages ?? 0,
      ocrUnreadablePages: (parts.pages ?? []).filter((page) => page.ocr.unreadable).length,
      pages: parts.pageCount ?? 0,
      ...(parts.encoding ? { encoding: parts.encoding } : {}),
      ...(parts.skippedPages ? { skippedPages: parts.skippedPages } : {}),
    },
  };
}

/** A date-like value as an ISO 8601 string, or undefined when it is not a valid date. */
export function isoDate(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
