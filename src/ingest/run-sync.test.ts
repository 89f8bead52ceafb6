import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { MockEmbeddingModelV4 } from 'ai/test';
import { zipSync } from 'fflate';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { type GroundworkConfigInput, localOperator } from '../core/index.ts';
import {
  addSource,
  createIngestion,
  createParserPool,
  embedderFromModel,
  type Ingestion,
  listQuarantine,
  parseDocument,
  requestSourceAclMap,
} from './index.ts';
import { makeEncryptedPdf, makeZipBomb } from './parsers/fixtures/generate-fixtures.ts';

type Platform = Awaited<ReturnType<typeof createTestPlatform>>;

interface Fixture {
  platform: Platform;
  root: string;
  ingestion: Ingestion;
  events: { name: string; payload: Record<string, unknown> }[];
  put(ref: string, content: string | Uint8Array): Promise<void>;
  sync(): ReturnType<Ingestion['sync']>;
  close(): Promise<void>;
}

async function fixture(
  options: {
    config?: GroundworkConfigInput;
    aclMap?: unknown;
    embedder?: Parameters<typeof createIngestion>[0]['embedder'];
  } = {},
): Promise<Fixture> {
  const platform = await createTestPlatform(options.config ?? {});
  const root = await mkdtemp(join(tmpdir(), 'gw-sync-'));
  let aclMapPath: string | undefined;
  if (options.aclMap) {
    aclMapPath = join(await mkdtemp(join(tmpdir(), 'gw-acl-')), 'acl.json');
    await writeFile(aclMapPath, JSON.stringify(options.aclMap));
  }
  await addSource(platform.db, { name: 'docs', type: 'filesystem', path: root, ...(aclMapPath ? { aclMapPath } : {}) });
  // In-thread parsing keeps these tests fast; the worker pool has its own tests in parsers/.
  const ingestion = createIngestion({
    db: platform.db,
    events: platform.events,
    logger: platform.logger,
    config: platform.config,
    parse: (input) => parseDocument(input),
    embedder: options.embedder,
  });
  const events: Fixture['events'] = [];
  platform.events.subscribeAll((name, payload) => events.push({ name, payload: payload as Record<string, unknown> }));
  const put = async (ref: string, content: string | Uint8Array) => {
    const path = join(root, ...ref.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  };
  return {
    platform,
    root,
    ingestion,
    events,
    put,
    sync: () => ingestion.sync({ source: 'docs' }),
    async close() {
      await ingestion.close();
      await platform.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

const paragraph = (topic: string, n = 40) =>
  Array.from({ length: n }, (_, i) => `The ${topic} clause ${i} covers water damage, theft and liability in section ${i}.`).join(
    ' ',
  );

async function documentsOf(platform: Platform) {
  const result = await platform.db.query<{
    id: string;
    source_ref: string;
    parent_id: string | null;
    chunk_count: number;
    principals: string[];
    title: string;
    status: string;
  }>('SELECT id, source_ref, parent_id, chunk_count, principals, title, status FROM documents ORDER BY source_ref');
  return result.rows;
}

async function consistency(platform: Platform) {
  const orphans = await platform.db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.id = c.document_id)',
  );
  const mismatched = await platform.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM documents d WHERE d.chunk_count <> (SELECT count(*) FROM chunks c WHERE c.document_id = d.id)`,
  );
  assert.equal(orphans.rows[0]?.n, 0, 'no orphan chunks');
  assert.equal(mismatched.rows[0]?.n, 0, 'chunk_count matches the chunks');
}

describe(`runSync (${testStoreKind})`, () => {
  test('indexes new files, skips unchanged ones, updates, renames and deletes', async () => {
    const f = await fixture();
    try {
      await f.put('policies/home.md', `# Home policy\n\n${paragraph('home')}`);
      await f.put('policies/car.txt', paragraph('car', 80));
      await f.put('claims/a.txt', paragraph('claims'));
      const first = await f.sync();
      assert.equal(first.status, 'succeeded');
      assert.deepEqual([first.added, first.updated, first.unchanged, first.deleted, first.renamed], [3, 0, 0, 0, 0]);
      assert.ok(first.chunks >= 3);
      await consistency(f.platform);
      const before = await documentsOf(f.platform);
      assert.equal(before.length, 3);
      const chunkTotal = (await f.platform.db.query<{ n: number }>('SELECT count(*)::int AS n FROM chunks')).rows[0]?.n;
      assert.equal(chunkTotal, first.chunks);

      const again = await f.sync();
      assert.deepEqual([again.added, again.updated, again.unchanged, again.deleted, again.chunks], [0, 0, 3, 0, 0]);
      // touched without a change: confirmed by hash, not re-processed
      const later = new Date(Date.now() + 60_000);
      await utimes(join(f.root, 'claims', 'a.txt'), later, later);
      const touched = await f.sync();
      assert.deepEqual([touched.updated, touched.unchanged], [0, 3]);

      await f.put('policies/car.txt', paragraph('motor', 20));
      await rename(join(f.root, 'claims', 'a.txt'), join(f.root, 'claims', 'b.txt'));
      await rm(join(f.root, 'policies', 'home.md'));
      const third = await f.sync();
      assert.deepEqual([third.added, third.updated, third.deleted, third.renamed], [0, 1, 1, 1]);
      const after = await documentsOf(f.platform);
      assert.deepEqual(
        after.map((d) => d.source_ref),
        ['claims/b.txt', 'policies/car.txt'],
      );
      assert.equal(
        after.find((d) => d.source_ref === 'claims/b.txt')?.id,
        before.find((d) => d.source_ref === 'claims/a.txt')?.id,
      );
      const carChunks = await f.platform.db.query<{ text: string }>(
        `SELECT c.text FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.source_ref = 'policies/car.txt'`,
      );
      assert.ok(
        carChunks.rows.every((row) => row.text.includes('motor')),
        'old chunks replaced',
      );
      await consistency(f.platform);

      const runIds = new Set(f.events.filter((e) => e.name !== 'span-end').map((e) => e.payload.runId));
      assert.ok(![...runIds].includes(undefined), 'every ingest event has a runId');
      assert.ok(f.events.some((e) => e.name === 'document-parsed'));
      const starts = f.events.filter((e) => e.name === 'sync-start');
      const ends = f.events.filter((e) => e.name === 'sync-end');
      assert.equal(starts.length, 4);
      assert.deepEqual(
        ends.map((e) => e.payload.runId),
        starts.map((e) => e.payload.runId),
      );
      assert.deepEqual((ends[0]?.payload.counts as { added: number } | undefined)?.added, 3);
      assert.ok(f.events.some((e) => e.name === 'document-deleted' && e.payload.sourceRef === 'policies/home.md'));
      const runs = await f.platform.db.query<{ status: string }>('SELECT status FROM sync_runs ORDER BY started_at');
      assert.deepEqual(
        runs.rows.map((r) => r.status),
        ['succeeded', 'succeeded', 'succeeded', 'succeeded'],
      );
    } finally {
      await f.close();
    }
  });

  test('sidecars set title and principals, are never documents, and a changed sidecar re-applies them', async () => {
    const f = await fixture({
      aclMap: { default: ['group:staff'], rules: [{ match: 'hr/**', principals: ['group:hr'] }] },
    });
    try {
      await f.put('hr/salaries.txt', paragraph('salary'));
      await f.put('public/faq.txt', paragraph('faq'));
      await f.put('public/faq.txt.meta.json', JSON.stringify({ title: 'FAQ', principals: ['group:everyone'], tags: ['faq'] }));
      await f.sync();
      let docs = await documentsOf(f.platform);
      assert.deepEqual(
        docs.map((d) => [d.source_ref, d.title, d.principals]),
        [
          ['hr/salaries.txt', 'salaries', ['group:hr']],
          ['public/faq.txt', 'FAQ', ['group:everyone']],
        ],
      );
      await f.put('public/faq.txt.meta.json', JSON.stringify({ title: 'Questions', principals: ['group:customers'] }));
      const second = await f.sync();
      assert.equal(second.updated, 1);
      docs = await documentsOf(f.platform);
      assert.deepEqual(docs[1]?.principals, ['group:customers']);
      const chunkPrincipals = await f.platform.db.query<{ principals: string[] }>(
        `SELECT DISTINCT c.principals FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.source_ref = 'public/faq.txt'`,
      );
      assert.deepEqual(
        chunkPrincipals.rows.map((r) => r.principals),
        [['group:customers']],
      );
    } finally {
      await f.close();
    }
  });

  test('bad files are quarantined, the run goes on, archive members become child documents', async () => {
    const f = await fixture({ config: { ingest: { maxFileBytes: 200_000 } } });
    try {
      await f.put('good.txt', paragraph('good'));
      await f.put('broken.pdf', '%PDF-1.7\nthis is not really a pdf');
      await f.put('huge.txt', 'x '.repeat(150_000));
      await f.put('program.exe', new Uint8Array([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff, 0, 0]));
      const zip = zipSync({
        'inner/notes.txt': new TextEncoder().encode(paragraph('archived')),
        'inner/other.md': new TextEncoder().encode(`# Other\n\n${paragraph('other')}`),
      });
      await f.put('bundle.zip', zip);
      await f.put('secret.pdf', await makeEncryptedPdf());
      await f.put('bomb.zip', makeZipBomb(20));
      const first = await f.sync();
      assert.equal(first.status, 'partial');
      assert.deepEqual(first.quarantined.map((q) => [q.path, q.code]).sort(), [
        ['bomb.zip', 'parse.zip_bomb'],
        ['broken.pdf', 'parse.corrupt'],
        ['huge.txt', 'ingest.too_large'],
        ['program.exe', 'parse.unsupported_type'],
        ['secret.pdf', 'parse.encrypted'],
      ]);
      await rm(join(f.root, 'secret.pdf'));
      await rm(join(f.root, 'bomb.zip'));
      assert.ok(first.quarantined.every((q) => /Fix:/.test(q.message)));
      const docs = await documentsOf(f.platform);
      const bundle = docs.find((d) => d.source_ref === 'bundle.zip');
      assert.ok(bundle);
      const members = docs.filter((d) => d.parent_id === bundle.id).map((d) => d.source_ref);
      assert.deepEqual(members, ['bundle.zip!/inner/notes.txt', 'bundle.zip!/inner/other.md']);
      await consistency(f.platform);

      // unchanged bad files are not re-attempted, but still reported
      const second = await f.sync();
      assert.equal(second.quarantined.length, 3);
      const entries = await listQuarantine(f.platform.db);
      assert.equal(entries.length, 3);

      // a fixed file leaves the quarantine; a removed archive takes its members with it
      await f.put('broken.pdf.txt', 'x');
      await rm(join(f.root, 'broken.pdf'));
      await f.put('huge.txt', paragraph('small now'));
      await rm(join(f.root, 'bundle.zip'));
      const third = await f.sync();
      assert.deepEqual(
        third.quarantined.map((q) => q.path),
        ['program.exe'],
      );
      assert.deepEqual(
        (await listQuarantine(f.platform.db)).map((e) => e.sourceRef),
        ['program.exe'],
      );
      const remaining = await documentsOf(f.platform);
      assert.deepEqual(
        remaining.map((d) => d.source_ref),
        ['broken.pdf.txt', 'good.txt', 'huge.txt'],
      );
      await consistency(f.platform);
    } finally {
      await f.close();
    }
  });

  test('a document over ingest.maxChunksPerDocument is quarantined whole; a grown file keeps its indexed version', async () => {
    const f = await fixture({
      config: { ingest: { maxChunksPerDocument: 6, chunking: { targetTokens: 64, overlapTokens: 8 } } },
    });
    try {
      const sentences = (topic: string, n: number) =>
        Array.from({ length: n }, (_, i) => `The ${topic} claim ${i} was reported after the storm.`).join(' ');
      await f.put('fine.txt', sentences('fine', 10));
      await f.put('grows.txt', sentences('early', 10));
      await f.put('dump.log', sentences('logged', 5000));
      await f.put(
        'bundle.zip',
        zipSync({
          'big.txt': new TextEncoder().encode(sentences('member', 80)),
          'small.txt': new TextEncoder().encode(sentences('small', 3)),
        }),
      );
      const first = await f.sync();
      assert.deepEqual(first.quarantined.map((q) => [q.path, q.code]).sort(), [
        ['bundle.zip!/big.txt', 'ingest.too_large'],
        ['dump.log', 'ingest.too_large'],
      ]);
      for (const q of first.quarantined) {
        assert.ok(q.message.startsWith(q.path), q.message);
        assert.match(q.message, /raise ingest\.maxChunksPerDocument/);
      }
      const indexed = async () => (await documentsOf(f.platform)).map((d) => [d.source_ref, d.chunk_count] as const);
      const before = await indexed();
      assert.deepEqual(
        before.map(([ref]) => ref),
        ['bundle.zip', 'bundle.zip!/small.txt', 'fine.txt', 'grows.txt'],
      );
      assert.ok(before.every(([, chunks]) => chunks <= 6));

      // Grown past the limit: the new version is refused, the indexed one stays searchable, untouched.
      await f.put('grows.txt', sentences('late', 80));
      const second = await f.sync();
      assert.deepEqual(second.quarantined.map((q) => [q.path, q.code]).sort(), [
        ['dump.log', 'ingest.too_large'],
        ['grows.txt', 'ingest.too_large'],
      ]);
      assert.deepEqual((await listQuarantine(f.platform.db)).map((e) => [e.sourceRef, e.code]).sort(), [
        ['bundle.zip!/big.txt', 'ingest.too_large'],
        ['dump.log', 'ingest.too_large'],
        ['grows.txt', 'ingest.too_large'],
      ]);
      assert.deepEqual(await indexed(), before);
      const texts = await f.platform.db.query<{ text: string }>(
        `SELECT c.text FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.source_ref = 'grows.txt'`,
      );
      assert.ok(texts.rows.length > 0 && texts.rows.every((row) => row.text.includes('early') && !row.text.includes('late')));
      await consistency(f.platform);
    } finally {
      await f.close();
    }
  });

  test('links that are not followed and named pipes are quarantined with their fix, stay put, and leave when fixed', async () => {
    const f = await fixture({ aclMap: { default: ['group:staff'], rules: [{ match: 'hr/**', principals: ['group:hr'] }] } });
    try {
      await f.put('hr/salaries.txt', paragraph('salary'));
      await f.put('loopdir/notes.txt', paragraph('notes'));
      await symlink('..', join(f.root, 'loopdir', 'up'));
      await symlink('missing.txt', join(f.root, 'dangling.txt'));
      // A link in a wider folder to a restricted file must not index it under the wider folder's principals.
      await symlink(join('hr', 'salaries.txt'), join(f.root, 'public-salaries.txt'));
      execFileSync('mkfifo', [join(f.root, 'pipe')]);
      const expected = [
        ['dangling.txt', 'ingest.symlink_broken'],
        ['loopdir/up', 'ingest.symlink_loop'],
        ['pipe', 'ingest.not_a_file'],
        ['public-salaries.txt', 'ingest.symlink_inside_root'],
      ];
      const first = await f.sync();
      assert.equal(first.status, 'partial');
      assert.equal(first.added, 2);
      assert.deepEqual(first.quarantined.map((q) => [q.path, q.code]).sort(), expected);
      assert.ok(
        first.quarantined.every((q) => /Fix: \S/.test(q.message)),
        'every entry says what to do',
      );
      const docs = await documentsOf(f.platform);
      assert.deepEqual(
        docs.map((d) => [d.source_ref, d.principals]),
        [
          ['hr/salaries.txt', ['group:hr']],
          ['loopdir/notes.txt', ['group:staff']],
        ],
      );

      // Reported again at every listing: the entries neither flap nor pile up.
      const second = await f.sync();
      assert.deepEqual(second.quarantined.map((q) => [q.path, q.code]).sort(), expected);
      const entries = await listQuarantine(f.platform.db);
      assert.deepEqual(entries.map((e) => [e.sourceRef, e.code]).sort(), expected);
      assert.ok(entries.every((e) => e.attempts === 2));

      await rm(join(f.root, 'loopdir', 'up'));
      await rm(join(f.root, 'pipe'));
      await f.put('missing.txt', paragraph('restored'));
      const third = await f.sync();
      assert.deepEqual(third.quarantined.map((q) => [q.path, q.code]).sort(), [
        ['dangling.txt', 'ingest.symlink_inside_root'],
        ['public-salaries.txt', 'ingest.symlink_inside_root'],
      ]);
      assert.deepEqual((await listQuarantine(f.platform.db)).map((e) => e.sourceRef).sort(), [
        'dangling.txt',
        'public-salaries.txt',
      ]);
    } finally {
      await f.close();
    }
  });

  test('embeddings are computed in batches and cached by content hash and model', async () => {
    let calls = 0;
    const model = new MockEmbeddingModelV4({
      maxEmbeddingsPerCall: 100,
      doEmbed: async ({ values }) => {
        calls += 1;
        return { embeddings: values.map((v) => [v.length % 7, 1, 0.5]), usage: { tokens: values.length * 10 }, warnings: [] };
      },
    });
    const embedder = embedderFromModel(model, { model: 'mock:embed', dimensions: 3, batchSize: 2 });
    const f = await fixture({ embedder });
    try {
      await f.put('a.txt', paragraph('alpha', 10));
      await f.put('b.txt', paragraph('beta', 10));
      const first = await f.sync();
      const missing = await f.platform.db.query<{ n: number }>('SELECT count(*)::int AS n FROM chunks WHERE embedding IS NULL');
      assert.equal(missing.rows[0]?.n, 0);
      assert.ok(calls >= 1);
      const embedEnds = f.events.filter((e) => e.name === 'embed-end');
      assert.equal(
        embedEnds.reduce((sum, e) => sum + (e.payload.count as number), 0),
        first.chunks,
      );
      const callsAfterFirst = calls;
      // Same text and title as a.txt (chunks start with the title): served from the cache.
      await f.put('c.txt', paragraph('alpha', 10));
      await f.put('c.txt.meta.json', JSON.stringify({ title: 'a' }));
      await f.sync();
      assert.equal(calls, callsAfterFirst);
    } finally {
      await f.close();
    }
  });

  test('an edited ACL map re-processes every document; dead runs are marked interrupted, live ones block', async () => {
    const f = await fixture({ aclMap: { rules: [{ match: 'claims/**', principals: ['group:claims'] }] } });
    try {
      await f.put('claims/a.txt', paragraph('claims'));
      await f.put('other/b.txt', paragraph('other'));
      await f.sync();
      let docs = await documentsOf(f.platform);
      assert.deepEqual(
        docs.map((d) => d.principals),
        [['group:claims'], []],
      );
      const undetermined = await f.platform.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM documents WHERE NOT principals_determined',
      );
      assert.equal(undetermined.rows[0]?.n, 1);

      const source = await f.platform.db.query<{ config: { aclMapPath: string } }>('SELECT config FROM sources');
      const aclPath = source.rows[0]?.config.aclMapPath as string;
      await writeFile(
        aclPath,
        JSON.stringify({ default: ['group:staff'], rules: [{ match: 'claims/**', principals: ['group:adjusters'] }] }),
      );
      // `source.acl` is governed (the default): an edit on disk is reported, not applied — the approved copy
      // stays in force until the change goes through a request.
      const drifted = await f.sync();
      assert.equal(drifted.updated, 0);
      assert.match(drifted.aclMapDrift?.message ?? '', /differs from the approved copy.*groundwork sources acl-map docs/);
      assert.deepEqual(
        (await documentsOf(f.platform)).map((d) => d.principals),
        [['group:claims'], []],
      );
      const runCounts = await f.platform.db.query<{ counts: { aclMapDrift?: { path: string } } }>(
        'SELECT counts FROM sync_runs ORDER BY started_at DESC LIMIT 1',
      );
      assert.equal(runCounts.rows[0]?.counts.aclMapDrift?.path, aclPath);
      // The trusted local operator applies it directly (governance.localOperator: direct): audited, then in force.
      const applied = await requestSourceAclMap(f.platform.governance, f.platform.db, localOperator, 'docs', aclPath);
      assert.equal(applied.status, 'applied');
      const resync = await f.sync();
      assert.equal(resync.updated, 2);
      assert.equal(resync.aclMapDrift, undefined);
      docs = await documentsOf(f.platform);
      assert.deepEqual(
        docs.map((d) => d.principals),
        [['group:adjusters'], ['group:staff']],
      );

      // A run left `running` by a process that no longer exists is marked interrupted by the next sync.
      const sourceId = (await f.platform.db.query<{ id: string }>('SELECT id FROM sources')).rows[0]?.id;
      const { hostname } = await import('node:os');
      await f.platform.db.query(
        `INSERT INTO sync_runs (id, source_id, status, pid, host, heartbeat_at) VALUES ('run_dead', $1, 'running', 999999, $2, now())`,
        [sourceId, hostname()],
      );
      await f.sync();
      const dead = await f.platform.db.query<{ status: string }>(`SELECT status FROM sync_runs WHERE id = 'run_dead'`);
      assert.equal(dead.rows[0]?.status, 'interrupted');
      // A live one (this very process) blocks a second sync of the same source.
      await f.platform.db.query(
        `INSERT INTO sync_runs (id, source_id, status, pid, host, heartbeat_at) VALUES ('run_live', $1, 'running', $2, $3, now())`,
        [sourceId, process.pid, hostname()],
      );
      await assert.rejects(f.sync(), (error: { code?: string }) => error.code === 'ingest.sync_running');
    } finally {
      await f.close();
    }
  });

  test('a map whose restricted rule is shadowed by a later broader one is refused by the sync; nothing widens', async () => {
    const f = await fixture({ aclMap: { default: ['group:staff'] } });
    try {
      await f.put('claims/restricted/note.txt', 'Claimant SSN 123-45-6789 must never reach underwriting.');
      await f.put('claims/open.txt', paragraph('open claims'));
      const first = await f.sync();
      assert.equal(first.added, 2);
      const source = await f.platform.db.query<{ config: { aclMapPath: string } }>('SELECT config FROM sources');
      await writeFile(
        source.rows[0]?.config.aclMapPath as string,
        JSON.stringify({
          rules: [
            { match: 'claims/restricted/**', principals: ['group:claims-leads'] },
            { match: 'claims/**', principals: ['group:claims', 'group:underwriting'] },
          ],
        }),
      );
      await assert.rejects(
        f.sync(),
        (error: { code?: string; message?: string }) =>
          error.code === 'protect.invalid_acl_map' && /rules\[0\].*shadowed by rules\[1\]/.test(error.message ?? ''),
      );
      // The documents keep the principals of the last valid map; underwriting gained nothing.
      const docs = await documentsOf(f.platform);
      assert.ok(docs.every((d) => !d.principals.includes('group:underwriting')));
      // A map stored before this check existed is refused at the next sync as well, and sources still list.
      await f.platform.db.query(`UPDATE sources SET config = config - 'aclMapPath', acl_map = $1`, [
        JSON.stringify({
          rules: [
            { match: ['claims/restricted/**'], principals: ['group:claims-leads'], inherit: false },
            { match: ['claims/**'], principals: ['group:underwriting'], inherit: false },
          ],
          aliases: {},
          ignoreCase: false,
        }),
      ]);
      const { listSources } = await import('./index.ts');
      assert.equal((await listSources(f.platform.db)).length, 1);
      await assert.rejects(f.sync(), (error: { code?: string }) => error.code === 'protect.invalid_acl_map');
    } finally {
      await f.close();
    }
  });

  test('a rule that matched files but decided none is an ACL warning in the summary and status', async () => {
    // Braces are beyond the static proof; the sync sees from the real paths that rules[0] never decides.
    const f = await fixture({
      aclMap: {
        rules: [
          { match: 'claims/{2025,2026}/**', principals: ['group:claims-leads'] },
          { match: 'claims/**', principals: ['group:claims'] },
          { match: 'claims/2026/big/**', principals: ['group:big-loss'], inherit: true },
        ],
      },
    });
    try {
      await f.put('claims/2025/a.txt', paragraph('a'));
      await f.put('claims/2026/b.txt', paragraph('b'));
      await f.put('claims/2026/big/c.txt', paragraph('c'));
      await f.put('claims/other.txt', paragraph('other'));
      const summary = await f.sync();
      assert.deepEqual(
        summary.aclWarnings.map((w) => [w.code, w.ruleIndex, w.matched, w.replacedBy]),
        [['acl.rule_never_decides', 0, 3, [1]]],
      );
      assert.match(
        summary.aclWarnings[0]?.message ?? '',
        /rules\[0\] \(claims\/\{2025,2026\}\/\*\*\) matched 3 files but decided none/,
      );
      assert.match(summary.aclWarnings[0]?.message ?? '', /Fix: move rules\[0\] below rules\[1\]/);
      assert.doesNotMatch(JSON.stringify(summary.aclWarnings), /a\.txt|b\.txt/, 'counts, never paths');
      const { ingestStatus } = await import('./index.ts');
      const [status] = await ingestStatus(f.platform.db);
      assert.equal(status?.aclWarnings.length, 1);
      // An unchanged re-sync still reports it (every listed file counts, not only the processed ones).
      const again = await f.sync();
      assert.equal(again.unchanged, 4);
      assert.equal(again.aclWarnings.length, 1);
    } finally {
      await f.close();
    }
  });

  test('without a map nothing is readable (counted, loud); --readable-by decides what nothing else does', async () => {
    const f = await fixture();
    try {
      await f.put('guide.md', `# Guide\n\n${paragraph('guide')}`);
      await f.put('faq.txt', paragraph('faq'));
      await f.put('private.txt', paragraph('private'));
      await f.put('private.txt.meta.json', JSON.stringify({ principals: ['group:hr'] }));
      const first = await f.sync();
      assert.equal(first.unreadableDocuments, 2);
      const { ingestStatus, setSourceReadableBy } = await import('./index.ts');
      assert.equal((await ingestStatus(f.platform.db))[0]?.unreadableDocuments, 2);

      await setSourceReadableBy(f.platform.db, 'docs', ['group:staff, user:Ann@Example.com']);
      const second = await f.sync();
      assert.equal(second.updated, 3, 'a changed --readable-by re-processes the documents');
      assert.equal(second.unreadableDocuments, 0);
      const docs = await documentsOf(f.platform);
      assert.deepEqual(
        docs.map((d) => [d.source_ref, d.principals]),
        [
          ['faq.txt', ['group:staff', 'user:ann@example.com']],
          ['guide.md', ['group:staff', 'user:ann@example.com']],
          ['private.txt', ['group:hr']],
        ],
      );
      const explained = await f.platform.db.query<{ principals_determined: boolean }>(
        'SELECT principals_determined FROM documents',
      );
      assert.ok(explained.rows.every((row) => row.principals_determined));
      await assert.rejects(
        setSourceReadableBy(f.platform.db, 'docs', ['staff']),
        (error: { code?: string; message?: string }) =>
          error.code === 'ingest.invalid_readable_by' && /staff/.test(error.message ?? ''),
      );
    } finally {
      await f.close();
    }
  });
});

