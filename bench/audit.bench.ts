/**
 * Data audit benchmark: `npm run bench:audit [-- --files N]`.
 *
 * A generated mixed folder (Markdown, text, DOCX, text PDFs, CSV, ZIPs, a few scanned PDF pages and
 * near-duplicates) audited with `auditFolder` (the production wiring: filesystem Source, parse worker pool,
 * prepareDocument, MinHash), against baselines measured in the same run on the same folder:
 *  - a plain directory walk, stat only (what listing a share costs);
 *  - the walk plus reading every file (what touching every byte costs);
 * and the audit's estimate against an actual ingest of the same folder into a fresh embedded store.
 * Prints files/s and MB/s for each, the audit's ratio to the walk, the audit with `--sample`, and peak RSS.
 */
import { mkdir, mkdtemp, opendir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { loadConfig, localOperator, silentLogger } from '../src/core/index.ts';
import { createPlatform } from '../src/create-platform.ts';
import { auditFolder } from '../src/data-audit/index.ts';
import { addSource } from '../src/ingest/index.ts';
import { makeDocx, makePdf } from '../src/ingest/parsers/fixtures/generate-fixtures.ts';

const argFiles = process.argv.indexOf('--files');
const fileCount = argFiles > 0 ? Number(process.argv[argFiles + 1]) : 1000;
const sampleSize = Math.max(50, Math.round(fileCount / 10));

const vocabulary =
  'policy claim premium deductible coverage insured water fire theft broker renewal exclusion adjuster liability endorsement schedule peril flood storm roof vehicle collision bodily injury subrogation reserve settlement'.split(
    ' ',
  );
function prose(seed: number, words: number): string {
  let x = seed + 1;
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    // The high bits: the low bits of this generator repeat with a short period (every text would be a near-duplicate).
    out.push(vocabulary[(x >>> 16) % vocabulary.length] as string);
    if (i % 14 === 13) out[out.length - 1] += '.';
  }
  return out.join(' ');
}

async function put(root: string, ref: string, bytes: Uint8Array | string): Promise<void> {
  const path = join(root, ...ref.split('/'));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}

async function generate(root: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const folder = `unit-${i % 8}/year-${2016 + (i % 10)}`;
    const kind = i % 20;
    const text = prose(i, 250);
    if (kind < 7) await put(root, `${folder}/note-${i}.md`, `# Note ${i}\n\n${text}\n\nContact claims${i}@example.com.\n`);
    else if (kind < 10) await put(root, `${folder}/memo-${i}.txt`, `Memo ${i}\n\n${text}\n`);
    else if (kind < 12)
      await put(
        root,
        `${folder}/rates-${i}.csv`,
        `region;rate;note\n${Array.from({ length: 40 }, (_, r) => `r${r};${r * 3};${prose(i + r, 6)}`).join('\n')}\n`,
      );
    else if (kind < 15)
      await put(root, `${folder}/handbook-${i}.docx`, makeDocx([{ heading: `Handbook ${i}`, level: 1 }, { paragraph: text }]));
    else if (kind < 18)
      await put(
        root,
        `${folder}/report-${i}.pdf`,
        await makePdf([{ text: [`Report ${i}`, ...(text.match(/.{1,90}/g) ?? []).slice(0, 20)] }]),
      );
    else if (kind < 19)
      await put(
        root,
        `${folder}/bundle-${i}.zip`,
        zipSync({ 'a.txt': strToU8(prose(i + 1, 120)), 'b.md': strToU8(`# B\n\n${prose(i + 2, 120)}`) }),
      );
    else if (i % 100 === 19) await put(root, `${folder}/scan-${i}.pdf`, await makePdf([{ scanned: ['Scanned claim form'] }]));
    else await put(root, `${folder}/dup-${i}.md`, `# Note copy\n\n${prose(7, 250)}\n`);
  }
}

async function walk(dir: string, read: boolean): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop() as string;
    for await (const entry of await opendir(current)) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) stack.push(path);
      else if (entry.isFile()) {
        const info = await stat(path);
        files += 1;
        bytes += info.size;
        if (read) await readFile(path);
      }
    }
  }
  return { files, bytes };
}

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = performance.now();
  const result = await run();
  return { result, seconds: (performance.now() - started) / 1000 };
}

