/**
 * Awkward-file benchmark: `npm run bench:formats`.
 *
 * Generates a corpus of every supported format in a temporary folder — legacy Office (.doc/.xls/.ppt),
 * Outlook .msg with attachments and attached messages, RTF, OpenDocument, tar/tar.gz/.tgz archives, a long
 * multi-page PDF, and the modern formats (PDF, DOCX, XLSX, PPTX, EML, ZIP, HTML, Markdown, CSV, text) — and
 * measures, in the same run:
 *
 * 1. a plain read of every file (fs read + sha256): the floor any ingestion pays;
 * 2. `parseDocument` in process: files/s and pages/s;
 * 3. the worker pool (`createParserPool`, 2 threads, the default page budget): files/s and pages/s.
 *
 * Archive members and attachments are parsed too (as the pipeline would), and counted as files.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { makeDocx, makeEml, makePdf, makePptx, makeXlsx, makeZip } from '../src/ingest/parsers/fixtures/generate-fixtures.ts';
import {
  makeDoc,
  makeMsg,
  makeOdp,
  makeOds,
  makeOdt,
  makePpt,
  makeRtf,
  makeTar,
  makeTarGz,
  makeXls,
  sampleMsg,
  sampleTarMembers,
} from '../src/ingest/parsers/fixtures/generate-legacy-fixtures.ts';
import { createParserPool, defaultParseLimits, parseDocument } from '../src/ingest/parsers/index.ts';
import type { ParsedDocument, ParseInput } from '../src/ingest/parsers/parser.ts';

const copies = Number(process.env.BENCH_COPIES ?? 12);
const directory = mkdtempSync(join(tmpdir(), 'groundwork-formats-'));
console.log(
  `machine: ${cpus().length} cores, load average at start ${loadavg()
    .map((value) => value.toFixed(1))
    .join(' / ')}; corpus in ${directory}`,
);

const sentence = (index: number) =>
  `Claim ${index}: the insured reported water damage; the adjuster inspected the roof, the basement and the contents.`;
const longPdf = await makePdf(
  Array.from({ length: 200 }, (_, page) => ({ text: Array.from({ length: 30 }, (_, row) => sentence(page * 30 + row)) })),
);
const templates: [string, () => Promise<Uint8Array> | Uint8Array][] = [
  ['wording.doc', () => makeDoc()],
  ['loss-runs.xls', () => makeXls()],
  ['flood.ppt', () => makePpt()],
  ['claim.msg', () => makeMsg()],
  [
    'claim-html.msg',
    () =>
      makeMsg({
        ...sampleMsg(),
        html: `<h1>Claim</h1><p>${sentence(1)}</p><table><tr><th>Item</th><th>Amount</th></tr><tr><td>Drying</td><td>1,250</td></tr></table>`,
      }),
  ],
  ['fire.rtf', () => makeRtf()],
  ['guide.odt', () => makeOdt()],
  ['reserves.ods', () => makeOds()],
  ['hail.odp', () => makeOdp()],
  ['export.tar.gz', () => makeTarGz()],
  ['export.tgz', () => makeTarGz()],
  ['export.tar', () => makeTar(sampleTarMembers())],
  ['letter.txt.gz', () => new Uint8Array(gzipSync(Array.from({ length: 40 }, (_, index) => sentence(index)).join('\n')))],
  [
    'policy.pdf',
    () =>
      makePdf(
        Array.from({ length: 5 }, (_, page) => ({ text: Array.from({ length: 30 }, (_, row) => sentence(page * 30 + row)) })),
      ),
  ],
  [
    'handbook.docx',
    () =>
      makeDocx([
        { heading: 'Water damage', level: 1 },
        { paragraph: sentence(1) },
        {
          table: [
            ['Item', 'Amount'],
            ['Drying', '1,250'],
          ],
        },
      ]),
  ],
  ['rates.xlsx', () => makeXlsx()],
  ['review.pptx', () => makePptx([{ title: 'Q3', body: ['Frequency up 4%'], notes: 'hail' }])],
  ['receipts.eml', () => makeEml()],
  ['claim-file.zip', () => makeZip()],
  ['notes.md', () => new TextEncoder().encode(`# Notes\n\n${sentence(2)}\n\n| a | b |\n|---|---|\n| 1 | 2 |\n`)],
  [
    'page.html',
    () =>
      new TextEncoder().encode(
        `<html><head><title>Claims</title></head><body><main><h1>Claims</h1><p>${sentence(3)}</p></main></body></html>`,
      ),
  ],
  ['rates.csv', () => new TextEncoder().encode('Territory,Rate\nSpringfield,3.12\nShelbyville,3.43\n')],
  ['log.txt', () => new TextEncoder().encode(Array.from({ length: 100 }, (_, index) => sentence(index)).join('\n'))],
];
let files = 0;
for (let copy = 0; copy < copies; copy++) {
  for (const [name, make] of templates) {
    writeFileSync(join(directory, `${copy}-${name}`), await make());
    files++;
  }
}
writeFileSync(join(directory, 'long-200-pages.pdf'), longPdf);
files++;
const names = readdirSync(directory).sort();
let bytesTotal = 0;

// 1. Plain read + sha256.
const readStarted = performance.now();
for (const name of names) {
  const bytes = readFileSync(join(directory, name));
  bytesTotal += bytes.length;
  createHash('sha256').update(bytes).digest('hex');
}
const readMs = performance.now() - readStarted;

interface Tally {
  documents: number;
  pages: number;
  failures: Map<string, number>;
}

/** Parses a document and, like the pipeline, its children (members, attachments) at depth + 1. */
async function parseTree(parse: (input: ParseInput) => Promise<ParsedDocument>, input: ParseInput, tally: Tally): Promise<void> {
  let document: ParsedDocument;
  try {
    document = await parse(input);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unknown';
    tally.failures.set(code, (tally.failures.get(code) ?? 0) + 1);
    return;
  }
  tally.documents++;
  tally.pages += document.stats.pages;
  for (const child of document.children) {
    await parseTree(
      parse,
      {
        bytes: child.bytes,
        fileName: child.path,
        limits: input.limits,
        depth: (input.depth ?? 0) + 1,
        ...(child.mediaType ? { mediaType: child.mediaType } : {}),
      },
      tally,
    );
  }
}

