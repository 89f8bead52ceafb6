import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';
import { testDatabaseUrl, testStoreKind } from '../../../test/helpers/test-platform.ts';
import { loadConfig, localOperator, silentLogger } from '../../core/index.ts';
import { createPlatform } from '../../create-platform.ts';
import { type AuditEntry, createApiKey, listAudit, verifyAuditChain } from '../../govern/index.ts';
import { createApp } from '../../server/index.ts';

const paragraph = (topic: string) =>
  Array.from({ length: 30 }, (_, i) => `The ${topic} rule ${i} applies to claims for water damage and theft.`).join(' ');

/** The shape of an audit record with the values that differ per call (ids, times, actors) left out. */
function shape(entry: AuditEntry): { action: string; target: string; after: unknown; before: unknown } {
  const keysOf = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(keysOf);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, inner]) => [key, keysOf(inner)]));
    }
    return typeof value;
  };
  return {
    action: entry.action,
    target: (entry.target ?? '').split(':')[0] as string,
    after: keysOf(entry.after),
    before: keysOf(entry.before),
  };
}

describe(`one write path: the CLI and the API write the same audit records (${testStoreKind})`, () => {
  test('quarantine retry, dataset import and key revocation, once through each edge', { timeout: 300_000 }, async () => {
    const work = await mkdtemp(join(tmpdir(), 'gw-write-path-'));
    const docs = join(work, 'docs');
    await mkdir(docs, { recursive: true });
    await writeFile(join(docs, 'faq.txt'), paragraph('faq'));
    await writeFile(join(docs, 'broken.pdf'), '%PDF-1.7 not really');
    const cases = `${JSON.stringify({ id: 'q1', question: 'Which rule applies to water damage?', relevant_documents: ['faq.txt'] })}\n`;
    await writeFile(join(work, 'cases.jsonl'), cases);
    let admin: pg.Client | undefined;
    let database: string | undefined;
    let store = ['--data-dir', join(work, 'data')];
    let flags: Record<string, unknown> = { dataDir: join(work, 'data') };
    if (testDatabaseUrl) {
      database = `gw_write_path_${process.pid}_${Date.now()}`;
      admin = new pg.Client({ connectionString: testDatabaseUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${database}`);
      const url = new URL(testDatabaseUrl);
      url.pathname = `/${database}`;
      store = ['--database-url', url.href];
      flags = { databaseUrl: url.href };
    }
    const cli = async (args: string[], expected = 0) => {
      const result = await runGroundwork([...store, '--json', ...args], { cwd: work });
      assert.equal(result.code, expected, `${args.join(' ')}: ${result.stderr}`);
      return result.stdout ? JSON.parse(result.stdout) : undefined;
    };
    try {
      // Through the CLI, as the local operator.
      await cli(['sources', 'add', 'docs', '--path', docs, '--readable-by', 'group:staff']);
      await cli(['sync', 'docs'], 3);
      const [entry] = (await cli(['quarantine', 'list'])).entries as { id: string }[];
      assert.ok(entry);
      await cli(['quarantine', 'retry', entry.id], 3);
      await cli(['eval', 'import', 'from-cli', join(work, 'cases.jsonl')]);
      const created = await cli(['keys', 'create', '--name', 'cli-key', '--role', 'viewer']);
      await cli(['keys', 'revoke', created.key.id]);

      // Through the API, as an admin's key, on the same store.
      const platform = await createPlatform(loadConfig({ env: {}, cwd: work, flags }), { logger: silentLogger });
      const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
      try {
        const { token } = await createApiKey(
          platform.db,
          { name: 'ops', role: 'admin', principals: ['user:ops@x.test'] },
          { actor: localOperator.id },
        );
        const call = async (path: string, method: string, body?: unknown) => {
          const response = await built.app.request(`http://127.0.0.1${path}`, {
            method,
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          });
          assert.ok(response.status < 300, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
          return (await response.json()) as Record<string, unknown>;
        };
        await call('/v1/quarantine/retry', 'POST', { ids: [entry.id] });
        await call('/v1/eval/datasets', 'POST', { name: 'from-api', format: 'jsonl', content: cases });
        const key = (await call('/v1/keys', 'POST', { name: 'api-key', role: 'viewer' })).key as { id: string };
        await call(`/v1/keys/${key.id}`, 'DELETE');

        for (const action of ['quarantine.retry', 'eval.dataset.import', 'key.revoke']) {
          const entries = await listAudit(platform.db, { action });
          assert.deepEqual(
            entries.map((e) => e.actor).sort(),
            [localOperator.id, 'user:ops@x.test'],
            `${action}: one record from each edge`,
          );
          const [fromApi, fromCli] = entries.map(shape);
          assert.deepEqual(fromApi, fromCli, `${action}: the same record from the CLI and the API`);
        }
        assert.equal((await verifyAuditChain(platform.db)).ok, true);
      } finally {
        await built.close();
        await platform.close();
      }
    } finally {
      await rm(work, { recursive: true, force: true });
      if (admin && database) {
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
        await admin.end();
      }
    }
  });
});
