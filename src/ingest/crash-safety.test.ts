/**
 * Crash safety, end to end: a real `groundwork ingest` process is killed with SIGKILL at several moments,
 * then run to completion. The index must equal a clean ingest: every file exactly once, the same chunks per
 * document, no orphans, interrupted runs marked `interrupted`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runGroundwork } from '../../test/helpers/run-cli.ts';
import { testDatabaseUrl, testStoreKind } from '../../test/helpers/test-platform.ts';
import { loadConfig, silentLogger } from '../core/index.ts';
import { openStore } from '../store/index.ts';
import { chunkDocument, parseDocument, parseLimitsFromConfig } from './index.ts';

const bin = fileURLToPath(new URL('../../bin/groundwork.js', import.meta.url));
const fileCount = 240;

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

async function generateCorpus(root: string): Promise<string[]> {
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

/** Starts `groundwork ingest` and SIGKILLs it after `afterMs`; resolves whether it was killed mid-run. */
function ingestAndKill(args: string[], afterMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } });
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

describe(`crash safety (${testStoreKind})`, () => {
  test('kill -9 during ingestion, re-run: the index equals a clean ingest', { timeout: 600_000 }, async (t) => {
    const work = await mkdtemp(join(tmpdir(), 'gw-crash-'));
    const corpus = join(work, 'corpus');
    const refs = await generateCorpus(corpus);
    let databaseUrl: string | undefined;
    let admin: pg.Client | undefined;
    if (testDatabaseUrl) {
      const name = `gw_crash_${process.pid}_${Date.now()}`;
      admin = new pg.Client({ connectionString: testDatabaseUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(testDatabaseUrl);
      url.pathname = `/${name}`;
      databaseUrl = url.href;
    }
    const store = databaseUrl ? ['--database-url', databaseUrl] : ['--data-dir', join(work, 'data')];
    const args = [...store, 'ingest', corpus, '--source', 'crash'];
    try {
      // Expected chunks per file from the same parser and chunker, computed in-process.
      const loaded = loadConfig({ env: {}, flags: {}, cwd: work });
      const expected = new Map<string, number>();
      for (const ref of refs) {
        const bytes = await readFile(join(corpus, ...ref.split('/')));
        const parsed = await parseDocument({ bytes, fileName: ref, limits: parseLimitsFromConfig(loaded.config.ingest) });
        expected.set(
          ref,
          chunkDocument({ title: parsed.title, sections: parsed.sections }, loaded.config.ingest.chunking).length,
        );
      }

      // Kill moments after start-up (opening the store), measured by a command that does nothing else. The
      // first open creates the store and is much slower than later ones: migrate first.
      const migrated = await runGroundwork([...store, 'db', 'migrate'], { timeoutMs: 120_000 });
      assert.equal(migrated.code, 0, migrated.stderr);
      const openStarted = performance.now();
      const listed = await runGroundwork([...store, 'sources', 'list'], { timeoutMs: 120_000 });
      assert.equal(listed.code, 0, listed.stderr);
      const startupMs = performance.now() - openStarted;
      let kills = 0;
      for (const offsetMs of [300, 1200, 2500, 4500]) {
        if (await ingestAndKill(args, startupMs + offsetMs)) kills += 1;
      }
      const final = await runGroundwork([...args, '--json'].slice(0), { timeoutMs: 300_000 });
      assert.equal(final.code, 0, final.stderr);
      const summary = JSON.parse(final.stdout) as { added: number; unchanged: number; quarantined: unknown[] };
      assert.equal(summary.quarantined.length, 0);
      assert.equal(summary.added + summary.unchanged, fileCount);

      const db = await openStore(
        { dataDir: join(work, 'data'), ...(databaseUrl ? { databaseUrl } : {}) },
        { logger: silentLogger, migrate: false },
      );
      try {
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
        const runs = await db.query<{ status: string; n: number }>(
          'SELECT status, count(*)::int AS n FROM sync_runs GROUP BY status',
        );
        const byStatus = Object.fromEntries(runs.rows.map((row) => [row.status, row.n]));
        assert.equal(byStatus.running ?? 0, 0, 'no run left running');
        // A kill while the process was closing after its commit leaves a succeeded run: fine.
        assert.ok((byStatus.succeeded ?? 0) >= 1);
        const last = await db.query<{ status: string }>('SELECT status FROM sync_runs ORDER BY started_at DESC LIMIT 1');
        assert.equal(last.rows[0]?.status, 'succeeded');
        // Kills before the run row was written leave no run at all; every later one is marked interrupted.
        assert.ok((byStatus.interrupted ?? 0) <= kills);
        const partial = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM documents WHERE run_id IN (SELECT id FROM sync_runs WHERE status = 'interrupted')`,
        );
        t.diagnostic(
          `kills mid-run: ${kills}; runs marked interrupted: ${byStatus.interrupted ?? 0}; documents kept from killed runs: ${partial.rows[0]?.n ?? 0}`,
        );
        assert.ok(kills >= 1, 'at least one kill happened mid-run (slow the corpus down if this fails)');
        const quarantine = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM quarantine');
        assert.equal(quarantine.rows[0]?.n, 0);
      } finally {
        await db.close();
      }
      // Re-running once more changes nothing (the embedded store admits one process at a time: after close).
      const again = await runGroundwork([...args, '--json'], { timeoutMs: 300_000 });
      assert.equal(again.code, 0, again.stderr);
      assert.equal((JSON.parse(again.stdout) as { unchanged: number }).unchanged, fileCount);
    } finally {
      await rm(work, { recursive: true, force: true });
      if (admin && databaseUrl) {
        await admin.query(`DROP DATABASE IF EXISTS ${new URL(databaseUrl).pathname.slice(1)} WITH (FORCE)`).catch(() => {});
        await admin.end();
      }
    }
  });
});
