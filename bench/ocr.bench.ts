/**
 * OCR quality and speed: `npm run bench:ocr` (`node bench/ocr.bench.ts [--dpi 300] [--pdf-samples DIR]`).
 *
 * Generated pages with ground truth (src/ingest/parsers/fixtures/ocr-pages.ts) — two-column articles, a rating
 * table, a boxed claim form, a deposition, a slide, pages turned 90°/180°/270°, a blank and a noisy page —
 * rendered at 300 dpi with skew, blur and speckles, each read three ways in the same run:
 *
 * - `raw`: the engine's default (tesseract.js: PSM 6, one block), one recognition: the baseline;
 * - `before`: what Groundwork did before (PSM 6; below 0.6 confidence, re-read at 90°, 270°, 180°);
 * - `now`: Groundwork (`recognizeUpright` + `ocrPageContent`: PSM 3, layout analysis, orientation detection).
 *
 * Word accuracy = 1 − word error rate (Levenshtein over the word sequences: reading order counts);
 * bag-of-words recall = share of the truth's words found, in any order. Groundwork is scored on its reading
 * order with table cells separated by spaces (the rendered `Header: value` rows repeat headers, which a word
 * error rate would count as insertions); "rows kept" checks the rendered sections: a table row is kept when
 * one line holds all its cells in order. Times are per page, warm engines; max/median over the text pages.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import {
  blankPage,
  depositionPage,
  formPage,
  type OcrTestPage,
  slidePage,
  tablePage,
  turnedPage,
  twoColumnPage,
} from '../src/ingest/parsers/fixtures/ocr-pages.ts';
import { closeParsers, defaultParseLimits, parseDocument } from '../src/ingest/parsers/index.ts';
import { createTesseractOcr, lowOcrConfidence, type OcrEngine, type OcrResult } from '../src/ingest/parsers/ocr/ocr-engine.ts';
import { ocrPageContent } from '../src/ingest/parsers/ocr/ocr-page.ts';
import { layoutText } from '../src/ingest/parsers/ocr/page-layout.ts';
import { recognizeUpright } from '../src/ingest/parsers/ocr/recognize-upright.ts';

const argument = (name: string) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
};
const dpi = Number(argument('--dpi') ?? 300);
const samplesDir = argument('--pdf-samples') ?? join(import.meta.dirname, '../../shared/data/pdf-samples');

/** Lower-cased words without surrounding punctuation. */
export function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/\s+/)
    .map((word) => word.replace(/^[^\p{L}\p{N}$]+|[^\p{L}\p{N}%]+$/gu, ''))
    .filter(Boolean);
}

