import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { z } from 'zod';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { type GroundworkConfigInput, type GroundworkError, type Role, roles } from '../core/index.ts';
import type { Platform } from '../create-platform.ts';
import { createApiKey, hasScope, listAudit, verifyAuditChain } from '../govern/index.ts';
import { assertBindAllowed, createApp, defineRoute, type GroundworkApp, type RouteDefinition } from './index.ts';

interface Harness {
  platform: Platform;
  built: GroundworkApp;
  tokens: Record<Role, string>;
  request(path: string, init?: RequestInit & { token?: string | undefined; host?: string }): Promise<Response>;
  close(): Promise<void>;
}

async function harness(
  config: GroundworkConfigInput = {},
  options: { keys?: boolean; routes?: RouteDefinition[] } = {},
): Promise<Harness> {
  const platform = await createTestPlatform(config);
  const tokens = {} as Record<Role, string>;
  if (options.keys !== false) {
    for (const role of roles) {
      tokens[role] = (
        await createApiKey(platform.db, { name: role, role, principals: [`user:${role}@x.test`] }, { actor: 'local:operator' })
      ).token;
    }
  }
  const built = createApp(platform, { webRoot: false, authCacheMs: 0, ...(options.routes ? { routes: options.routes } : {}) });
  return {
    platform,
    built,
    tokens,
    request(path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set('host', init.host ?? '127.0.0.1:8787');
      if (init.token) headers.set('authorization', `Bearer ${init.token}`);
      return Promise.resolve(built.app.request(`http://127.0.0.1:8787${path}`, { ...init, headers }));
    },
    close: () => platform.close(),
  };
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe(`HTTP API infrastructure (${testStoreKind})`, () => {
  test('health, readiness, metrics and the OpenAPI document are public', async () => {
    const h = await harness();
    try {
      assert.equal((await h.request('/healthz')).status, 200);
      const ready = await h.request('/readyz');
      assert.equal(ready.status, 200);
      assert.equal(((await ready.json()) as { status: string }).status, 'ready');
      await h.request('/v1/me', { token: h.tokens.viewer });
      const metrics = await (await h.request('/metrics')).text();
      assert.match(metrics, /groundwork_http_requests_total\{method="GET",route="\/v1\/me",status="200"\} 1/);
      assert.match(metrics, /groundwork_http_request_duration_seconds_bucket\{method="GET",route="\/readyz",le="\+Inf"\} 1/);
      const doc = (await (await h.request('/openapi.json')).json()) as {
        openapi: string;
        paths: Record<string, Record<string, { 'x-groundwork-scope': string; requestBody?: unknown }>>;
      };
      assert.equal(doc.openapi, '3.1.0');
      assert.equal(doc.paths['/v1/keys']?.post?.['x-groundwork-scope'], 'keys:admin');
      assert.ok(doc.paths['/v1/keys']?.post?.requestBody, 'request bodies come from the validating zod schema');
      assert.ok(doc.paths['/v1/keys/{id}']?.delete);
    } finally {
      await h.close();
    }
  });

  test('every registered route declares a scope and appears in the OpenAPI document', async () => {
    const h = await harness({}, { keys: false });
    try {
      const declared = new Set(h.built.routes.map((r) => `${r.method.toUpperCase()} ${r.path}`));
      for (const route of h.built.routes) {
        assert.ok(route.scope, `${route.method} ${route.path} has no scope`);
      }
      for (const route of h.built.app.routes) {
        if (route.path === '/*' || route.path === '*' || route.path.endsWith('/*')) continue; // middleware
        assert.ok(declared.has(`${route.method} ${route.path}`), `${route.method} ${route.path} is not a defined route`);
      }
      const doc = (await (await h.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
      for (const route of h.built.routes) {
        const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
        assert.ok(doc.paths[path]?.[route.method], `${route.method} ${path} missing from OpenAPI`);
      }
    } finally {
      await h.close();
    }
  });

  test('without any key: loopback requests act as the local operator; other hosts and non-loopback binds are refused', async () => {
    const h = await harness({}, { keys: false });
    try {
      const me = await h.request('/v1/me');
      assert.equal(me.status, 200);
      assert.equal(((await me.json()) as { id: string }).id, 'local:operator');
      const rebinding = await h.request('/v1/me', { host: 'evil.test' });
      assert.equal(rebinding.status, 401);
      await assert.rejects(
        assertBindAllowed('0.0.0.0', h.built.authenticator),
        (e: GroundworkError) => e.code === 'server.unauthenticated_bind' && /keys create --admin/.test(e.fix ?? ''),
      );
      await assertBindAllowed('127.0.0.1', h.built.authenticator);
      await createApiKey(h.platform.db, { name: 'first', role: 'admin' }, { actor: 'local:operator' });
      const closed = await h.request('/v1/me');
      assert.equal(closed.status, 401);
      assert.equal(((await closed.json()) as { error: { code: string } }).error.code, 'auth.missing');
      await assertBindAllowed('0.0.0.0', h.built.authenticator);
    } finally {
      await h.close();
    }
  });

  test('OIDC bearer tokens from auth.oidc become callers with mapped roles and principals', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256' };
    const idp = createServer((_req, res) =>
      res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })),
    );
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    const h = await harness(
      { auth: { oidc: { issuer, audience: 'groundwork', jwksUrl: `${issuer}/jwks`, roleMapping: { 'gw-admins': 'admin' } } } },
      { keys: false },
    );
    try {
      const token = await new SignJWT({ email: 'eve@x.test', groups: ['claims', 'gw-admins'] })
        .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
        .setIssuer(issuer)
        .setAudience('groundwork')
        .setExpirationTime('5m')
        .sign(privateKey);
      const me = await h.request('/v1/me', { token });
      assert.equal(me.status, 200);
      const body = (await me.json()) as { id: string; role: string; principals: string[] };
      assert.deepEqual(body, { ...body, id: 'user:eve@x.test', role: 'admin' });
      assert.ok(body.principals.includes('group:claims'));
      assert.equal((await h.request('/v1/me')).status, 401, 'with OIDC configured, credentials are always required');
      assert.equal((await h.request('/v1/me', { token: `${token}x` })).status, 401);
    } finally {
      await h.close();
      idp.close();
    }
  });

  test('errors have one shape; validation names the fields; unknown routes are 404', async () => {
    const h = await harness();
    try {
      const missing = await h.request('/v1/nope', { token: h.tokens.admin });
      assert.equal(missing.status, 404);
      const body = (await missing.json()) as { error: { code: string; message: string; requestId: string } };
      assert.equal(body.error.code, 'route.not_found');
      assert.equal(body.error.requestId, missing.headers.get('x-request-id'));

      const invalid = await h.request('/v1/keys', { ...json({ name: '', role: 'emperor', extra: 1 }), token: h.tokens.admin });
      assert.equal(invalid.status, 400);
      const problem = (await invalid.json()) as { error: { code: string; details: { issues: Array<{ path: string }> } } };
      assert.equal(problem.error.code, 'request.invalid');
      const paths = problem.error.details.issues.map((i) => i.path);
      assert.ok(paths.includes('body.name') && paths.includes('body.role'), paths.join());

      const notJson = await h.request('/v1/keys', {
        method: 'POST',
        body: '{',
        headers: { 'content-type': 'application/json' },
        token: h.tokens.admin,
      });
      assert.equal(((await notJson.json()) as { error: { code: string } }).error.code, 'request.invalid_json');
      const text = await h.request('/v1/keys', {
        method: 'POST',
        body: 'x',
        headers: { 'content-type': 'text/plain' },
        token: h.tokens.admin,
      });
      assert.equal(text.status, 400);

      const badToken = await h.request('/v1/me', { token: 'gw_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' });
      assert.equal(badToken.status, 401);
      assert.equal(((await badToken.json()) as { error: { code: string } }).error.code, 'auth.invalid_key');
      const jwtWithoutOidc = await h.request('/v1/me', { token: 'eyJhbGciOi.x.y' });
      assert.equal(jwtWithoutOidc.status, 401);
    } finally {
      await h.close();
    }
  });

  test('body size limit → 413, request timeout → 503, internal errors hide their details', async () => {
    const slow = defineRoute({
      method: 'get',
      path: '/v1/test/slow',
      summary: 'slow',
      tags: ['test'],
      scope: 'search',
      handler: () => new Promise((resolve) => setTimeout(() => resolve({ late: true }), 300)),
      responses: { 200: { description: 'late' } },
    });
    const broken = defineRoute({
      method: 'get',
      path: '/v1/test/broken',
      summary: 'broken',
      tags: ['test'],
      scope: 'search',
      handler: () => {
        throw new Error('password=hunter2 at db.internal');
      },
      responses: { 200: { description: 'never' } },
    });
    const h = await harness({ server: { bodyLimitBytes: 1000, requestTimeoutMs: 50 } }, { routes: [slow, broken] });
    try {
      const big = await h.request('/v1/keys', { ...json({ name: 'x'.repeat(5000) }), token: h.tokens.admin });
      assert.equal(big.status, 413);
      assert.equal(((await big.json()) as { error: { code: string } }).error.code, 'request.too_large');
      const late = await h.request('/v1/test/slow', { token: h.tokens.viewer });
      assert.equal(late.status, 503);
      assert.equal(((await late.json()) as { error: { code: string } }).error.code, 'request.timeout');
      const failed = await h.request('/v1/test/broken', { token: h.tokens.viewer });
      assert.equal(failed.status, 500);
      const text = await failed.text();
      assert.ok(!text.includes('hunter2') && !text.includes('db.internal'), text);
    } finally {
      await h.close();
    }
  });

  test('load shedding: beyond server.maxConcurrentRequests requests are refused at once with 503 and Retry-After', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const held = defineRoute({
      method: 'get',
      path: '/v1/test/held',
      summary: 'held',
      tags: ['test'],
      scope: 'search',
      handler: async () => {
        await gate;
        return { ok: true };
      },
      responses: { 200: { description: 'ok' } },
    });
    const h = await harness({ server: { maxConcurrentRequests: 2 } }, { routes: [held] });
    try {
      const first = h.request('/v1/test/held', { token: h.tokens.viewer });
      const second = h.request('/v1/test/held', { token: h.tokens.viewer });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const shed = await h.request('/v1/me', { token: h.tokens.viewer });
      assert.equal(shed.status, 503);
      assert.equal(shed.headers.get('retry-after'), '1');
      assert.equal(((await shed.json()) as { error: { code: string } }).error.code, 'server.overloaded');
      assert.equal((await h.request('/healthz')).status, 200, 'health stays reachable');
      release();
      assert.equal((await first).status, 200);
      assert.equal((await second).status, 200);
      assert.equal((await h.request('/v1/me', { token: h.tokens.viewer })).status, 200);
    } finally {
      await h.close();
    }
  });

  test('per-caller rate limit answers 429 with Retry-After; callers do not share buckets', async () => {
    const h = await harness({ server: { rateLimit: { requestsPerSecond: 0.5, burst: 2 } } });
    try {
      assert.equal((await h.request('/v1/me', { token: h.tokens.user })).status, 200);
      assert.equal((await h.request('/v1/me', { token: h.tokens.user })).status, 200);
      const limited = await h.request('/v1/me', { token: h.tokens.user });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '2');
      assert.equal(((await limited.json()) as { error: { code: string } }).error.code, 'rate_limit.exceeded');
      assert.equal((await h.request('/v1/me', { token: h.tokens.viewer })).status, 200);
      assert.equal((await h.request('/healthz')).status, 200, 'public routes are not rate limited per caller');
      const failures: number[] = [];
      for (let i = 0; i < 22; i++) failures.push((await h.request('/v1/me', { token: 'gw_bad' })).status);
      assert.deepEqual([...new Set(failures)], [401, 429], 'repeated failed authentication from one address is limited');
    } finally {
      await h.close();
    }
  });

  test('serves the web UI from webRoot when it exists (SPA fallback), never over /v1', async () => {
    const webRoot = mkdtempSync(join(tmpdir(), 'gw-web-'));
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>Groundwork</title>');
    writeFileSync(join(webRoot, 'assets', 'app.js'), 'console.log(1)');
    const platform = await createTestPlatform();
    try {
      const { app } = createApp(platform, { webRoot });
      const index = await app.request('http://127.0.0.1/');
      assert.equal(index.status, 200);
      assert.match(await index.text(), /<title>Groundwork/);
      assert.match((await app.request('http://127.0.0.1/assets/app.js')).headers.get('content-type') ?? '', /javascript/);
      assert.match(await (await app.request('http://127.0.0.1/traces/trc_1')).text(), /<title>Groundwork/);
      const api = await app.request('http://127.0.0.1/v1/nope');
      assert.equal(api.status, 404);
      assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'route.not_found');
      assert.equal((await app.request('http://127.0.0.1/healthz')).status, 200);
    } finally {
      await platform.close();
    }
  });

  test('security headers always; CORS off by default and on for configured origins only', async () => {
    const off = await harness({}, { keys: false });
    try {
      const response = await off.request('/healthz', { headers: { origin: 'https://app.example.com' } });
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('x-frame-options'), 'SAMEORIGIN');
      assert.equal(response.headers.get('access-control-allow-origin'), null);
    } finally {
      await off.close();
    }
    const on = await harness({ server: { corsOrigins: ['https://app.example.com'] } }, { keys: false });
    try {
      const allowed = await on.request('/v1/me', {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' },
      });
      assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example.com');
      const other = await on.request('/v1/me', { headers: { origin: 'https://evil.test' } });
      assert.notEqual(other.headers.get('access-control-allow-origin'), 'https://evil.test');
    } finally {
      await on.close();
    }
  });
});

