import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';
import { openStore } from '../../store/index.ts';

const beirFixture = fileURLToPath(new URL('../../retrieve/fixtures/beir-tiny', import.meta.url));

// The CLI runs as a real process on an embedded store in a temporary data directory.
describe('cli: search and eval retrieval (embedded store, real process)', () => {
  let dataDir: string;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gw-search-'));
    const db = await openStore({ dataDir, databaseUrl: undefined });
    try {
      // Plain SQL, as ingestion writes documents and chunks.
      await db.query(`INSERT INTO sources (id, name, type) VALUES ('src', 'src', 'filesystem')`);
      await db.query(
        `INSERT INTO documents (id, source_id, source_ref, uri, title, principals, status)
         VALUES ('handbook', 'src', 'handbook', 'file:///handbook', 'Claims handbook', '{group:claims}', 'indexed'),
                ('finance', 'src', 'finance', 'file:///finance', 'Finance policy', '{group:finance}', 'indexed')`,
      );
      await db.query(
        `INSERT INTO chunks (id, document_id, source_id, ordinal, text, page_start, page_end, token_count, content_hash, principals)
         VALUES ('h0', 'handbook', 'src', 0, 'Record the first notice of loss within 24 hours.', 2, 2, 10, 'h', '{group:claims}'),
                ('f0', 'finance', 'src', 0, 'Loss reserves are reviewed every quarter.', NULL, NULL, 8, 'f', '{group:finance}')`,
      );
    } finally {
      await db.close();
    }
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('the operator sees everything; --as sees only what those principals may read', async () => {
    const all = await runGroundwork(['--data-dir', dataDir, 'search', 'loss', '--json']);
    assert.equal(all.code, 0, all.stderr);
    const parsed = JSON.parse(all.stdout) as {
      hits: Array<{ chunkId: string; snippet: string }>;
      caller: { seesEverything: boolean };
    };
    assert.equal(parsed.caller.seesEverything, true);
    assert.deepEqual(parsed.hits.map((h) => h.chunkId).sort(), ['f0', 'h0']);
    const claims = await runGroundwork(['--data-dir', dataDir, 'search', 'loss', '--as', 'group:claims', '--json']);
    assert.deepEqual(
      (JSON.parse(claims.stdout) as { hits: Array<{ chunkId: string }> }).hits.map((h) => h.chunkId),
      ['h0'],
    );
    const human = await runGroundwork(['--data-dir', dataDir, 'search', 'first', 'notice', '--as', 'group:claims']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /Claims handbook p\.2/);
    assert.match(human.stdout, /«first» «notice»/);
    const usage = await runGroundwork(['--data-dir', dataDir, 'search', 'loss', '--mode', 'sideways']);
    assert.equal(usage.code, 2);
    const noModel = await runGroundwork(['--data-dir', dataDir, 'search', 'loss', '--mode', 'vector']);
    assert.equal(noModel.code, 2);
    assert.match(noModel.stderr, /embedding model/);
  });

  test('eval retrieval imports a BEIR folder once and reports trec_eval metrics', async () => {
    const first = await runGroundwork(['--data-dir', dataDir, 'eval', 'retrieval', '--beir', beirFixture, '--json']);
    assert.equal(first.code, 0, first.stderr);
    const report = JSON.parse(first.stdout) as {
      import: { imported: boolean; documents: number; schema: string };
      queries: number;
      metrics: { ndcg10: number; mrr10: number; recall100: number; map: number; p10: number };
      perQuery: Array<{ queryId: string; top: string[] }>;
    };
    assert.equal(report.import.imported, true);
    assert.equal(report.import.documents, 8);
    assert.equal(report.queries, 3, 'queries without a relevant judgment are skipped');
    assert.equal(report.metrics.mrr10, 1, 'each query finds a relevant document first');
    assert.equal(report.metrics.recall100, 1);
    assert.deepEqual(report.perQuery.find((q) => q.queryId === 'q2')?.top[0], 'd7');
    const again = await runGroundwork(['--data-dir', dataDir, 'eval', 'retrieval', '--beir', beirFixture, '--json']);
    const second = JSON.parse(again.stdout) as typeof report;
    assert.equal(second.import.imported, false);
    assert.deepEqual(second.metrics, report.metrics);
    // The evaluation collection never shows up in normal search.
    const search = await runGroundwork(['--data-dir', dataDir, 'search', 'hail', 'damage', '--json']);
    assert.deepEqual((JSON.parse(search.stdout) as { hits: unknown[] }).hits, []);
    // Lexical evaluation ranks in SQL in batches (portable by default); pg_textsearch, ranked one query at a
    // time, finds the same first documents on this fixture.
    assert.equal((report as unknown as { lexicalEngine: string }).lexicalEngine, 'portable');
    const native = await runGroundwork([
      '--data-dir',
      dataDir,
      'eval',
      'retrieval',
      '--beir',
      beirFixture,
      '--engine',
      'pg_textsearch',
      '--json',
    ]);
    assert.equal(native.code, 0, native.stderr);
    const nativeReport = JSON.parse(native.stdout) as typeof report & { lexicalEngine: string };
    assert.equal(nativeReport.lexicalEngine, 'pg_textsearch');
    assert.deepEqual(
      nativeReport.perQuery.map((q) => q.top[0]),
      report.perQuery.map((q) => q.top[0]),
    );
    const human = await runGroundwork(['--data-dir', dataDir, 'eval', 'retrieval', '--beir', beirFixture]);
    assert.match(human.stdout, /MAP\s+\d\.\d{4}/);
    const missing = await runGroundwork(['--data-dir', dataDir, 'eval', 'retrieval', '--beir', join(dataDir, 'nope')]);
    assert.equal(missing.code, 2);
  });
});
