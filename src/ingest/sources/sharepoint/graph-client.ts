/**
 * A small Microsoft Graph client over `fetch`: app-only tokens (client credentials with a client secret or a
 * certificate-signed client assertion), throttling (429/503 with `Retry-After`) and transient failures retried
 * with backoff, an expired token refreshed and the request retried once, and every failure a coded error.
 * Secrets are never logged and never part of an error message.
 */
import { createHash, randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { GroundworkError, type Logger } from '../../../core/index.ts';
import { retryAfterMs, sourceFailure } from '../source-errors.ts';

export { retryAfterMs };

export type GraphCredential =
  | { readonly kind: 'secret'; readonly clientSecret: string }
  | { readonly kind: 'certificate'; readonly privateKeyPem: string; readonly thumbprint: string };

export interface GraphClientOptions {
  readonly tenantId: string;
  readonly clientId: string;
  readonly credential: GraphCredential;
  /** e.g. https://graph.microsoft.com/v1.0 */
  readonly graphBaseUrl: string;
  /** e.g. https://login.microsoftonline.com */
  readonly authorityUrl: string;
  readonly scope: string;
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
  /** Attempts for throttled / transient failures (default 5). */
  readonly maxAttempts?: number;
  /** The longest single wait a `Retry-After` may impose (default 120 s); longer ones fail as throttled. */
  readonly maxRetryAfterMs?: number;
  /** Waits between attempts (tests shorten backoff). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface GraphResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the configured URL';
  }
}

export class GraphClient {
  private token: { value: string; expiresAt: number } | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxAttempts: number;
  private readonly maxRetryAfterMs: number;
  /** Requests made and throttling met (for tests and the sync log). */
  readonly stats = { requests: 0, throttled: 0, tokenRefreshes: 0 };

  private readonly options: GraphClientOptions;

  constructor(options: GraphClientOptions) {
    this.options = options;
    this.fetchImpl = options.fetch ?? fetch;
    this.sleep = options.sleep ?? defaultSleep;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 120_000;
  }

  get tokenUrl(): string {
    return `${this.options.authorityUrl.replace(/\/+$/, '')}/${encodeURIComponent(this.options.tenantId)}/oauth2/v2.0/token`;
  }

  /** An absolute URL for a Graph path (`/sites/…`), or the URL itself when already absolute (nextLink). */
  url(pathOrUrl: string): string {
    return /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${this.options.graphBaseUrl.replace(/\/+$/, '')}${pathOrUrl}`;
  }

  private async clientAssertion(): Promise<string> {
    const credential = this.options.credential;
    if (credential.kind !== 'certificate') throw new Error('not a certificate credential');
    const pem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(credential.privateKeyPem)?.[0];
    if (!pem) {
      throw new GroundworkError('ingest.source_auth_failed', 'The certificate file holds no PKCS#8 private key.', {
        category: 'unavailable',
        isRetryable: false,
        fix: 'Give certificatePathEnv a PEM file with the private key as "BEGIN PRIVATE KEY" (convert with `openssl pkcs8 -topk8 -nocrypt`) and the certificate.',
      });
    }
    const key = await importPKCS8(pem, 'RS256');
    const x5t = Buffer.from(credential.thumbprint.replace(/[^0-9a-f]/gi, ''), 'hex').toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', x5t })
      .setIssuer(this.options.clientId)
      .setSubject(this.options.clientId)
      .setAudience(this.tokenUrl)
      .setJti(randomUUID())
      .setNotBefore(now - 30)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(key);
  }

  /** An app-only access token (cached until a minute before it expires). */
  async accessToken(force = false): Promise<string> {
    if (!force && this.token && this.token.expiresAt - 60_000 > Date.now()) return this.token.value;
    if (force) this.stats.tokenRefreshes += 1;
    const form = new URLSearchParams({
      client_id: this.options.clientId,
      scope: this.options.scope,
      grant_type: 'client_credentials',
    });
    if (this.options.credential.kind === 'secret') form.set('client_secret', this.options.credential.clientSecret);
    else {
      form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      form.set('client_assertion', await this.clientAssertion());
    }
    const response = await this.send(this.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const json = parseJson(response.body, this.tokenUrl) as
      | { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown }
      | undefined;
    if (response.status !== 200 || typeof json?.access_token !== 'string') {
      // error_description names the problem (AADSTS7000215: invalid secret …) and never contains the secret.
      const reason = typeof json?.error === 'string' ? json.error : `HTTP ${response.status}`;
      const description = typeof json?.error_description === 'string' ? json.error_description.split('\n')[0] : '';
      throw sourceFailure('auth', {
        what: `Microsoft Entra ID (tenant ${this.options.tenantId})`,
        detail: `${reason}${description ? `: ${description}` : ''}`,
        fix: 'Check tenantId, clientId and the client secret or certificate (certificateThumbprint must be the SHA-1 thumbprint of the certificate uploaded to the app registration).',
      });
    }
    const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : Number(json.expires_in ?? 3600);
    this.token = { value: json.access_token, expiresAt: Date.now() + (Number.isFinite(expiresIn) ? expiresIn : 3600) * 1000 };
    return this.token.value;
  }

  /**
   * One HTTP exchange with retries: network errors and 5xx/429 with backoff (honouring `Retry-After`).
   * Returns the final response (any status); throws only when the source stays unreachable or throttled.
   */
  private async send(url: string, init: RequestInit): Promise<GraphResponse> {
    let lastProblem = '';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      let response: Response;
      try {
        this.stats.requests += 1;
        response = await this.fetchImpl(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(60_000) });
      } catch (error) {
        lastProblem = (error as Error).message;
        if (attempt < this.maxAttempts) {
          await this.sleep(Math.min(8000, 250 * 2 ** (attempt - 1)));
          continue;
        }
        throw sourceFailure('unreachable', {
          what: hostOf(url),
          detail: lastProblem,
          fix: 'Check graphBaseUrl / authorityUrl and the network path to them, then sync again; nothing was deleted.',
          cause: error,
        });
      }
      const throttled = response.status === 429 || response.status === 503;
      if (throttled || response.status >= 500) {
        await response.arrayBuffer().catch(() => undefined);
        const wait = retryAfterMs(response.headers.get('retry-after'));
        if (throttled) this.stats.throttled += 1;
        lastProblem = `HTTP ${response.status}`;
        if (attempt < this.maxAttempts && (wait === undefined || wait <= this.maxRetryAfterMs)) {
          this.options.logger.warn('Microsoft Graph asked to wait', { host: hostOf(url), status: response.status, waitMs: wait });
          await this.sleep(wait ?? Math.min(8000, 500 * 2 ** (attempt - 1)));
          continue;
        }
        if (throttled) {
          throw sourceFailure('throttled', {
            what: 'Microsoft Graph',
            detail: `HTTP ${response.status} after ${attempt} attempts`,
            ...(wait === undefined ? {} : { retryAfterMs: wait }),
            fix: 'Sync again later or less often; nothing was deleted and the next sync continues from the last completed cursor.',
          });
        }
        throw sourceFailure('unreachable', {
          what: hostOf(url),
          detail: `HTTP ${response.status} after ${attempt} attempts`,
          fix: 'The service has a problem; sync again later. Nothing was deleted.',
        });
      }
      return { status: response.status, headers: response.headers, body: new Uint8Array(await response.arrayBuffer()) };
    }
    throw sourceFailure('unreachable', { what: hostOf(url), detail: lastProblem, fix: 'Sync again later; nothing was deleted.' });
  }

  /**
   * An authenticated GET. A 401 (expired or revoked token) refreshes the token and retries once; a second 401
   * or a 403 is `ingest.source_auth_failed`. Other statuses are returned for the caller to decide.
   */
  async get(pathOrUrl: string, headers: Record<string, string> = {}): Promise<GraphResponse> {
    const url = this.url(pathOrUrl);
    let response = await this.send(url, { headers: { ...headers, authorization: `Bearer ${await this.accessToken()}` } });
    if (response.status === 401) {
      this.options.logger.info('Microsoft Graph token expired or rejected; refreshing it once', { host: hostOf(url) });
      response = await this.send(url, { headers: { ...headers, authorization: `Bearer ${await this.accessToken(true)}` } });
    }
    if (response.status === 401 || response.status === 403) {
      const error = graphError(response.body);
      throw sourceFailure('auth', {
        what: 'Microsoft Graph',
        detail: `HTTP ${response.status}${error ? `, ${error}` : ''}`,
        fix: 'Grant the app registration the application permissions Sites.Read.All and Files.Read.All (Sites.FullControl.All to read sharing changes) and have an administrator consent to them.',
      });
    }
    return response;
  }

  /** An authenticated GET of a JSON resource; a non-200 status throws (404 → `ingest.source_not_found_remote`). */
  async getJson(pathOrUrl: string, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
    const response = await this.get(pathOrUrl, headers);
    if (response.status === 404) {
      throw new GroundworkError('ingest.source_not_found_remote', `Microsoft Graph has no ${describePath(pathOrUrl)}.`, {
        category: 'usage',
        fix: 'Check siteUrl / siteId and the drives setting, and that the app may read the site.',
      });
    }
    if (response.status !== 200)
      throw badResponse(
        pathOrUrl,
        `HTTP ${response.status}${graphError(response.body) ? ` (${graphError(response.body)})` : ''}`,
      );
    const json = parseJson(response.body, pathOrUrl);
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw badResponse(pathOrUrl, 'the body is not a JSON object');
    return json as Record<string, unknown>;
  }

  /** A download URL's bytes (pre-authenticated: no Authorization header is sent to it). */
  async download(url: string): Promise<GraphResponse> {
    return this.send(url, {});
  }
}

function describePath(pathOrUrl: string): string {
  const path = pathOrUrl.replace(/^https?:\/\/[^/]+/, '').split('?')[0] ?? pathOrUrl;
  return `resource at ${path}`;
}

/** The `error.code` of a Graph error body, if any. */
export function graphError(body: Uint8Array): string | undefined {
  try {
    const json = JSON.parse(new TextDecoder().decode(body)) as { error?: { code?: unknown } | string };
    if (typeof json.error === 'string') return json.error;
    return typeof json.error?.code === 'string' ? json.error.code : undefined;
  } catch {
    return undefined;
  }
}

export function parseJson(body: Uint8Array, url: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw badResponse(url, 'the body is not valid JSON');
  }
}

export function badResponse(url: string, why: string): GroundworkError {
  return sourceFailure('bad_response', {
    what: `Microsoft Graph (${describePath(url)})`,
    detail: why,
    fix: 'Sync again; if it persists, check that graphBaseUrl points at Microsoft Graph itself (not a proxy or a login page). Nothing was deleted.',
  });
}

/** A short stable hash (for versions and cursors). */
export function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 16);
}
