import { isGroundworkError } from '../../../core/index.ts';
import { sharedOcrEngine } from '../ocr/ocr-engine.ts';
import { ocrPageContent } from '../ocr/ocr-page.ts';
import { recognizeUpright, type UprightOcrResult } from '../ocr/recognize-upright.ts';
import { pageSkipped, pagesToSkip, runPage } from '../page-budget.ts';
import { corruptError, emptyError, encryptedError, throwIfAborted } from '../parse-errors.ts';
import {
  buildDocument,
  isoDate,
  normalizeText,
  oneLine,
  titleFromFileName,
  withoutControlCharacters,
} from '../parsed-document.ts';
import type { ChildDocument, ParsedDocument, ParsedPage, ParsedSection, ParseInput, Parser, ParseWarning } from '../parser.ts';
import { cleanPdfPages } from './clean-pages.ts';

type Unpdf = typeof import('unpdf');
type PdfDocument = Awaited<ReturnType<Unpdf['getDocumentProxy']>>;

/** Rendering resolution for OCR: ~200 dpi reads small print well; capped in pixels for huge pages. */
const ocrDpi = 200;
const maxOcrPixels = 16_000_000;

/** `D:20260815120000+02'00'` (PDF date) or an ISO string to ISO 8601. */
export function pdfDate(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  const match = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(Z|[+-]\d{2}'?\d{2}'?)?/.exec(value);
  if (!match) return isoDate(value);
  const [, year, month = '01', day = '01', hour = '00', minute = '00', second = '00', zone] = match;
  const offset = !zone || zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(3).replace(/'/g, '').padEnd(2, '0')}`;
  return isoDate(`${year}-${month}-${day}T${hour}:${minute}:${second}${offset}`);
}

/** A metadata title worth showing: not empty, not "Untitled", without "Microsoft Word - " and a file extension. */
function cleanTitle(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const title = oneLine(value)
    .replace(/^Microsoft (Word|PowerPoint|Excel) - /i, '')
    .replace(/\.(docx?|pptx?|xlsx?|pdf|odt)$/i, '')
    .trim();
  return title && !/^(untitled|document\d*|title)$/i.test(title) ? title : undefined;
}

interface OutlineNode {
  readonly title: string;
  readonly dest: string | unknown[] | null;
  readonly items: readonly OutlineNode[];
}

/** For each page (0-based index), the bookmark path in force on it, from the PDF outline; empty when there is none. */
async function headingPathsByPage(pdf: PdfDocument): Promise<(readonly string[])[]> {
  const byPage: (readonly string[])[] = Array.from({ length: pdf.numPages }, () => []);
  let outline: OutlineNode[] | null;
  try {
    outline = (await pdf.getOutline()) as OutlineNode[] | null;
  } catch {
    return byPage;
  }
  if (!outline || outline.length === 0) return byPage;
  const starts: { page: number; path: string[] }[] = [];
  const visit = async (nodes: readonly OutlineNode[], parents: string[], depth: number) => {
    for (const node of nodes) {
      const path = [...parents, oneLine(node.title)];
      try {
        const dest = typeof node.dest === 'string' ? await pdf.getDestination(node.dest) : node.dest;
        const ref = Array.isArray(dest) ? dest[0] : undefined;
        const page =
          typeof ref === 'number'
            ? ref
            : ref && typeof ref === 'object'
              ? await pdf.getPageIndex(ref as { num: number; gen: number })
              : undefined;
        if (page !== undefined) starts.push({ page, path });
      } catch {
        // A broken bookmark only loses its heading.
      }
      if (depth < 6) await visit(node.items ?? [], path, depth + 1);
    }
  };
  await visit(outline, [], 0);
  starts.sort((a, b) => a.page - b.page);
  // Without positions on the page, a page is labelled with the first bookmark that starts on it, else the
  // one still in force from earlier pages; the last bookmark on a page carries over to the next pages.
  let current: readonly string[] = [];
  let next = 0;
  for (let page = 0; page < pdf.numPages; page++) {
    let first: readonly string[] | undefined;
    while (next < starts.length && (starts[next]?.page ?? Infinity) <= page) {
      const start = starts[next++];
      if (!start) continue;
      if (start.page === page) first ??= start.path;
      current = start.path;
    }
    byPage[page] = first ?? current;
  }
  return byPage;
}

function nonWhitespaceLength(text: string): number {
  return text.replace(/\s+/g, '').length;
}

/**
 * PDF: per-page text from the text layer (unpdf / PDF.js) without running headers, footers and page numbers,
 * one section per page with the bookmark (outline) path as its heading path; title, author, subject and dates from the document info. Pages with fewer than
 * `limits.ocr.minPageChars` characters — scanned pages, also inside otherwise digital PDFs — are rendered
 * (@napi-rs/canvas) and OCRed, only those pages. Embedded files become children. Password-protected PDFs fail
 * with `parse.encrypted`.
 */
export const pdfParser: Parser = {
  name: 'pdf',
  mediaTypes: ['application/pdf'],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    const { fileName, limits, signal } = input;
    const unpdf = await import('unpdf');
    let pdf: PdfDocument;
    try {
      // PDF.js takes ownership of the buffer it is given: hand it a copy.
      pdf = await unpdf.getDocumentProxy(new Uint8Array(input.bytes), { verbosity: 0 });
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      if (name === 'PasswordException') throw encryptedError(fileName, 'PDF', error);
      throw corruptError(fileName, 'PDF', error);
    }
    try {
      throwIfAborted(signal, fileName);
      const warnings: ParseWarning[] = [];
      // Page by page, each within the page budget: one page that hangs or fails costs that page, not the file.
      const skip = pagesToSkip(input, warnings);
      const skipped = new Set<number>(skip);
      let pageTexts: string[] = [];
      for (let page = 1; page <= pdf.numPages; page++) {
        throwIfAborted(signal, fileName);
        if (skip.has(page)) {
          pageTexts.push('');
          continue;
        }
        const text = await runPage(input, page, warnings, () => pageText(pdf, page));
        if (text === pageSkipped) skipped.add(page);
        pageTexts.push(text === pageSkipped ? '' : text);
      }
      throwIfAborted(signal, fileName);
      // Running headers and footers come out before the OCR decision: a scanned page with a stamped text
      // header ("Claim CL-2026-0142 – page 3") has no text of its own and must still be OCRed.
      const cleaned = cleanPdfPages(pageTexts.map((text) => normalizeText(text)));
      pageTexts = cleaned.pages;
      const headingPaths = await headingPathsByPage(pdf);
      let ocrPages = 0;
      const ocrPageInfo: ParsedPage[] = [];
      const sections: ParsedSection[] = [];
      for (let index = 0; index < pdf.numPages; index++) {
        const page = index + 1;
        if (skipped.has(page)) continue;
        const text = normalizeText(pageTexts[index] ?? '');
        const needsOcr =
          nonWhitespaceLength(text) < limits.ocr.minPageChars &&
          (await runPage(input, page, warnings, () => hasPicture(unpdf, pdf, page))) === true;
        if (needsOcr) {
          if (!limits.ocr.enabled) {
            warnings.push({
              code: 'ocr.disabled',
              message: `Page ${page} shows an image but has no text layer, and OCR is disabled; it was left empty.`,
              page,
            });
          } else {
            throwIfAborted(signal, fileName);
            // The seam for OCR: a scanned page's rendering and recognition run within the same page budget.
            const ocr = await runPage(input, page, warnings, () => ocrPage(unpdf, pdf, page));
            throwIfAborted(signal, fileName);
            if (ocr === pageSkipped) {
              skipped.add(page);
              if (text)
                sections.push({ headingPath: headingPaths[index] ?? [], text, kind: 'text', pageStart: page, pageEnd: page });
              continue;
            }
            if (ocr instanceof Error) {
              // One unrenderable page should not cost the rest of the document.
              warnings.push({
                code: 'ocr.failed',
                message: `Page ${page} could not be rendered for OCR (${ocr.message}); it was left empty.`,
                page,
              });
              if (text)
                sections.push({ headingPath: headingPaths[index] ?? [], text, kind: 'text', pageStart: page, pageEnd: page });
              continue;
            }
            const content = ocrPageContent(ocr, page, headingPaths[index] ?? [], `Page ${page}`);
            ocrPages++;
            ocrPageInfo.push(content.page);
            warnings.push(...content.warnings);
            if (content.characters > nonWhitespaceLength(text)) {
              sections.push(...content.sections);
              continue;
            }
          }
        }
        if (text) sections.push({ headingPath: headingPaths[index] ?? [], text, kind: 'text', pageStart: page, pageEnd: page });
      }
      if (sections.length === 0 && warnings.some((warning) => warning.code === 'ocr.disabled')) {
        throw emptyError(
          fileName,
          'the PDF has no text layer (it looks scanned) and OCR is disabled',
          'Enable OCR (ingest.ocr.enabled = true), or provide a PDF with a text layer.',
          // How much OCR the file needs (the data audit estimates OCR time from it without running OCR).
          {
            pages: pdf.numPages,
            pagesNeedingOcr: warnings.filter((warning) => warning.code === 'ocr.disabled').length,
          },
        );
      }
      const children = await attachments(pdf);
      const meta = await pdf.getMetadata().catch(() => undefined);
      const info = (meta?.info ?? {}) as Record<string, unknown>;
      const xmpTitle = meta?.metadata?.get('dc:title');
      const firstBookmark = headingPaths.find((path) => path.length > 0)?.[0];
      return buildDocument({
        title: cleanTitle(info.Title) ?? cleanTitle(xmpTitle) ?? firstBookmark ?? titleFromFileName(fileName),
        mediaType: 'application/pdf',
        sections,
        pageCount: pdf.numPages,
        metadata: {
          author: typeof info.Author === 'string' ? oneLine(info.Author) : undefined,
          subject: typeof info.Subject === 'string' ? oneLine(info.Subject) : undefined,
          keywords: typeof info.Keywords === 'string' ? oneLine(info.Keywords) : undefined,
          created: pdfDate(info.CreationDate),
          modified: pdfDate(info.ModDate),
          producer: typeof info.Producer === 'string' ? oneLine(info.Producer) : undefined,
          creator: typeof info.Creator === 'string' ? oneLine(info.Creator) : undefined,
          repeatedLinesRemoved: cleaned.removedLines || undefined,
        },
        warnings,
        children,
        ocrPages,
        skippedPages: skipped.size,
        pages: ocrPageInfo,
      });
    } finally {
      await pdf.loadingTask.destroy().catch(() => {});
    }
  },
};

