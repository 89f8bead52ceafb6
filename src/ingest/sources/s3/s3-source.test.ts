import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type S3Server, s3rverCredentials, startFaultProxy, startS3Server } from '../../../../test/helpers/s3-server.ts';
import { createTestPlatform } from '../../../../test/helpers/test-platform.ts';
import { type GroundworkError, isGroundworkError } from '../../../core/index.ts';
import { addSource, createIngestion, ingestStatus, parseDocument } from '../../index.ts';
import { sourceContract } from '../source.contract.ts';
import type { SourceItem, SourceProblem } from '../source.ts';
import { createS3Source, type S3SourceConfig } from './s3-source.ts';

let server: S3Server | undefined;
const s3 = async () => {
  server ??= await startS3Server();
  return server;
};
after(async () => {
  await server?.stop();
});

const bucketName = () => `gw-${randomBytes(5).toString('hex')}`;
const fastRetry = { baseDelayMs: 5, maxDelayMs: 20 } as const;

async function scratchBucket() {
  const s = await s3();
  const bucket = bucketName();
  await s.createBucket(bucket);
  return { s, bucket };
}

function source(endpoint: string, bucket: string, extra: Partial<S3SourceConfig> = {}) {
  return createS3Source({
    bucket,
    endpoint,
    forcePathStyle: true,
    credentials: s3rverCredentials,
    principalsTag: 'groundwork-principals',
    maxFileBytes: 1024 * 1024,
    retry: fastRetry,
    ...extra,
  });
}

async function listAll(src: ReturnType<typeof createS3Source>) {
  const items: SourceItem[] = [];
  const problems: SourceProblem[] = [];
  let checkpoints = 0;
  for await (const change of src.listChanges(undefined, (p) => problems.push(p))) {
    if (change.kind === 'upsert') items.push(change.item);
    if (change.kind === 'checkpoint') checkpoints += 1;
  }
  return { items, problems, checkpoints };
}

sourceContract('s3 (s3rver on loopback)', {
  async setup() {
    const { s, bucket } = await scratchBucket();
    return {
      source: source(s.endpoint, bucket, { prefix: 'root/' }),
      write: (ref, bytes) => s.put(bucket, `root/${ref}`, bytes),
      remove: (ref) => s.remove(bucket, `root/${ref}`),
      cleanup: async () => {},
    };
  },
});

