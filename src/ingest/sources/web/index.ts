/**
 * The `web` connector: an intranet or public site crawled from start URLs and sitemaps within allowed prefixes
 * (docs/connectors-web.md). An optional request header (e.g. Authorization) is read from an environment variable.
 */
import { z } from 'zod';
import { GroundworkError } from '../../../core/index.ts';
import { tryParsePrincipal } from '../../../protect/index.ts';
import { assertAllowedOrigins } from '../allowed-origins.ts';
import type { ConnectorDefinition, ConnectorDeps } from '../connector.ts';
import { commonSettingHints, commonSourceSettings } from '../settings.ts';
import { WebSource } from './web-source.ts';

export { canonicalUrl, parseSitemap, WebSource } from './web-source.ts';

const httpUrl = z.url({ protocol: /^https?$/ });
const principal = z.string().refine((value) => tryParsePrincipal(value) !== undefined, {
  message: 'expected a unified principal such as group:staff or user:ann@example.com',
});

export const webSettingsSchema = z
  .strictObject({
    startUrls: z.array(httpUrl).default([]),
    sitemapUrls: z.array(httpUrl).default([]),
    /** URL prefixes the crawl stays within; default: the whole origin of the first start or sitemap URL. */
    allowedPrefixes: z.array(httpUrl).default([]),
    maxPages: z.number().int().min(1).max(1_000_000).default(1000),
    maxDepth: z.number().int().min(0).max(100).default(5),
    rateLimitPerSecond: z.number().positive().max(100).default(2),
    userAgent: z.string().min(1).default('GroundworkCrawler/1.0'),
    /**
     * Principals of every page (web pages carry no ACL), or a map from path prefix (`hr/`, `handbook/claims/`) to
     * principals, the longest prefix deciding; absent (or no prefix matching): the source's ACL map / --readable-by.
     */
    principals: z.union([z.array(principal), z.record(z.string(), z.array(principal))]).optional(),
    /** Name of an environment variable holding request headers: `Name: value` lines, or a JSON object. */
    headersEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment-variable name such as INTRANET_AUTH_HEADER')
      .optional(),
    maxFileBytes: z
      .number()
      .int()
      .positive()
      .default(50 * 1024 * 1024),
    /** Skip the request for a page whose sitemap <lastmod> is unchanged since the last crawl (default false). */
    trustSitemapLastmod: z.boolean().default(false),
    /** The common settings this connector honours: an ACL map on the page paths, and principals for the rest. */
    aclMapPath: commonSourceSettings.aclMapPath,
    readableBy: commonSourceSettings.readableBy,
  })
  .superRefine((settings, ctx) => {
    if (settings.startUrls.length === 0 && settings.sitemapUrls.length === 0)
      ctx.addIssue({ code: 'custom', message: 'set startUrls or sitemapUrls (or both)', path: ['startUrls'] });
    const urls = [...settings.startUrls, ...settings.sitemapUrls, ...settings.allowedPrefixes];
    const origins = new Set(urls.map((url) => new URL(url).origin));
    if (origins.size > 1)
      ctx.addIssue({
        code: 'custom',
        message: `one web source crawls one site: these URLs span ${[...origins].join(', ')} — add one source per site`,
        path: ['startUrls'],
      });
  });
export type WebSettings = z.infer<typeof webSettingsSchema>;

/** `Name: value` lines or a JSON object → headers. @throws `ingest.missing_secret` when unset or unreadable. */
export function parseHeaders(name: string, value: string | undefined): Record<string, string> {
  const missing = (why: string) =>
    new GroundworkError(
      'ingest.missing_secret',
      `The web source setting headersEnv names the environment variable ${name}, which ${why}.`,
      {
        category: 'usage',
        fix: `Set ${name} to "Header-Name: value" lines (e.g. "Authorization: Bearer …") or a JSON object of headers, in the environment of the process that syncs.`,
        details: { setting: 'headersEnv', env: name },
      },
    );
  if (value === undefined || value.trim() === '') throw missing('is not set');
  const headers: Record<string, string> = {};
  if (value.trim().startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      throw missing('is not a JSON object of headers');
    }
    for (const [key, entry] of Object.entries(json as Record<string, unknown>))
      if (typeof entry === 'string') headers[key.toLowerCase()] = entry;
  } else {
    for (const line of value.split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon <= 0) {
        if (line.trim() === '') continue;
        throw missing('holds a line that is not "Header-Name: value"');
      }
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
  }
  return headers;
}

