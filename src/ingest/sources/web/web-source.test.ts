import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type FakeSite, startFakeSite } from '../../../../test/helpers/fake-web-site.ts';
import { createTestPlatform } from '../../../../test/helpers/test-platform.ts';
import { isGroundworkError, silentLogger, systemClock } from '../../../core/index.ts';
import { addSource, createIngestion, parseDocument, setSourceAclMap } from '../../index.ts';
import { makeDocx, makePdf } from '../../parsers/fixtures/generate-fixtures.ts';
import { sourceContract } from '../source.contract.ts';
import type { Source, SourceCursor, SourceItem, SourceProblem } from '../source.ts';
import { canonicalUrl, createWebSource, parseHeaders, type WebSettings, webConnector, webSettingsSchema } from './index.ts';

function sourceFor(_site: FakeSite, extra: Partial<Record<keyof WebSettings, unknown>> = {}, env: Record<string, string> = {}) {
  return createWebSource(webSettingsSchema.parse({ rateLimitPerSecond: 100, ...extra }), {
    secrets: (name) => env[name],
    logger: silentLogger,
    clock: systemClock,
  });
}

async function list(source: Source, cursor?: SourceCursor) {
  const upserts = new Map<string, SourceItem>();
  const problems: SourceProblem[] = [];
  let checkpoint: SourceCursor | undefined;
  for await (const change of source.listChanges(cursor, (problem) => problems.push(problem))) {
    if (change.kind === 'upsert') {
      assert.ok(!upserts.has(change.item.ref), `${change.item.ref} listed twice`);
      upserts.set(change.item.ref, change.item);
    } else if (change.kind === 'checkpoint') checkpoint = change.cursor;
  }
  assert.ok(checkpoint);
  return { upserts, problems, cursor: checkpoint };
}

sourceContract('web (loopback site)', {
  async setup() {
    const site = await startFakeSite();
    const refs = new Set<string>();
    const refresh = () =>
      site.sitemap(
        '/sitemap.xml',
        [...refs].sort().map((ref) => `/${ref}`),
      );
    refresh();
    return {
      source: sourceFor(site, { sitemapUrls: [`${site.origin}/sitemap.xml`] }),
      async write(ref, bytes) {
        site.put(`/${ref}`, bytes);
        refs.add(ref);
        refresh();
      },
      async remove(ref) {
        site.remove(`/${ref}`);
        refs.delete(ref);
        refresh();
      },
      cleanup: () => site.close(),
    };
  },
});

const page = (title: string, links: string[], extra = '') =>
  `<!doctype html><html><head><title>${title}</title>${extra}</head><body><main><h1>${title}</h1><p>${title} text for the intranet.</p>${links
    .map((href) => `<a href="${href}">${href}</a>`)
    .join(' ')}</main></body></html>`;

async function intranet(): Promise<FakeSite> {
  const site = await startFakeSite();
  site.put('/robots.txt', 'User-agent: *\nDisallow: /docs/private/\n', { type: 'text/plain', validators: 'none' });
  site.put(
    '/docs/',
    page('Handbook', [
      'a.html#section-2',
      '/docs/a.html?utm_source=newsletter',
      'private/salaries.html',
      '/blog/post.html',
      'http://example.invalid/elsewhere.html',
      'b.pdf',
      'lm.html',
      'plain.html',
      'print/a.html',
    ]),
  );
  site.put('/docs/a.html', page('Claims process', ['deep/1.html']));
  site.put('/docs/deep/1.html', page('Deep one', ['2.html']));
  site.put('/docs/deep/2.html', page('Deep two', []));
  site.put('/docs/private/salaries.html', page('Salaries', []));
  site.put('/blog/post.html', page('Blog', []));
  site.put('/docs/b.pdf', '%PDF-1.4\n% fake pdf bytes for listing\n');
  site.put('/docs/lm.html', page('Last modified', []), { validators: 'last-modified' });
  site.put('/docs/plain.html', page('No validators', []), { validators: 'none' });
  site.put('/docs/print/a.html', page('Claims process (print)', [], '<link rel="canonical" href="/docs/a.html">'));
  return site;
}

