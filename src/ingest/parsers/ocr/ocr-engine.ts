import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GroundworkError } from '../../../core/index.ts';

/** A box in image pixels: left, top, right, bottom. */
export interface OcrBox {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** One recognised word with where it is on the image. */
export interface OcrWord {
  readonly text: string;
  /** 0..1 */
  readonly confidence: number;
  readonly box: OcrBox;
}

/** One text line as the engine found it: its words in order and the slope of its baseline. */
export interface OcrLine {
  readonly words: readonly OcrWord[];
  /** Baseline slope (dy/dx); pages scanned slightly askew have the same slope on every line. */
  readonly slope: number;
}

/** Text recognised on one image. */
export interface OcrResult {
  /** The engine's own reading of the text (its block order). */
  readonly text: string;
  /** Mean word confidence, 0..1. */
  readonly confidence: number;
  /** The lines with word boxes, for layout analysis (columns, tables). */
  readonly lines: readonly OcrLine[];
}

/** Which way a page is turned, from orientation detection: the clockwise rotation that makes it upright. */
export interface OcrOrientation {
  readonly degrees: 0 | 90 | 180 | 270;
  /** The engine's orientation confidence (tesseract OSD: ~0–50; above ~2 the best orientation is clearly ahead). */
  readonly confidence: number;
}

/**
 * Optical character recognition of one image (PNG, JPEG, TIFF, BMP bytes). Implementations keep their
 * engine warm between calls; `terminate` releases it (the next call starts it again).
 */
export interface OcrEngine {
  /** `pageSegmentation` overrides the engine's own for this call. */
  recognize(image: Uint8Array, options?: { readonly pageSegmentation?: PageSegmentation }): Promise<OcrResult>;
  /** Orientation and script detection; undefined when the image shows too little text to tell. */
  detectOrientation(image: Uint8Array): Promise<OcrOrientation | undefined>;
  terminate(): Promise<void>;
}

/**
 * How the page is segmented before recognition. `auto` (tesseract PSM 3): blocks, columns and tables are
 * found and read one after the other. `single-block` (PSM 6, tesseract.js's default and what Groundwork
 * used before): the page is one block of text, so two columns are read line by line across both.
 */
export type PageSegmentation = 'auto' | 'single-block';

export interface TesseractOcrOptions {
  /** Where tesseract.js keeps the unpacked language data; defaults to `<tmpdir>/groundwork-tesseract`. */
  readonly cachePath?: string;
  /** Defaults to `auto`; `single-block` exists to measure the old behaviour against (bench/ocr.bench.ts). */
  readonly pageSegmentation?: PageSegmentation;
}

/**
 * Folder of the English traineddata shipped by `@tesseract.js-data/eng` (gzip): nothing is downloaded at run
 * time. This is the full `tessdata` model: LSTM for recognition and the legacy classifier that orientation
 * detection needs, so no separate OSD model is required.
 */
function englishLangPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0');
}

type TesseractWorker = import('tesseract.js').Worker;

const pageSegModes: Record<PageSegmentation, string> = { auto: '3', 'single-block': '6' };

interface TesseractBlock {
  paragraphs?: { lines?: TesseractLine[] }[];
}
interface TesseractLine {
  words?: { text?: string; confidence?: number; bbox?: OcrBox }[];
  baseline?: OcrBox;
}

/** Lines with word boxes from tesseract's block tree; tolerant of missing parts (a page without text has none). */
export function linesFromBlocks(blocks: readonly TesseractBlock[] | null | undefined): OcrLine[] {
  const lines: OcrLine[] = [];
  for (const block of blocks ?? []) {
    for (const paragraph of block.paragraphs ?? []) {
      for (const line of paragraph.lines ?? []) {
        const words: OcrWord[] = [];
        for (const word of line.words ?? []) {
          const text = (word.text ?? '').trim();
          const box = word.bbox;
          if (!text || !box || !(box.x1 > box.x0) || !(box.y1 > box.y0)) continue;
          words.push({ text, confidence: clamp01((word.confidence ?? 0) / 100), box });
        }
        if (words.length === 0) continue;
        const base = line.baseline;
        const slope = base && base.x1 - base.x0 > 0 ? (base.y1 - base.y0) / (base.x1 - base.x0) : 0;
        lines.push({ words, slope: Number.isFinite(slope) ? slope : 0 });
      }
    }
  }
  return lines;
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.max(0, Math.min(1, value)) : 0;
}

