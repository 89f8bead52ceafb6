import { type FormEvent, useEffect, useState } from 'react';
import { api, type Me, setToken } from '../api.ts';
import { ErrorBox } from '../components.tsx';
import { type OidcSettings, startOidcSignIn } from '../oidc.ts';

/** Sign in with an API key (`gw_…`); the key lives in sessionStorage for this tab only. */
export function SignInPage({ error, onSignedIn }: { error: unknown; onSignedIn: (me: Me) => void }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(error);
  const [oidc, setOidc] = useState<OidcSettings | null>(null);

  useEffect(() => {
    api<{ oidc: OidcSettings | null }>('/v1/auth/config')
      .then((config) => setOidc(config.oidc))
      .catch(() => setOidc(null));
  }, []);

  async function signInWithOidc() {
    if (!oidc) return;
    setBusy(true);
    try {
      await startOidcSignIn(oidc);
    } catch (caught) {
      setFailure(caught);
      setBusy(false);
    }
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const me = await api<Me>('/v1/me', { token: key.trim() });
      setToken(key.trim());
      onSignedIn(me);
    } catch (caught) {
      setFailure(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <form onSubmit={submit} className="card signin-card" aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to Groundwork</h1>
        <p className="muted">Answers from your organisation's documents, with citations — only from what you may read.</p>
        {oidc ? (
          <>
            <button type="button" className="sso" onClick={() => void signInWithOidc()} disabled={busy}>
              Sign in with single sign-on
            </button>
            <p className="divider">
              <span>or with an API key</span>
            </p>
          </>
        ) : null}
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          placeholder="gw_…"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          required
        />
        <p className="muted small">
          Kept for this browser tab only. Ask your administrator for a key (<code>groundwork keys create</code>).
        </p>
        <ErrorBox error={failure} />
        <button type="submit" disabled={busy || !key.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
