/**
 * Connector benchmark: `npm run bench:connectors [-- --docs N]`.
 *
 * The same generated corpus (N Markdown notes of ~250 words) in three sources, each synced end to end into a
 * fresh embedded store with the production wiring (parse worker pool, chunker, PII, atomic writes):
 *  - filesystem: a temporary folder;
 *  - s3: a bucket in s3rver on 127.0.0.1 (a child process; objects tagged with principals);
 *  - sql: a scratch table in the PostgreSQL at GROUNDWORK_BENCH_SQL_URL (default 127.0.0.1:5432/postgres).
 * Per connector: the first sync, a re-sync of the unchanged source as a share of the first (target <= 5%),
 * and the revocation latency: one document's permission is changed AT THE SOURCE (a sidecar on the share, the
 * object tag in S3, the principals column in SQL) and the next sync is started at once; the latency is the
 * time from the change until the index no longer grants the revoked principal (= that sync's duration; with a
 * schedule, add up to one schedule interval).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { loadConfig, silentLogger } from '../src/core/index.ts';
import { createPlatform } from '../src/create-platform.ts';
import { addSource } from '../src/ingest/index.ts';
import { startS3Server } from '../test/helpers/s3-server.ts';

const argDocs = process.argv.indexOf('--docs');
const count = argDocs > 0 ? Number(process.argv[argDocs + 1]) : 300;
const sqlUrl = process.env.GROUNDWORK_BENCH_SQL_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

const vocabulary =
  'policy claim premium deductible coverage insured water fire theft broker renewal exclusion adjuster liability endorsement schedule peril flood storm roof vehicle collision bodily injury subrogation reserve settlement'.split(
    ' ',
  );
function prose(seed: number, words: number): string {
  let x = seed + 1;
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(vocabulary[x % vocabulary.length] as string);
    if (i % 14 === 13) out[out.length - 1] += '.';
  }
  return out.join(' ');
}
const note = (i: number) => `# Note ${i}\n\n${prose(i, 250)}\n`;
const principalsOf = (i: number) => ['group:claims', `user:owner${i % 10}@example.com`];

interface Result {
  readonly connector: string;
  readonly docs: number;
  readonly firstMs: number;
  readonly resyncMs: number;
  readonly revocationMs: number;
  readonly revoked: boolean;
}

async function measure(
  connector: string,
  work: string,
  env: Record<string, string>,
  add: (platform: Awaited<ReturnType<typeof createPlatform>>) => Promise<void>,
  revoke: () => Promise<void>,
  revokedRef: string,
): Promise<Result> {
  const loaded = loadConfig({ env, flags: { dataDir: join(work, `data-${connector}`) }, cwd: work });
  const platform = await createPlatform(loaded, { logger: silentLogger });
  try {
    await add(platform);
    const first = await platform.ingestion.sync({ source: 'bench' });
    if (first.added !== count) throw new Error(`${connector}: first sync added ${first.added} of ${count}`);
    const resync = await platform.ingestion.sync({ source: 'bench' });
    if (resync.unchanged !== count) throw new Error(`${connector}: re-sync found ${resync.unchanged} unchanged of ${count}`);
    const changed = performance.now();
    await revoke();
    await platform.ingestion.sync({ source: 'bench' });
    const revocationMs = performance.now() - changed;
    const row = await platform.db.query<{ principals: string[] }>('SELECT principals FROM documents WHERE source_ref = $1', [
      revokedRef,
    ]);
    const revoked = !(row.rows[0]?.principals ?? ['?']).includes('user:owner0@example.com');
    return { connector, docs: count, firstMs: first.durationMs, resyncMs: resync.durationMs, revocationMs, revoked };
  } finally {
    await platform.close();
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'gw-bench-conn-'));
  const results: Result[] = [];
  try {
    // filesystem: sidecars carry the principals (as tags and the column do elsewhere).
    const folder = join(work, 'share');
    for (let i = 0; i < count; i++) {
      const path = join(folder, `unit-${i % 8}`, `note-${i}.md`);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, note(i));
      await writeFile(`${path}.meta.json`, JSON.stringify({ principals: principalsOf(i) }));
    }
    results.push(
      await measure(
        'filesystem',
        work,
        {},
        async (platform) => {
          await addSource(platform.db, { name: 'bench', type: 'filesystem', path: folder });
        },
        () => writeFile(join(folder, 'unit-0', 'note-0.md.meta.json'), JSON.stringify({ principals: ['group:claims'] })),
        'unit-0/note-0.md',
      ),
    );

    const s3 = await startS3Server();
    try {
      await s3.createBucket('bench');
      for (let i = 0; i < count; i++)
        await s3.put('bench', `unit-${i % 8}/note-${i}.md`, note(i), { 'groundwork-principals': principalsOf(i).join(' ') });
      results.push(
        await measure(
          's3',
          work,
          { BENCH_S3_KEY: 'S3RVER', BENCH_S3_SECRET: 'S3RVER' },
          async (platform) => {
            await addSource(platform.db, {
              name: 'bench',
              type: 's3',
              settings: {
                bucket: 'bench',
                endpoint: s3.endpoint,
                forcePathStyle: true,
                accessKeyIdEnv: 'BENCH_S3_KEY',
                secretAccessKeyEnv: 'BENCH_S3_SECRET',
              },
            });
          },
          () => s3.tag('bench', 'unit-0/note-0.md', { 'groundwork-principals': 'group:claims' }),
          'unit-0/note-0.md',
        ),
      );
      // The same bucket without tag reads: principals from `<key>.meta.json` sidecar objects, which the listing
      // shows with their own ETag, so a re-sync is the listing alone.
      await s3.createBucket('bench-sidecars');
      for (let i = 0; i < count; i++) {
        await s3.put('bench-sidecars', `unit-${i % 8}/note-${i}.md`, note(i));
        await s3.put('bench-sidecars', `unit-${i % 8}/note-${i}.md.meta.json`, JSON.stringify({ principals: principalsOf(i) }));
      }
      results.push(
        await measure(
          's3 sidecars',
          work,
          { BENCH_S3_KEY: 'S3RVER', BENCH_S3_SECRET: 'S3RVER' },
          async (platform) => {
            await addSource(platform.db, {
              name: 'bench',
              type: 's3',
              settings: {
                bucket: 'bench-sidecars',
                endpoint: s3.endpoint,
                forcePathStyle: true,
                accessKeyIdEnv: 'BENCH_S3_KEY',
                secretAccessKeyEnv: 'BENCH_S3_SECRET',
                readTags: false,
              },
            });
          },
          () => s3.put('bench-sidecars', 'unit-0/note-0.md.meta.json', JSON.stringify({ principals: ['group:claims'] })),
          'unit-0/note-0.md',
        ),
      );
    } finally {
      await s3.stop();
    }

    const admin = new pg.Client({ connectionString: sqlUrl });
    await admin.connect();
    const schema = `gw_bench_${randomBytes(4).toString('hex')}`;
    try {
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.query(`CREATE TABLE ${schema}.notes (id text PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now(),
        subject text, body text, principals text[])`);
      for (let start = 0; start < count; start += 500) {
        const ids = Array.from({ length: Math.min(500, count - start) }, (_, k) => start + k);
        await admin.query(
          `INSERT INTO ${schema}.notes (id, subject, body, principals)
           SELECT 'N-' || i, 'Note ' || i, b, p FROM unnest($1::int[], $2::text[], $3::text[]) AS t(i, b, p0)
           CROSS JOIN LATERAL (SELECT string_to_array(p0, ',') AS p) x`,
          [ids, ids.map(note), ids.map((i) => principalsOf(i).join(','))],
        );
      }
      results.push(
        await measure(
          'sql',
          work,
          { BENCH_SQL_URL: sqlUrl },
          async (platform) => {
            await addSource(platform.db, {
              name: 'bench',
              type: 'sql',
              settings: {
                connectionStringEnv: 'BENCH_SQL_URL',
                table: `${schema}.notes`,
                titleColumn: 'subject',
                principalsColumn: 'principals',
                format: 'markdown',
              },
            });
          },
          async () => {
            await admin.query(`UPDATE ${schema}.notes SET principals = ARRAY['group:claims'] WHERE id = 'N-0'`);
          },
          'N-0.md',
        ),
      );
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  console.log(`connectors benchmark: ${count} documents per connector; ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)}`);
  console.log('connector     first sync   docs/s   re-sync   re-sync/first   revocation latency   revoked');
  for (const r of results) {
    const ratio = r.resyncMs / r.firstMs;
    console.log(
      `${r.connector.padEnd(13)} ${`${(r.firstMs / 1000).toFixed(2)} s`.padStart(10)}   ${(r.docs / (r.firstMs / 1000)).toFixed(0).padStart(6)}   ${`${r.resyncMs} ms`.padStart(8)}   ${`${(ratio * 100).toFixed(1)}%`.padStart(13)} ${ratio <= 0.05 ? '(<= 5% ok)' : '(> 5%!)   '}   ${`${r.revocationMs.toFixed(0)} ms`.padStart(10)}           ${r.revoked ? 'yes' : 'NO'}`,
    );
  }
  if (results.some((r) => !r.revoked)) process.exitCode = 1;
}

await main();