describe('s3 source', () => {
  test('pages through ListObjectsV2, strips the prefix, hides sidecars and versions by ETag, tags and sidecar', async () => {
    const { s, bucket } = await scratchBucket();
    for (let i = 0; i < 5; i += 1) await s.put(bucket, `p/doc${i}.txt`, `document ${i}`);
    await s.put(bucket, 'p/doc1.txt.meta.json', JSON.stringify({ title: 'One' }));
    await s.tag(bucket, 'p/doc2.txt', { 'groundwork-principals': 'group:claims user:ann@example.com' });
    await s.put(bucket, 'p/folder/', '');
    await s.put(bucket, 'other/x.txt', 'outside the prefix');
    const { items, checkpoints } = await listAll(source(s.endpoint, bucket, { prefix: 'p/', pageSize: 2 }));
    assert.equal(checkpoints, 1);
    assert.deepEqual(
      items.map((item) => item.ref),
      ['doc0.txt', 'doc1.txt', 'doc2.txt', 'doc3.txt', 'doc4.txt'],
    );
    const byRef = new Map(items.map((item) => [item.ref, item]));
    assert.match(byRef.get('doc0.txt')?.version ?? '', /^[0-9a-f]{32}$/);
    assert.equal(byRef.get('doc0.txt')?.sidecarVersion, undefined);
    assert.match(byRef.get('doc1.txt')?.sidecarVersion ?? '', /^meta:/);
    assert.match(byRef.get('doc2.txt')?.sidecarVersion ?? '', /^tags:/);
    assert.equal(byRef.get('doc0.txt')?.uri, `s3://${bucket}/p/doc0.txt`);

    const src = source(s.endpoint, bucket, { prefix: 'p/' });
    assert.deepEqual((await src.fetch('doc2.txt')).sidecar, { principals: ['group:claims', 'user:ann@example.com'] });
    assert.deepEqual((await src.fetch('doc1.txt')).sidecar, { title: 'One' });
    // A tag change alone moves the item's sidecarVersion (the ETag stays): revocations apply at the next sync.
    await s.tag(bucket, 'p/doc2.txt', { 'groundwork-principals': 'group:claims' });
    const again = await listAll(source(s.endpoint, bucket, { prefix: 'p/' }));
    const doc2 = again.items.find((item) => item.ref === 'doc2.txt');
    assert.equal(doc2?.version, byRef.get('doc2.txt')?.version);
    assert.notEqual(doc2?.sidecarVersion, byRef.get('doc2.txt')?.sidecarVersion);
  });

  test('include/exclude globs over refs', async () => {
    const { s, bucket } = await scratchBucket();
    await s.put(bucket, 'keep/a.md', 'a');
    await s.put(bucket, 'keep/drafts/b.md', 'b');
    await s.put(bucket, 'skip/c.md', 'c');
    const { items } = await listAll(source(s.endpoint, bucket, { include: ['keep/**'], exclude: ['**/drafts/**'] }));
    assert.deepEqual(
      items.map((item) => item.ref),
      ['keep/a.md'],
    );
  });

  test('bad credentials, an unreachable endpoint, throttling and malformed listings give coded errors', async () => {
    const { s, bucket } = await scratchBucket();
    await s.put(bucket, 'a.txt', 'alpha');
    const code = (error: unknown) => (isGroundworkError(error) ? error.code : String(error));
    const bad = source(s.endpoint, bucket, { credentials: { accessKeyId: 'WRONG', secretAccessKey: 'WRONG' } });
    await assert.rejects(listAll(bad), (error: GroundworkError) => {
      assert.equal(code(error), 'ingest.source_auth_failed');
      assert.doesNotMatch(error.message, /WRONG/);
      return true;
    });
    const closed = source('http://127.0.0.1:9', bucket, { retry: { ...fastRetry, attempts: 2 } });
    await assert.rejects(listAll(closed), (error: unknown) => code(error) === 'ingest.source_unreachable');

    const proxy = await startFaultProxy(s.endpoint);
    try {
      // Throttled twice, then served: the retry with backoff hides it.
      proxy.inject({ kind: 'status', status: 503, code: 'SlowDown', retryAfter: '0' }, { times: 2, match: /list-type=2/ });
      const listed = await listAll(source(proxy.endpoint, bucket));
      assert.deepEqual(
        listed.items.map((i) => i.ref),
        ['a.txt'],
      );
      // Throttled for good: a coded error once the attempts are used up.
      proxy.inject({ kind: 'status', status: 429, code: 'SlowDown' }, { times: 10, match: /list-type=2/ });
      await assert.rejects(
        listAll(source(proxy.endpoint, bucket)),
        (error: unknown) => code(error) === 'ingest.source_throttled',
      );
      proxy.clear();
      proxy.inject({ kind: 'malformed' }, { times: 10, match: /list-type=2/ });
      await assert.rejects(
        listAll(source(proxy.endpoint, bucket)),
        (error: unknown) => code(error) === 'ingest.source_bad_response',
      );
    } finally {
      await proxy.stop();
    }
  });
});