function editDistance(a: readonly string[], b: readonly string[]): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, (previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function scores(truth: string, text: string): { accuracy: number; recall: number } {
  const expected = words(truth);
  const found = words(text);
  if (expected.length === 0) return { accuracy: found.length === 0 ? 1 : 0, recall: 1 };
  const counts = new Map<string, number>();
  for (const word of found) counts.set(word, (counts.get(word) ?? 0) + 1);
  let hits = 0;
  for (const word of expected) {
    const left = counts.get(word) ?? 0;
    if (left > 0) {
      hits++;
      counts.set(word, left - 1);
    }
  }
  return { accuracy: Math.max(0, 1 - editDistance(expected, found) / expected.length), recall: hits / expected.length };
}

/** Share of the table's data rows whose cells all appear, in order, on one line of the text. */
function rowsKept(rows: readonly (readonly string[])[] | undefined, text: string): number | undefined {
  if (!rows || rows.length < 2) return undefined;
  const lines = text.split('\n').map((line) => words(line).join(' '));
  const data = rows.slice(1);
  const kept = data.filter((row) => {
    const pattern = row.map((cell) => words(cell).join(' '));
    return lines.some((line) => {
      let at = 0;
      for (const cell of pattern) {
        const found = line.indexOf(cell, at);
        if (found < 0) return false;
        at = found + cell.length;
      }
      return true;
    });
  });
  return kept.length / data.length;
}

async function turn(image: Uint8Array, degrees: 90 | 180 | 270): Promise<Uint8Array> {
  const { createCanvas, loadImage } = await import('@napi-rs/canvas');
  const source = await loadImage(Buffer.from(image));
  const sideways = degrees !== 180;
  const canvas = createCanvas(sideways ? source.height : source.width, sideways ? source.width : source.height);
  const context = canvas.getContext('2d');
  context.translate(canvas.width / 2, canvas.height / 2);
  context.rotate((degrees * Math.PI) / 180);
  context.drawImage(source, -source.width / 2, -source.height / 2);
  return new Uint8Array(await canvas.encode('png'));
}

/** Groundwork before this change: one block, and three more readings of every low-confidence page. */
async function before(engine: OcrEngine, image: Uint8Array): Promise<{ result: OcrResult; recognitions: number }> {
  let best = await engine.recognize(image);
  let recognitions = 1;
  if (best.confidence >= lowOcrConfidence || best.text.replace(/\s+/g, '').length < 20) return { result: best, recognitions };
  for (const degrees of [90, 270, 180] as const) {
    const result = await engine.recognize(await turn(image, degrees));
    recognitions++;
    if (result.confidence > best.confidence + 0.15) best = result;
    if (best.confidence >= 0.8) break;
  }
  return { result: best, recognitions };
}

const options = { dpi };
const article = await twoColumnPage({ ...options, seed: 1 });
const table = await tablePage({ ...options, seed: 3 });
const form = await formPage({ ...options, seed: 4 });
const pages: OcrTestPage[] = [
  article,
  await twoColumnPage({ ...options, seed: 2 }),
  table,
  form,
  await depositionPage({ ...options, seed: 5 }),
  await slidePage({ ...options, seed: 6 }),
  await turnedPage(await twoColumnPage({ ...options, seed: 7 }), 90),
  await turnedPage(await tablePage({ ...options, seed: 8 }), 180),
  await turnedPage(await formPage({ ...options, seed: 9 }), 270),
  await blankPage({ ...options, seed: 10 }),
  await blankPage({ ...options, seed: 11, noise: true }),
];

const load = () =>
  loadavg()
    .map((value) => value.toFixed(1))
    .join(' / ');
console.log(`machine: ${cpus().length} cores, load average at start ${load()} (1/5/15 min); ${pages.length} pages at ${dpi} dpi`);

const raw = createTesseractOcr({ pageSegmentation: 'single-block' });
const ours = createTesseractOcr();
// Start the engines (and the orientation detector) outside the timings.
const warm = await tablePage({ dpi: 100, height: 0.2, degrade: false });
await raw.recognize(warm.png);
await ours.recognize(warm.png);
await ours.detectOrientation(article.png);

interface Row {
  kind: string;
  raw: { accuracy: number; recall: number; ms: number; rows?: number | undefined };
  before: { accuracy: number; recall: number; ms: number; recognitions: number };
  now: {
    accuracy: number;
    recall: number;
    ms: number;
    rows?: number | undefined;
    recognitions: number;
    rotation: number;
    confidence: number;
    columns: number;
    tables: number;
    unreadable: boolean;
    orientationChecked: boolean;
  };
}
const results: Row[] = [];
for (const page of pages) {
  let started = performance.now();
  const rawResult = await raw.recognize(page.png);
  const rawMs = performance.now() - started;
  started = performance.now();
  const old = await before(raw, page.png);
  const beforeMs = performance.now() - started;
  started = performance.now();
  const now = await recognizeUpright(ours, page.png);
  const content = ocrPageContent(now, 1, [], 'The page');
  const nowMs = performance.now() - started;
  const nowText = content.page.ocr.unreadable ? content.sections.map((s) => s.text).join('\n') : layoutText(now.layout);
  const rendered = content.sections.map((section) => section.text).join('\n');
  const row: Row = {
    kind: page.kind,
    raw: { ...scores(page.truth, rawResult.text), ms: rawMs, rows: rowsKept(page.rows, rawResult.text) },
    before: { ...scores(page.truth, old.result.text), ms: beforeMs, recognitions: old.recognitions },
    now: {
      ...scores(page.truth, nowText),
      ms: nowMs,
      rows: rowsKept(page.rows, rendered),
      recognitions: now.recognitions,
      rotation: now.rotation,
      confidence: content.page.ocr.confidence,
      columns: content.page.ocr.columns,
      tables: content.page.ocr.tables,
      unreadable: content.page.ocr.unreadable,
      orientationChecked: now.orientationChecked,
    },
  };
  results.push(row);
  console.log(JSON.stringify(row));
}

const pct = (value: number | undefined) => (value === undefined ? '—' : `${(value * 100).toFixed(1)}%`);
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
console.log(
  '\n| page | raw engine (PSM 6): word acc. / BoW recall / time | before: acc. / time (recognitions) | Groundwork: word acc. / BoW recall / time (recognitions) | confidence, columns, tables, turned | rows kept raw → now |',
);
console.log('|---|---|---|---|---|---|');
for (const row of results) {
  console.log(
    `| ${row.kind} | ${pct(row.raw.accuracy)} / ${pct(row.raw.recall)} / ${sec(row.raw.ms)} | ${pct(row.before.accuracy)} / ${sec(row.before.ms)} (${row.before.recognitions}) | ${pct(row.now.accuracy)} / ${pct(row.now.recall)} / ${sec(row.now.ms)} (${row.now.recognitions}${row.now.orientationChecked ? ' + OSD' : ''}) | ${row.now.confidence.toFixed(2)}, ${row.now.columns}, ${row.now.tables}, ${row.now.rotation}°${row.now.unreadable ? ', unreadable' : ''} | ${row.raw.rows === undefined ? '—' : `${pct(row.raw.rows)} → ${pct(row.now.rows)}`} |`,
  );
}
const text = results.filter((row) => !['blank', 'noise'].includes(row.kind));
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
for (const name of ['raw', 'before', 'now'] as const) {
  const times = results.map((row) => row[name].ms);
  console.log(
    `${name}: mean word accuracy ${pct(mean(text.map((row) => row[name].accuracy)))}, mean BoW recall ${pct(mean(text.map((row) => row[name].recall)))} over ${text.length} text pages; time median ${sec(median(times))}, max ${sec(Math.max(...times))}, max/median ${(Math.max(...times) / median(times)).toFixed(2)}, total ${sec(times.reduce((a, b) => a + b, 0))}`,
  );
}
const target = text.filter((row) => /two-column|table|form/.test(row.kind));
console.log(
  `columns, forms and tables (incl. turned): Groundwork mean word accuracy ${pct(mean(target.map((row) => row.now.accuracy)))}, min ${pct(Math.min(...target.map((row) => row.now.accuracy)))} (target ≥ 85%)`,
);
await raw.terminate();
await ours.terminate();

// Real PDFs (never in tests): which pages get OCRed, how long, how confident.
if (existsSync(samplesDir)) {
  const files = readdirSync(samplesDir, { recursive: true })
    .map(String)
    .filter((name) => name.toLowerCase().endsWith('.pdf'));
  for (const name of files) {
    const started = performance.now();
    try {
      const document = await parseDocument({
        bytes: readFileSync(join(samplesDir, name)),
        fileName: name,
        limits: defaultParseLimits,
      });
      if (document.stats.ocrPages === 0) continue;
      console.log(
        `${name}: ${document.stats.ocrPages} OCRed page(s) in ${sec(performance.now() - started)}; pages ${JSON.stringify(document.pages)}`,
      );
    } catch (error) {
      console.log(`${name}: ${(error as { code?: string }).code ?? String(error)} after ${sec(performance.now() - started)}`);
    }
  }
}
await closeParsers();
console.log(`load average at end ${load()}`);
