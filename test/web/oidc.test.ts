import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { authorizationUrl, challengeOf, newVerifier } from '../../web/src/oidc.ts';

describe('web UI OIDC (authorization code + PKCE)', () => {
  test('the S256 challenge is base64url(SHA-256(verifier)), as node:crypto computes it', async () => {
    for (const verifier of ['dBjftJeZ4CVP-mJ92ZtkpLyZFvN6bQX6Pv4HYhQmyZjA', newVerifier()]) {
      assert.equal(await challengeOf(verifier), createHash('sha256').update(verifier).digest('base64url'));
    }
  });

  test('verifiers are 43 base64url characters and differ every time', () => {
    const a = newVerifier();
    const b = newVerifier();
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
  });

  test('the authorization request carries client, redirect, scopes, state and the S256 challenge', () => {
    const url = new URL(
      authorizationUrl('https://login.example.test/authorize?tenant=x', {
        clientId: 'groundwork-web',
        redirectUri: 'https://gw.example.test/',
        scopes: ['openid', 'email'],
        state: 'st',
        challenge: 'ch',
        audience: 'groundwork',
      }),
    );
    assert.equal(url.origin + url.pathname, 'https://login.example.test/authorize');
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      tenant: 'x',
      response_type: 'code',
      client_id: 'groundwork-web',
      redirect_uri: 'https://gw.example.test/',
      scope: 'openid email',
      state: 'st',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
      audience: 'groundwork',
    });
  });
});
