/**
 * Crash safety, end to end: a real `groundwork ingest` process is killed with SIGKILL at several moments,
 * then run to completion. The index must equal a clean ingest: every file exactly once, the same chunks per
 * document, no orphans, interrupted runs marked `interrupted`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { assertIndexEqualsCleanIngest, expectedChunks, generateCorpus, runAndKill } from '../../test/helpers/crash-corpus.ts';
import { runGroundwork } from '../../test/helpers/run-cli.ts';
import { testDatabaseUrl, testStoreKind } from '../../test/helpers/test-platform.ts';
import { silentLogger } from '../core/index.ts';
import { openStore } from '../store/index.ts';

const fileCount = 240;

describe(`crash safety (${testStoreKind})`, () => {
  test('kill -9 during ingestion, re-run: the index equals a clean ingest', { timeout: 600_000 }, async (t) => {
    const work = await mkdtemp(join(tmpdir(), 'gw-crash-'));
    const corpus = join(work, 'corpus');
    const refs = await generateCorpus(corpus, fileCount);
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
      const expected = await expectedChunks(corpus, refs, work);

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
        if (await runAndKill(args, startupMs + offsetMs)) kills += 1;
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
        const { runsByStatus: byStatus } = await assertIndexEqualsCleanIngest(db, refs, expected);
        // A kill while the process was closing after its commit leaves a succeeded run: fine.
        assert.ok((byStatus.succeeded ?? 0) >= 1);
        // Kills before the run row was written leave no run at all; every later one is marked interrupted.
        assert.ok((byStatus.interrupted ?? 0) <= kills);
        const partial = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM documents WHERE run_id IN (SELECT id FROM sync_runs WHERE status = 'interrupted')`,
        );
        t.diagnostic(
          `kills mid-run: ${kills}; runs marked interrupted: ${byStatus.interrupted ?? 0}; documents kept from killed runs: ${partial.rows[0]?.n ?? 0}`,
        );
        assert.ok(kills >= 1, 'at least one kill happened mid-run (slow the corpus down if this fails)');
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
