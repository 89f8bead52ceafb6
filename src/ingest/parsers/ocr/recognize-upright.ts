import { lowOcrConfidence, type OcrEngine, type OcrOrientation, type OcrResult } from './ocr-engine.ts';
import { analyzeLayout, type PageLayout } from './page-layout.ts';

/** OCR result with its layout and the rotation (clockwise degrees) that was applied to read it. */
export interface UprightOcrResult extends OcrResult {
  readonly rotation: 0 | 90 | 180 | 270;
  readonly layout: PageLayout;
  /** Recognitions run (1, or 2 when the page was turned) and whether orientation detection ran. */
  readonly recognitions: number;
  readonly orientationChecked: boolean;
}

/** Characters a low-confidence reading must have to look like garbled (turned) text rather than a picture. */
const minGarbleChars = 20;

/**
 * Orientation confidence tesseract's OSD must report before a page is turned. Upright and turned text pages
 * measured 3–33 (lower on small or sparse pages); noise and blank pages report about 0–1.
 */
export const minOrientationConfidence = 2;

/** Share of taller-than-wide words above which a reading is sideways text (the engine read a turned page). */
const sidewaysShare = 0.5;

async function rotate(image: Uint8Array, degrees: 90 | 180 | 270): Promise<Uint8Array | undefined> {
  try {
    const { createCanvas, loadImage } = await import('@napi-rs/canvas');
    const source = await loadImage(Buffer.from(image.buffer, image.byteOffset, image.byteLength));
    const sideways = degrees !== 180;
    const canvas = createCanvas(sideways ? source.height : source.width, sideways ? source.width : source.height);
    const context = canvas.getContext('2d');
    context.translate(canvas.width / 2, canvas.height / 2);
    context.rotate((degrees * Math.PI) / 180);
    context.drawImage(source, -source.width / 2, -source.height / 2);
    return new Uint8Array(await canvas.encode('png'));
  } catch {
    // Formats the canvas cannot decode (TIFF) are read as they are.
    return undefined;
  }
}

/**
 * Whether the upright reading calls for orientation detection: it is low-confidence with enough marks to be
 * text (photos and blank pages are not), or its words stand on end (a page turned 90°: tesseract's automatic
 * segmentation can read such text, but not its columns or tables).
 */
export function needsOrientationCheck(result: OcrResult, layout: PageLayout): boolean {
  if (layout.verticalShare > sidewaysShare && layout.words >= 5) return true;
  return result.confidence < lowOcrConfidence && result.text.replace(/\s+/g, '').length >= minGarbleChars;
}

/**
 * OCR of a page that may be scanned sideways or upside down. The page is read as it is; only when that reading
 * looks wrong (`needsOrientationCheck`) does orientation detection run (tesseract OSD, ~0.5–2 s), and only
 * when it says, confidently, that the page is turned is the page turned and read once more. The turned
 * reading is kept when it is the more confident one (or the upright one stood on end).
 */
export async function recognizeUpright(engine: OcrEngine, image: Uint8Array): Promise<UprightOcrResult> {
  const upright = await engine.recognize(image);
  const uprightLayout = analyzeLayout(upright.lines);
  const first: UprightOcrResult = {
    ...upright,
    layout: uprightLayout,
    rotation: 0,
    recognitions: 1,
    orientationChecked: false,
  };
  if (!needsOrientationCheck(upright, uprightLayout)) return first;
  let orientation: OcrOrientation | undefined;
  try {
    orientation = await engine.detectOrientation(image);
  } catch {
    // Without orientation detection the upright reading is the best there is.
    orientation = undefined;
  }
  const checked = { ...first, orientationChecked: true };
  if (!orientation || orientation.degrees === 0 || orientation.confidence < minOrientationConfidence) return checked;
  const turned = await rotate(image, orientation.degrees);
  if (!turned) return checked;
  const result = await engine.recognize(turned);
  const layout = analyzeLayout(result.lines);
  // Sideways text read upright by the engine may be as confident as the turned reading, but only the turned
  // one has usable columns and tables; a wrong turn reads as garbage and loses by far more than this margin.
  const sideways = uprightLayout.verticalShare > sidewaysShare;
  const better = result.confidence > upright.confidence || (sideways && result.confidence >= upright.confidence - 0.1);
  if (!better) return { ...checked, recognitions: 2 };
  return { ...result, layout, rotation: orientation.degrees, recognitions: 2, orientationChecked: true };
}
