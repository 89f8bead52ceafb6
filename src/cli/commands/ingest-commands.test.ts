import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
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
      for (const key of [
        'added',
        'updated',
        'deleted',
        'unchanged',
        'renamed',
        'quarantined',
        'chunks',
        'durationMs',
        'duration',
      ]) {
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

      // documents: what a principal may read, and why.
      const asStaff = await runGroundwork([...store, '--json', 'documents', 'list', '--as', 'group:staff']);
      assert.equal(asStaff.code, 0, asStaff.stderr);
      const staffDocs = JSON.parse(asStaff.stdout).documents as { id: string; sourceRef: string }[];
      assert.deepEqual(
        staffDocs.map((d) => d.sourceRef),
        ['faq.txt'],
      );
      const everything = JSON.parse((await runGroundwork([...store, '--json', 'documents', 'list'])).stdout).documents as {
        id: string;
        sourceRef: string;
      }[];
      const leave = everything.find((d) => d.sourceRef === 'hr/leave.md');
      assert.ok(leave);
      const hidden = await runGroundwork([...store, 'documents', 'show', leave.id, '--as', 'group:staff']);
      assert.equal(hidden.code, 1);
      assert.match(hidden.stderr, /no document .* that you may read/i);
      const explained = await runGroundwork([...store, 'documents', 'explain', leave.id, '--for', 'group:staff']);
      assert.equal(explained.code, 0, explained.stderr);
      assert.match(explained.stdout, /^DENIED: group:staff/);
      assert.match(explained.stdout, /group:hr/);

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

  test('ingest without an ACL map warns loudly that nobody can read the documents; --readable-by fixes it', {
    timeout: 300_000,
  }, async () => {
    const work = await mkdtemp(join(tmpdir(), 'gw-cli-readable-'));
    const docs = join(work, 'share');
    await mkdir(docs, { recursive: true });
    await writeFile(join(docs, 'guide.md'), `# Guide\n\n${paragraph('guide')}`);
    await writeFile(join(docs, 'faq.txt'), paragraph('faq'));
    let admin: pg.Client | undefined;
    let store = ['--data-dir', join(work, 'data')];
    let database: string | undefined;
    if (testDatabaseUrl) {
      database = `gw_cli_rb_${process.pid}_${Date.now()}`;
      admin = new pg.Client({ connectionString: testDatabaseUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${database}`);
      const url = new URL(testDatabaseUrl);
      url.pathname = `/${database}`;
      store = ['--database-url', url.href];
    }
    try {
      const first = await runGroundwork([...store, 'ingest', docs]);
      assert.equal(first.code, 0, first.stderr);
      assert.match(
        first.stdout,
        /WARNING share: 2 documents are readable by no one through the server — no API key, admin keys included/,
      );
      assert.match(first.stdout, /Fix: groundwork ingest PATH --readable-by group:staff/);
      const json = JSON.parse((await runGroundwork([...store, '--json', 'sync', 'share'])).stdout);
      assert.equal(json.sources[0].unreadableDocuments, 2);
      const status = await runGroundwork([...store, 'status']);
      assert.match(status.stdout, /WARNING share: 2 documents are readable by no one/);
      assert.equal(JSON.parse((await runGroundwork([...store, '--json', 'status'])).stdout).sources[0].unreadableDocuments, 2);

      const bad = await runGroundwork([...store, 'ingest', docs, '--readable-by', 'staff']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /ingest\.invalid_readable_by/);
      const fixed = await runGroundwork([...store, '--json', 'ingest', docs, '--readable-by', 'group:staff']);
      assert.equal(fixed.code, 0, fixed.stderr);
      const report = JSON.parse(fixed.stdout);
      assert.equal(report.updated, 2);
      assert.equal(report.sources[0].unreadableDocuments, 0);
      const asStaff = JSON.parse((await runGroundwork([...store, '--json', 'search', 'guide', '--as', 'group:staff'])).stdout);
      assert.ok(asStaff.hits.length > 0);
      const quiet = await runGroundwork([...store, 'status']);
      assert.doesNotMatch(quiet.stdout, /WARNING/);

      // sources add takes the same flag.
      const other = join(work, 'other');
      await mkdir(other);
      await writeFile(join(other, 'memo.txt'), paragraph('memo'));
      const added = await runGroundwork([
        ...store,
        '--json',
        'sources',
        'add',
        'memos',
        '--path',
        other,
        '--readable-by',
        'group:hr,user:ann@x.test',
      ]);
      assert.equal(added.code, 0, added.stderr);
      assert.deepEqual(JSON.parse(added.stdout).readableBy, ['group:hr', 'user:ann@x.test']);
    } finally {
      await rm(work, { recursive: true, force: true });
      if (admin && database) {
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
        await admin.end();
      }
    }
  });

  // The embedded store admits one process at a time, so a separate worker is a server-mode feature.
  test('worker runs syncs enqueued with sync --enqueue (server mode)', { timeout: 300_000, skip: !testDatabaseUrl }, async () => {
    const work = await mkdtemp(join(tmpdir(), 'gw-cli-worker-'));
    const database = `gw_worker_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: testDatabaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(testDatabaseUrl as string);
    url.pathname = `/${database}`;
    const store = ['--database-url', url.href];
    const bin = fileURLToPath(new URL('../../../bin/groundwork.js', import.meta.url));
    let worker: ReturnType<typeof spawn> | undefined;
    try {
      await mkdir(join(work, 'docs'));
      await writeFile(join(work, 'docs', 'a.txt'), paragraph('queued'));
      assert.equal((await runGroundwork([...store, 'sources', 'add', 'docs', '--path', join(work, 'docs')])).code, 0);
      worker = spawn(process.execPath, [bin, ...store, 'worker'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '' },
      });
      let workerErr = '';
      worker.stderr?.on('data', (data) => {
        workerErr += data;
      });
      const enqueued = await runGroundwork([...store, '--json', 'sync', '--enqueue']);
      assert.equal(enqueued.code, 0, enqueued.stderr);
      assert.equal(JSON.parse(enqueued.stdout).enqueued.length, 1);
      const deadline = Date.now() + 120_000;
      let lastRun: { status: string; counts: { added: number } } | null = null;
      while (Date.now() < deadline) {
        const status = await runGroundwork([...store, '--json', 'status']);
        lastRun = JSON.parse(status.stdout).sources[0]?.lastRun ?? null;
        if (lastRun) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      assert.equal(lastRun?.status, 'succeeded', workerErr);
      assert.equal(lastRun?.counts.added, 1);
      const exited = new Promise<number | null>((resolve) => worker?.once('exit', (code) => resolve(code)));
      worker.kill('SIGTERM');
      assert.equal(await exited, 0, workerErr);
      worker = undefined;
    } finally {
      worker?.kill('SIGKILL');
      await rm(work, { recursive: true, force: true });
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
      await admin.end();
    }
  });
});
