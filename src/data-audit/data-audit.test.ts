import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type AuditCorpus,
  assertCorpusFigures,
  assertSelfContainedHtml,
  writeAuditCorpus,
} from '../../test/helpers/audit-corpus.ts';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { callerWithPrincipals, isGroundworkError, localOperator } from '../core/index.ts';
import { addSource } from '../ingest/index.ts';
import { auditFolder, auditSource, renderAuditHtml } from './index.ts';

type Platform = Awaited<ReturnType<typeof createTestPlatform>>;

/** Row counts of every table of the test's schema, and the sources as stored: "the store is unchanged". */
async function storeSnapshot(platform: Platform): Promise<Record<string, unknown>> {
  const tables = await platform.db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const snapshot: Record<string, unknown> = {};
  for (const { table_name } of tables.rows) {
    const counted = await platform.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table_name}"`);
    snapshot[table_name] = counted.rows[0]?.n;
  }
  snapshot.sourcesRows = (
    await platform.db.query('SELECT id, name, config, acl_map, cursor, last_sync_at FROM sources ORDER BY id')
  ).rows;
  return snapshot;
}

describe(`data audit (${testStoreKind})`, () => {
  let platform: Platform;
  let base: string;
  let corpus: AuditCorpus;

  before(async () => {
    platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    base = await mkdtemp(join(tmpdir(), 'gw-audit-'));
    corpus = await writeAuditCorpus(base);
    await addSource(platform.db, { name: 'share', type: 'filesystem', path: corpus.root, aclMapPath: corpus.aclMapPath });
  });
  after(async () => {
    await platform.close();
    await rm(base, { recursive: true, force: true });
  });

  test('a registered source: every figure, through its Source, and the store is unchanged (nothing indexed)', async () => {
    const before = await storeSnapshot(platform);
    const progress: number[] = [];
    const report = await auditSource(platform.db, localOperator, { config: platform.config, clock: platform.clock }, 'share', {
      onProgress: (p) => progress.push(p.done),
    });
    assert.deepEqual(await storeSnapshot(platform), before);
    assert.deepEqual(report.target, { kind: 'source', name: 'share', type: 'filesystem', path: corpus.root });
    assertCorpusFigures(report, corpus);
    assert.equal(Math.max(...progress), 14, 'progress reaches every file');
    assert.equal(report.estimate.embedding, null, 'no embedding model configured');
    assertSelfContainedHtml(renderAuditHtml(report));

    // The same folder by path, with its ACL map given: the same figures.
    const byPath = await auditFolder(
      localOperator,
      { config: platform.config },
      { path: corpus.root, aclMapPath: corpus.aclMapPath },
    );
    assertCorpusFigures(byPath, corpus);
    assert.deepEqual(await storeSnapshot(platform), before);
  });

  test('embedding cost from the configured model and the price table; --stale-years; a sample scales the estimate', async () => {
    const config = {
      ...platform.config,
      models: {
        ...platform.config.models,
        embedding: { model: 'openai:text-embedding-3-small', dimensions: 1536, batchSize: 64 },
      },
    };
    const report = await auditSource(platform.db, localOperator, { config }, 'share', { staleYears: 5, sample: 7, seed: 3 });
    assert.equal(report.files, 14, 'the listing is counted whole');
    assert.equal(report.audited.files, 7);
    assert.equal(report.audited.sampled, true);
    assert.equal(report.staleness.stale.files, 2, 'legacy.txt (12 y) and handbook-2019.md (6 y)');
    assert.equal(report.estimate.scale, 2);
    assert.equal(report.estimate.embedding?.usdPerMillionTokens, 0.02);
    assert.equal(
      report.estimate.embedding?.costUsd,
      Math.round((report.estimate.embeddingTokens / 1_000_000) * 0.02 * 10_000) / 10_000,
    );
    assert.equal(
      report.formats.reduce((sum, entry) => sum + entry.files, 0),
      7,
    );
  });

  test('bad input: out-of-range options, an unknown target, a caller without sources:audit', async () => {
    const deps = { config: platform.config };
    await assert.rejects(
      auditSource(platform.db, localOperator, deps, 'share', { staleYears: 0 }),
      (error) => isGroundworkError(error) && error.code === 'data_audit.invalid_option' && /--stale-years 0/.test(error.message),
    );
    await assert.rejects(
      auditSource(platform.db, localOperator, deps, 'share', { similarity: 2 }),
      (error) => isGroundworkError(error) && error.code === 'data_audit.invalid_option',
    );
    await assert.rejects(
      auditSource(platform.db, localOperator, deps, 'nope'),
      (error) => isGroundworkError(error) && error.code === 'data_audit.target_not_found' && error.category === 'not_found',
    );
    await assert.rejects(
      auditFolder(localOperator, deps, { path: join(base, 'missing') }),
      (error) => isGroundworkError(error) && error.code === 'data_audit.target_not_found',
    );
    const controller = new AbortController();
    await assert.rejects(
      auditSource(platform.db, localOperator, deps, 'share', {
        signal: controller.signal,
        onProgress: (progress) => {
          if (progress.done >= 1) controller.abort();
        },
      }),
      (error) => isGroundworkError(error) && error.code === 'parse.aborted',
      'a cancelled audit stops, it does not report the rest as unparseable',
    );
    const user = callerWithPrincipals(['user:u@example.com', 'group:claims'], 'user');
    await assert.rejects(
      auditSource(platform.db, user, deps, 'share'),
      (error) => isGroundworkError(error) && error.code === 'auth.forbidden',
    );
  });

  test('parity: what the audit predicts is what a sync then does (OCR off in both, so nothing is estimated)', async () => {
    const synced = await createTestPlatform({ ingest: { ocr: { enabled: false } } });
    try {
      await addSource(synced.db, { name: 'share', type: 'filesystem', path: corpus.root, aclMapPath: corpus.aclMapPath });
      const report = await auditSource(synced.db, localOperator, { config: synced.config }, 'share');
      const summary = await synced.ingestion.sync({ source: 'share' });
      // The sync quarantines what the audit calls unparseable, plus the two files that need OCR (OCR is off).
      assert.deepEqual(
        summary.quarantined.map((entry) => `${entry.path} ${entry.code}`).sort(),
        [
          ...report.unparseable.files.map((file) => `${file.ref} ${file.code}`),
          'claims/photo.png parse.empty',
          'claims/scan.pdf parse.empty',
        ].sort(),
      );
      assert.equal(summary.documents, report.documents - report.ocr.files + 1, 'mixed.pdf is indexed with its text page');
      assert.equal(summary.chunks, report.estimate.chunks);
      assert.deepEqual(report.estimate.ocrSeconds, { low: 0, high: 0 }, 'a sync with OCR off does not OCR');
      assert.equal(report.estimate.ocrCostUsd, 0);
      assert.ok(report.estimate.notes.some((note) => note.includes('would quarantine the 2 files')));
      const indexed = await synced.db.query<{ undetermined: number; readers: number }>(
        `SELECT count(*) FILTER (WHERE NOT principals_determined)::int AS undetermined,
                count(*) FILTER (WHERE principals = '{}')::int AS readers FROM documents`,
      );
      // The audit counts the two OCR-pending files too (both decided by the claims/** rule).
      assert.equal(indexed.rows[0]?.undetermined, report.permissionCoverage.undecided);
      assert.equal(indexed.rows[0]?.readers, report.permissionCoverage.operatorOnly);
    } finally {
      await synced.close();
    }
  });
});
