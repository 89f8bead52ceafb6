import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openTestDatabase, testStoreKind } from '../../test/helpers/test-platform.ts';
import type { GroundworkError } from '../core/index.ts';
import { loadMigrations, migrate, migrationStatus, openStore } from './index.ts';

describe(`store (${testStoreKind})`, () => {
  test('applies every migration once and records its checksum', async () => {
    const db = await openTestDatabase();
    try {
      const status = await migrationStatus(db);
      assert.equal(status.pending.length, 0);
      assert.equal(status.applied.length, loadMigrations().length);
      const again = await migrate(db.transaction);
      assert.deepEqual(again, []);
      const tables = await db.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
        [db.schema],
      );
      const names = tables.rows.map((row) => row.table_name);
      for (const table of ['sources', 'documents', 'chunks', 'sync_runs', 'quarantine', 'groundwork_migrations']) {
        assert.ok(names.includes(table), `missing table ${table}`);
      }
      assert.equal(db.capabilities.vector, true);
    } finally {
      await db.close();
    }
  });

  test('refuses a changed applied migration and an unknown (newer) one', async () => {
    const db = await openTestDatabase();
    try {
      const [first, ...rest] = loadMigrations();
      assert.ok(first);
      const edited = [{ ...first, checksum: 'edited' }, ...rest];
      await assert.rejects(migrate(db.transaction, edited), (error: GroundworkError) => error.code === 'store.migration_changed');
      await db.query(`INSERT INTO groundwork_migrations (version, name, checksum) VALUES (9999, 'from_the_future', 'x')`);
      await assert.rejects(migrationStatus(db), (error: GroundworkError) => error.code === 'store.newer_schema');
    } finally {
      await db.close();
    }
  });

  test('concurrent migrations of one schema do not race', async () => {
    const db = await openTestDatabase({ migrate: false });
    try {
      const results = await Promise.all([migrate(db.transaction), migrate(db.transaction), migrate(db.transaction)]);
      const appliedCounts = results.map((applied) => applied.length).sort();
      assert.deepEqual(appliedCounts, [0, 0, loadMigrations().length]);
      const rows = await db.query<{ n: number }>('SELECT count(*) AS n FROM groundwork_migrations');
      assert.equal(rows.rows[0]?.n, loadMigrations().length);
    } finally {
      await db.close();
    }
  });

  test('a transaction commits on success and rolls back on error', async () => {
    const db = await openTestDatabase();
    try {
      await db.transaction(async (tx) => {
        await tx.query(`INSERT INTO sources (id, name, type) VALUES ('src_a', 'a', 'filesystem')`);
      });
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query(`INSERT INTO sources (id, name, type) VALUES ('src_b', 'b', 'filesystem')`);
          throw new Error('boom');
        }),
        /boom/,
      );
      const rows = await db.query<{ id: string }>('SELECT id FROM sources ORDER BY id');
      assert.deepEqual(
        rows.rows.map((row) => row.id),
        ['src_a'],
      );
    } finally {
      await db.close();
    }
  });

  test('vectors, text arrays and jsonb round-trip through the pg client', async () => {
    const db = await openTestDatabase();
    try {
      await db.query(`INSERT INTO sources (id, name, type) VALUES ('src_v', 'v', 'filesystem')`);
      await db.query(
        `INSERT INTO documents (id, source_id, source_ref, uri, principals, metadata) VALUES ('doc_1', 'src_v', 'a.txt', 'file:///a.txt', $1, $2)`,
        [['group:claims', 'user:ann@example.com'], { tags: ['x'] }],
      );
      await db.query(
        `INSERT INTO chunks (id, document_id, source_id, ordinal, text, token_count, content_hash, principals, embedding)
         VALUES ('chk_1', 'doc_1', 'src_v', 0, 'hello', 1, 'h', $1, $2::vector)`,
        [['group:claims'], '[1,0,0]'],
      );
      const row = await db.query<{ principals: string[]; metadata: unknown; distance: number }>(
        `SELECT d.principals, d.metadata, c.embedding <=> '[1,0,0]'::vector AS distance
           FROM documents d JOIN chunks c ON c.document_id = d.id WHERE c.principals && $1`,
        [['group:claims']],
      );
      assert.deepEqual(row.rows[0]?.principals, ['group:claims', 'user:ann@example.com']);
      assert.deepEqual(row.rows[0]?.metadata, { tags: ['x'] });
      assert.equal(row.rows[0]?.distance, 0);
    } finally {
      await db.close();
    }
  });
});

describe('embedded data directory', () => {
  test('is locked against a second opener, reports a newer format, and survives a stale lock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-store-'));
    const first = await openStore({ dataDir: dir });
    try {
      await assert.rejects(openStore({ dataDir: dir }), (error: GroundworkError) => {
        assert.equal(error.code, 'store.data_dir_locked');
        assert.match(error.fix ?? '', /server mode|--data-dir/);
        return true;
      });
    } finally {
      await first.close();
    }
    // A lock left by a process that died (kill -9) is taken over.
    writeFileSync(
      join(dir, 'groundwork.lock'),
      JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), since: 'then' }),
    );
    const reopened = await openStore({ dataDir: dir });
    await reopened.close();

    const newer = mkdtempSync(join(tmpdir(), 'gw-store-'));
    writeFileSync(join(newer, 'groundwork-store.json'), JSON.stringify({ storeFormat: 99, createdWith: '9.0.0' }));
    await assert.rejects(openStore({ dataDir: newer }), (error: GroundworkError) => error.code === 'store.data_dir_newer');
  });
});

describe('server store errors', () => {
  test('an unreachable server is reported with the fix and without the password', async () => {
    await assert.rejects(
      openStore({ dataDir: 'unused', databaseUrl: 'postgres://app:s3cret@127.0.0.1:1/groundwork' }),
      (error: GroundworkError) => {
        assert.equal(error.code, 'store.unreachable');
        assert.doesNotMatch(error.message, /s3cret/);
        assert.match(error.fix ?? '', /DATABASE_URL/);
        return true;
      },
    );
  });
});
