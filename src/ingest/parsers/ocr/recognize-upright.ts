import {
  lowOcrConfidence,
  type OcrBox,
  type OcrEngine,
  type OcrLine,
  type OcrOrientation,
  type OcrResult,
  type PageSegmentation,
} from './ocr-engine.ts';
import { analyzeLayout, type PageLayout } from './page-layout.ts';

/** OCR result with its layout and the rotation (clockwise degrees) that was applied to read it. */
export interface UprightOcrResult extends OcrResult {
  readonly rotation: 0 | 90 | 180 | 270;
  readonly layout: PageLayout;
  /** Recognitions run (1; 2 when the page was turned or re-read as one block; at most 3). */
  readonly recognitions: number;
  readonly orientationChecked: boolean;
  /** The segmentation of the reading that was kept. */
  readonly pageSegmentation: PageSegmentation;
}

/**
 * Automatic segmentation sometimes cuts a narrow column of marks (the line numbers of a transcript) into a
 * block of its own and reads it as garbage; such a page has a mean confidence below this and many words
 * below `garbledWord`. It is re-read as one block and the clearly more confident reading is kept.
 */
const resegmentBelow = 0.9;
const garbledWord = 0.5;
const garbledShare = 0.1;
const resegmentMargin = 0.04;

/** Characters a low-confidence reading must have to look like garbled (turned) text rather than a picture. */
const minGarbleChars = 20;

/**
 * Orientation confidence tesseract's OSD must report before a page is turned. Upright and turned text pages
 * measured 3–33 (lower on small or sparse pages); noise and blank pages report about 0–1.
 */
export const minOrientationConfidence = 2;

/** Share of taller-than-wide words above which a reading is sideways text (the engine read a turned page). */
const sidewaysShare = 0.5;

/**
 * A page turned by 90° that the engine read anyway (automatic segmentation finds vertical text lines): when
 * the reading is confident and its words stand on end, the words' boxes are turned upright instead of the
 * image, which saves orientation detection and a second recognition. The direction comes from the reading
 * order: lines read downwards belong to a page turned 90° clockwise, which 270° more sets upright.
 */
function readSideways(result: OcrResult): UprightOcrResult | undefined {
  if (result.confidence < lowOcrConfidence) return undefined;
  const first = analyzeLayout(result.lines);
  if (!(first.verticalShare > sidewaysShare && first.words >= 5)) return undefined;
  let down = 0;
  for (const line of result.lines) {
    for (let index = 1; index < line.words.length; index++) {
      down += Math.sign((line.words[index]?.box.y0 ?? 0) - (line.words[index - 1]?.box.y0 ?? 0));
    }
  }
  if (down === 0) return undefined;
  const rotation = down > 0 ? 270 : 90;
  // Only relative positions matter to the layout, so the turn needs no image size.
  const turn = (box: OcrBox): OcrBox =>
    rotation === 270
      ? { x0: box.y0, y0: -box.x1, x1: box.y1, y1: -box.x0 }
      : { x0: -box.y1, y0: box.x0, x1: -box.y0, y1: box.x1 };
  const lines: OcrLine[] = result.lines.map((line) => ({
    slope: 0,
    words: line.words.map((word) => ({ ...word, box: turn(word.box) })),
  }));
  return {
    ...result,
    lines,
    layout: analyzeLayout(lines),
    rotation,
    recognitions: 1,
    orientationChecked: false,
    pageSegmentation: 'auto',
  };
}

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
 * reading is kept when it is the more confident one (or the upright one stood on end). A reading that looks
 * mis-segmented (see `resegmentBelow`) is re-read once as a single block. At most three recognitions.
 */
export async function recognizeUpright(engine: OcrEngine, image: Uint8Array): Promise<UprightOcrResult> {
  const read = await readTurned(engine, image);
  const words = read.result.lines.flatMap((line) => line.words);
  const garbled = words.filter((word) => word.confidence < garbledWord).length;
  const suspicious =
    read.result.confidence < resegmentBelow &&
    read.result.confidence >= lowOcrConfidence &&
    words.length >= 20 &&
    garbled >= garbledShare * words.length;
  if (!suspicious || !read.image) return read.result;
  const block = await engine.recognize(read.image, { pageSegmentation: 'single-block' });
  const recognitions = read.result.recognitions + 1;
  if (block.confidence < read.result.confidence + resegmentMargin) return { ...read.result, recognitions };
  return { ...read.result, ...block, layout: analyzeLayout(block.lines), recognitions, pageSegmentation: 'single-block' };
}

/** The upright reading, or the turned one when orientation detection says so; with the image it was read from. */
async function readTurned(
  engine: OcrEngine,
  image: Uint8Array,
): Promise<{ result: UprightOcrResult; image: Uint8Array | undefined }> {
  const upright = await engine.recognize(image);
  const sidewaysRead = readSideways(upright);
  if (sidewaysRead) return { result: sidewaysRead, image: undefined };
  const uprightLayout = analyzeLayout(upright.lines);
  const first: UprightOcrResult = {
    ...upright,
    layout: uprightLayout,
    rotation: 0,
    recognitions: 1,
    orientationChecked: false,
    pageSegmentation: 'auto',
  };
  if (!needsOrientationCheck(upright, uprightLayout)) return { result: first, image };
  let orientation: OcrOrientation | undefined;
  try {
    orientation = await engine.detectOrientation(image);
  } catch {
    // Without orientation detection the upright reading is the best there is.
    orientation = undefined;
  }
  const checked = { result: { ...first, orientationChecked: true }, image };
  if (!orientation || orientation.degrees === 0 || orientation.confidence < minOrientationConfidence) return checked;
  const turned = await rotate(image, orientation.degrees);
  if (!turned) return checked;
  const result = await engine.recognize(turned);
  const layout = analyzeLayout(result.lines);
  // Sideways text read upright by the engine may be as confident as the turned reading, but only the turned
  // one has usable columns and tables; a wrong turn reads as garbage and loses by far more than this margin.
  const sideways = uprightLayout.verticalShare > sidewaysShare;
  const better = result.confidence > upright.confidence || (sideways && result.confidence >= upright.confidence - 0.1);
  if (!better) return { result: { ...checked.result, recognitions: 2 }, image: undefined };
  return {
    result: {
      ...result,
      layout,
      rotation: orientation.degrees,
      recognitions: 2,
      orientationChecked: true,
      pageSegmentation: 'auto',
    },
    image: turned,
  };
}
