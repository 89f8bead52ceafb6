import { normalizeText } from '../parsed-document.ts';
import type { ParsedPage, ParsedSection, ParseWarning } from '../parser.ts';
import { tableSections } from '../table/render-table.ts';
import { lowOcrConfidence } from './ocr-engine.ts';
import type { UprightOcrResult } from './recognize-upright.ts';

/** A page with fewer words read at this confidence or more than `minReadableWords` is unreadable. */
const confidentWord = 0.6;
const minReadableWords = 3;

/** Sections, warnings and page record of one OCRed page (an image, or a scanned PDF page). */
export interface OcrPageContent {
  /** In reading order: text of the columns one after the other, tables as `Header: value` rows. */
  readonly sections: readonly ParsedSection[];
  readonly warnings: readonly ParseWarning[];
  readonly page: ParsedPage;
  /** Non-whitespace characters of the page's text (to compare with a PDF page's own text layer). */
  readonly characters: number;
}

/**
 * Turns an OCR reading into content. A page on which nothing could be read (blank, noise, handwriting:
 * fewer than three confident words) keeps only its confident words, gets an `ocr.unreadable` warning and is
 * counted; it never fails the document.
 */
export function ocrPageContent(
  result: UprightOcrResult,
  page: number,
  headingPath: readonly string[],
  subject: string,
): OcrPageContent {
  const layout = result.layout;
  const confidence = Math.round(result.confidence * 100) / 100;
  const unreadable = layout.confidentWords < minReadableWords;
  const at = { pageStart: page, pageEnd: page };
  const sections: ParsedSection[] = [];
  if (unreadable) {
    const words = result.lines
      .flatMap((line) => line.words)
      .filter((word) => word.confidence >= confidentWord && /[\p{L}\p{N}]/u.test(word.text));
    const text = normalizeText(words.map((word) => word.text).join(' '));
    if (text) sections.push({ headingPath, text, kind: 'text', ...at });
  } else {
    for (const block of layout.blocks) {
      if (block.kind === 'table') {
        sections.push(...tableSections(headingPath, block.rows, at));
        continue;
      }
      const text = normalizeText(block.text);
      const previous = sections.at(-1);
      // Consecutive prose blocks of a page form one section, so the chunker sees the page's text together.
      if (previous?.kind === 'text') sections[sections.length - 1] = { ...previous, text: `${previous.text}\n\n${text}` };
      else if (text) sections.push({ headingPath, text, kind: 'text', ...at });
    }
  }
  const lowConfidence = confidence < lowOcrConfidence;
  const warnings: ParseWarning[] = [
    { code: 'ocr.page', message: `${subject} was read by OCR (confidence ${confidence.toFixed(2)}).`, page, confidence },
  ];
  if (result.rotation !== 0) {
    warnings.push({
      code: 'ocr.rotated',
      message: `${subject} was read turned ${result.rotation}° clockwise.`,
      page,
      confidence,
    });
  }
  if (unreadable) {
    warnings.push({
      code: 'ocr.unreadable',
      message: `${subject} could not be read by OCR (blank, noise or handwriting?): ${sections.length > 0 ? 'only its few confident words were kept' : 'it has no text'}. Check the scan.`,
      page,
      confidence,
    });
  } else if (lowConfidence) {
    warnings.push({
      code: 'ocr.low_confidence',
      message: `OCR confidence on ${subject.toLowerCase()} is ${confidence.toFixed(2)}: the text may contain errors.`,
      page,
      confidence,
    });
  }
  const characters = sections.reduce((sum, section) => sum + section.text.replace(/\s+/g, '').length, 0);
  return {
    sections,
    warnings,
    characters,
    page: {
      page,
      ocr: {
        confidence,
        columns: unreadable ? 0 : layout.columns,
        tables: unreadable ? 0 : layout.tables,
        rotated: result.rotation,
        lowConfidence: lowConfidence || unreadable,
        unreadable,
      },
    },
  };
}
