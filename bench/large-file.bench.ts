/**
 * Large-file benchmark: `npm run bench:large-file [-- --mb 100 --files 500]`.
 *
 * What one huge text file costs a sync. Two scenarios, each synced in its own child process on a fresh
 * embedded store with the production wiring (parse worker pool, chunker, PII, writer):
 *  - baseline: 500 normal files (small text, Markdown and CSV);
 *  - large: the same 500 files plus one 100 MB single-line text file (no line breaks, no paragraphs).
 * Each child reports the peak RSS of the sync: the kernel's high-water mark of the whole process (main thread,
 * parse workers, PGlite's WASM heap), reset after start-up through `/proc/self/clear_refs` because opening the
 * embedded store peaks at ~1.2 GiB for a moment whatever is synced (RSS sampled every 20 ms is a cross-check,
 * and the start-up peak is printed too); the sync's duration and outcome; and search latency
 * afterwards (first query, then the median of 5).
 * Target: the large scenario's sync peaks under 1 GiB and searches as fast as the baseline.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, localOperator, silentLogger } from '../src/core/index.ts';
import { createPlatform } from '../src/create-platform.ts';
import { addSource } from '../src/ingest/index.ts';

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

async function put(root: string, ref: string, content: string): Promise<void> {
  const path = join(root, ...ref.split('/'));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

/** `count` small files: a third each text, Markdown and CSV, a few KiB each. */
async function writeNormalFiles(root: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const folder = `unit-${i % 8}`;
    if (i % 3 === 0) await put(root, `${folder}/memo-${i}.txt`, `Memo ${i}\n\n${prose(i, 250)}\n\n${prose(i + 1, 120)}\n`);
    else if (i % 3 === 1)
      await put(
        root,
        `${folder}/note-${i}.md`,
        `# Note ${i}\n\n## Background\n\n${prose(i, 250)}\n\n## Decision\n\n${prose(i + 7, 150)}\n`,
      );
    else {
      const rows = Array.from(
        { length: 40 },
        (_, r) => `CL-${i}-${r},${vocabulary[r % vocabulary.length]},${(r * 137) % 9000},open`,
      );
      await put(root, `${folder}/claims-${i}.csv`, `claim,peril,amount,status\n${rows.join('\n')}\n`);
    }
  }
}

/** One file of exactly `bytes` bytes of words and spaces, without a single line break, written in 1 MiB pieces. */
async function writeSingleLineFile(path: string, bytes: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const out = createWriteStream(path);
  const piece = Buffer.from(`${prose(42, 200_000)} `.slice(0, 1024 * 1024));
  let written = 0;
  while (written < bytes) {
    const slice = piece.subarray(0, Math.min(piece.length, bytes - written));
    if (!out.write(slice)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    written += slice.length;
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

interface ChildResult {
  /** Kernel high-water mark of RSS during the sync (reset after start-up), or the sampled peak without /proc. */
  readonly peakRssBytes: number;
  readonly peakMeasuredBy: string;
  /** Peak RSS of opening the store (`process.resourceUsage().maxRSS` before the reset). */
  readonly startupPeakRssBytes: number;
  readonly sampledRssBytes: number;
  readonly syncMs: number;
  readonly added: number;
  readonly chunks: number;
  readonly quarantined: readonly { path: string; code: string; message: string }[];
  readonly firstSearchMs: number;
  readonly medianSearchMs: number;
  readonly hits: number;
}

/** Resets the kernel's RSS high-water mark of this process (Linux); false where that is not possible. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** VmHWM of this process in bytes (Linux), or undefined. */
function kernelPeakRss(): number | undefined {
  try {
    const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kib ? Number(kib) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Child: sync `corpus` into a fresh store in `dataDir`, then search; prints one JSON line. */
async function child(corpus: string, dataDir: string): Promise<void> {
  const loaded = loadConfig({ env: {}, flags: { dataDir }, cwd: dataDir });
  const platform = await createPlatform(loaded, { logger: silentLogger });
  try {
    await addSource(platform.db, { name: 'bench', type: 'filesystem', path: corpus });
    const startupPeak = process.resourceUsage().maxRSS * 1024;
    const reset = resetPeakRss();
    let sampled = process.memoryUsage().rss;
    const timer = setInterval(() => {
      sampled = Math.max(sampled, process.memoryUsage().rss);
    }, 20);
    const started = performance.now();
    const summary = await platform.ingestion.sync({ source: 'bench' });
    const syncMs = performance.now() - started;
    clearInterval(timer);
    const kernelPeak = reset ? kernelPeakRss() : undefined;
    const search = async () => {
      const t = performance.now();
      const result = await platform.retriever.search({ query: 'water damage claim settlement', caller: localOperator, k: 10 });
      return { ms: performance.now() - t, hits: result.hits.length };
    };
    const first = await search();
    const repeats: number[] = [];
    for (let i = 0; i < 5; i++) repeats.push((await search()).ms);
    repeats.sort((a, b) => a - b);
    const result: ChildResult = {
      peakRssBytes: kernelPeak ?? sampled,
      peakMeasuredBy: kernelPeak ? 'VmHWM reset after start-up' : 'sampled every 20 ms',
      startupPeakRssBytes: startupPeak,
      sampledRssBytes: sampled,
      syncMs,
      added: summary.added,
      chunks: summary.chunks,
      quarantined: summary.quarantined,
      firstSearchMs: first.ms,
      medianSearchMs: repeats[2] as number,
      hits: first.hits,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await platform.close();
  }
}

function runChild(corpus: string, dataDir: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', corpus, dataDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (data: Buffer) => {
      out += data.toString();
    });
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      const line = out.trim().split('\n').at(-1);
      if (code === 0 && line) resolve(JSON.parse(line) as ChildResult);
      else reject(new Error(`benchmark child failed (exit ${code ?? signal}): ${out}`));
    });
  });
}

