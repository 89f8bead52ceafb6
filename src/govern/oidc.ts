import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { type Caller, canonicalPrincipal, type GroundworkConfig, GroundworkError, type Role } from '../core/index.ts';
import { roleRank } from './scopes.ts';

/**
 * OIDC bearer tokens (Entra ID, Okta, Keycloak, Google): verifies signature (against the issuer's JWKS,
 * found by discovery or `auth.oidc.jwksUrl`), issuer, audience and expiry with `jose`, then maps claims to a
 * Caller: `userClaim` (else `sub`) → `user:<value>`, each value of `principalsClaim` → `<principalPrefix><value>`,
 * values of `rolesClaim` (and of `principalsClaim`) → a role through `roleMapping` (the most privileged
 * match wins), else `defaultRole`.
 */
export type OidcConfig = NonNullable<GroundworkConfig['auth']['oidc']>;

export interface OidcVerifier {
  /** Verifies a compact JWT and returns its Caller; throws `auth.invalid_token` (401). */
  verify(token: string): Promise<Caller>;
}

export interface OidcVerifierOptions {
  /** Allowed clock skew in seconds (default 60). */
  readonly clockToleranceSeconds?: number;
  /** Injected for tests. */
  readonly fetch?: typeof fetch;
}

const invalidToken = (reason: string, cause?: unknown) =>
  new GroundworkError('auth.invalid_token', `The bearer token was rejected: ${reason}.`, {
    category: 'unauthenticated',
    fix: 'Sign in again to get a fresh token from the configured identity provider (issuer and audience must match auth.oidc).',
    cause,
  });

export function createOidcVerifier(config: OidcConfig, options: OidcVerifierOptions = {}): OidcVerifier {
  const doFetch = options.fetch ?? fetch;
  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const keySet = () => {
    jwks ??= (async () => {
      const url = config.jwksUrl ?? (await discoverJwksUrl(config.issuer, doFetch));
      return createRemoteJWKSet(new URL(url), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    })().catch((error) => {
      jwks = undefined; // try discovery again on the next request
      throw error;
    });
    return jwks;
  };
  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        const { payload: verified } = await jwtVerify(token, await keySet(), {
          issuer: config.issuer,
          audience: config.audience,
          clockTolerance: options.clockToleranceSeconds ?? 60,
          requiredClaims: ['exp'],
        });
        payload = verified;
      } catch (error) {
        if (error instanceof GroundworkError) throw error;
        throw invalidToken(describeJoseError(error), error);
      }
      return callerFromClaims(payload, config);
    },
  };
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'it has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim "${error.claim}" is not valid (${error.reason})`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no key of the issuer matches its key id';
  if (error instanceof joseErrors.JOSEError) return error.code;
  return 'it is not a valid JWT';
}

async function discoverJwksUrl(issuer: string, doFetch: typeof fetch): Promise<string> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  try {
    const response = await doFetch(url, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const document = (await response.json()) as { jwks_uri?: unknown; issuer?: unknown };
    if (typeof document.jwks_uri !== 'string') throw new Error('no jwks_uri in the discovery document');
    return document.jwks_uri;
  } catch (error) {
    throw new GroundworkError(
      'auth.oidc_unavailable',
      `Cannot read the OIDC discovery document at ${url}: ${(error as Error).message}.`,
      {
        category: 'unavailable',
        isRetryable: true,
        fix: 'Check auth.oidc.issuer and that the server can reach it, or set auth.oidc.jwksUrl directly.',
        cause: error,
      },
    );
  }
}

function claimValues(payload: JWTPayload, claim: string): string[] {
  // Dotted paths reach nested claims (Keycloak: `realm_access.roles`).
  let node: unknown = payload;
  for (const part of claim.split('.')) {
    if (node === null || typeof node !== 'object') return [];
    node = (node as Record<string, unknown>)[part];
  }
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.filter((v): v is string => typeof v === 'string');
  return [];
}

/** Maps verified claims to a Caller (exported for tests and for documentation of the mapping). */
export function callerFromClaims(payload: JWTPayload, config: OidcConfig): Caller {
  const user = claimValues(payload, config.userClaim)[0] ?? payload.sub;
  if (!user) throw invalidToken(`it has neither a "${config.userClaim}" nor a "sub" claim`);
  const groups = claimValues(payload, config.principalsClaim);
  // Canonical spelling (kind and name lower-cased, whitespace collapsed), as document ACLs store principals:
  // a directory that sends `Claims` must match an ACL that says `group:claims`.
  const id = canonicalPrincipal(`user:${user}`);
  const principals = [id, ...groups.map((g) => canonicalPrincipal(`${config.principalPrefix}${g}`))];
  let role: Role = config.defaultRole;
  for (const value of [...claimValues(payload, config.rolesClaim), ...groups]) {
    const mapped = config.roleMapping[value];
    if (mapped && roleRank(mapped) > roleRank(role)) role = mapped;
  }
  return Object.freeze({
    id,
    role,
    principals: [...new Set(principals)],
    seesEverything: false,
  });
}
