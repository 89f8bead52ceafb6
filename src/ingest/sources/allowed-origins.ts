/**
 * Which remote endpoints a source added over the HTTP API may make Groundwork contact (config
 * `sources.allowedWebOrigins`): a builder key must not turn the crawler or an S3 client into a probe of
 * internal hosts (SSRF), nor send operator secrets to an endpoint of its own. The operator's CLI is not
 * restricted (mirrors `sources.allowedRoots`).
 */
import { GroundworkError } from '../../core/index.ts';

/** `scheme://host[:port]` of a URL or origin, lower-cased with default ports dropped; undefined if unparseable. */
export function originOf(value: string): string | undefined {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * Throws unless every URL has an origin in `allowed` (compared as origins, so `https://a.example/x` matches
 * `https://a.example`). Checked before anything is fetched, so the check is no oracle for internal hosts.
 * @throws `ingest.origin_not_allowed` (forbidden → HTTP 403).
 */
export function assertAllowedOrigins(
  urls: ReadonlyArray<{ readonly setting: string; readonly url: string }>,
  allowed: readonly string[],
  connector: string,
): void {
  const origins = new Set(allowed.map(originOf).filter((origin): origin is string => origin !== undefined));
  for (const { setting, url } of urls) {
    const origin = originOf(url);
    if (origin !== undefined && origins.has(origin)) continue;
    throw new GroundworkError(
      'ingest.origin_not_allowed',
      `The ${connector} setting ${setting} points at ${origin ?? 'an unparseable URL'}, which sources added over the API may not contact${
        origins.size === 0 ? ' (sources.allowedWebOrigins is empty)' : ''
      }.`,
      {
        category: 'forbidden',
        fix:
          origins.size === 0
            ? 'An operator lists the origins API-added sources may contact in the configuration setting sources.allowedWebOrigins (e.g. "sources": {"allowedWebOrigins": ["https://intranet.example.com"]}), or adds the source with `groundwork sources add` on the server.'
            : `Use a URL on one of ${[...origins].join(', ')}, or ask an operator to extend sources.allowedWebOrigins.`,
        details: { setting: 'sources.allowedWebOrigins', key: setting, ...(origin ? { origin } : {}) },
      },
    );
  }
}
