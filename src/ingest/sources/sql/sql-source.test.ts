/**
 * The SQL connector against a real PostgreSQL: the server at GROUNDWORK_TEST_SQL_URL, else
 * GROUNDWORK_TEST_DATABASE_URL, else 127.0.0.1:5432 (always present in CI). Each test makes a scratch schema
 * there and drops it. The Groundwork store itself is the embedded or server one as for every test.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { createTestPlatform, testDatabaseUrl } from '../../../../test/helpers/test-platform.ts';
import { type GroundworkError, isGroundworkError } from '../../../core/index.ts';
import { addSource, createIngestion, ingestStatus, parseDocument } from '../../index.ts';
import { sourceContract } from '../source.contract.ts';
import { createSqlSource, type SqlSourceConfig } from './sql-source.ts';

const sqlUrl = process.env.GROUNDWORK_TEST_SQL_URL || testDatabaseUrl || 'postgres://postgres@127.0.0.1:5432/postgres';
const admin = new pg.Pool({ connectionString: sqlUrl, max: 2 });
after(async () => {
  await admin.end();
});

async function scratchSchema(bodyType: 'text' | 'bytea' = 'text') {
  const schema = `gw_sql_${randomBytes(5).toString('hex')}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.notes (
    id text PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    subject text, body ${bodyType}, roles text[])`);
  return {
    schema,
    table: `${schema}.notes`,
    async upsert(id: string, body: string | Uint8Array, subject: string | null = null, roles: string[] | null = null) {
      await admin.query(
        `INSERT INTO ${schema}.notes (id, subject, body, roles) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET subject = $2, body = $3, roles = $4, updated_at = clock_timestamp()`,
        [id, subject, typeof body === 'string' || bodyType === 'bytea' ? body : new TextDecoder().decode(body), roles],
      );
    },
    async remove(id: string) {
      await admin.query(`DELETE FROM ${schema}.notes WHERE id = $1`, [id]);
    },
    drop: () => admin.query(`DROP SCHEMA ${schema} CASCADE`).then(() => undefined),
  };
}

function source(table: string, extra: Partial<SqlSourceConfig> = {}) {
  return createSqlSource({
    connectionString: sqlUrl,
    table,
    idColumn: 'id',
    updatedAtColumn: 'updated_at',
    titleColumn: 'subject',
    bodyColumn: 'body',
    principalsColumn: 'roles',
    format: 'text',
    maxFileBytes: 1024 * 1024,
    retry: { baseDelayMs: 5, maxDelayMs: 20, attempts: 2 },
    ...extra,
  });
}

sourceContract('sql (PostgreSQL)', {
  async setup() {
    const scratch = await scratchSchema('bytea');
    return {
      // Refs are ids as they are (no extension): the contract writes `a.txt`, `folder/b.txt`, binary bytes.
      source: source(scratch.table, { extension: '' }),
      write: (ref, bytes) => scratch.upsert(ref, bytes),
      remove: (ref) => scratch.remove(ref),
      cleanup: () => scratch.drop(),
    };
  },
});

describe('sql source', () => {
  test('rows become items (version = updated-at), title and principals come with the body; bad input is coded', async () => {
    const scratch = await scratchSchema();
    try {
      await scratch.upsert('CL-1', 'Water damage in the basement.', 'Claim 1', ['group:claims']);
      await scratch.upsert('CL/2', 'Hail damage.', null, null);
      const src = source(scratch.table);
      const items = [];
      for await (const change of src.listChanges(undefined, () => {})) if (change.kind === 'upsert') items.push(change.item);
      const byRef = new Map(items.map((i) => [i.ref, i]));
      assert.deepEqual([...byRef.keys()].sort(), ['CL-1.txt', 'CL/2.txt']);
      assert.match(byRef.get('CL-1.txt')?.version ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      assert.match(byRef.get('CL-1.txt')?.sidecarVersion ?? '', /^principals:/);
      assert.equal(byRef.get('CL/2.txt')?.sidecarVersion, undefined);
      const fetched = await src.fetch('CL-1.txt');
      assert.equal(new TextDecoder().decode(fetched.bytes), 'Water damage in the basement.');
      assert.deepEqual(fetched.sidecar, { title: 'Claim 1', principals: ['group:claims'] });
      await assert.rejects(src.fetch('CL-9.txt'), (error: GroundworkError) => error.code === 'ingest.not_found');

      const code = async (config: Partial<SqlSourceConfig>) => {
        try {
          for await (const _ of source(scratch.table, config).listChanges(undefined, () => {}));
          return 'listed';
        } catch (error) {
          assert.doesNotMatch((error as Error).message, /postgres:\/\//);
          return isGroundworkError(error) ? error.code : String(error);
        }
      };
      const wrongPassword = new URL(sqlUrl);
      wrongPassword.username = 'no_such_user_gw';
      wrongPassword.password = 'secret-pw';
      assert.equal(await code({ connectionString: wrongPassword.toString() }), 'ingest.source_auth_failed');
      assert.equal(await code({ connectionString: 'postgres://postgres@127.0.0.1:9/x' }), 'ingest.source_unreachable');
      assert.equal(await code({ table: `${scratch.schema}.missing` }), 'ingest.invalid_settings');
      assert.throws(
        () => source('notes; drop table x'),
        (error: GroundworkError) => error.code === 'ingest.invalid_settings',
      );
    } finally {
      await scratch.drop();
    }
  });
});

describe('sql source synced', () => {
  test('first sync, unchanged re-sync, an edit, a revocation without updated-at, a deleted row', async () => {
    const scratch = await scratchSchema();
    const platform = await createTestPlatform({});
    const ingestion = createIngestion({
      db: platform.db,
      events: platform.events,
      logger: platform.logger,
      config: platform.config,
      parse: (input) => parseDocument(input),
      secrets: (name) => (name === 'CLAIMS_DB_URL' ? sqlUrl : undefined),
    });
    try {
      for (let i = 1; i <= 5; i += 1)
        await scratch.upsert(`CL-${i}`, `Claim ${i}: storm damage to the roof, adjuster visit planned.`, `Claim ${i}`, [
          'group:claims',
          `user:owner${i}@example.com`,
        ]);
      await addSource(platform.db, {
        name: 'claims',
        type: 'sql',
        settings: {
          connectionStringEnv: 'CLAIMS_DB_URL',
          table: scratch.table,
          titleColumn: 'subject',
          principalsColumn: 'roles',
          uriTemplate: 'https://claims.example/claims/{id}',
        },
      });
      const docs = async () =>
        (
          await platform.db.query<{ source_ref: string; principals: string[]; title: string; uri: string }>(
            'SELECT source_ref, principals, title, uri FROM documents WHERE parent_id IS NULL ORDER BY source_ref',
          )
        ).rows;
      const first = await ingestion.sync({ source: 'claims' });
      assert.equal(first.added, 5);
      const indexed = await docs();
      assert.equal(indexed[0]?.title, 'Claim 1');
      assert.equal(indexed[0]?.uri, 'https://claims.example/claims/CL-1');
      assert.deepEqual([...(indexed[0]?.principals ?? [])].sort(), ['group:claims', 'user:owner1@example.com']);

      const second = await ingestion.sync({ source: 'claims' });
      assert.equal(second.unchanged, 5);
      assert.equal(second.added + second.updated + second.deleted, 0);

      await scratch.upsert('CL-2', 'Claim 2: settled.', 'Claim 2 (settled)', ['group:claims']);
      // A revocation written without touching updated_at still applies at the next sync.
      await admin.query(`UPDATE ${scratch.table} SET roles = ARRAY['group:claims-leads'] WHERE id = 'CL-3'`);
      await scratch.remove('CL-5');
      const third = await ingestion.sync({ source: 'claims' });
      assert.equal(third.updated, 2);
      assert.equal(third.deleted, 1);
      const after = new Map((await docs()).map((d) => [d.source_ref, d]));
      assert.equal(after.get('CL-2.txt')?.title, 'Claim 2 (settled)');
      assert.deepEqual(after.get('CL-3.txt')?.principals, ['group:claims-leads']);
      assert.equal(after.has('CL-5.txt'), false);

      // The database goes away: the sync fails with a coded error and deletes nothing.
      await admin.query(`ALTER TABLE ${scratch.table} RENAME TO notes_gone`);
      await assert.rejects(
        ingestion.sync({ source: 'claims' }),
        (error: GroundworkError) => error.code === 'ingest.invalid_settings',
      );
      assert.equal((await docs()).length, 4);
      const [status] = await ingestStatus(platform.db);
      assert.equal(status?.failures.lastErrorCode, 'ingest.invalid_settings');
    } finally {
      await ingestion.close();
      await platform.close();
      await scratch.drop();
    }
  });
});
