/**
 * SharePoint (Microsoft Graph) and web connectors against their loopback fakes, registered as real sources
 * (`addSource` type `sharepoint` / `web`) and synced through the connector registry (not a test: run
 * `npm run bench:connectors-graphweb -- [--files 300] [--database-url postgres://…/EMPTY_DB]`).
 *
 * Per connector, in one run and one store:
 *  1. first sync of a generated source (lexical-only, in-thread parsing: the connector's share is not hidden
 *     behind embedding calls);
 *  2. re-sync of the unchanged source, as a share of the first (target ≤ 5 %), with the requests it made;
 *  3. revocation latency: a permission change at the source (SharePoint: a folder's permissions; web: a page
 *     removed) until the affected user can no longer read the documents = the next sync's duration (plus the
 *     schedule interval, which the operator chooses).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, silentLogger } from '../src/core/index.ts';
import { createPlatform } from '../src/create-platform.ts';
import { addSource, createIngestion, parseDocument } from '../src/ingest/index.ts';
import { startFakeGraph } from '../test/helpers/fake-graph-server.ts';
import { startFakeSite } from '../test/helpers/fake-web-site.ts';

const { values: args } = parseArgs({
  options: { files: { type: 'string', default: '300' }, 'database-url': { type: 'string' } },
});
const files = Number(args.files);
const databaseUrl = args['database-url'];

const paragraph = (i: number) =>
  `Claim ${i}: the policyholder reported water damage in the kitchen on ${1 + (i % 28)} March. The adjuster inspected the property, ` +
  `photographed the damage and estimated the repair at ${1000 + i * 7} euros. Coverage under section ${i % 9} applies; the deductible is 250 euros. `;
const text = (i: number) => Array.from({ length: 12 }, (_, k) => paragraph(i * 13 + k)).join('\n\n');

async function platformFor(work: string) {
  const loaded = loadConfig({
    env: {},
    flags: { dataDir: join(work, 'data'), ...(databaseUrl ? { databaseUrl } : {}) },
    cwd: work,
  });
  return createPlatform(loaded, { logger: silentLogger });
}

interface Result {
  readonly connector: string;
  readonly firstMs: number;
  readonly firstAdded: number;
  readonly resyncMs: number;
  readonly resyncRequests: number;
  readonly firstRequests: number;
  readonly revokeMs: number;
  readonly revoked: number;
}

async function run(
  connector: string,
  type: 'sharepoint' | 'web',
  settings: Record<string, unknown>,
  secrets: Record<string, string>,
  requests: () => number,
  revoke: () => void,
  check: (db: Awaited<ReturnType<typeof platformFor>>['db'], sourceName: string) => Promise<number>,
): Promise<Result> {
  const work = await mkdtemp(join(tmpdir(), 'gw-bench-conn-'));
  const platform = await platformFor(work);
  try {
    const name = connector.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/-+$/, '');
    await addSource(platform.db, { name, type, settings });
    const ingestion = createIngestion({
      db: platform.db,
      events: platform.events,
      logger: silentLogger,
      config: platform.config,
      parse: (input) => parseDocument(input),
      secrets: (variable) => secrets[variable],
    });
    const r0 = requests();
    const first = await ingestion.sync({ source: name });
    const r1 = requests();
    const resync = await ingestion.sync({ source: name });
    const r2 = requests();
    revoke();
    const started = performance.now();
    await ingestion.sync({ source: name });
    const revokeMs = performance.now() - started;
    const revoked = await check(platform.db, name);
    await ingestion.close();
    return {
      connector,
      firstMs: first.durationMs,
      firstAdded: first.added,
      resyncMs: resync.durationMs,
      firstRequests: r1 - r0,
      resyncRequests: r2 - r1,
      revokeMs,
      revoked,
    };
  } finally {
    await platform.close();
    await rm(work, { recursive: true, force: true });
  }
}

const results: Result[] = [];

// SharePoint: `files` files in 10 folders, each folder shared with its own Entra group.
{
  const graph = await startFakeGraph({ clientSecret: 'bench-secret', pageSize: 200 });
  for (let i = 0; i < files; i++) graph.put('Documents', `team-${i % 10}/claim-${i}.txt`, text(i));
  for (let t = 0; t < 10; t++)
    graph.setPermissions('Documents', `team-${t}`, [
      { roles: ['read'], grantedToV2: { group: { id: `team-${t}`, displayName: `Team ${t}` } } },
    ]);
  const settings = {
    tenantId: graph.tenantId,
    clientId: graph.clientId,
    clientSecretEnv: 'SP_SECRET',
    siteUrl: graph.siteUrl,
    drives: ['Documents'],
    graphBaseUrl: graph.graphBaseUrl,
    authorityUrl: graph.authorityUrl,
  };
  results.push(
    await run(
      'sharepoint',
      'sharepoint',
      settings,
      { SP_SECRET: 'bench-secret' },
      () => graph.requests.length,
      () =>
        graph.setPermissions('Documents', 'team-3', [
          { roles: ['read'], grantedToV2: { group: { id: 'fraud', displayName: 'Fraud' } } },
        ]),
      async (db, sourceName) =>
        (
          await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM documents d JOIN sources s ON s.id = d.source_id WHERE s.name = $1 AND d.principals = '{group:fraud}'`,
            [sourceName],
          )
        ).rows[0]?.n ?? 0,
    ),
  );
  await graph.close();
}

// Web: `files` pages listed in a sitemap and linked from an index page, ETag on every page.
for (const trust of [false, true]) {
  const site = await startFakeSite();
  site.put('/robots.txt', 'User-agent: *\nDisallow: /private/\n', { type: 'text/plain', validators: 'none' });
  const paths = Array.from({ length: files }, (_, i) => `/kb/article-${i}.html`);
  for (const [i, path] of paths.entries())
    site.put(
      path,
      `<!doctype html><html><head><title>Article ${i}</title></head><body><main><h1>Article ${i}</h1><p>${text(i)}</p><a href="/kb/article-${(i + 1) % files}.html">next</a></main></body></html>`,
    );
  site.sitemap('/sitemap.xml', paths);
  const settings = {
    startUrls: [`${site.origin}/kb/article-0.html`],
    sitemapUrls: [`${site.origin}/sitemap.xml`],
    rateLimitPerSecond: 100,
    maxPages: files + 10,
    principals: ['group:staff'],
    trustSitemapLastmod: trust,
  };
  results.push(
    await run(
      trust ? 'web (trustSitemapLastmod)' : 'web',
      'web',
      settings,
      {},
      () => site.requests.length,
      () => {
        // Pages 10–19 are taken down (unpublished); the start page stays.
        for (const path of paths.slice(10, 20)) site.remove(path);
        site.sitemap('/sitemap.xml', [...paths.slice(0, 10), ...paths.slice(20)]);
      },
      async (db, sourceName) =>
        files -
        ((
          await db.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM documents d JOIN sources s ON s.id = d.source_id WHERE s.name = $1 AND d.parent_id IS NULL',
            [sourceName],
          )
        ).rows[0]?.n ?? 0),
    ),
  );
  await site.close();
}

console.log(
  `machine: ${cpus().length} cores, load average ${loadavg()
    .map((v) => v.toFixed(1))
    .join(
      ' / ',
    )}; ${databaseUrl ? 'server PostgreSQL' : 'embedded store'}; ${files} documents per source; lexical-only, in-thread parsing; Node ${process.version}`,
);
console.log(
  '| connector | first sync | requests | re-sync unchanged | requests | re-sync / first | revocation: next sync | documents revoked |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${r.connector} | ${(r.firstMs / 1000).toFixed(2)} s (${r.firstAdded} added) | ${r.firstRequests} | ${(r.resyncMs / 1000).toFixed(2)} s | ${r.resyncRequests} | ${((r.resyncMs / r.firstMs) * 100).toFixed(1)} % | ${(r.revokeMs / 1000).toFixed(2)} s | ${r.revoked} |`,
  );
}