/** The text of one page as unpdf's `extractText` joins it: item strings, a line break after each end of line. */
async function pageText(pdf: PdfDocument, pageNumber: number): Promise<string> {
  const content = await (await pdf.getPage(pageNumber)).getTextContent();
  return content.items
    .filter((item) => 'str' in item && item.str != null)
    .map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : ''))
    .join('');
}

/** Files embedded in the PDF (the "attachments" panel) become child documents. */
async function attachments(pdf: PdfDocument): Promise<ChildDocument[]> {
  const found = await pdf.getAttachments().catch(() => null);
  const children: ChildDocument[] = [];
  for (const [id, attachment] of found ?? []) {
    const content = attachment.content ?? (await pdf.getAttachmentContent(id).catch(() => null));
    if (!(content instanceof Uint8Array) || content.length === 0) continue;
    const name = withoutControlCharacters(attachment.filename || id).replace(/[\\/]+/g, '_') || 'attachment';
    children.push({ name, path: `attachments/${name}`, bytes: new Uint8Array(content) });
  }
  return children;
}

/** Paths (vector drawing operations) above which a page may be text drawn as outlines, worth OCRing. */
const outlinedTextPaths = 50;

/**
 * Whether a page without a text layer shows anything OCR could read: an image, or enough vector paths to be
 * text converted to outlines. Blank pages and pages with a rule or a logo are not worth a second of OCR.
 */
