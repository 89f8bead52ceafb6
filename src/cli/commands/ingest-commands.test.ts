import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';
import { testDatabaseUrl, testStoreKind } from '../../../test/helpers/test-platform.ts';

const paragraph = (topic: string) =>
  Array.from({ length: 30 }, (_, i) => `The ${topic} rule ${i} applies to claims for water damage and theft.`).join(' ');

describe(`ingest commands as a process (${testStoreKind})`, () => {
  test('sources add, sync --json with quarantine (exit 3), quarantine list/retry, status --json', {
    timeout: 300_000,
  }, async () => {
    const work = await mkdtemp(join(tmpdir(), 'gw-cli-ingest-'));
    const docs = join(work, 'docs');
    await mkdir(join(docs, 'hr'), { recursive: true });
    await writeFile(join(docs, 'hr', 'leave.md'), `# Leave\n\n${paragraph('leave')}`);
    await writeFile(join(docs, 'faq.txt'), paragraph('faq'));
    await writeFile(join(docs, 'broken.pdf'), '%PDF-1.7 not really');
    await writeFile(join(work, 'acl.yaml'), 'default: [group:staff]\nrules:\n  - match: "hr/**"\n    principals: [group:hr]\n');
    let admin: pg.Client | undefined;
    let store = ['--data-dir', join(work, 'data')];
    let database: string | undefined;
    if (testDatabaseUrl) {
      database = `gw_cli_${process.pid}_${Date.now()}`;
      admin = new pg.Client({ connectionString: testDatabaseUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${database}`);
      const url = new URL(testDatabaseUrl);
      url.pathname = `/${database}`;
      store = ['--database-url', url.href];
    }
    try {
      const added = await runGroundwork([
        ...store,
        '--json',
        'sources',
        'add',
        'docs',
        '--path',
        docs,
        '--acl-map',
        join(work, 'acl.yaml'),
      ]);
      assert.equal(added.code, 0, added.stderr);
      assert.equal(JSON.parse(added.stdout).name, 'docs');

      const first = await runGroundwork([...store, '--json', 'sync', 'docs']);
      assert.equal(first.code, 3, first.stderr);
      const summary = JSON.parse(first.stdout);
      for (const key of ['added', 'updated', 'deleted', 'unchanged', 'renamed', 'quarantined', 'chunks', 'durationMs']) {
        assert.ok(key in summary, `summary has ${key}`);
      }
      assert.equal(summary.added, 2);
      assert.deepEqual(
        summary.quarantined.map((q: { path: string; code: string }) => [q.path, q.code]),
        [['broken.pdf', 'parse.corrupt']],
      );

      const listed = await runGroundwork([...store, '--json', 'quarantine', 'list']);
      assert.equal(listed.code, 0, listed.stderr);
      const entries = JSON.parse(listed.stdout).entries as { id: string; sourceRef: string; code: string }[];
      assert.deepEqual(
        entries.map((e) => e.sourceRef),
        ['broken.pdf'],
      );

      // Retry re-attempts the file; still broken, it stays in quarantine (attempts counted).
      await writeFile(join(docs, 'broken.pdf'), '%PDF-1.7 still broken but different');
      const retried = await runGroundwork([...store, '--json', 'quarantine', 'retry', entries[0]?.id as string]);
      assert.equal(retried.code, 3, retried.stderr);
      assert.equal(JSON.parse(retried.stdout).stillQuarantined, 1);

      const status = await runGroundwork([...store, '--json', 'status']);
      assert.equal(status.code, 0, status.stderr);
      const [source] = JSON.parse(status.stdout).sources;
      assert.equal(source.name, 'docs');
      assert.equal(source.documents, 2);
      assert.deepEqual(source.quarantine, { total: 1, byCode: { 'parse.corrupt': 1 } });
      assert.equal(source.undeterminedPrincipals, 0);
      assert.ok(source.chunks >= 3);
      assert.equal(source.lastRun.status, 'partial');

      const missing = await runGroundwork([...store, 'sync', 'nope']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /sources list/);
    } finally {
      await rm(work, { recursive: true, force: true });
      if (admin && database) {
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
        await admin.end();
      }
    }
  });
});
