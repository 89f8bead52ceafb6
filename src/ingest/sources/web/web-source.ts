/**
 * Web / intranet sites: a crawl of one origin from start URLs and sitemaps (sitemap indexes and gzip included),
 * following links within the allowed prefixes, obeying robots.txt, at a bounded request rate.
 *
 * A crawl is a full snapshot (`incremental: false`): a page no longer reachable is absent and the sync deletes
 * it. The cursor keeps each page's validators (ETag, Last-Modified), version and links, so a re-crawl asks
 * with If-None-Match / If-Modified-Since and a `304 Not Modified` page is listed unchanged, its links followed
 * from the cursor, without its body. A crawl that cannot be trusted to be complete — robots.txt, a start URL or
 * a sitemap unreachable or answering 5xx — throws instead of ending with a checkpoint, so nothing is deleted;
 * a known page that fails transiently is listed with its previous version (kept), an unknown one reported.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { parse as parseHtml } from 'node-html-parser';
import robotsParserModule from 'robots-parser';
import { GroundworkError, type Logger } from '../../../core/index.ts';
import type { FetchedItem, SidecarMetadata, Source, SourceChange, SourceCursor, SourceItem, SourceProblem } from '../source.ts';
import { retryAfterMs, sourceFailure } from '../source-errors.ts';

export interface WebSourceOptions {
  readonly startUrls: readonly string[];
  readonly sitemapUrls: readonly string[];
  readonly allowedPrefixes: readonly string[];
  readonly maxPages: number;
  readonly maxDepth: number;
  readonly rateLimitPerSecond: number;
  readonly userAgent: string;
  /**
   * Principals of the pages (web pages carry no ACL): one list for every page, or a map from path prefix (a ref
   * prefix such as `hr/` or `handbook/claims/`) to principals, the longest matching prefix deciding. Pages no
   * entry matches, or undefined: the source's ACL map / `--readable-by` decide.
   */
  readonly principals?: readonly string[] | Readonly<Record<string, readonly string[]>> | undefined;
  /** Extra request headers (e.g. Authorization), resolved from `headersEnv`. Never logged. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly maxFileBytes: number;
  /**
   * Pages whose sitemap `<lastmod>` equals the one of the last crawl are listed unchanged without a request
   * (their links followed from the cursor). Only for sites whose sitemap `<lastmod>` is kept accurate.
   */
  readonly trustSitemapLastmod?: boolean;
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** One page in the cursor: version, validators, size, modified ms, media type, links (refs), sitemap lastmod. */
interface PageState {
  v: string;
  sm?: string;
  e?: string;
  lm?: string;
  s: number;
  m: number;
  t?: string;
  l?: string[];
}

interface WebCursor {
  v: 1;
  origin: string;
  pages: Record<string, PageState>;
}

interface Robots {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getCrawlDelay(ua?: string): number | undefined;
  getSitemaps(): string[];
}

// robots-parser is CommonJS (module.exports = function); its typings do not describe the default import.
const robotsParser = robotsParserModule as unknown as (url: string, text: string) => Robots;

const trackingParams = /^(utm_[a-z]+|gclid|fbclid|mc_cid|mc_eid)$/i;
const htmlTypes = new Set(['text/html', 'application/xhtml+xml']);
const maxSitemaps = 200;
const cacheBudgetBytes = 16 * 1024 * 1024;