const base = await mkdtemp(join(tmpdir(), 'gw-bench-audit-'));
const root = join(base, 'share');
try {
  console.log(`data audit benchmark: ${fileCount} files, ${cpus().length} cores, load ${loadavg()[0]?.toFixed(1)}`);
  await generate(root, fileCount);
  const { config } = loadConfig({ env: {}, cwd: '/nonexistent' });
  // Warm the file-system cache so every measure reads from memory alike.
  await walk(root, true);
  const statOnly = await timed(() => walk(root, false));
  const readAll = await timed(() => walk(root, true));
  const mb = statOnly.result.bytes / 1024 / 1024;
  const audit = await timed(() => auditFolder(localOperator, { config }, { path: root }));
  const sampled = await timed(() => auditFolder(localOperator, { config }, { path: root }, { sample: sampleSize }));
  // The estimate against the real thing: the same folder ingested into a fresh embedded store (with OCR).
  const ingestDir = join(base, 'store');
  const platform = await createPlatform(loadConfig({ env: {}, cwd: '/nonexistent', flags: { dataDir: ingestDir } }), {
    logger: silentLogger,
  });
  let ingest: { seconds: number; chunks: number; documents: number };
  try {
    await addSource(platform.db, { name: 'share', type: 'filesystem', path: root, readableBy: ['group:staff'] });
    const run = await timed(() => platform.ingestion.sync({ source: 'share' }));
    ingest = { seconds: run.seconds, chunks: run.result.chunks, documents: run.result.documents };
  } finally {
    await platform.close();
  }
  clearInterval(sampler);
  const row = (name: string, seconds: number, files: number) =>
    `| ${name} | ${seconds.toFixed(2)} s | ${(files / seconds).toFixed(0)} files/s | ${(mb / seconds).toFixed(2)} MB/s | ${(seconds / statOnly.seconds).toFixed(0)}× |`;
  console.log(`\n${statOnly.result.files} files, ${mb.toFixed(1)} MiB (${audit.result.documents} documents)\n`);
  console.log('| measure | time | files/s | MB/s | × stat walk |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(row('directory walk, stat only (baseline)', statOnly.seconds, statOnly.result.files));
  console.log(row('walk + read every file', readAll.seconds, readAll.result.files));
  console.log(row('audit-data (parse, PII, MinHash, ACL; OCR counted)', audit.seconds, audit.result.files));
  console.log(
    `| audit-data --sample ${sampleSize} (content of ${sampled.result.audited.files} files; listing whole) | ${sampled.seconds.toFixed(2)} s | ${(sampled.result.files / sampled.seconds).toFixed(0)} files/s listed | – | ${(sampled.seconds / statOnly.seconds).toFixed(0)}× |`,
  );
  const report = audit.result;
  console.log(
    `\nformats ${report.formats.map((f) => `${f.label} ${f.files}`).join(', ')}; OCR ${report.ocr.pages} pages; unparseable ${report.unparseable.count}; duplicate clusters ${report.nearDuplicates.clusterCount} (${report.nearDuplicates.documentsInClusters} docs); PII in ${report.pii.documentsWithPii} docs`,
  );
  console.log(
    `estimate: ${report.estimate.chunks} chunks, ${report.estimate.embeddingTokens} tokens, ${report.estimate.seconds.low}–${report.estimate.seconds.high} s; sample estimate: ${sampled.result.estimate.chunks} chunks, ${sampled.result.estimate.seconds.low}–${sampled.result.estimate.seconds.high} s`,
  );
  console.log(
    `actual ingest of the same folder (embedded store, OCR on): ${ingest.seconds.toFixed(1)} s, ${ingest.documents} documents, ${ingest.chunks} chunks — estimate ${report.estimate.seconds.low}–${report.estimate.seconds.high} s, ${report.estimate.chunks} chunks`,
  );
  console.log(`peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MiB, load at end ${loadavg()[0]?.toFixed(1)}`);
} finally {
  clearInterval(sampler);
  await rm(base, { recursive: true, force: true });
}