async function hasPicture(unpdf: Unpdf, pdf: PdfDocument, pageNumber: number): Promise<boolean> {
  try {
    const { OPS } = await unpdf.getResolvedPDFJS();
    const imageOps = new Set([
      OPS.paintImageXObject,
      OPS.paintInlineImageXObject,
      OPS.paintImageMaskXObject,
      OPS.paintImageXObjectRepeat,
      OPS.paintImageMaskXObjectGroup,
      OPS.paintInlineImageXObjectGroup,
      OPS.paintImageMaskXObjectRepeat,
    ]);
    const { fnArray } = await (await pdf.getPage(pageNumber)).getOperatorList();
    let paths = 0;
    for (const op of fnArray) {
      if (imageOps.has(op)) return true;
      if (op === OPS.constructPath && ++paths >= outlinedTextPaths) return true;
    }
    return false;
  } catch {
    // When in doubt, OCR.
    return true;
  }
}

/** Renders one page and OCRs it; a page that cannot be rendered or read comes back as the Error. */
async function ocrPage(unpdf: Unpdf, pdf: PdfDocument, pageNumber: number): Promise<UprightOcrResult | Error> {
  try {
    const page = await pdf.getPage(pageNumber);
    const viewport = page.getViewport({ scale: 1 });
    let scale = ocrDpi / 72;
    const pixels = viewport.width * viewport.height * scale * scale;
    if (pixels > maxOcrPixels) scale *= Math.sqrt(maxOcrPixels / pixels);
    const image = await unpdf.renderPageAsImage(pdf, pageNumber, { canvasImport: () => import('@napi-rs/canvas'), scale });
    return await recognizeUpright(sharedOcrEngine(), new Uint8Array(image));
  } catch (error) {
    if (isGroundworkError(error)) throw error;
    return error instanceof Error ? error : new Error(String(error));
  }
}
