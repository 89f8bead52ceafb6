/**
 * The Parser port: bytes of one file in, a structured document out.
 *
 * A parser does not hash, diff, chunk, retry or schedule: the ingest pipeline does. It turns the bytes of
 * one file into ordered sections (with heading paths and page ranges for citations), metadata, warnings
 * that explain what was guessed, and child documents (e-mail attachments, archive members) that the
 * pipeline ingests in their own right.
 *
 * Failures throw a `GroundworkError` with a stable `parse.*` code (see `parse-errors.ts`) that the pipeline
 * puts in the quarantine; anything else a parser throws is a bug. Expected, partial outcomes ("page 3 was
 * OCRed", "encoding guessed") are warnings, not exceptions.
 */

/** Archive limits that stop zip bombs. Every one of them, when exceeded, fails with `parse.zip_bomb`. */
export interface ZipLimits {
  /** Most members (files and directories) an archive may list. */
  readonly maxEntries: number;
  /** Most uncompressed bytes of all members together. */
  readonly maxTotalBytes: number;
  /** Highest uncompressed/compressed ratio of the archive (and of any member larger than 1 MiB). */
  readonly maxRatio: number;
  /** How deeply archives may nest: 0 allows a top-level archive only, 1 an archive inside it, … */
  readonly maxDepth: number;
}

/** OCR policy. */
export interface OcrLimits {
  /** When false, images fail with `parse.empty` and PDF pages without a text layer stay empty (with a warning). */
  readonly enabled: boolean;
  /** A PDF page with fewer non-whitespace characters than this is treated as scanned and OCRed. */
  readonly minPageChars: number;
}

/** Limits a parser enforces. Built from the `ingest` config slice with `parseLimitsFromConfig`. */
export interface ParseLimits {
  /** Largest input in bytes (`ingest.maxFileBytes`); larger inputs fail with `ingest.too_large` before any work. */
  readonly maxBytes: number;
  /**
   * Most visible (non-whitespace) characters of text one document may have: what `ingest.maxChunksPerDocument`
   * chunks can hold at most (`maxTextCharsForChunks`), so a document with more provably needs more chunks.
   * Text formats stop decoding once over it; every document is checked after parsing. Over it:
   * `ingest.too_large`. Children (archive members, attachments) are documents of their own with their own
   * allowance.
   */
  readonly maxTextChars: number;
  readonly zip: ZipLimits;
  readonly ocr: OcrLimits;
}

/** One file to parse. */
export interface ParseInput {
  readonly bytes: Uint8Array;
  /** File name (or path); used for type detection by extension and as the title of last resort. */
  readonly fileName: string;
  /** Media type when the source knows it. Magic bytes still win when they disagree (sources mislabel files). */
  readonly mediaType?: string;
  readonly limits: ParseLimits;
  /**
   * Nesting depth of this document: 0 for a file from a source, parent depth + 1 for a child document
   * (archive member, attachment). Archives deeper than `limits.zip.maxDepth` fail with `parse.zip_bomb`.
   */
  readonly depth?: number;
  /** Aborting rejects with `parse.aborted` at the next checkpoint (between pages, sheets, members). */
  readonly signal?: AbortSignal;
  /** Page budget of paged formats (PDF); without it pages have no budget of their own. */
  readonly pages?: PageBudget;
  /**
   * Called as a paged parser starts each page (1-based). The parse pool uses it as a heartbeat: a file that
   * keeps starting pages is not killed by the whole-file timeout, and the page it last started is the one
   * that hung when it stops.
   */
  readonly onPage?: (page: number) => void;
}

/**
 * Per-page budget of paged formats: a long PDF is parsed page by page, each page (its text, and OCR when it
 * needs it) within `timeoutMs`; a slower page is skipped with a `page.timeout` warning and the rest of the
 * document is kept.
 */
export interface PageBudget {
  /** Longest one page may take. */
  readonly timeoutMs: number;
  /** Pages (1-based) not to touch at all: they hung a previous attempt. Each gets a `page.skipped` warning. */
  readonly skip?: readonly number[];
}