const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024).toLocaleString('en')} MiB`;

async function main(): Promise<void> {
  const arg = (name: string, fallback: number) => {
    const index = process.argv.indexOf(name);
    return index > 0 ? Number(process.argv[index + 1]) : fallback;
  };
  const megabytes = arg('--mb', 100);
  const files = arg('--files', 500);
  const work = await mkdtemp(join(tmpdir(), 'gw-bench-large-'));
  try {
    const normal = join(work, 'normal');
    const large = join(work, 'large');
    await writeNormalFiles(normal, files);
    await writeNormalFiles(large, files);
    await writeSingleLineFile(join(large, 'exports', 'one-line.txt'), megabytes * 1_000_000);
    let commit = 'unknown';
    try {
      commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    } catch {
      // not a git checkout: the commit is only informational
    }
    console.log(
      `machine: ${cpus().length} cores, load average at start ${loadavg()
        .map((value) => value.toFixed(1))
        .join(' / ')}; embedded store; default configuration; commit ${commit}`,
    );
    const scenarios: [string, string][] = [
      [`baseline: ${files} normal files`, normal],
      [`large: ${files} normal files + one ${megabytes} MB single-line text file`, large],
    ];
    for (const [name, corpus] of scenarios) {
      const r = await runChild(corpus, join(work, `data-${scenarios.findIndex(([n]) => n === name)}`));
      const target = r.peakRssBytes < 1024 ** 3 ? 'under 1 GiB' : 'OVER 1 GiB';
      console.log(`\n${name}`);
      console.log(
        `  peak RSS of the sync ${mib(r.peakRssBytes)} (${target}; ${r.peakMeasuredBy}; sampled every 20 ms: ${mib(r.sampledRssBytes)}; opening the store peaked at ${mib(r.startupPeakRssBytes)} before)`,
      );
      console.log(`  sync ${(r.syncMs / 1000).toFixed(1)} s: ${r.added} added, ${r.chunks.toLocaleString('en')} chunks`);
      for (const q of r.quarantined) console.log(`  quarantined ${q.path}: ${q.code}: ${q.message}`);
      console.log(
        `  search afterwards: first ${r.firstSearchMs.toFixed(0)} ms, median of 5 ${r.medianSearchMs.toFixed(0)} ms (${r.hits} hits)`,
      );
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const childIndex = process.argv.indexOf('--child');
if (childIndex > 0) await child(process.argv[childIndex + 1] as string, process.argv[childIndex + 2] as string);
else await main();
