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

  test('refuses a changed applied migration and an unknown one inside its own range', async () => {
    const db = await openTestDatabase();
    try {
      const [first, ...rest] = loadMigrations();
      assert.ok(first);
      const edited = [{ ...first, checksum: 'edited' }, ...rest];
      await assert.rejects(migrate(db.transaction, edited), (error: GroundworkError) => error.code === 'store.migration_changed');
      // Version 2 is below this build's latest: another build's history, not a newer release.
      await db.query(`INSERT INTO groundwork_migrations (version, name, checksum) VALUES (2, 'elsewhere', 'x')`);
      await assert.rejects(migrationStatus(db), (error: GroundworkError) => error.code === 'store.newer_schema');
    } finally {
      await db.close();
    }
  });

  test('old code keeps running on a newer expand migration and refuses a contract it does not satisfy', async () => {
    const db = await openTestDatabase({ migrate: false });
    try {
      // The releases up to the latest expand step (a later contract step, such as 0080, is not this scenario).
      const known = loadMigrations();
      const all = known.slice(0, known.findLastIndex((m) => m.requiresVersion === undefined) + 1);
      const latest = all.at(-1)?.version ?? 0;
      // The old release knows every migration but the last; the new one applies the last, an expand step.
      const oldRelease = all.slice(0, -1);
      assert.equal((await migrate(db.transaction, all)).length, all.length);
      const expand = await migrationStatus(db, oldRelease);
      assert.deepEqual(expand.pending, []);
      assert.deepEqual(
        expand.newer.map((m) => m.version),
        [latest],
      );
      assert.deepEqual(await migrate(db.transaction, oldRelease), [], 'an old process restarting applies nothing and starts');

      // A contract step that requires code knowing the latest migration: the old release is refused, the
      // current one (which knows it) is not.
      const dir = mkdtempSync(join(tmpdir(), 'gw-migrations-'));
      const contractSql = `-- Drops what code before ${latest} read.\n-- groundwork:requires ${String(latest).padStart(4, '0')}\nSELECT 1;\n`;
      for (const m of all) writeFileSync(join(dir, `${String(m.version).padStart(4, '0')}_${m.name}.sql`), m.sql);
      writeFileSync(join(dir, '9000_contract_step.sql'), contractSql);
      const nextRelease = loadMigrations(dir);
      assert.equal(nextRelease.at(-1)?.requiresVersion, latest);
      assert.equal(nextRelease.at(-2)?.requiresVersion, undefined);
      assert.equal((await migrate(db.transaction, nextRelease)).length, 1);
      await assert.rejects(migrationStatus(db, oldRelease), (error: GroundworkError) => {
        assert.equal(error.code, 'store.newer_schema');
        assert.match(error.message, new RegExp(`requires code knowing migration ${latest}`));
        return true;
      });
      await assert.rejects(migrate(db.transaction, oldRelease), (error: GroundworkError) => error.code === 'store.newer_schema');
      const current = await migrationStatus(db, all);
      assert.deepEqual(
        current.newer.map((m) => m.version),
        [9000],
      );
    } finally {
      await db.close();
    }
  });

  test('a migrations table from before requires_version is read, then extended by the next migrate', async () => {
    const db = await openTestDatabase();
    try {
      await db.query('ALTER TABLE groundwork_migrations DROP COLUMN requires_version');
      assert.equal((await migrationStatus(db)).pending.length, 0);
      await migrate(db.transaction);
      const column = await db.query(
        `SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'groundwork_migrations' AND column_name = 'requires_version'`,
        [db.schema],
      );
      assert.equal(column.rows.length, 1);
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

describe('migration files', () => {
  /** Migrations shipped before the expand/contract rule; applied migrations are never edited. */
  const beforeTheRule = 71;
  /** Statements that remove or change what older code reads or writes: contract steps. */
  const contractPatterns: ReadonlyArray<[string, RegExp]> = [
    ['DROP TABLE/COLUMN/VIEW/FUNCTION/TYPE', /\bDROP\s+(TABLE|COLUMN|VIEW|FUNCTION|TYPE)\b/i],
    ['ALTER TABLE … DROP', /\bALTER\s+TABLE\b[^;]*\bDROP\b(?!\s+DEFAULT)/i],
    ['RENAME', /\bRENAME\b/i],
    ['ALTER COLUMN … TYPE', /\bALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE\b/i],
    ['SET NOT NULL', /\bSET\s+NOT\s+NULL\b/i],
    ['a NOT NULL column without a default', /\bADD\s+COLUMN\b(?![^;,]*\bDEFAULT\b)[^;,]*\bNOT\s+NULL\b/i],
  ];

  test('a migration that removes or changes what older code uses declares -- groundwork:requires', () => {
    const problems: string[] = [];
    for (const migration of loadMigrations()) {
      if (migration.version <= beforeTheRule || migration.requiresVersion !== undefined) continue;
      const sql = migration.sql.replace(/--.*$/gm, '');
      for (const [what, pattern] of contractPatterns) {
        if (pattern.test(sql)) problems.push(`${migration.version}_${migration.name}: ${what}`);
      }
    }
    assert.deepEqual(problems, [], 'mark contract steps with `-- groundwork:requires NNNN` (docs/operations.md#upgrades)');
  });

  test('the contract patterns catch what they are for and let expand steps through', () => {
    const contract = (sql: string) => contractPatterns.some(([, pattern]) => pattern.test(sql));
    assert.ok(contract('ALTER TABLE chunks DROP COLUMN pii;'));
    assert.ok(contract('ALTER TABLE chunks RENAME COLUMN pii TO pii_spans;'));
    assert.ok(contract('ALTER TABLE chunks ALTER COLUMN token_count TYPE bigint;'));
    assert.ok(contract('ALTER TABLE chunks ALTER COLUMN title SET NOT NULL;'));
    assert.ok(contract('ALTER TABLE chunks ADD COLUMN owner text NOT NULL;'));
    assert.ok(contract('DROP TABLE feedback;'));
    assert.ok(!contract(`ALTER TABLE sync_runs ADD COLUMN acl_warnings jsonb NOT NULL DEFAULT '[]';`));
    assert.ok(!contract('ALTER TABLE chunks ADD COLUMN owner text;'));
    assert.ok(!contract('CREATE INDEX chunks_owner_idx ON chunks (owner);'));
    assert.ok(!contract('ALTER TABLE chunks ALTER COLUMN owner DROP DEFAULT;'));
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