/** A canonical URL: http(s) only, no fragment, no tracking parameters, sorted query; undefined when unusable. */
export function canonicalUrl(href: string, base?: string): string | undefined {
  let url: URL;
  try {
    url = new URL(href.trim(), base);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  url.hash = '';
  url.username = '';
  url.password = '';
  const params = [...url.searchParams.entries()].filter(([key]) => !trackingParams.test(key));
  params.sort(([a, av], [b, bv]) => (a === b ? av.localeCompare(bv) : a.localeCompare(b)));
  url.search = params.length > 0 ? new URLSearchParams(params).toString() : '';
  return url.toString();
}

const decodeXml = (text: string) =>
  text
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();

/** `<loc>` values of a sitemap: `{ sitemaps }` for an index, `{ urls }` for a URL set. */
export function parseSitemap(xml: string): { sitemaps: string[]; urls: Array<{ loc: string; lastmod?: string }> } {
  const sitemaps: string[] = [];
  const urls: Array<{ loc: string; lastmod?: string }> = [];
  for (const match of xml.matchAll(/<sitemap\b[^>]*>([\s\S]*?)<\/sitemap>/gi)) {
    const loc = /<loc>([\s\S]*?)<\/loc>/i.exec(match[1] ?? '')?.[1];
    if (loc) sitemaps.push(decodeXml(loc));
  }
  for (const match of xml.matchAll(/<url\b[^>]*>([\s\S]*?)<\/url>/gi)) {
    const loc = /<loc>([\s\S]*?)<\/loc>/i.exec(match[1] ?? '')?.[1];
    const lastmod = /<lastmod>([\s\S]*?)<\/lastmod>/i.exec(match[1] ?? '')?.[1];
    if (loc) urls.push({ loc: decodeXml(loc), ...(lastmod ? { lastmod: decodeXml(lastmod) } : {}) });
  }
  return { sitemaps, urls };
}

function unreachable(what: string, why: string, cause?: unknown): GroundworkError {
  return sourceFailure('unreachable', {
    what,
    detail: `${why}; the crawl stopped, nothing was deleted`,
    fix: 'Check that the site is up and the URL in the settings is right (startUrls, sitemapUrls), then sync again.',
    ...(cause ? { cause } : {}),
  });
}

function sha(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url').slice(0, 22);
}

export class WebSource implements Source {
  readonly type = 'web';
  readonly capabilities = { incremental: false, renames: false, contentHash: false, permissions: false } as const;
  readonly origin: string;
  /** Requests sent and 304s received (tests, benchmarks). */
  readonly stats = { requests: 0, notModified: 0, bodies: 0 };
  private readonly options: WebSourceOptions;
  private readonly prefixes: string[];
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private robots: Robots | undefined;
  private intervalMs: number;
  private nextRequestAt = 0;
  /** Bodies read by the listing, for the sync's `fetch` right after (bounded). */
  private readonly cache = new Map<string, { bytes: Uint8Array; mediaType?: string }>();
  private cacheBytes = 0;
  /** Principals by ref prefix, longest first ('' = every page). */
  private readonly principalRules: Array<{ prefix: string; sidecar: SidecarMetadata; version: string }>;

  constructor(options: WebSourceOptions) {
    this.options = options;
    const first = options.startUrls[0] ?? options.sitemapUrls[0] ?? options.allowedPrefixes[0];
    if (!first) throw new Error('a start URL or a sitemap URL is required');
    this.origin = new URL(first).origin;
    this.prefixes = (options.allowedPrefixes.length > 0 ? options.allowedPrefixes : [`${this.origin}/`]).map(
      (prefix) => canonicalUrl(prefix) ?? prefix,
    );
    this.fetchImpl = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.intervalMs = 1000 / options.rateLimitPerSecond;
    const rules = Array.isArray(options.principals)
      ? [['', options.principals] as const]
      : Object.entries((options.principals ?? {}) as Record<string, readonly string[]>).map(
          ([prefix, principals]) => [prefix.replace(/^\/+/, ''), principals] as const,
        );
    this.principalRules = rules
      .map(([prefix, principals]) => {
        const sorted = [...new Set(principals)].sort();
        return { prefix, sidecar: { principals: sorted }, version: sha(new TextEncoder().encode(JSON.stringify(sorted))) };
      })
      .sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** The ref of a URL of this origin: its path without the leading `/`, plus the query; the root page is `.`. */
  refOf(url: string): string {
    const parsed = new URL(url);
    const ref = `${parsed.pathname.slice(1)}${parsed.search}`;
    return ref === '' ? '.' : ref;
  }

  urlOf(ref: string): string | undefined {
    if (ref === '.') return `${this.origin}/`;
    if (ref.startsWith('/') || ref.includes('\\') || ref.split(/[/?]/).some((part) => part === '..' || part === '.'))
      return undefined;
    const url = canonicalUrl(`${this.origin}/${ref}`);
    if (!url || new URL(url).origin !== this.origin || this.refOf(url) !== ref) return undefined;
    return url;
  }

  private allowed(url: string): boolean {
    return new URL(url).origin === this.origin && this.prefixes.some((prefix) => url.startsWith(prefix));
  }

  private async throttle(): Promise<void> {
    // Concurrent callers (the listing and the sync's fetches) queue one behind another.
    for (let wait = this.nextRequestAt - performance.now(); wait > 0; wait = this.nextRequestAt - performance.now())
      await this.sleep(Math.ceil(wait));
    // Spaced from when a request actually leaves, so a late one never lets the next catch up.
    this.nextRequestAt = performance.now() + this.intervalMs;
  }

  /** One rate-limited GET (redirects not followed); a 429/503 with Retry-After is waited for, twice at most. */
  private async get(url: string, headers: Record<string, string> = {}): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      await this.throttle();
      this.stats.requests += 1;
      const response = await this.fetchImpl(url, {
        redirect: 'manual',
        headers: { 'user-agent': this.options.userAgent, accept: '*/*', ...(this.options.headers ?? {}), ...headers },
        signal: AbortSignal.timeout(30_000),
      });
      // Retry-After in seconds or as an HTTP date (the shared parser), waited for up to a minute.
      const waitMs = retryAfterMs(response.headers.get('retry-after'));
      if ((response.status === 429 || response.status === 503) && attempt < 3 && waitMs !== undefined && waitMs <= 60_000) {
        await response.arrayBuffer().catch(() => undefined);
        this.options.logger.warn('The site asked to wait', {
          origin: this.origin,
          status: response.status,
          seconds: waitMs / 1000,
        });
        await this.sleep(waitMs);
        continue;
      }
      return response;
    }
  }

  /** A GET that follows up to 5 redirects within the origin (robots.txt, sitemaps). */
  private async getFollowing(url: string): Promise<Response> {
    let current = url;
    for (let hop = 0; ; hop++) {
      const response = await this.get(current);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location || hop >= 5) return response;
      const next = canonicalUrl(location, current);
      if (!next || new URL(next).origin !== this.origin) return response;
      await response.arrayBuffer().catch(() => undefined);
      current = next;
    }
  }

  private async loadRobots(): Promise<Robots> {
    if (this.robots) return this.robots;
    const url = `${this.origin}/robots.txt`;
    let response: Response;
    try {
      response = await this.getFollowing(url);
    } catch (error) {
      throw unreachable(url, (error as Error).message, error);
    }
    const text = await response.text();
    if (response.status >= 500 || response.status === 429) throw unreachable(url, `HTTP ${response.status}`);
    // 2xx: the rules; 3xx/4xx: no rules (everything allowed), as the Robots Exclusion Protocol (RFC 9309) says.
    this.robots = robotsParser(url, response.status >= 200 && response.status < 300 ? text : '');
    const delay = this.robots.getCrawlDelay(this.options.userAgent);
    if (delay && delay * 1000 > this.intervalMs) this.intervalMs = Math.min(delay * 1000, 60_000);
    return this.robots;
  }

  private robotsAllow(url: string): boolean {
    return this.robots?.isAllowed(url, this.options.userAgent) !== false;
  }

  /** Every page URL the sitemaps list (indexes followed, .gz inflated). A sitemap that fails stops the crawl. */
  private async sitemapUrls(): Promise<Array<{ loc: string; lastmod?: string }>> {
    const out: Array<{ loc: string; lastmod?: string }> = [];
    const queue = [...this.options.sitemapUrls];
    const seen = new Set<string>();
    while (queue.length > 0 && seen.size < maxSitemaps) {
      const url = queue.shift() as string;
      if (seen.has(url)) continue;
      seen.add(url);
      let response: Response;
      try {
        response = await this.getFollowing(url);
      } catch (error) {
        throw unreachable(`The sitemap ${url}`, (error as Error).message, error);
      }
      if (response.status !== 200) {
        await response.arrayBuffer().catch(() => undefined);
        throw unreachable(`The sitemap ${url}`, `HTTP ${response.status}`);
      }
      let bytes = new Uint8Array(await response.arrayBuffer());
      if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
        try {
          bytes = new Uint8Array(gunzipSync(bytes, { maxOutputLength: 64 * 1024 * 1024 }));
        } catch (error) {
          throw sourceFailure('bad_response', {
            what: `The sitemap ${url}`,
            detail: 'not valid gzip',
            fix: 'Fix the sitemap on the site (or list the plain .xml one in sitemapUrls); nothing was deleted.',
            cause: error,
          });
        }
      }
      const parsed = parseSitemap(new TextDecoder().decode(bytes));
      if (
        parsed.sitemaps.length === 0 &&
        parsed.urls.length === 0 &&
        !/<(urlset|sitemapindex)\b/i.test(new TextDecoder().decode(bytes.subarray(0, 4096)))
      ) {
        throw sourceFailure('bad_response', {
          what: `The sitemap ${url}`,
          detail: 'not a sitemap: no <urlset> or <sitemapindex>',
          fix: 'Point sitemapUrls at the XML sitemap itself (e.g. https://intranet.example.com/sitemap.xml); nothing was deleted.',
        });
      }
      // A sitemap index may name sitemaps elsewhere: only this site's are read (the crawler stays on one origin).
      const foreign = parsed.sitemaps.filter(
        (child) => canonicalUrl(child) === undefined || new URL(child).origin !== this.origin,
      );
      if (foreign.length > 0)
        this.options.logger.warn('A sitemap index names sitemaps on another site; they are skipped', {
          sitemap: url,
          skipped: foreign.length,
        });
      queue.push(...parsed.sitemaps.filter((child) => !foreign.includes(child)));
      out.push(...parsed.urls);
    }
    return out;
  }

  private remember(ref: string, bytes: Uint8Array, mediaType: string | undefined): void {
    if (bytes.length > cacheBudgetBytes / 4) return;
    this.cache.set(ref, { bytes, ...(mediaType ? { mediaType } : {}) });
    this.cacheBytes += bytes.length;
    for (const [key, value] of this.cache) {
      if (this.cacheBytes <= cacheBudgetBytes) break;
      this.cache.delete(key);
      this.cacheBytes -= value.bytes.length;
    }
  }

  /** Links of an HTML page (canonical, allowed), its `<link rel=canonical>`, and its robots meta. */
  private readHtml(
    bytes: Uint8Array,
    pageUrl: string,
  ): { links: string[]; canonical?: string; noindex: boolean; nofollow: boolean } {
    const root = parseHtml(new TextDecoder().decode(bytes), { comment: false });
    const baseHref = root.querySelector('base')?.getAttribute('href');
    const base = baseHref ? (canonicalUrl(baseHref, pageUrl) ?? pageUrl) : pageUrl;
    const robots = (root.querySelector('meta[name="robots"]')?.getAttribute('content') ?? '').toLowerCase();
    const links = new Set<string>();
    for (const anchor of root.querySelectorAll('a[href], area[href]')) {
      if ((anchor.getAttribute('rel') ?? '').toLowerCase().includes('nofollow')) continue;
      const url = canonicalUrl(anchor.getAttribute('href') ?? '', base);
      if (url && this.allowed(url)) links.add(url);
    }
    const canonicalHref = root.querySelector('link[rel="canonical"]')?.getAttribute('href');
    const canonical = canonicalHref ? canonicalUrl(canonicalHref, base) : undefined;
    return {
      links: [...links],
      ...(canonical && canonical !== pageUrl && this.allowed(canonical) ? { canonical } : {}),
      noindex: robots.includes('noindex'),
      nofollow: robots.includes('nofollow'),
    };
  }

  /** The principals rule deciding a page, if any. */
  private rule(ref: string): { sidecar: SidecarMetadata; version: string } | undefined {
    return this.principalRules.find((rule) => ref.startsWith(rule.prefix));
  }

  private access(ref: string): { sidecarVersion?: string; principals?: string[] } {
    const rule = this.rule(ref);
    return rule ? { sidecarVersion: rule.version, principals: [...(rule.sidecar.principals as string[])] } : {};
  }

  private item(ref: string, page: PageState): SourceItem {
    return {
      ref,
      version: page.v,
      sizeBytes: page.s,
      modifiedAt: new Date(page.m),
      uri: this.urlOf(ref) ?? `${this.origin}/${ref}`,
      ...(page.t ? { mediaType: page.t } : {}),
      ...this.access(ref),
    };
  }

  async *listChanges(cursor: SourceCursor | undefined, onProblem: (problem: SourceProblem) => void): AsyncIterable<SourceChange> {
    const stored = cursor as Partial<WebCursor> | undefined;
    const previous: Record<string, PageState> =
      stored?.v === 1 && stored.origin === this.origin && stored.pages ? stored.pages : {};
    const pages: Record<string, PageState> = {};
    await this.loadRobots();
    const queue: Array<{ url: string; depth: number; start: boolean; lastmod?: string }> = [];
    const queued = new Set<string>();
    const enqueue = (href: string, depth: number, start: boolean, lastmod?: string) => {
      const url = canonicalUrl(href, `${this.origin}/`);
      if (!url || queued.has(url) || !this.allowed(url)) return; // out of the allowed prefixes: left out on purpose
      queued.add(url);
      if (!this.robotsAllow(url)) return; // disallowed by robots.txt: left out on purpose, never requested
      queue.push({ url, depth, start, ...(lastmod ? { lastmod } : {}) });
    };
    for (const url of this.options.startUrls) enqueue(url, 0, true);
    for (const entry of await this.sitemapUrls()) enqueue(entry.loc, 0, false, entry.lastmod);
    const follow = (links: readonly string[], depth: number) => {
      if (depth >= this.options.maxDepth) return;
      for (const link of links) enqueue(link, depth + 1, false);
    };
    let listed = 0;
    while (queue.length > 0 && listed < this.options.maxPages) {
      const { url, depth, start, lastmod } = queue.shift() as (typeof queue)[number];
      const ref = this.refOf(url);
      const before = previous[ref];
      const keep = (why: string, code: string) => {
        if (before) {
          // Known page, transient failure: listed unchanged (kept), never deleted for it.
          this.options.logger.warn('A known page could not be read; keeping the indexed version', { url, why });
          pages[ref] = before;
          listed += 1;
          follow(before.l ?? [], depth);
          return this.item(ref, before);
        }
        onProblem({
          ref,
          code,
          message: `${url} could not be read: ${why}.`,
          fix: 'Check the page on the site (or exclude it with allowedPrefixes / robots.txt); it is tried again at the next sync.',
        });
        return undefined;
      };
      if (this.options.trustSitemapLastmod && lastmod && before?.sm === lastmod) {
        pages[ref] = before;
        listed += 1;
        follow(before.l ?? [], depth);
        yield { kind: 'upsert', item: this.item(ref, before) };
        continue;
      }
      const conditional: Record<string, string> = {};
      if (before?.e) conditional['if-none-match'] = before.e;
      if (before?.lm) conditional['if-modified-since'] = before.lm;
      let response: Response;
      try {
        response = await this.get(url, conditional);
      } catch (error) {
        if (start) throw unreachable(`The start URL ${url}`, (error as Error).message, error);
        const kept = keep((error as Error).message, 'ingest.source_unreachable');
        if (kept) yield { kind: 'upsert', item: kept };
        continue;
      }
      if (response.status === 304 && before) {
        await response.arrayBuffer().catch(() => undefined);
        this.stats.notModified += 1;
        pages[ref] = lastmod ? { ...before, sm: lastmod } : before;
        listed += 1;
        follow(before.l ?? [], depth);
        yield { kind: 'upsert', item: this.item(ref, before) };
        continue;
      }
      if (response.status >= 300 && response.status < 400 && response.headers.get('location')) {
        await response.arrayBuffer().catch(() => undefined);
        const target = canonicalUrl(response.headers.get('location') as string, url);
        if (start && (!target || !this.allowed(target))) {
          // A start page sent elsewhere (typically a login page after a session expired): not an empty site.
          throw sourceFailure('auth', {
            what: `The start URL ${url}`,
            detail: `it redirects outside the allowed prefixes${target ? `, to ${new URL(target).origin}${new URL(target).pathname}` : ''}`,
            fix: 'If the site needs a login, give the crawler access with headersEnv (e.g. "Authorization: Bearer …" or a session cookie); otherwise use the target as the start URL. Nothing was deleted.',
          });
        }
        if (target) enqueue(target, depth, start);
        continue;
      }
      if (response.status === 404 || response.status === 410) {
        await response.arrayBuffer().catch(() => undefined);
        if (start) throw unreachable(`The start URL ${url}`, `HTTP ${response.status}`);
        continue; // gone: absent from the snapshot, so the sync deletes it
      }
      if (response.status !== 200) {
        await response.arrayBuffer().catch(() => undefined);
        if (start && (response.status === 401 || response.status === 403)) {
          throw sourceFailure('auth', {
            what: `The start URL ${url}`,
            detail: `HTTP ${response.status}`,
            fix: 'Give the crawler access: set headersEnv to a variable holding the header (e.g. "Authorization: Bearer …"), or allow its userAgent. Nothing was deleted.',
          });
        }
        if (start && response.status === 429) {
          const wait = retryAfterMs(response.headers.get('retry-after'));
          throw sourceFailure('throttled', {
            what: `The site (${url})`,
            detail: 'it kept answering 429 Too Many Requests',
            ...(wait === undefined ? {} : { retryAfterMs: wait }),
            fix: 'Lower rateLimitPerSecond (or ask the site owner to allow the crawler), then sync again; nothing was deleted.',
          });
        }
        if (start) throw unreachable(`The start URL ${url}`, `HTTP ${response.status}`);
        const kept = keep(
          `HTTP ${response.status}`,
          response.status === 401 || response.status === 403
            ? 'ingest.source_auth_failed'
            : response.status === 429
              ? 'ingest.source_throttled'
              : 'ingest.source_unreachable',
        );
        if (kept) yield { kind: 'upsert', item: kept };
        continue;
      }
      const declared = Number(response.headers.get('content-length') ?? '0');
      if (declared > this.options.maxFileBytes) {
        await response.body?.cancel().catch(() => undefined);
        onProblem({
          ref,
          code: 'ingest.too_large',
          message: `${url} is ${declared} bytes, over the limit of ${this.options.maxFileBytes}.`,
          fix: 'Raise ingest.maxFileBytes, or leave the URL out with allowedPrefixes.',
        });
        continue;
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      this.stats.bodies += 1;
      const mediaType = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() || undefined;
      let links: string[] = [];
      if (mediaType && htmlTypes.has(mediaType)) {
        const html = this.readHtml(bytes, url);
        if (!html.nofollow) links = html.links;
        if (html.canonical) {
          enqueue(html.canonical, depth, false); // the canonical URL is indexed, not this copy
          continue;
        }
        if (html.noindex) {
          follow(links, depth);
          continue;
        }
      }
      const etag = response.headers.get('etag') ?? undefined;
      const lastModified = response.headers.get('last-modified') ?? undefined;
      const modified = Date.parse(lastModified ?? lastmod ?? '');
      const page: PageState = {
        v: etag ? `etag:${etag}` : lastModified ? `lm:${lastModified}` : `sha256:${sha(bytes)}`,
        ...(etag ? { e: etag } : {}),
        ...(lastModified ? { lm: lastModified } : {}),
        s: bytes.length,
        m: Number.isFinite(modified) ? modified : Date.now(),
        ...(mediaType ? { t: mediaType } : {}),
        ...(links.length > 0 ? { l: links.map((link) => this.refOf(link)) } : {}),
        ...(lastmod ? { sm: lastmod } : {}),
      };
      // A page served again without validators but with the same bytes keeps its version (and its date).
      if (before && before.v === page.v) page.m = before.m;
      pages[ref] = page;
      listed += 1;
      this.remember(ref, bytes, mediaType);
      follow(links, depth);
      yield { kind: 'upsert', item: this.item(ref, page) };
    }
    if (listed === 0 && Object.keys(previous).length > 0) {
      // Every page vanished at once: far likelier a broken site, template or login wall than an empty intranet.
      throw sourceFailure('bad_response', {
        what: `The crawl of ${this.origin}`,
        detail: `it found no page, where the last one found ${Object.keys(previous).length}`,
        fix: 'Check the start URLs and sitemaps in a browser (a login page, an empty sitemap?). Nothing was deleted; to empty the source on purpose, remove it with `groundwork sources remove`.',
      });
    }
    if (queue.length > 0)
      this.options.logger.warn('The crawl stopped at maxPages; pages beyond it are not indexed', {
        origin: this.origin,
        maxPages: this.options.maxPages,
      });
    const next: WebCursor = { v: 1, origin: this.origin, pages };
    yield { kind: 'checkpoint', cursor: next as unknown as SourceCursor };
  }

  async fetch(ref: string): Promise<FetchedItem> {
    const url = this.urlOf(ref);
    const notFound = (why: string) =>
      new GroundworkError('ingest.not_found', `${ref} ${why}`, {
        category: 'not_found',
        fix: 'Nothing to do: it was removed or renamed while the sync ran; the next sync picks up the change.',
      });
    if (!url || !this.allowed(url)) throw notFound('is not a page inside the allowed prefixes of the site.');
    await this.loadRobots();
    if (!this.robotsAllow(url)) throw notFound('is disallowed by robots.txt.');
    const cached = this.cache.get(ref);
    if (cached) {
      this.cache.delete(ref);
      this.cacheBytes -= cached.bytes.length;
      const sidecar = this.rule(ref)?.sidecar;
      return { bytes: cached.bytes, ...(sidecar ? { sidecar } : {}) };
    }
    let response: Response;
    try {
      response = await this.get(url);
    } catch (error) {
      throw unreachable(url, (error as Error).message, error);
    }
    if (response.status === 404 || response.status === 410) {
      await response.arrayBuffer().catch(() => undefined);
      throw notFound('no longer exists on the site.');
    }
    if (response.status !== 200) {
      await response.arrayBuffer().catch(() => undefined);
      throw unreachable(url, `HTTP ${response.status}`);
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    this.stats.bodies += 1;
    if (bytes.length > this.options.maxFileBytes) {
      throw new GroundworkError(
        'ingest.too_large',
        `${url} is ${bytes.length} bytes, over the limit of ${this.options.maxFileBytes}.`,
        {
          category: 'limit',
          fix: 'Raise ingest.maxFileBytes, or leave the URL out with allowedPrefixes.',
        },
      );
    }
    const sidecar = this.rule(ref)?.sidecar;
    return { bytes, ...(sidecar ? { sidecar } : {}) };
  }

  async fetchSidecar(ref: string): Promise<SidecarMetadata | undefined> {
    return this.rule(ref)?.sidecar;
  }
}
