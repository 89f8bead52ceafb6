import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GroundworkError } from '../../../core/index.ts';

/** Text recognised on one image. */
export interface OcrResult {
  readonly text: string;
  /** Mean word confidence, 0..1. */
  readonly confidence: number;
}

/**
 * Optical character recognition of one image (PNG, JPEG, TIFF, BMP bytes). Implementations keep their
 * engine warm between calls; `terminate` releases it (the next `recognize` starts it again).
 */
export interface OcrEngine {
  recognize(image: Uint8Array): Promise<OcrResult>;
  terminate(): Promise<void>;
}

export interface TesseractOcrOptions {
  /** Where tesseract.js keeps the unpacked language data; defaults to `<tmpdir>/groundwork-tesseract`. */
  readonly cachePath?: string;
}

/** Folder of the English traineddata shipped by `@tesseract.js-data/eng` (gzip): nothing is downloaded at run time. */
function englishLangPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0');
}

/**
 * tesseract.js 7 (LSTM, English) with one worker kept alive: creating a worker costs ~0.4 s, a page ~1–2 s.
 * Calls are queued by the worker, so one engine serves concurrent parsers one page at a time.
 */
export function createTesseractOcr(options: TesseractOcrOptions = {}): OcrEngine {
  let worker: Promise<import('tesseract.js').Worker> | undefined;
  const start = async () => {
    const cachePath = options.cachePath ?? join(tmpdir(), 'groundwork-tesseract');
    mkdirSync(cachePath, { recursive: true });
    const tesseract = await import('tesseract.js');
    try {
      return await tesseract.createWorker('eng', tesseract.OEM.LSTM_ONLY, {
        langPath: englishLangPath(),
        cachePath,
        gzip: true,
        logger: () => {},
        errorHandler: () => {},
      });
    } catch (error) {
      throw new GroundworkError(
        'parse.ocr_unavailable',
        `The OCR engine could not start: ${error instanceof Error ? error.message : String(error)}`,
        {
          category: 'unavailable',
          fix: 'Check that tesseract.js and @tesseract.js-data/eng are installed (npm ci), or disable OCR with ingest.ocr.enabled = false.',
          cause: error,
        },
      );
    }
  };
  return {
    async recognize(image) {
      worker ??= start();
      let current: import('tesseract.js').Worker;
      try {
        current = await worker;
      } catch (error) {
        worker = undefined;
        throw error;
      }
      const result = await current.recognize(Buffer.from(image.buffer, image.byteOffset, image.byteLength));
      return { text: result.data.text, confidence: Math.max(0, Math.min(1, result.data.confidence / 100)) };
    },
    async terminate() {
      const current = worker;
      worker = undefined;
      if (current) await (await current.catch(() => undefined))?.terminate();
    },
  };
}

let shared: OcrEngine | undefined;

/** The process-wide OCR engine parsers use (one warm tesseract worker per process or parse worker thread). */
export function sharedOcrEngine(): OcrEngine {
  shared ??= createTesseractOcr();
  return shared;
}

/** Stops the shared OCR worker; the pipeline calls this when a run ends so the process can exit. */
export async function terminateSharedOcr(): Promise<void> {
  const engine = shared;
  shared = undefined;
  await engine?.terminate();
}

/** OCR pages below this mean confidence get an `ocr.low_confidence` warning. */
export const lowOcrConfidence = 0.6;