async function run(label: string, parse: (input: ParseInput) => Promise<ParsedDocument>, concurrency: number) {
  const tally: Tally = { documents: 0, pages: 0, failures: new Map() };
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < names.length) {
        const name = names[next++] as string;
        await parseTree(
          parse,
          { bytes: new Uint8Array(readFileSync(join(directory, name))), fileName: name, limits: defaultParseLimits },
          tally,
        );
      }
    }),
  );
  const ms = performance.now() - started;
  return { label, ms, ...tally };
}

const inProcess = await run('parseDocument, in process', (input) => parseDocument(input), 1);
const pool = createParserPool({ size: 2, timeoutMs: 120_000, pageTimeoutMs: 60_000 });
const pooled = await run('worker pool, 2 threads', (input) => pool.parse(input), 2);
await pool.close();
rmSync(directory, { recursive: true, force: true });

const mib = bytesTotal / 1024 / 1024;
console.log(`\ncorpus: ${files} files (${templates.length} kinds × ${copies} + one 200-page PDF), ${mib.toFixed(1)} MiB`);
console.log(`plain read + sha256: ${readMs.toFixed(0)} ms, ${((files / readMs) * 1000).toFixed(0)} files/s`);
for (const result of [inProcess, pooled]) {
  const failures = [...result.failures].map(([code, count]) => `${code} ${count}`).join(', ') || 'none';
  console.log(
    `${result.label}: ${(result.ms / 1000).toFixed(2)} s, ${((files / result.ms) * 1000).toFixed(1)} files/s, ` +
      `${((result.pages / result.ms) * 1000).toFixed(0)} pages/s (${result.pages} pages), ${result.documents} documents incl. members and attachments, ` +
      `failures: ${failures}; ${(result.ms / readMs).toFixed(0)}× the plain read`,
  );
}