/**
 * tesseract.js 7 (LSTM, English) with one worker kept alive: creating a worker costs ~0.4–1.5 s, a page ~2–9 s.
 * Calls are queued by the worker, so one engine serves concurrent parsers one page at a time. Orientation
 * detection needs tesseract's legacy engine, so it runs in a second worker that is only started the first
 * time a page needs it (most pages do not: see `recognizeUpright`).
 */
export function createTesseractOcr(options: TesseractOcrOptions = {}): OcrEngine {
  let recognizer: Promise<TesseractWorker> | undefined;
  let detector: Promise<TesseractWorker> | undefined;
  const start = async (purpose: 'recognize' | 'detect') => {
    const cachePath = options.cachePath ?? join(tmpdir(), 'groundwork-tesseract');
    mkdirSync(cachePath, { recursive: true });
    const tesseract = await import('tesseract.js');
    try {
      const legacy = purpose === 'detect';
      const worker = await tesseract.createWorker('eng', legacy ? tesseract.OEM.TESSERACT_ONLY : tesseract.OEM.LSTM_ONLY, {
        langPath: englishLangPath(),
        cachePath,
        gzip: true,
        legacyCore: legacy,
        legacyLang: legacy,
        logger: () => {},
        errorHandler: () => {},
      });
      await worker.setParameters({
        tessedit_pageseg_mode: pageSegModes[options.pageSegmentation ?? 'auto'] as never,
        // Tesseract's diagnostics ("Estimating resolution as 280") would otherwise go to the process's stderr.
        debug_file: '/dev/null',
      });
      return worker;
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
  const ready = async (purpose: 'recognize' | 'detect'): Promise<TesseractWorker> => {
    if (purpose === 'recognize') recognizer ??= start(purpose);
    else detector ??= start(purpose);
    const pending = purpose === 'recognize' ? recognizer : detector;
    try {
      return await (pending as Promise<TesseractWorker>);
    } catch (error) {
      if (purpose === 'recognize') recognizer = undefined;
      else detector = undefined;
      throw error;
    }
  };
  const buffer = (image: Uint8Array) => Buffer.from(image.buffer, image.byteOffset, image.byteLength);
  return {
    async recognize(image, call = {}) {
      const worker = await ready('recognize');
      const mode = call.pageSegmentation ? { tessedit_pageseg_mode: pageSegModes[call.pageSegmentation] } : {};
      const result = await worker.recognize(buffer(image), mode as never, { text: true, blocks: true });
      return {
        text: result.data.text ?? '',
        confidence: clamp01((result.data.confidence ?? 0) / 100),
        lines: linesFromBlocks(result.data.blocks as TesseractBlock[] | null),
      };
    },
    async detectOrientation(image) {
      const worker = await ready('detect');
      const { data } = await worker.detect(buffer(image));
      const degrees = data.orientation_degrees;
      if (degrees !== 0 && degrees !== 90 && degrees !== 180 && degrees !== 270) return undefined;
      return { degrees, confidence: data.orientation_confidence ?? 0 };
    },
    async terminate() {
      const running = [recognizer, detector];
      recognizer = undefined;
      detector = undefined;
      for (const worker of running) if (worker) await (await worker.catch(() => undefined))?.terminate();
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

/** OCR pages below this mean confidence get an `ocr.low_confidence` warning and are flagged for review. */
export const lowOcrConfidence = 0.6;
