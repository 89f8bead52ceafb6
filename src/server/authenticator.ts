import { type Caller, type Clock, GroundworkError, localOperator, systemClock } from '../core/index.ts';
import {
  authenticateApiKey,
  hasActiveApiKeys,
  looksLikeApiKey,
  type OidcVerifier,
  withMappedIdentities,
} from '../govern/index.ts';
import type { ChangeFeed, Queryable } from '../store/index.ts';

/**
 * Turns an `Authorization` header into a Caller.
 *
 * `Bearer gw_…` is an API key; any other bearer token is verified as an OIDC JWT when OIDC is configured.
 * Authentication is required as soon as any active key exists or OIDC is configured. Before that (a fresh
 * install) the server only binds to loopback (see `assertBindAllowed`) and a request without credentials
 * acts as the local operator, like the CLI on the same machine; the Host header must then name a loopback
 * address too, so a web page cannot reach it by DNS rebinding.
 */
export interface Authenticator {
  authenticate(authorization: string | undefined, host: string | undefined): Promise<Caller>;
  /** Whether credentials are required right now (cached for `cacheMs`). */
  required(): Promise<boolean>;
}

export interface AuthenticatorOptions {
  readonly db: Queryable;
  readonly oidc?: OidcVerifier;
  readonly clock?: Clock;
  /** How long the "does any key exist?" answer is cached (default 5 s; tests use 0). */
  readonly cacheMs?: number;
  /** Keys created or revoked by another process drop the cached answer at once. */
  readonly changes?: ChangeFeed;
}

const loopbackHost = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

export function isLoopbackHost(host: string): boolean {
  return host === '::1' || loopbackHost.test(host);
}

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const clock = options.clock ?? systemClock;
  const cacheMs = options.cacheMs ?? 5000;
  let cached: { value: boolean; at: number } | undefined;
  options.changes?.subscribe('api_keys', () => {
    cached = undefined;
  });
  const required = async () => {
    if (options.oidc) return true;
    const now = Date.now();
    if (cached?.value || (cached && now - cached.at < cacheMs)) return cached.value; // once required, always
    const value = await hasActiveApiKeys(options.db, clock);
    cached = { value, at: now };
    return value;
  };
  return {
    required,
    async authenticate(authorization, host) {
      if (!authorization) {
        if (await required()) {
          throw new GroundworkError('auth.missing', 'This request needs credentials.', {
            category: 'unauthenticated',
            fix: 'Send `Authorization: Bearer <API key>` (create one with `groundwork keys create`) or an OIDC access token.',
          });
        }
        if (!host || !isLoopbackHost(host)) {
          throw new GroundworkError('auth.missing', 'Unauthenticated requests are only accepted on a loopback address.', {
            category: 'unauthenticated',
            fix: 'Call the server as http://127.0.0.1:<port>, or create an API key with `groundwork keys create --admin`.',
          });
        }
        return localOperator;
      }
      const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
      if (!match?.[1]) {
        throw new GroundworkError('auth.malformed', 'The Authorization header must be `Bearer <token>`.', {
          category: 'unauthenticated',
          fix: 'Send `Authorization: Bearer <API key or OIDC token>`.',
        });
      }
      const token = match[1];
      // Source identities on the key or in the token (legacy:adj, entra:<id>) map to principals on every request.
      if (looksLikeApiKey(token)) return withMappedIdentities(options.db, await authenticateApiKey(options.db, token, clock));
      if (!options.oidc) {
        throw new GroundworkError(
          'auth.invalid_token',
          'The bearer token is not a Groundwork API key and OIDC is not configured.',
          {
            category: 'unauthenticated',
            fix: 'Use an API key (`gw_…`), or configure auth.oidc to accept tokens from your identity provider.',
          },
        );
      }
      return withMappedIdentities(options.db, await options.oidc.verify(token));
    },
  };
}

/**
 * Refuses to listen on a non-loopback address while no authentication is configured: an open Groundwork
 * would serve every document to anyone who can reach it.
 */
export async function assertBindAllowed(host: string, authenticator: Authenticator): Promise<void> {
  if (isLoopbackHost(host) || host === '::1') return;
  if (await authenticator.required()) return;
  throw new GroundworkError(
    'server.unauthenticated_bind',
    `Refusing to listen on ${host}: no authentication is configured (no API keys exist and auth.oidc is not set), so anyone who can reach the port could read every document.`,
    {
      category: 'usage',
      fix: 'Create the first admin key on this machine with `groundwork keys create --admin --name <you>` (or configure auth.oidc), then start the server again; or listen on 127.0.0.1.',
    },
  );
}
