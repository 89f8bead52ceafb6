import { type GroundworkError, isGroundworkError } from '../../../core/index.ts';
import { lowOcrConfidence, sharedOcrEngine } from '../ocr/ocr-engine.ts';
import { recognizeUpright, type UprightOcrResult } from '../ocr/recognize-upright.ts';
import { corruptError, emptyError, throwIfAborted } from '../parse-errors.ts';
import { buildDocument, normalizeText, titleFromFileName } from '../parsed-document.ts';
import type { ParsedDocument, ParseInput, Parser, ParseWarning } from '../parser.ts';

/** Images (PNG, JPEG, TIFF, BMP): the text comes from OCR, as one page. */
export const imageParser: Parser = {
  name: 'image',
  mediaTypes: ['image/png', 'image/jpeg', 'image/tiff', 'image/bmp'],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    if (!input.limits.ocr.enabled) {
      throw emptyError(
        input.fileName,
        'an image has no text without OCR, and OCR is disabled',
        'Enable OCR (ingest.ocr.enabled = true) or exclude images from the source.',
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
    const text = normalizeText(result.text);
    const confidence = Math.round(result.confidence * 100) / 100;
    const warnings: ParseWarning[] = [{ code: 'ocr.page', message: 'Text recognised by OCR.', page: 1, confidence }];
    if (result.rotation !== 0) {
      warnings.push({
        code: 'ocr.rotated',
        message: `The image was read turned ${result.rotation}° clockwise.`,
        page: 1,
        confidence,
      });
    }
    if (text && result.confidence < lowOcrConfidence) {
      warnings.push({
        code: 'ocr.low_confidence',
        message: `OCR confidence ${confidence.toFixed(2)}: the text may contain errors.`,
        page: 1,
        confidence,
      });
    }
    return buildDocument({
      title: titleFromFileName(input.fileName),
      mediaType: input.mediaType ?? 'image/png',
      sections: [{ headingPath: [], text, kind: 'text', pageStart: 1, pageEnd: 1 }],
      pageCount: 1,
      warnings,
      ocrPages: 1,
    });
  },
};
