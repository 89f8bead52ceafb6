/**
 * Ingestion benchmark: `npm run bench:ingest [-- --docs N]`.
 *
 * A generated mixed corpus (Markdown, text, HTML, CSV, DOCX, text PDFs, e-mails with attachments, ZIPs, and a
 * few scanned PDF pages that need OCR) ingested end to end into a fresh embedded store with the production
 * wiring (parse worker pool, chunker, PII, sensitivity, atomic writes, lexical postings by trigger):
 *  - documents/s and pages/s end to end, against a baseline measured in the same run: the same files read,
 *    parsed in the same worker pool and chunked, with no store (what the store and bookkeeping cost);
 *  - peak memory (RSS sampled every 50 ms) at two corpus sizes: it should be flat in corpus size;
 *  - a re-sync of the unchanged corpus as a share of the first ingest (target <= 5%).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { loadConfig, silentLogger } from '../src/core/index.ts';
import { createPlatform } from '../src/create-platform.ts';
import { addSource, chunkDocument, createParserPool, parseLimitsFromConfig } from '../src/ingest/index.ts';
import { makeDocx, makePdf } from '../src/ingest/parsers/fixtures/generate-fixtures.ts';

const argDocs = process.argv.indexOf('--docs');
const largeCount = argDocs > 0 ? Number(process.argv[argDocs + 1]) : 2000;
const smallCount = Math.max(100, Math.round(largeCount / 4));
const scannedPages = 4;

const vocabulary =
  'policy claim premium deductible coverage insured water fire theft broker renewal exclusion adjuster liability endorsement schedule peril flood storm roof vehicle collision bodily injury subrogation reserve settlement'.split(
    ' ',
  );
function prose(seed: number, words: number): string {
  let x = seed + 1;
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(vocabulary[x % vocabulary.length] as string);
    if (i % 14 === 13) out[out.length - 1] += '.';
  }
  return out.join(' ');
}

async function put(root: string, ref: string, bytes: Uint8Array | string): Promise<void> {
  const path = join(root, ...ref.split('/'));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}

/** Writes `count` documents; returns the number of pages (PDF pages) among them. */
async function generate(root: string, count: number): Promise<{ pdfPages: number }> {
  let pdfPages = 0;
  for (let i = 0; i < count; i++) {
    const folder = `unit-${i % 8}/year-${2020 + (i % 6)}`;
    const kind = i % 20;
    const text = prose(i, 250);
    if (kind < 6)
      await put(
        root,
        `${folder}/note-${i}.md`,
        `# Note ${i}\n\n## Background\n\n${text}\n\n## Decision\n\n${prose(i + 7, 150)}\n`,
      );
    else if (kind < 9) await put(root, `${folder}/memo-${i}.txt`, `Memo ${i}\n\n${text}\n`);
    else if (kind < 12)
      await put(
        root,
        `${folder}/page-${i}.html`,
        `<html><head><title>Page ${i}</title></head><body><h1>Page ${i}</h1><p>${text}</p><h2>More</h2><p>${prose(i + 3, 120)}</p></body></html>`,
      );
    else if (kind < 14) {
      const rows = Array.from(
        { length: 40 },
        (_, r) => `CL-${i}-${r},${vocabulary[r % vocabulary.length]},${(r * 137) % 9000},open`,
      ).join('\n');
      await put(root, `${folder}/claims-${i}.csv`, `claim,peril,amount,status\n${rows}\n`);
    } else if (kind < 16)
      await put(
        root,
        `${folder}/handbook-${i}.docx`,
        makeDocx([
          { heading: `Handbook ${i}`, level: 1 },
          { paragraph: text },
          { heading: 'Limits', level: 2 },
          { paragraph: prose(i + 1, 120) },
        ]),
      );
    else if (kind < 18) {
      const pages = 3;
      pdfPages += pages;
      await put(
        root,
        `${folder}/policy-${i}.pdf`,
        await makePdf(Array.from({ length: pages }, (_, p) => ({ text: prose(i * 10 + p, 220).match(/.{1,90}(\s|$)/g) ?? [] }))),
      );
    } else if (kind === 18) {
      const attachment = Buffer.from(prose(i + 5, 100)).toString('base64');
      await put(
        root,
        `${folder}/mail-${i}.eml`,
        [
          'From: "Adjuster" <adjuster@example.com>',
          'To: claims@example.com',
          `Subject: Claim ${i}`,
          'MIME-Version: 1.0',
          'Content-Type: multipart/mixed; boundary="b1"',
          '',
          '--b1',
          'Content-Type: text/plain; charset=utf-8',
          '',
          text,
          '--b1',
          'Content-Type: text/plain; name="report.txt"',
          'Content-Disposition: attachment; filename="report.txt"',
          'Content-Transfer-Encoding: base64',
          '',
          attachment,
          '--b1--',
          '',
        ].join('\r\n'),
      );
    } else {
      await put(
        root,
        `${folder}/bundle-${i}.zip`,
        zipSync({ 'a/notes.txt': strToU8(text), 'b/summary.md': strToU8(`# Summary ${i}\n\n${prose(i + 9, 120)}`) }),
      );
    }
  }
  for (let s = 0; s < scannedPages; s++) {
    pdfPages += 1;
    await put(
      root,
      `scans/scan-${s}.pdf`,
      await makePdf([
        { scanned: [`Scanned claim form ${s}`, 'Water damage claims must be reported within 24 hours', 'Signed by the insured'] },
      ]),
    );
  }
  return { pdfPages };
}

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