describe('web source against a loopback site', () => {
  test('crawls within the prefixes, obeys robots.txt and depth, canonicalises, lists files', async () => {
    const site = await intranet();
    try {
      const source = sourceFor(site, {
        startUrls: [`${site.origin}/docs/`],
        allowedPrefixes: [`${site.origin}/docs/`],
        maxDepth: 2,
        principals: ['group:Staff'],
      });
      const { upserts, problems } = await list(source);
      assert.deepEqual([...upserts.keys()].sort(), [
        'docs/',
        'docs/a.html',
        'docs/b.pdf',
        'docs/deep/1.html',
        'docs/lm.html',
        'docs/plain.html',
      ]);
      assert.deepEqual(problems, []);
      const paths = site.requests.map((r) => r.path);
      assert.ok(!paths.some((p) => p.startsWith('/docs/private/')), 'a disallowed path is never requested');
      assert.ok(!paths.some((p) => p.startsWith('/blog/')), 'an out-of-prefix link is never requested');
      assert.ok(!paths.includes('/docs/deep/2.html'), 'beyond maxDepth');
      assert.equal(upserts.get('docs/b.pdf')?.mediaType, 'application/pdf');
      assert.deepEqual(upserts.get('docs/a.html')?.principals, ['group:staff']);
      assert.equal(upserts.get('docs/a.html')?.uri, `${site.origin}/docs/a.html`);
      const fetched = await source.fetch('docs/a.html');
      assert.match(new TextDecoder().decode(fetched.bytes), /Claims process/);
      assert.deepEqual(fetched.sidecar, { principals: ['group:staff'] });
      await assert.rejects(
        source.fetch('docs/private/salaries.html'),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.not_found',
      );
      await assert.rejects(
        source.fetch('blog/post.html'),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.not_found',
      );
    } finally {
      await site.close();
    }
  });

  test('a re-crawl asks conditionally: 304 pages keep their version and links; changes and removals show', async () => {
    const site = await intranet();
    try {
      const settings = { startUrls: [`${site.origin}/docs/`], allowedPrefixes: [`${site.origin}/docs/`], maxDepth: 3 };
      const first = await list(sourceFor(site, settings));
      site.requests.length = 0;
      const second = await list(sourceFor(site, settings), first.cursor);
      assert.deepEqual(
        [...second.upserts.keys()].sort(),
        [...first.upserts.keys()].sort(),
        'links of 304 pages are followed from the cursor',
      );
      for (const [ref, item] of first.upserts) assert.equal(second.upserts.get(ref)?.version, item.version, ref);
      const byPath = new Map(site.requests.map((r) => [r.path, r]));
      assert.equal(byPath.get('/docs/a.html')?.status, 304);
      assert.ok(byPath.get('/docs/a.html')?.ifNoneMatch);
      assert.equal(byPath.get('/docs/lm.html')?.status, 304);
      assert.ok(byPath.get('/docs/lm.html')?.ifModifiedSince);
      assert.equal(byPath.get('/docs/plain.html')?.status, 200, 'no validators: fetched, version by content hash');

      site.put('/docs/a.html', page('Claims process v2', []));
      site.remove('/docs/lm.html');
      site.fail('/docs/plain.html', 503);
      const third = await list(sourceFor(site, settings), second.cursor);
      assert.notEqual(third.upserts.get('docs/a.html')?.version, first.upserts.get('docs/a.html')?.version);
      assert.ok(!third.upserts.has('docs/lm.html'), 'a 404 page is absent: deleted by the sync');
      assert.ok(!third.upserts.has('docs/deep/1.html'), 'no longer linked');
      assert.equal(
        third.upserts.get('docs/plain.html')?.version,
        first.upserts.get('docs/plain.html')?.version,
        'a known page failing transiently is kept',
      );
    } finally {
      await site.close();
    }
  });

  test('sitemap indexes and gzip sitemaps; request rate is limited', async () => {
    const site = await startFakeSite();
    try {
      site.put('/robots.txt', '', { type: 'text/plain', validators: 'none' });
      for (let i = 0; i < 8; i++) site.put(`/kb/${i}.html`, page(`Article ${i}`, []));
      site.sitemap('/sitemap-a.xml', ['/kb/0.html', '/kb/1.html', '/kb/2.html', '/kb/3.html']);
      site.sitemap('/sitemap-b.xml.gz', ['/kb/4.html', '/kb/5.html', '/kb/6.html', '/kb/7.html']);
      site.sitemapIndex('/sitemap.xml', ['/sitemap-a.xml', '/sitemap-b.xml.gz']);
      const sent: number[] = [];
      const source = createWebSource(
        webSettingsSchema.parse({ sitemapUrls: [`${site.origin}/sitemap.xml`], rateLimitPerSecond: 20 }),
        {
          secrets: () => undefined,
          logger: silentLogger,
          clock: systemClock,
          fetch: (input, init) => {
            sent.push(performance.now());
            return fetch(input, init);
          },
        },
      );
      const { upserts } = await list(source);
      assert.equal(upserts.size, 8);
      assert.equal(sent.length, 12, 'robots.txt, 3 sitemaps, 8 pages');
      // Measured where the requests leave (the server shares this event loop, so its clock is not a fair witness).
      const gaps = sent.slice(1).map((at, i) => at - (sent[i] ?? 0));
      assert.ok(
        gaps.every((gap) => gap >= 48),
        `at most 20 requests per second; gaps ${gaps.map(Math.round).join(',')}`,
      );
    } finally {
      await site.close();
    }
  });

  test('trustSitemapLastmod: pages whose sitemap lastmod is unchanged are not requested again', async () => {
    const site = await startFakeSite();
    try {
      for (let i = 0; i < 5; i++) site.put(`/kb/${i}.html`, page(`Article ${i}`, []));
      const paths = [0, 1, 2, 3, 4].map((i) => `/kb/${i}.html`);
      site.sitemap('/sitemap.xml', paths);
      const settings = { sitemapUrls: [`${site.origin}/sitemap.xml`], trustSitemapLastmod: true };
      const first = await list(sourceFor(site, settings));
      site.requests.length = 0;
      const second = await list(sourceFor(site, settings), first.cursor);
      assert.equal(second.upserts.size, 5);
      assert.deepEqual(
        site.requests.map((r) => r.path),
        ['/robots.txt', '/sitemap.xml'],
      );
      await new Promise((resolve) => setTimeout(resolve, 5));
      site.put('/kb/3.html', page('Article 3, revised', []));
      site.sitemap('/sitemap.xml', paths);
      site.requests.length = 0;
      const third = await list(sourceFor(site, settings), second.cursor);
      assert.deepEqual(
        site.requests.map((r) => r.path),
        ['/robots.txt', '/sitemap.xml', '/kb/3.html'],
      );
      assert.notEqual(third.upserts.get('kb/3.html')?.version, first.upserts.get('kb/3.html')?.version);
    } finally {
      await site.close();
    }
  });

  test('bad input: a failed crawl throws (nothing deleted); headers from the environment; settings checked', async () => {
    const site = await intranet();
    try {
      const settings = { startUrls: [`${site.origin}/docs/`], allowedPrefixes: [`${site.origin}/docs/`] };
      site.fail('/docs/', 500);
      await assert.rejects(
        list(sourceFor(site, settings)),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.source_unreachable',
      );
      site.fail('/docs/', undefined);
      site.put('/sitemap.xml', 'x');
      site.fail('/sitemap.xml', 503);
      await assert.rejects(
        list(sourceFor(site, { sitemapUrls: [`${site.origin}/sitemap.xml`] })),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.source_unreachable',
      );
      site.fail('/sitemap.xml', undefined);
      site.put('/sitemap.xml', '<html>login page</html>', { type: 'text/html' });
      await assert.rejects(
        list(sourceFor(site, { sitemapUrls: [`${site.origin}/sitemap.xml`] })),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.source_bad_response',
      );
      site.fail('/docs/', 429);
      await assert.rejects(
        list(sourceFor(site, settings)),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.source_throttled',
      );
      site.fail('/docs/', undefined);
      site.down(true);
      await assert.rejects(
        list(sourceFor(site, settings)),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.source_unreachable',
      );
      site.down(false);

      // A start page sent to a login page elsewhere is not an empty site.
      site.redirect('/docs/', '/login?next=/docs/');
      await assert.rejects(
        list(sourceFor(site, settings)),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.source_auth_failed',
      );
      site.put('/docs/', page('Handbook', ['a.html']));
      const crawled = await list(sourceFor(site, settings));
      assert.ok(crawled.upserts.has('docs/a.html'), 'the start page is back');
      site.sitemap('/real-sitemap.xml', ['/docs/a.html']);
      site.redirect('/map.xml', '/real-sitemap.xml');
      const viaRedirect = await list(
        sourceFor(site, { sitemapUrls: [`${site.origin}/map.xml`], allowedPrefixes: [`${site.origin}/docs/`] }),
      );
      assert.ok(viaRedirect.upserts.has('docs/a.html'), 'a redirected sitemap is followed');
      // Every page gone at once (an emptied sitemap): refused rather than deleting the whole source.
      site.sitemap('/real-sitemap.xml', []);
      await assert.rejects(
        list(
          sourceFor(site, { sitemapUrls: [`${site.origin}/map.xml`], allowedPrefixes: [`${site.origin}/docs/`] }),
          viaRedirect.cursor,
        ),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.source_bad_response',
      );

      site.requireHeader('authorization', 'Bearer intranet-token');
      await assert.rejects(
        list(sourceFor(site, settings)),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.source_auth_failed',
      );
      const authed = await list(
        sourceFor(
          site,
          { ...settings, headersEnv: 'INTRANET_HEADERS' },
          { INTRANET_HEADERS: 'Authorization: Bearer intranet-token' },
        ),
      );
      assert.ok(authed.upserts.has('docs/a.html'));
      assert.throws(
        () => sourceFor(site, { ...settings, headersEnv: 'MISSING' }),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.missing_secret',
      );
      assert.deepEqual(parseHeaders('X', '{"X-Api-Key":"k"}'), { 'x-api-key': 'k' });

      const viaDefinition = await webConnector.create(webSettingsSchema.parse({ startUrls: [`${site.origin}/docs/`] }), {
        secrets: () => undefined,
        logger: silentLogger,
        clock: systemClock,
      });
      assert.equal(viaDefinition.type, webConnector.kind);
      assert.deepEqual(viaDefinition.capabilities, {
        incremental: false,
        renames: false,
        contentHash: false,
        permissions: false,
      });
      assert.equal(webConnector.settingsSchema.safeParse({}).success, false, 'a start URL or sitemap is required');
      assert.equal(
        webConnector.settingsSchema.safeParse({ startUrls: ['https://a.example/'], allowedPrefixes: ['https://b.example/'] })
          .success,
        false,
        'one origin per source',
      );
      assert.equal(webConnector.settingsSchema.safeParse({ startUrls: ['ftp://a.example/'] }).success, false);
      assert.equal(
        canonicalUrl('HTTP://Intranet.Example.com:80/a/../b.html?z=1&utm_medium=x&a=2#top'),
        'http://intranet.example.com/b.html?a=2&z=1',
      );
    } finally {
      await site.close();
    }
  });
});

