import { lowOcrConfidence, type OcrEngine, type OcrResult } from './ocr-engine.ts';

/** OCR result with the rotation (clockwise degrees) that was applied to read it. */
export interface UprightOcrResult extends OcrResult {
  readonly rotation: 0 | 90 | 180 | 270;
}

/** Characters a low-confidence reading must have to look like sideways text rather than a picture. */
const minGarbleChars = 20;

/** Confidence a rotation must add over the upright reading to be believed. */
const rotationMargin = 0.15;

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
 * OCR that copes with pages scanned sideways or upside down (no orientation model ships with the English
 * data): when the upright reading is below the low-confidence threshold, the image is turned 90°, 270° and
 * 180° and the clearly most confident reading wins. Costs up to three more recognitions, only on such pages,
 * and only when the upright reading found text-like marks at all.
 */
export async function recognizeUpright(engine: OcrEngine, image: Uint8Array): Promise<UprightOcrResult> {
  let best: UprightOcrResult = { ...(await engine.recognize(image)), rotation: 0 };
  // Photos without text (damage photos in a claim file) read as nothing: turning them costs three runs for nothing.
  if (best.confidence >= lowOcrConfidence || best.text.replace(/\s+/g, '').length < minGarbleChars) return best;
  for (const degrees of [90, 270, 180] as const) {
    const rotated = await rotate(image, degrees);
    if (!rotated) return best;
    const result = await engine.recognize(rotated);
    if (result.confidence > best.confidence + rotationMargin) best = { ...result, rotation: degrees };
    if (best.confidence >= 0.8) break;
  }
  return best;
}
