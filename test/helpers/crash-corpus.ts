/**
 * The crash-safety corpus and its check, shared by the tests that kill processes mid-sync (`groundwork
 * ingest` in src/ingest/crash-safety.test.ts, `groundwork worker` and `serve` in src/worker-process.test.ts):
 * after the kills and a finished run, the index must equal a clean ingest — every file exactly once, the same
 * chunks per document, no orphans, no run left running.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/core/index.ts';
import { chunkDocument, parseDocument, parseLimitsFromConfig } from '../../src/ingest/index.ts';
import type { Queryable } from '../../src/store/index.ts';

export const groundworkBin = fileURLToPath(new URL('../../bin/groundwork.js', import.meta.url));

function words(seed: number, n: number): string {
  const vocabulary = [
    'policy',
    'claim',
    'premium',
    'deductible',
    'coverage',
    'insured',
    'water',
    'fire',
    'theft',
    'broker',
    'renewal',
    'exclusion',
  ];
  let x = seed;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(vocabulary[x % vocabulary.length] as string);
  }
  return out.join(' ');
}

/** Writes `fileCount` Markdown files in six folders under `root`; returns their refs. */
export async function generateCorpus(root: string, fileCount = 240): Promise<string[]> {
  const refs: string[] = [];
  for (let i = 0; i < fileCount; i++) {
    const folder = `dept-${i % 6}`;
    await mkdir(join(root, folder), { recursive: true });
    const ref = `${folder}/doc-${String(i).padStart(4, '0')}.md`;
    const body = Array.from({ length: 6 }, (_, s) => `## Part ${s}\n\n${words(i * 31 + s, 120)}.`).join('\n\n');
    await writeFile(join(root, ...ref.split('/')), `# Document ${i}\n\n${body}\n`);
    refs.push(ref);
  }
  return refs;
}

/** Chunks per file from the same parser and chunker, computed in-process. */
export async function expectedChunks(corpus: string, refs: readonly string[], cwd: string): Promise<Map<string, number>> {
  const loaded = loadConfig({ env: {}, flags: {}, cwd });
  const expected = new Map<string, number>();
  for (const ref of refs) {
    const bytes = await readFile(join(corpus, ...ref.split('/')));
    const parsed = await parseDocument({ bytes, fileName: ref, limits: parseLimitsFromConfig(loaded.config.ingest) });
    expected.set(ref, chunkDocument({ title: parsed.title, sections: parsed.sections }, loaded.config.ingest.chunking).length);
  }
  return expected;
}

/** The index equals a clean ingest of `refs`: each exactly once, its chunks, no orphans, no run left running. */
export async function assertIndexEqualsCleanIngest(
  db: Queryable,
  refs: readonly string[],
  expected: ReadonlyMap<string, number>,
): Promise<{ runsByStatus: Record<string, number> }> {
  const docs = await db.query<{ source_ref: string; chunks: number; chunk_count: number }>(
    `SELECT d.source_ref, d.chunk_count, (SELECT count(*)::int FROM chunks c WHERE c.document_id = d.id) AS chunks
     FROM documents d ORDER BY d.source_ref`,
  );
  assert.deepEqual(
    docs.rows.map((row) => row.source_ref),
    [...refs].sort(),
    'every file indexed exactly once',
  );
  for (const row of docs.rows) {
    assert.equal(row.chunks, expected.get(row.source_ref), `chunks of ${row.source_ref} match a clean ingest`);
    assert.equal(row.chunk_count, row.chunks);
  }
  const orphans = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.id = c.document_id)',
  );
  assert.equal(orphans.rows[0]?.n, 0);
  const runs = await db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM sync_runs GROUP BY status');
  const runsByStatus = Object.fromEntries(runs.rows.map((row) => [row.status, row.n]));
  assert.equal(runsByStatus.running ?? 0, 0, 'no run left running');
  const last = await db.query<{ status: string }>('SELECT status FROM sync_runs ORDER BY started_at DESC LIMIT 1');
  assert.equal(last.rows[0]?.status, 'succeeded');
  const quarantine = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM quarantine');
  assert.equal(quarantine.rows[0]?.n, 0);
  return { runsByStatus };
}

/** Starts `groundwork ARGS` and SIGKILLs it after `afterMs`; resolves whether it was killed mid-run. */
export function runAndKill(args: string[], afterMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [groundworkBin, ...args], { stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } });
    let exited = false;
    const timer = setTimeout(() => {
      if (!exited) child.kill('SIGKILL');
    }, afterMs);
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      exited = true;
      clearTimeout(timer);
      resolve(signal === 'SIGKILL');
    });
  });
}
