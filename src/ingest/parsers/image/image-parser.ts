import { type GroundworkError, isGroundworkError } from '../../../core/index.ts';
import { sharedOcrEngine } from '../ocr/ocr-engine.ts';
import { ocrPageContent } from '../ocr/ocr-page.ts';
import { recognizeUpright, type UprightOcrResult } from '../ocr/recognize-upright.ts';
import { corruptError, emptyError, throwIfAborted } from '../parse-errors.ts';
import { buildDocument, titleFromFileName } from '../parsed-document.ts';
import type { ParsedDocument, ParseInput, Parser } from '../parser.ts';

/**
 * Images (PNG, JPEG, TIFF, BMP): the text comes from OCR, as one page, in reading order (columns one after the
 * other, tables as rows), with its confidence and layout in `pages`. An image on which nothing can be read has
 * no text to index and fails with `parse.empty` (a page of a PDF is indexed with a warning instead).
 */
export const imageParser: Parser = {
  name: 'image',
  mediaTypes: ['image/png', 'image/jpeg', 'image/tiff', 'image/bmp'],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    if (!input.limits.ocr.enabled) {
      throw emptyError(
        input.fileName,
        'an image has no text without OCR, and OCR is disabled',
        'Enable OCR (ingest.ocr.enabled = true) or exclude images from the source.',
        { pages: 1, pagesNeedingOcr: 1 },
      );
    }
    throwIfAborted(input.signal, input.fileName);
    let result: UprightOcrResult;
    try {
      result = await recognizeUpright(sharedOcrEngine(), input.bytes);
    } catch (error) {
      if (isGroundworkError(error)) throw error as GroundworkError;
      throw corruptError(input.fileName, 'image', error);
    }
    throwIfAborted(input.signal, input.fileName);
    const content = ocrPageContent(result, 1, [], 'The image');
    return buildDocument({
      title: titleFromFileName(input.fileName),
      mediaType: input.mediaType ?? 'image/png',
      sections: content.sections,
      pageCount: 1,
      pages: [content.page],
      warnings: content.warnings,
      ocrPages: 1,
    });
  },
};