describe('web source end to end through the sync', () => {
  test('indexes pages, re-sync of an unchanged site reads no body, removals delete, a site down deletes nothing', async () => {
    const site = await intranet();
    const platform = await createTestPlatform({});
    const dummy = await mkdtemp(join(tmpdir(), 'gw-web-e2e-'));
    try {
      // Real files linked from the site: fetched and parsed as files.
      site.put('/docs/b.pdf', await makePdf([{ text: ['Motor claims guideline: photographs of the damage are required.'] }]));
      site.put('/docs/', page('Handbook', ['a.html', 'b.pdf', 'c.docx', 'lm.html', 'plain.html', 'print/a.html']));
      site.put(
        '/docs/c.docx',
        makeDocx([{ heading: 'Fraud indicators', level: 1 }, { paragraph: 'Late reporting and inconsistent statements.' }]),
      );
      // Who may read which pages: an ACL map on the page paths (web pages carry no ACL), re-read at every sync.
      const aclMapPath = join(dummy, 'acl-map.yaml');
      const aclMap = (deep: string) =>
        writeFile(aclMapPath, `default: [group:staff]\nrules:\n  - match: "docs/deep/**"\n    principals: [${deep}]\n`);
      await aclMap('group:Engineering');
      // The real path: a registered `web` source, opened by the sync through the connector registry.
      const added = await addSource(platform.db, {
        name: 'intranet',
        type: 'web',
        settings: {
          startUrls: [`${site.origin}/docs/`],
          allowedPrefixes: [`${site.origin}/docs/`],
          maxDepth: 3,
          rateLimitPerSecond: 100,
          aclMapPath,
        },
      });
      assert.equal(added.type, 'web');
      const ingestion = createIngestion({
        db: platform.db,
        events: platform.events,
        logger: platform.logger,
        config: platform.config,
        parse: (input) => parseDocument(input),
      });
      const bodiesRead = (since: number) =>
        site.requests.slice(since).filter((r) => r.status === 200 && r.path !== '/robots.txt').length;
      const documents = async () =>
        (
          await platform.db.query<{ source_ref: string; principals: string[]; title: string | null }>(
            'SELECT source_ref, principals, title FROM documents WHERE parent_id IS NULL ORDER BY source_ref',
          )
        ).rows;
      const first = await ingestion.sync({ source: 'intranet' });
      assert.equal(first.status, 'succeeded');
      const indexed = await documents();
      const access = Object.fromEntries(indexed.map((d) => [d.source_ref, d.principals.join()]));
      assert.deepEqual(access, {
        'docs/': 'group:staff',
        'docs/a.html': 'group:staff',
        'docs/b.pdf': 'group:staff',
        'docs/c.docx': 'group:staff',
        'docs/deep/1.html': 'group:engineering',
        'docs/deep/2.html': 'group:engineering',
        'docs/lm.html': 'group:staff',
        'docs/plain.html': 'group:staff',
      });
      assert.equal(indexed.find((d) => d.source_ref === 'docs/a.html')?.title, 'Claims process');

      const before = site.requests.length;
      const again = await ingestion.sync({ source: 'intranet' });
      assert.equal(again.added + again.updated + again.deleted, 0);
      assert.equal(
        bodiesRead(before),
        2,
        'only the validator-less page and the print copy (canonical elsewhere, so not in the cursor) are read again',
      );

      site.remove('/docs/deep/2.html');
      const removed = await ingestion.sync({ source: 'intranet' });
      assert.equal(removed.deleted, 1);

      // Revocation: the deep pages are now for the architects only (an ACL map edit, applied at the next sync).
      await aclMap('group:architects');
      await setSourceAclMap(platform.db, 'intranet', aclMapPath); // the approved copy (as `sources acl-map` stores it)
      const revoked = await ingestion.sync({ source: 'intranet' });
      assert.equal(revoked.status, 'succeeded');
      assert.equal(revoked.aclMapDrift, undefined);
      assert.equal((await documents()).find((d) => d.source_ref === 'docs/deep/1.html')?.principals.join(), 'group:architects');

      site.down(true);
      await assert.rejects(
        ingestion.sync({ source: 'intranet' }),
        (error: unknown) => isGroundworkError(error) && error.code === 'ingest.source_unreachable',
      );
      site.down(false);
      assert.equal((await documents()).length, 7, 'a failed crawl is not a deletion');
      await ingestion.close();
    } finally {
      await platform.close();
      await site.close();
      await rm(dummy, { recursive: true, force: true });
    }
  });
});