describe('s3 source synced', () => {
  const secrets = (name: string) => ({ TEST_S3_KEY: 'S3RVER', TEST_S3_SECRET: 'S3RVER' })[name];
  let s: S3Server;
  before(async () => {
    s = await s3();
  });

  async function fixture(endpoint: () => string, bucket: string) {
    const platform = await createTestPlatform({});
    await addSource(platform.db, {
      name: 'bucket',
      type: 's3',
      settings: {
        bucket,
        endpoint: endpoint(),
        forcePathStyle: true,
        accessKeyIdEnv: 'TEST_S3_KEY',
        secretAccessKeyEnv: 'TEST_S3_SECRET',
        readableBy: ['group:staff'],
      },
    });
    const ingestion = createIngestion({
      db: platform.db,
      events: platform.events,
      logger: platform.logger,
      config: platform.config,
      parse: (input) => parseDocument(input),
      secrets,
    });
    const principals = async () =>
      Object.fromEntries(
        (
          await platform.db.query<{ source_ref: string; principals: string[] }>(
            'SELECT source_ref, principals FROM documents WHERE parent_id IS NULL ORDER BY source_ref',
          )
        ).rows.map((row) => [row.source_ref, [...row.principals].sort()]),
      );
    return {
      platform,
      principals,
      sync: () => ingestion.sync({ source: 'bucket' }),
      async close() {
        await ingestion.close();
        await platform.close();
      },
    };
  }

  test('first sync, unchanged re-sync, tag revocation, deletion by absence; the secret is never stored', async () => {
    const bucket = bucketName();
    await s.createBucket(bucket);
    await s.put(bucket, 'claims/cl-1.md', '# Claim 1\n\nWater damage in the basement.', {
      'groundwork-principals': 'group:claims user:ann@example.com',
    });
    await s.put(bucket, 'policies/p-1.md', '# Policy\n\nHome insurance terms.');
    await s.put(bucket, 'policies/p-2.md', '# Policy 2\n\nMotor terms.');
    await s.put(
      bucket,
      'policies/p-2.md.meta.json',
      JSON.stringify({ title: 'Motor policy', principals: ['group:underwriting'] }),
    );
    const f = await fixture(() => s.endpoint, bucket);
    try {
      const first = await f.sync();
      assert.equal(first.added, 3);
      assert.deepEqual(await f.principals(), {
        'claims/cl-1.md': ['group:claims', 'user:ann@example.com'],
        'policies/p-1.md': ['group:staff'],
        'policies/p-2.md': ['group:underwriting'],
      });
      const stored = await f.platform.db.query<{ config: Record<string, unknown> }>('SELECT config FROM sources');
      assert.doesNotMatch(JSON.stringify(stored.rows), /S3RVER/);

      const second = await f.sync();
      assert.equal(second.unchanged, 3);
      assert.equal(second.added + second.updated + second.deleted, 0);

      await s.tag(bucket, 'claims/cl-1.md', { 'groundwork-principals': 'group:claims' });
      await s.remove(bucket, 'policies/p-1.md');
      const third = await f.sync();
      assert.equal(third.updated, 1);
      assert.equal(third.deleted, 1);
      assert.deepEqual(await f.principals(), {
        'claims/cl-1.md': ['group:claims'],
        'policies/p-2.md': ['group:underwriting'],
      });
    } finally {
      await f.close();
    }
  });

  test('a listing that fails part-way deletes nothing; the error is coded on the source status', async () => {
    const bucket = bucketName();
    await s.createBucket(bucket);
    for (let i = 0; i < 4; i += 1) await s.put(bucket, `doc${i}.txt`, `document number ${i}`);
    const proxy = await startFaultProxy(s.endpoint);
    const f = await fixture(() => proxy.endpoint, bucket);
    try {
      assert.equal((await f.sync()).added, 4);
      // Every listing now fails (after retries): nothing may be deleted although nothing was listed.
      proxy.inject({ kind: 'hangup' }, { times: 100, match: /list-type=2/ });
      await assert.rejects(f.sync(), (error: unknown) => isGroundworkError(error) && error.code === 'ingest.source_unreachable');
      assert.equal(Object.keys(await f.principals()).length, 4);
      const [status] = await ingestStatus(f.platform.db);
      assert.equal(status?.failures.lastErrorCode, 'ingest.source_unreachable');
      assert.equal(status?.failures.failing, true);
      assert.equal(status?.documents, 4);
    } finally {
      await proxy.stop();
      await f.close();
    }
  });

  test('a missing secret and bad settings are clear usage errors', async () => {
    const platform = await createTestPlatform({});
    try {
      await assert.rejects(
        addSource(platform.db, { name: 'b', type: 's3', settings: { bucket: 'abc', secretAccessKeyEnv: 'X' } }),
        (error: GroundworkError) => error.code === 'ingest.invalid_settings' && /accessKeyIdEnv/.test(error.message),
      );
      await assert.rejects(
        addSource(platform.db, { name: 'b', type: 's3', settings: { bucket: 'abc', bukket: 'typo' } }),
        (error: GroundworkError) => error.code === 'ingest.invalid_settings' && /bukket/.test(error.message),
      );
      await assert.rejects(
        addSource(platform.db, {
          name: 'b',
          type: 's3',
          settings: { bucket: 'abc', accessKeyIdEnv: 'a b', secretAccessKeyEnv: 'Y' },
        }),
        (error: GroundworkError) => error.code === 'ingest.invalid_settings',
      );
      await assert.rejects(
        addSource(platform.db, {
          name: 'b',
          type: 's3',
          settings: { bucket: 'abc', accessKeyIdEnv: 'DATABASE_URL', secretAccessKeyEnv: 'Y' },
          allowedSecretEnv: ['S3_KEY'],
        }),
        (error: GroundworkError) => error.code === 'ingest.secret_env_not_allowed',
      );
      await addSource(platform.db, {
        name: 'b',
        type: 's3',
        settings: {
          bucket: 'abc',
          endpoint: 'http://127.0.0.1:9',
          accessKeyIdEnv: 'UNSET_KEY_1',
          secretAccessKeyEnv: 'UNSET_KEY_2',
        },
      });
      const ingestion = createIngestion({
        db: platform.db,
        events: platform.events,
        logger: platform.logger,
        config: platform.config,
        secrets: () => undefined,
      });
      try {
        await assert.rejects(ingestion.sync({ source: 'b' }), (error: GroundworkError) => {
          assert.equal(error.code, 'ingest.missing_secret');
          assert.match(error.message, /UNSET_KEY_1/);
          return true;
        });
      } finally {
        await ingestion.close();
      }
    } finally {
      await platform.close();
    }
  });
});
