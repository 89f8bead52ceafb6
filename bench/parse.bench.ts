/**
 * Parsing benchmark: `npm run bench:parse`.
 *
 * 1. Text PDFs: pages/s through `parseDocument`, against the baseline of calling unpdf's `extractText` alone
 *    on the same bytes in the same run (the difference is Groundwork's own work: detection, outline,
 *    metadata, normalisation).
 * 2. OCR: seconds per scanned page (full page of text) through `parseDocument`, with the OCR worker warm,
 *    against recognising the same rendered page image directly with the OCR engine.
 * 3. Isolation: the same text PDF through `parseIsolated` (worker thread) vs in process.
 * 4. Robustness: every PDF under /work/shared/data/pdf-samples (when present) through `parseIsolated`:
 *    how many parsed, how many failed by error code.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { makeDocx, makePdf, textImagePng } from '../src/ingest/parsers/fixtures/generate-fixtures.ts';
import { closeParsers, defaultParseLimits, parseDocument, parseIsolated, sharedOcrEngine } from '../src/ingest/parsers/index.ts';

const line = (page: number, row: number) =>
  `Page ${page} line ${row}: the insured shall give prompt notice of loss, protect the property from further damage and keep records.`;

async function timeIt<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

console.log(
  `machine: ${cpus().length} cores, load average at start ${loadavg()
    .map((value) => value.toFixed(1))
    .join(' / ')} (1/5/15 min)`,
);

const pages = 100;
const textPdf = await makePdf(
  Array.from({ length: pages }, (_, page) => ({ text: Array.from({ length: 40 }, (_, row) => line(page + 1, row + 1)) })),
);
const noOcr = { ...defaultParseLimits, ocr: { enabled: false, minPageChars: 20 } };
const { extractText, getDocumentProxy } = await import('unpdf');

// Warm up both paths once (module loading, PDF.js start-up).
await parseDocument({ bytes: textPdf, fileName: 'warmup.pdf', limits: noOcr });
await extractText(await getDocumentProxy(new Uint8Array(textPdf)), { mergePages: false });

const ours: number[] = [];
const baseline: number[] = [];
for (let round = 0; round < 5; round++) {
  baseline.push(
    (await timeIt(async () => extractText(await getDocumentProxy(new Uint8Array(textPdf)), { mergePages: false }))).ms,
  );
  ours.push((await timeIt(() => parseDocument({ bytes: textPdf, fileName: 'policy.pdf', limits: noOcr }))).ms);
}
const oursPps = pages / (median(ours) / 1000);
const basePps = pages / (median(baseline) / 1000);
console.log(`text PDF, ${pages} pages x 40 lines, ${(textPdf.length / 1024).toFixed(0)} KiB, median of 5:`);
console.log(`  unpdf extractText alone (baseline): ${median(baseline).toFixed(0)} ms = ${basePps.toFixed(0)} pages/s`);
console.log(`  parseDocument:                      ${median(ours).toFixed(0)} ms = ${oursPps.toFixed(0)} pages/s`);

const isolated: number[] = [];
await parseIsolated({ bytes: textPdf, fileName: 'warmup.pdf', limits: noOcr }, { timeoutMs: 120_000, concurrency: 1 });
for (let round = 0; round < 3; round++) {
  isolated.push(
    (
      await timeIt(() =>
        parseIsolated({ bytes: textPdf, fileName: 'policy.pdf', limits: noOcr }, { timeoutMs: 120_000, concurrency: 1 }),
      )
    ).ms,
  );
}
console.log(
  `  parseIsolated (warm worker):        ${median(isolated).toFixed(0)} ms = ${(pages / (median(isolated) / 1000)).toFixed(0)} pages/s`,
);

// OCR: a full page of text (34 lines), three scanned pages.
const scannedLines = Array.from({ length: 34 }, (_, row) => line(1, row + 1).slice(0, 70));
const scannedPages = 3;
const scannedPdf = await makePdf(Array.from({ length: scannedPages }, () => ({ scanned: scannedLines })));
const pageImage = await textImagePng(scannedLines);
const started = performance.now();
await sharedOcrEngine().recognize(await textImagePng(['warm up']));
const startupMs = performance.now() - started;
const direct: number[] = [];
for (let round = 0; round < 2; round++) direct.push((await timeIt(() => sharedOcrEngine().recognize(pageImage))).ms);
const scanned = await timeIt(() => parseDocument({ bytes: scannedPdf, fileName: 'scan.pdf', limits: defaultParseLimits }));
const recognised = scanned.value.sections.map((section) => section.text).join('\n');
const expectedWords = scannedLines.join(' ').split(/\s+/);
const recognisedWords = new Set(recognised.split(/\s+/));
const wordRecall = expectedWords.filter((word) => recognisedWords.has(word)).length / expectedWords.length;
console.log(`OCR, full page of text (34 lines), ${scannedPages} scanned pages:`);
console.log(`  OCR worker start-up: ${(startupMs / 1000).toFixed(2)} s (once per process or parse worker)`);
console.log(`  engine on the page image alone (baseline): ${(median(direct) / 1000).toFixed(2)} s/page`);
console.log(
  `  parseDocument (render at 200 dpi + OCR):   ${(scanned.ms / 1000 / scannedPages).toFixed(2)} s/page, ocrPages ${scanned.value.stats.ocrPages}, word recall ${(wordRecall * 100).toFixed(1)}%`,
);

// Other formats: Groundwork's parser against the bare library (or the naive split) on the same bytes.
const formatRows: string[] = [];
async function compare(name: string, bytes: Uint8Array, fileName: string, baselineRun: () => Promise<unknown>): Promise<void> {
  await baselineRun();
  await parseDocument({ bytes, fileName, limits: noOcr });
  const base: number[] = [];
  const mine: number[] = [];
  for (let round = 0; round < 3; round++) {
    base.push((await timeIt(baselineRun)).ms);
    mine.push((await timeIt(() => parseDocument({ bytes, fileName, limits: noOcr }))).ms);
  }
  const kib = bytes.length / 1024;
  const baseMs = median(base);
  const mineMs = median(mine);
  formatRows.push(
    `  ${name.padEnd(40)} ${kib.toFixed(0).padStart(6)} KiB: baseline ${baseMs.toFixed(0).padStart(5)} ms, parseDocument ${mineMs.toFixed(0).padStart(5)} ms (${(mineMs / baseMs).toFixed(2)}x), ${(bytes.length / 1024 / 1024 / (mineMs / 1000)).toFixed(1)} MB/s`,
  );
}
const csvLines = ['Policy;Insured;Territory;Premium;Effective'];
for (let i = 0; i < 60_000; i++)
  csvLines.push(`HO3-${100000 + i};"Insured ${i}; Jr.";Springfield;${(500 + (i % 900)).toFixed(2)};2026-03-01`);
const csv = new TextEncoder().encode(csvLines.join('\n'));
await compare('CSV 60k rows (baseline: split)', csv, 'policies.csv', async () =>
  new TextDecoder()
    .decode(csv)
    .split('\n')
    .map((row) => row.split(';')),
);
const iconv = (await import('iconv-lite')).default;
const legacy = new Uint8Array(
  iconv.encode(
    Array.from({ length: 20_000 }, (_, i) => `Schadenfall ${i}: Prüfung läuft, Selbstbehalt 500 € – Gebäude.`).join('\n'),
    'windows-1252',
  ),
);
await compare('Windows-1252 text (baseline: iconv)', legacy, 'legacy.txt', async () =>
  iconv.decode(Buffer.from(legacy), 'windows-1252'),
);
const docx = makeDocx(
  Array.from({ length: 3000 }, (_, i) =>
    i % 20 === 0 ? { heading: `Section ${i / 20 + 1}`, level: 1 as const } : { paragraph: line(Math.floor(i / 20) + 1, i % 20) },
  ),
);
const mammoth = (await import('mammoth')).default;
await compare('DOCX 3k paragraphs (baseline: mammoth)', docx, 'handbook.docx', () =>
  mammoth.convertToHtml({ buffer: Buffer.from(docx) }),
);
const ExcelJS = (await import('exceljs')).default;
const workbook = new ExcelJS.Workbook();
const sheet = workbook.addWorksheet('Rates');
sheet.addRow(['Territory', 'Construction', 'Rate', 'Effective']);
for (let i = 0; i < 20_000; i++)
  sheet.addRow([`Territory ${i % 50}`, i % 2 ? 'Frame' : 'Masonry', 3 + (i % 100) / 100, new Date('2026-03-01T00:00:00Z')]);
const xlsx = new Uint8Array(await workbook.xlsx.writeBuffer());
await compare('XLSX 20k rows (baseline: exceljs load)', xlsx, 'rates.xlsx', async () =>
  new ExcelJS.Workbook().xlsx.load(Buffer.from(xlsx) as never),
);
console.log('other formats, median of 3:');
for (const row of formatRows) console.log(row);

const samples = '/work/shared/data/pdf-samples';
if (existsSync(samples)) {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.toLowerCase().endsWith('.pdf')) files.push(path);
    }
  };
  walk(samples);
  const outcomes = new Map<string, number>();
  let ocrPages = 0;
  let totalPages = 0;
  const robust = await timeIt(async () => {
    for (const file of files.sort()) {
      try {
        const document = await parseIsolated(
          { bytes: new Uint8Array(readFileSync(file)), fileName: file, limits: defaultParseLimits },
          { timeoutMs: 60_000, concurrency: 1 },
        );
        ocrPages += document.stats.ocrPages;
        totalPages += document.stats.pages;
        outcomes.set('parsed', (outcomes.get('parsed') ?? 0) + 1);
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'non-GroundworkError';
        outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
      }
    }
  });
  console.log(`robustness, ${files.length} PDFs from ${samples} via parseIsolated (${(robust.ms / 1000).toFixed(1)} s):`);
  console.log(
    `  ${[...outcomes].map(([code, count]) => `${code}: ${count}`).join(', ')}; ${totalPages} pages, ${ocrPages} OCRed`,
  );
}

console.log(
  `load average at end ${loadavg()
    .map((value) => value.toFixed(1))
    .join(' / ')}`,
);
await closeParsers();
