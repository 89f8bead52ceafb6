/**
 * OIDC sign-in for the web UI: authorization code flow with PKCE (S256) as a public client — no client secret
 * in the browser. The issuer and client id come from `GET /v1/auth/config`; the API verifies the token.
 */

export interface OidcSettings {
  issuer: string;
  clientId: string;
  audience: string;
  scopes: string[];
}

interface PendingLogin {
  state: string;
  verifier: string;
  tokenEndpoint: string;
  redirectUri: string;
  clientId: string;
}

const pendingKey = 'groundwork.oidc.pending';

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A random PKCE code verifier (43 characters from 32 random bytes; RFC 7636 allows 43–128). */
export function newVerifier(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The S256 code challenge of a verifier: base64url(SHA-256(verifier)). */
export async function challengeOf(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** The authorization request URL (pure, for tests). */
export function authorizationUrl(
  endpoint: string,
  p: { clientId: string; redirectUri: string; scopes: string[]; state: string; challenge: string; audience?: string },
): string {
  const url = new URL(endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', p.clientId);
  url.searchParams.set('redirect_uri', p.redirectUri);
  url.searchParams.set('scope', p.scopes.join(' '));
  url.searchParams.set('state', p.state);
  url.searchParams.set('code_challenge', p.challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  if (p.audience) url.searchParams.set('audience', p.audience);
  return url.toString();
}

async function discover(issuer: string): Promise<{ authorization_endpoint: string; token_endpoint: string }> {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`The identity provider ${issuer} did not return its configuration (${response.status}).`);
  return response.json();
}

/** Redirects the browser to the identity provider. */
export async function startOidcSignIn(settings: OidcSettings): Promise<void> {
  const metadata = await discover(settings.issuer);
  const verifier = newVerifier();
  const state = newVerifier();
  const redirectUri = `${window.location.origin}${window.location.pathname}`;
  const pending: PendingLogin = {
    state,
    verifier,
    tokenEndpoint: metadata.token_endpoint,
    redirectUri,
    clientId: settings.clientId,
  };
  sessionStorage.setItem(pendingKey, JSON.stringify(pending));
  window.location.assign(
    authorizationUrl(metadata.authorization_endpoint, {
      clientId: settings.clientId,
      redirectUri,
      scopes: settings.scopes,
      state,
      challenge: await challengeOf(verifier),
      audience: settings.audience,
    }),
  );
}

/**
 * On return from the identity provider (`?code=…&state=…`): checks the state, exchanges the code with the
 * verifier and returns the token to send as a bearer (the access token, else the ID token). Undefined when
 * this page load is not such a return.
 */
export async function completeOidcSignIn(): Promise<string | undefined> {
  const params = new URLSearchParams(window.location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (!code && !error) return undefined;
  const pendingText = sessionStorage.getItem(pendingKey);
  sessionStorage.removeItem(pendingKey);
  window.history.replaceState(null, '', window.location.pathname + window.location.hash);
  if (error) throw new Error(`Single sign-on failed: ${params.get('error_description') ?? error}.`);
  const pending = pendingText ? (JSON.parse(pendingText) as PendingLogin) : undefined;
  if (!pending || pending.state !== params.get('state')) {
    throw new Error('Single sign-on answer did not match this sign-in (state mismatch). Sign in again.');
  }
  const response = await fetch(pending.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: code as string,
      redirect_uri: pending.redirectUri,
      client_id: pending.clientId,
      code_verifier: pending.verifier,
    }),
  });
  if (!response.ok) throw new Error(`The identity provider refused the sign-in code (${response.status}).`);
  const tokens = (await response.json()) as { access_token?: string; id_token?: string };
  const token = tokens.access_token ?? tokens.id_token;
  if (!token) throw new Error('The identity provider returned no token.');
  return token;
}