/** Peak RSS (whole process: PGlite's WASM memory, worker threads) and peak JS heap of the main thread. */
function sampleMemory(): { stop(): { rss: number; heap: number } } {
  let rss = process.memoryUsage().rss;
  let heap = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    const usage = process.memoryUsage();
    rss = Math.max(rss, usage.rss);
    heap = Math.max(heap, usage.heapUsed);
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      return { rss, heap };
    },
  };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

async function measure(count: number) {
  const work = await mkdtemp(join(tmpdir(), 'gw-bench-ingest-'));
  const corpus = join(work, 'corpus');
  const { pdfPages } = await generate(corpus, count);
  const loaded = loadConfig({ env: {}, flags: { dataDir: join(work, 'data') }, cwd: work });
  const { ingest } = loaded.config;

  // Baseline: read + parse (same worker pool size) + chunk, no store.
  const pool = createParserPool({ size: ingest.concurrency, timeoutMs: ingest.parseTimeoutMs });
  const limits = parseLimitsFromConfig(ingest);
  const baseStarted = performance.now();
  let baseChunks = 0;
  const files: string[] = [];
  for await (const file of walk(corpus)) files.push(file);
  let next = 0;
  await Promise.all(
    Array.from({ length: ingest.concurrency }, async () => {
      while (next < files.length) {
        const file = files[next++] as string;
        const parsed = await pool.parse({ bytes: await readFile(file), fileName: file, limits });
        baseChunks += chunkDocument({ title: parsed.title, sections: parsed.sections }, ingest.chunking).length;
      }
    }),
  );
  const baseMs = performance.now() - baseStarted;
  await pool.close();

  const platform = await createPlatform(loaded, { logger: silentLogger });
  try {
    await addSource(platform.db, { name: 'bench', type: 'filesystem', path: corpus });
    const memory = sampleMemory();
    const first = await platform.ingestion.sync({ source: 'bench' });
    const peak = memory.stop();
    const resync = await platform.ingestion.sync({ source: 'bench' });
    return { count: files.length, pdfPages, baseMs, baseChunks, first, resync, peak };
  } finally {
    await platform.close();
    await rm(work, { recursive: true, force: true });
  }
}

console.log(
  `machine: ${cpus().length} cores, load average at start ${loadavg()
    .map((value) => value.toFixed(1))
    .join(' / ')}; embedded store; ingest.concurrency default`,
);
for (const count of [smallCount, largeCount]) {
  const r = await measure(count);
  const seconds = r.first.durationMs / 1000;
  console.log(`\ncorpus: ${r.count} files (${r.pdfPages} PDF pages, ${scannedPages} scanned), generated`);
  console.log(
    `  first ingest: ${seconds.toFixed(1)} s, ${(r.first.documents / seconds).toFixed(1)} documents/s (${r.first.documents} incl. archive members and attachments), ` +
      `${(r.first.pages / seconds).toFixed(1)} pages/s, ${r.first.chunks} chunks, ${r.first.ocrPages} OCR pages, quarantined ${r.first.quarantined.length}`,
  );
  console.log(
    `  baseline (read + parse + chunk, no store): ${(r.baseMs / 1000).toFixed(1)} s, ${(r.count / (r.baseMs / 1000)).toFixed(1)} files/s, ${r.baseChunks} chunks`,
  );
  console.log(`  peak during the first ingest: RSS ${mb(r.peak.rss)}, main-thread JS heap ${mb(r.peak.heap)}`);
  console.log(
    `  re-sync unchanged: ${(r.resync.durationMs / 1000).toFixed(2)} s = ${((r.resync.durationMs / r.first.durationMs) * 100).toFixed(1)}% of the first ingest (${r.resync.unchanged} unchanged)`,
  );
}