/** A run of text under one heading path; the unit the chunker splits further. */
export interface ParsedSection {
  /** Headings above this text, outermost first, e.g. `['Claims procedures', 'Water damage']`; may be empty. */
  readonly headingPath: readonly string[];
  readonly text: string;
  /** First and last page (1-based) for paged formats: PDF pages, images (1), slides. */
  readonly pageStart?: number;
  readonly pageEnd?: number;
  /**
   * `table`: rows rendered one per line as `Header: value; Header: value` (headers repeated on each row, so
   * any chunk of the section stands on its own). `notes`: speaker notes.
   */
  readonly kind: 'text' | 'table' | 'notes';
}

/** Something a parser guessed or could not do, e.g. an encoding guessed at confidence 0.4, or page 3 OCRed. */
export interface ParseWarning {
  /**
   * Stable code, e.g. `encoding.guessed`, `encoding.invalid_bytes`, `ocr.low_confidence`, `ocr.disabled`,
   * `zip.member_skipped` (any archive member or attachment left out), `page.timeout`, `page.failed`,
   * `page.skipped` (a PDF page left out; the rest of the document is kept).
   */
  readonly code: string;
  readonly message: string;
  /** 1-based page the warning is about. */
  readonly page?: number;
  /** 0..1 where the warning is about a guess. */
  readonly confidence?: number;
}

/** A document found inside another one (an e-mail attachment, an archive member). */
export interface ChildDocument {
  /** Base name, e.g. `report.pdf`. */
  readonly name: string;
  /** Path inside the parent, with `/` separators and no `..` segments, e.g. `claims/2026/report.pdf`. */
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly mediaType?: string;
}

/** Document metadata; dates are ISO 8601 strings. Extra keys are format specific (`from`, `to`, `sheets`, …). */
export interface ParsedMetadata {
  author?: string;
  created?: string;
  modified?: string;
  subject?: string;
  [key: string]: unknown;
}

/** What OCR found on one page: shown by `groundwork chunks --json`, stored on the document, counted by status. */
export interface PageOcrInfo {
  /** Mean word confidence, 0..1 (two decimals). */
  readonly confidence: number;
  /** Text columns found side by side (1 for an ordinary page, 0 for a page without text). */
  readonly columns: number;
  /** Tables found and kept as rows. */
  readonly tables: number;
  /** Clockwise degrees the page was turned to be read upright (0, 90, 180, 270). */
  readonly rotated: number;
  /** Below the low-confidence threshold (0.6): the text may be wrong; flagged for review. */
  readonly lowConfidence: boolean;
  /** Nothing readable (blank, noise, handwriting): fewer than three confident words; only those were kept. */
  readonly unreadable: boolean;
}

/** One page of a paged document with what is known about how it was read. */
export interface ParsedPage {
  /** 1-based. */
  readonly page: number;
  readonly ocr: PageOcrInfo;
}

/** The result of parsing one file. */
export interface ParsedDocument {
  /** Best title: metadata title, first heading, or the file name without extension. */
  readonly title: string;
  /** The media type the document was parsed as (detected, not merely the one given). */
  readonly mediaType: string;
  /** In reading order. Non-empty whenever the file has text, except archives (which only have children). */
  readonly sections: readonly ParsedSection[];
  /** Pages for paged formats (PDF pages, slides, 1 for an image). */
  readonly pageCount?: number;
  /** Pages whose text came from OCR, in page order, with their confidence and layout (empty when none was). */
  readonly pages?: readonly ParsedPage[];
  readonly metadata: ParsedMetadata;
  readonly warnings: readonly ParseWarning[];
  /** To be ingested as child documents by the pipeline (with `depth + 1`). */
  readonly children: readonly ChildDocument[];
  readonly stats: {
    /** Pages (or images) whose text came from OCR. */
    readonly ocrPages: number;
    /** OCRed pages on which nothing could be read (blank, noise, handwriting); the document is still indexed. */
    readonly ocrUnreadablePages?: number;
    /** Pages for paged formats, 0 otherwise. */
    readonly pages: number;
    /** Text encoding the bytes were decoded from, for text formats (e.g. `utf-8`, `windows-1252`). */
    readonly encoding?: string;
    /** Pages left out because they failed or went over their budget (each with a `page.*` warning). */
    readonly skippedPages?: number;
  };
}

/** One format's parser. Stateless; safe to call concurrently. */
export interface Parser {
  /** Short name: `pdf`, `docx`, … */
  readonly name: string;
  /** Media types it parses; the registry picks a parser by the detected type. */
  readonly mediaTypes: readonly string[];
  parse(input: ParseInput): Promise<ParsedDocument>;
}