describe(`sources (${testStoreKind})`, () => {
  test('a missing folder is refused when added and fails the sync (retryable) when it disappears', async () => {
    const platform = await createTestPlatform();
    const root = await mkdtemp(join(tmpdir(), 'gw-src-'));
    try {
      await assert.rejects(
        addSource(platform.db, { name: 'nope', type: 'filesystem', path: join(root, 'missing') }),
        (error: { code?: string }) => error.code === 'ingest.invalid_source',
      );
      await addSource(platform.db, { name: 'docs', type: 'filesystem', path: root });
      await assert.rejects(
        addSource(platform.db, { name: 'docs', type: 'filesystem', path: root }),
        (error: { code?: string }) => error.code === 'ingest.source_exists',
      );
      await rm(root, { recursive: true, force: true });
      await assert.rejects(
        platform.ingestion.sync({ source: 'docs' }),
        (error: { code?: string; isRetryable?: boolean }) =>
          error.code === 'ingest.source_unavailable' && error.isRetryable === true,
      );
      const runs = await platform.db.query<{ status: string }>('SELECT status FROM sync_runs');
      assert.deepEqual(
        runs.rows.map((r) => r.status),
        ['failed'],
      );
    } finally {
      await platform.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe(`isolated parsing in a sync (${testStoreKind})`, () => {
  test('a parser that hangs or crashes quarantines that file only (parse.timeout, parse.crashed)', async () => {
    const platform = await createTestPlatform();
    const root = await mkdtemp(join(tmpdir(), 'gw-iso-'));
    const pool = createParserPool({
      size: 2,
      timeoutMs: 60_000,
      workerEntry: new URL('./parsers/fixtures/misbehaving-parse-worker.ts', import.meta.url),
    });
    const ingestion = createIngestion({
      db: platform.db,
      events: platform.events,
      logger: platform.logger,
      config: platform.config,
      // Only the hang gets a short timeout: booting worker threads on a loaded CI machine can take seconds.
      parse: (input) => pool.parse(input, input.fileName === 'hang.txt' ? { timeoutMs: 1500 } : {}),
    });
    try {
      for (const name of ['hang.txt', 'crash.txt', 'fine-1.txt', 'fine-2.txt', 'fine-3.txt'])
        await writeFile(join(root, name), name);
      await addSource(platform.db, { name: 'docs', type: 'filesystem', path: root });
      const summary = await ingestion.sync({ source: 'docs' });
      assert.equal(summary.added, 3);
      assert.deepEqual(summary.quarantined.map((q) => [q.path, q.code]).sort(), [
        ['crash.txt', 'parse.crashed'],
        ['hang.txt', 'parse.timeout'],
      ]);
      assert.equal(summary.status, 'partial');
    } finally {
      await pool.close();
      await ingestion.close();
      await platform.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe(`stopping a sync (${testStoreKind})`, () => {
  test('an aborted sync is marked interrupted and the next one completes the work', async () => {
    const platform = await createTestPlatform();
    const root = await mkdtemp(join(tmpdir(), 'gw-abort-'));
    const controller = new AbortController();
    let parsed = 0;
    const ingestion = createIngestion({
      db: platform.db,
      events: platform.events,
      logger: platform.logger,
      config: platform.config,
      parse: async (input) => {
        parsed += 1;
        if (parsed === 3) controller.abort();
        return parseDocument(input);
      },
    });
    try {
      for (let i = 0; i < 12; i++) await writeFile(join(root, `f${i}.txt`), paragraph(`file ${i}`));
      await addSource(platform.db, { name: 'docs', type: 'filesystem', path: root });
      await assert.rejects(
        ingestion.sync({ source: 'docs', signal: controller.signal }),
        (error: { code?: string }) => error.code === 'ingest.aborted',
      );
      const runs = await platform.db.query<{ status: string }>('SELECT status FROM sync_runs');
      assert.deepEqual(
        runs.rows.map((r) => r.status),
        ['interrupted'],
      );
      const done = (await platform.db.query<{ n: number }>('SELECT count(*)::int AS n FROM documents')).rows[0]?.n ?? 0;
      assert.ok(done < 12);
      const resumed = await ingestion.sync({ source: 'docs' });
      assert.equal(resumed.added + resumed.unchanged, 12);
      assert.equal(resumed.unchanged, done);
    } finally {
      await ingestion.close();
      await platform.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