const canonical = (list: readonly string[]) => list.map((p) => tryParsePrincipal(p)?.id ?? p);
function canonicalPrincipals(principals: WebSettings['principals']): string[] | Record<string, string[]> | undefined {
  if (principals === undefined) return undefined;
  if (Array.isArray(principals)) return canonical(principals);
  return Object.fromEntries(Object.entries(principals).map(([prefix, list]) => [prefix, canonical(list)]));
}

export function createWebSource(
  settings: WebSettings,
  deps: ConnectorDeps & { readonly sleep?: (ms: number) => Promise<void> },
): WebSource {
  const headers = settings.headersEnv ? parseHeaders(settings.headersEnv, deps.secrets(settings.headersEnv)) : undefined;
  return new WebSource({
    startUrls: settings.startUrls,
    sitemapUrls: settings.sitemapUrls,
    allowedPrefixes: settings.allowedPrefixes,
    maxPages: settings.maxPages,
    maxDepth: settings.maxDepth,
    rateLimitPerSecond: settings.rateLimitPerSecond,
    userAgent: settings.userAgent,
    principals: canonicalPrincipals(settings.principals),
    ...(headers ? { headers } : {}),
    maxFileBytes: settings.maxFileBytes,
    trustSitemapLastmod: settings.trustSitemapLastmod,
    logger: deps.logger,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
}

export const webConnector: ConnectorDefinition<WebSettings> = {
  kind: 'web',
  title: 'Web / intranet site',
  description:
    'Pages and files of one site, crawled from start URLs and sitemaps within allowed prefixes, obeying robots.txt, with conditional requests (ETag / Last-Modified) and a request-rate limit.',
  settingsSchema: webSettingsSchema as unknown as z.ZodType<WebSettings>,
  settingHints: [
    {
      key: 'startUrls',
      label: 'Start URLs',
      description: 'Pages the crawl starts from (links are followed).',
      kind: 'list',
      required: false,
      example: 'https://intranet.example.com/handbook/',
    },
    {
      key: 'sitemapUrls',
      label: 'Sitemaps',
      description: 'XML sitemaps or sitemap indexes (.xml or .xml.gz).',
      kind: 'list',
      required: false,
      example: 'https://intranet.example.com/sitemap.xml',
    },
    {
      key: 'allowedPrefixes',
      label: 'Allowed prefixes',
      description: 'URL prefixes the crawl stays within (default: the whole site).',
      kind: 'list',
      required: false,
    },
    { key: 'maxPages', label: 'Maximum pages', description: 'Default 1000.', kind: 'number', required: false },
    {
      key: 'maxDepth',
      label: 'Maximum link depth',
      description: 'Links followed from a start URL or sitemap entry; default 5.',
      kind: 'number',
      required: false,
    },
    {
      key: 'rateLimitPerSecond',
      label: 'Requests per second',
      description: 'Default 2 (robots.txt Crawl-delay may slow it further).',
      kind: 'number',
      required: false,
    },
    {
      key: 'userAgent',
      label: 'User agent',
      description: 'Sent with every request and matched against robots.txt.',
      kind: 'string',
      required: false,
    },
    {
      key: 'principals',
      label: 'Readable by',
      description: 'Principals of every page (web pages carry no ACL); or use an ACL map on the page paths.',
      kind: 'list',
      required: false,
      example: 'group:staff',
    },
    {
      key: 'headersEnv',
      label: 'Header variable',
      description: 'Environment variable holding request headers ("Authorization: Bearer …").',
      kind: 'env',
      required: false,
      example: 'INTRANET_AUTH_HEADER',
    },
    ...commonSettingHints.filter((hint) => hint.key === 'aclMapPath' || hint.key === 'readableBy'),
  ],
  capabilities: { incremental: false, renames: false, contentHash: false, permissions: false, deletes: true },
  normalize(settings, deps) {
    // Over the API the crawl may only reach sites an operator listed (the crawler must not probe internal hosts).
    if (deps.allowedOrigins) {
      const urls = (['startUrls', 'sitemapUrls', 'allowedPrefixes'] as const).flatMap((setting) =>
        (settings[setting] ?? []).map((url) => ({ setting, url })),
      );
      assertAllowedOrigins(urls, deps.allowedOrigins, 'web');
    }
    return settings;
  },
  create: (settings, deps) => createWebSource(webSettingsSchema.parse(settings), deps),
};
