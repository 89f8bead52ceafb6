/**
 * A loopback web site for the web connector's tests and benchmark: pages set by code, robots.txt, sitemaps,
 * conditional requests (ETag → If-None-Match, Last-Modified → If-Modified-Since → 304), faults per path.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface FakePage {
  body: Buffer;
  type: string;
  /** Validators: `etag` (default: a hash of the body), `lastModified`, or none. */
  validators: 'etag' | 'last-modified' | 'none';
  lastModified: Date;
  status?: number;
  headers?: Record<string, string>;
}

export interface FakeSite {
  readonly origin: string;
  readonly requests: Array<{
    path: string;
    status: number;
    at: number;
    ifNoneMatch?: string;
    ifModifiedSince?: string;
    headers: Record<string, string | string[] | undefined>;
  }>;
  put(
    path: string,
    body: string | Uint8Array,
    options?: { type?: string; validators?: FakePage['validators']; gzip?: boolean },
  ): void;
  remove(path: string): void;
  /** `path` answers 302 to `to` (a path or an absolute URL). */
  redirect(path: string, to: string): void;
  /** Answers `status` for a path (until cleared with undefined). */
  fail(path: string, status: number | undefined): void;
  /** Every request is answered by destroying the connection (the site is down). */
  down(isDown: boolean): void;
  /** Requests without this header value answer 401. */
  requireHeader(name: string | undefined, value?: string): void;
  /** A sitemap of these paths at `path` (gzipped when it ends in .gz). */
  sitemap(path: string, paths: readonly string[]): void;
  sitemapIndex(path: string, sitemapPaths: readonly string[]): void;
  close(): Promise<void>;
}

const typeByExtension: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  pdf: 'application/pdf',
  xml: 'application/xml',
  gz: 'application/gzip',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

export async function startFakeSite(): Promise<FakeSite> {
  const pages = new Map<string, FakePage>();
  const failures = new Map<string, number>();
  const requests: FakeSite['requests'] = [];
  let isDown = false;
  let required: { name: string; value: string } | undefined;
  let origin = '';

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const path = `${url.pathname}${url.search}`;
    if (isDown) {
      req.socket.destroy();
      return;
    }
    const record = (status: number) =>
      requests.push({
        path,
        status,
        at: Date.now(),
        headers: req.headers,
        ...(req.headers['if-none-match'] ? { ifNoneMatch: String(req.headers['if-none-match']) } : {}),
        ...(req.headers['if-modified-since'] ? { ifModifiedSince: String(req.headers['if-modified-since']) } : {}),
      });
    const failure = failures.get(url.pathname);
    if (failure) {
      record(failure);
      res.writeHead(failure, { 'content-type': 'text/plain' });
      res.end(`error ${failure}`);
      return;
    }
    if (required && url.pathname !== '/robots.txt' && req.headers[required.name] !== required.value) {
      record(401);
      res.writeHead(401, { 'www-authenticate': 'Bearer' });
      res.end('unauthorized');
      return;
    }
    const page = pages.get(path) ?? pages.get(url.pathname);
    if (!page) {
      record(404);
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html><body>Not found</body></html>');
      return;
    }
    const headers: Record<string, string> = { 'content-type': page.type, ...(page.headers ?? {}) };
    const etag = `"${createHash('sha1').update(page.body).digest('hex').slice(0, 16)}"`;
    if (page.validators === 'etag') headers.etag = etag;
    if (page.validators === 'last-modified') headers['last-modified'] = page.lastModified.toUTCString();
    const notModified =
      (page.validators === 'etag' && req.headers['if-none-match'] === etag) ||
      (page.validators === 'last-modified' &&
        req.headers['if-modified-since'] !== undefined &&
        Date.parse(String(req.headers['if-modified-since'])) >= Math.floor(page.lastModified.getTime() / 1000) * 1000);
    if (notModified) {
      record(304);
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const status = page.status ?? 200;
    record(status);
    res.writeHead(status, { ...headers, 'content-length': String(page.body.length) });
    res.end(page.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const site: FakeSite = {
    origin,
    requests,
    put(path, body, options = {}) {
      const extension = /\.([a-z0-9]+)$/i.exec(path.split('?')[0] ?? '')?.[1]?.toLowerCase() ?? 'html';
      let bytes = Buffer.from(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
      if (options.gzip) bytes = gzipSync(bytes);
      pages.set(path, {
        body: bytes,
        type: options.type ?? typeByExtension[extension] ?? 'application/octet-stream',
        validators: options.validators ?? 'etag',
        lastModified: new Date(Date.now() - 1000),
      });
    },
    remove(path) {
      pages.delete(path);
    },
    redirect(path, to) {
      pages.set(path, {
        body: Buffer.alloc(0),
        type: 'text/html',
        validators: 'none',
        lastModified: new Date(),
        status: 302,
        headers: { location: to },
      });
    },
    fail(path, status) {
      if (status === undefined) failures.delete(path);
      else failures.set(path, status);
    },
    down(value) {
      isDown = value;
    },
    requireHeader(name, value) {
      required = name ? { name: name.toLowerCase(), value: value ?? '' } : undefined;
    },
    sitemap(path, paths) {
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${paths
        .map(
          (p) =>
            `  <url><loc>${origin}${p.replaceAll('&', '&amp;')}</loc><lastmod>${(pages.get(p)?.lastModified ?? new Date(0)).toISOString()}</lastmod></url>`,
        )
        .join('\n')}\n</urlset>\n`;
      site.put(path, xml, { type: path.endsWith('.gz') ? 'application/gzip' : 'application/xml', gzip: path.endsWith('.gz') });
    },
    sitemapIndex(path, sitemapPaths) {
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${sitemapPaths
        .map((p) => `  <sitemap><loc>${origin}${p}</loc></sitemap>`)
        .join('\n')}\n</sitemapindex>\n`;
      site.put(path, xml, { type: 'application/xml' });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return site;
}