describe(`keys and audit over HTTP: roles × routes (${testStoreKind})`, () => {
  test('every route × every role: 403 exactly when the role lacks the route scope (checked before validation)', async () => {
    const h = await harness({ server: { rateLimit: { requestsPerSecond: 0 } } });
    try {
      for (const route of h.built.routes) {
        if (route.scope === 'public') continue;
        const path = route.path.replace(/:([A-Za-z0-9_]+)/g, 'zz');
        for (const role of roles) {
          const init: RequestInit = { method: route.method.toUpperCase() };
          if (route.method !== 'get' && route.method !== 'delete')
            Object.assign(init, json({}), { method: route.method.toUpperCase() });
          const response = await h.request(path, { ...init, token: h.tokens[role] });
          const allowed = hasScope({ id: role, role, principals: [], seesEverything: false }, route.scope);
          if (allowed)
            assert.ok(![401, 403].includes(response.status), `${role} ${route.method} ${route.path}: ${response.status}`);
          else assert.equal(response.status, 403, `${role} ${route.method} ${route.path}`);
          await response.body?.cancel();
        }
      }
    } finally {
      await h.close();
    }
  });

  test('only admins manage keys and read the audit log; every denial is audited', async () => {
    const h = await harness();
    try {
      const routes: Array<[string, RequestInit]> = [
        ['/v1/keys', {}],
        ['/v1/keys', json({ name: 'x', role: 'viewer' })],
        ['/v1/keys/key_00000000000000000000000000', { method: 'DELETE' }],
        ['/v1/audit', {}],
        ['/v1/audit/verify', {}],
      ];
      let denied = 0;
      for (const role of roles) {
        for (const [path, init] of routes) {
          const response = await h.request(path, { ...init, token: h.tokens[role] });
          if (role === 'admin') {
            assert.ok([200, 201, 404].includes(response.status), `${role} ${init.method ?? 'GET'} ${path}: ${response.status}`);
          } else {
            assert.equal(response.status, 403, `${role} ${init.method ?? 'GET'} ${path}`);
            const body = (await response.json()) as { error: { code: string; fix: string } };
            assert.equal(body.error.code, 'auth.forbidden');
            denied += 1;
          }
        }
      }
      const audit = await listAudit(h.platform.db, { action: 'access.denied', limit: 1000 });
      assert.equal(audit.length, denied);
      assert.equal(audit[0]?.requestId !== null, true);
      assert.equal((await verifyAuditChain(h.platform.db)).ok, true);
    } finally {
      await h.close();
    }
  });

  test('a key created over HTTP works at once, is listed without its secret, and stops working when revoked', async () => {
    const h = await harness();
    try {
      const created = await h.request('/v1/keys', {
        ...json({ name: 'svc', role: 'viewer', principals: ['group:claims'], expiresInDays: 7 }),
        token: h.tokens.admin,
      });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get('cache-control'), 'no-store');
      const { key, token } = (await created.json()) as { key: { id: string; status: string }; token: string };
      assert.equal(key.status, 'active');
      const me = (await (await h.request('/v1/me', { token })).json()) as { id: string; role: string; scopes: string[] };
      assert.equal(me.id, `key:${key.id}`);
      assert.ok(me.scopes.includes('search') && !me.scopes.includes('ask'));
      const list = await (await h.request('/v1/keys', { token: h.tokens.admin })).text();
      assert.ok(list.includes(key.id) && !list.includes(token.slice(16)));
      assert.equal((await h.request(`/v1/keys/${key.id}`, { method: 'DELETE', token: h.tokens.admin })).status, 200);
      assert.equal((await h.request('/v1/me', { token })).status, 401);
      const entries = (await (await h.request('/v1/audit?action=key.revoke', { token: h.tokens.admin })).json()) as {
        entries: Array<{ actor: string; target: string; requestId: string }>;
      };
      assert.equal(entries.entries[0]?.actor, 'user:admin@x.test');
      assert.equal(entries.entries[0]?.target, `key:${key.id}`);
      assert.match(entries.entries[0]?.requestId ?? '', /^req_/);
      const badQuery = await h.request('/v1/audit?limit=abc', { token: h.tokens.admin });
      assert.equal(badQuery.status, 400);
      assert.ok(z.object({ error: z.object({ code: z.literal('request.invalid') }) }).safeParse(await badQuery.json()).success);
    } finally {
      await h.close();
    }
  });
});
