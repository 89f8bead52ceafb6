import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { createApiKey } from '../govern/index.ts';
import { createApp, type RouteDefinition } from './index.ts';

/**
 * Randomized bad input against every route: text fields with a NUL character or a lone UTF-16 surrogate (in
 * values and in object keys, at any depth, in bodies, query strings and path parameters) and values of the
 * wrong type. Every such request is a 4xx with a code (400 `request.invalid` naming the field for bad text);
 * none is a 5xx.
 */

/** Deterministic PRNG (mulberry32), so a failure can be replayed from the seed in its message. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const badTexts = ['roof\u0000age', '\u0000', 'group:claims\u0000', 'a\ud800b', '\udfff', 'x\ud83d'] as const;

/** Keys of an object schema (strictObject / object), else none. */
function shapeKeys(schema: z.ZodType | undefined): string[] {
  if (!schema) return [];
  const unwrapped = schema instanceof z.ZodDefault || schema instanceof z.ZodOptional ? schema.unwrap() : schema;
  return unwrapped instanceof z.ZodObject ? Object.keys(unwrapped.shape) : [];
}

describe(`randomized bad input over HTTP (${testStoreKind})`, () => {
  test('NUL characters and lone surrogates anywhere are 400 request.invalid naming the field; wrong types never 5xx', async () => {
    const platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    try {
      const admin = (
        await createApiKey(platform.db, { name: 'a', role: 'admin', principals: ['user:a@x.test'] }, { actor: 'test' })
      ).token;
      const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
      const send = (method: string, path: string, body?: unknown) =>
        Promise.resolve(
          built.app.request(`http://127.0.0.1:8787${path}`, {
            method,
            headers: { host: '127.0.0.1:8787', authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          }),
        );
      const expectInvalid = async (response: Response, field: string, label: string) => {
        const body = (await response.json()) as { error: { code: string; details?: { issues?: { path: string }[] } } };
        assert.equal(response.status, 400, `${label}: ${JSON.stringify(body)}`);
        assert.equal(body.error.code, 'request.invalid', label);
        const paths = body.error.details?.issues?.map((issue) => issue.path) ?? [];
        assert.ok(paths.includes(field), `${label}: issues name ${paths.join(', ')}, not ${field}`);
      };
      const routes = built.routes.filter((route: RouteDefinition) => route.scope !== 'public' && route.request);
      const seed = 20261203;
      const random = prng(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
      const fillPath = (route: RouteDefinition, bad?: { name: string; value: string }) =>
        route.path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => encodeURIComponent(bad?.name === name ? bad.value : 'zz'));
      let checked = 0;
      for (const route of routes) {
        const method = route.method.toUpperCase();
        const hasBody = route.method !== 'get' && route.method !== 'delete';
        // Path parameters (a NUL can be sent percent-encoded; a lone surrogate cannot be encoded in UTF-8).
        for (const name of shapeKeys(route.request?.params)) {
          const response = await send(method, fillPath(route, { name, value: 'id\u0000x' }), hasBody ? {} : undefined);
          await expectInvalid(response, `params.${name}`, `${method} ${route.path} param ${name} (seed ${seed})`);
          checked++;
        }
        // Query parameters.
        for (const name of shapeKeys(route.request?.query)) {
          const value = 'q\u0000x';
          const response = await send(
            method,
            `${fillPath(route)}?${name}=${encodeURIComponent(value)}`,
            hasBody && route.request?.body ? {} : undefined,
          );
          await expectInvalid(response, `query.${name}`, `${method} ${route.path} query ${name} (seed ${seed})`);
          checked++;
        }
        if (!hasBody || !route.request?.body) continue;
        // Body fields: a bad string as the value of every top-level field, then at random depths and in keys.
        for (const name of shapeKeys(route.request.body)) {
          const response = await send(method, fillPath(route), { [name]: pick(badTexts) });
          await expectInvalid(response, `body.${name}`, `${method} ${route.path} body.${name} (seed ${seed})`);
          checked++;
        }
        for (let round = 0; round < 5; round++) {
          const name = pick(shapeKeys(route.request.body).concat(['filters', 'metadata']));
          const inKey = random() < 0.5;
          const bad = pick(badTexts);
          const nested = inKey ? { [`k${bad}`]: 'v' } : { metadata: { owner: bad } };
          const value = random() < 0.5 ? nested : [nested];
          const response = await send(method, fillPath(route), { [name]: value });
          const body = (await response.json()) as { error: { code: string; details?: { issues?: { path: string }[] } } };
          assert.equal(response.status, 400, `${method} ${route.path} nested ${JSON.stringify(value)} (seed ${seed})`);
          assert.equal(body.error.code, 'request.invalid');
          const paths = body.error.details?.issues?.map((issue) => issue.path) ?? [];
          assert.ok(
            paths.some((path) => path.startsWith(`body.${name}`)),
            `${route.path}: ${paths.join(', ')}`,
          );
          checked++;
        }
        // Wrong types everywhere: a 4xx with a code, never a 5xx.
        for (const name of shapeKeys(route.request.body)) {
          const value = pick([42, -1, true, null, [], {}, 'x'.repeat(5000), [null], { a: [1, { b: null }] }, 1e308]);
          const response = await send(method, fillPath(route), { [name]: value });
          const body = (await response.json()) as { error?: { code: string } };
          assert.ok(response.status < 500, `${method} ${route.path} ${name}=${JSON.stringify(value)}: ${response.status}`);
          if (response.status >= 400) assert.match(body.error?.code ?? '', /^[a-z_]+\.[a-z_]+$/);
        }
      }
      assert.ok(checked > 50, `only ${checked} bad-text requests`);
    } finally {
      await platform.close();
    }
  });

  test('the reported cases: a NUL in a query, a filter key, an id, a prompt name and a principal', async () => {
    const platform = await createTestPlatform();
    try {
      const admin = (
        await createApiKey(platform.db, { name: 'a', role: 'admin', principals: ['user:a@x.test'] }, { actor: 'test' })
      ).token;
      const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
      const send = (method: string, path: string, body?: unknown) =>
        Promise.resolve(
          built.app.request(`http://127.0.0.1:8787${path}`, {
            method,
            headers: { host: '127.0.0.1:8787', authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          }),
        );
      const cases: Array<[string, string, unknown, string]> = [
        ['POST', '/v1/search', { query: 'roof\u0000age' }, 'body.query'],
        [
          'POST',
          '/v1/search',
          { query: 'roof', filters: { metadata: { 'own\u0000er': 'x' } } },
          'body.filters.metadata.own\ufffder',
        ],
        ['GET', '/v1/traces/tr_1%00', undefined, 'params.id'],
        ['GET', '/v1/documents/doc%00x', undefined, 'params.id'],
        ['GET', '/v1/prompts/claims%00', undefined, 'params.name'],
        ['POST', '/v1/keys', { name: 'k', role: 'user', principals: ['group:claims\u0000'] }, 'body.principals.0'],
        ['POST', '/v1/answers', { question: 'What is \ud800 covered?' }, 'body.question'],
      ];
      for (const [method, path, body, field] of cases) {
        const response = await send(method, path, body);
        const parsed = (await response.json()) as {
          error: { code: string; message: string; details: { issues: { path: string }[] } };
        };
        assert.equal(response.status, 400, `${method} ${path}: ${JSON.stringify(parsed)}`);
        assert.equal(parsed.error.code, 'request.invalid');
        assert.deepEqual(
          parsed.error.details.issues.map((issue) => issue.path),
          [field],
        );
        assert.match(parsed.error.message, /NUL character|lone UTF-16 surrogate/);
      }
    } finally {
      await platform.close();
    }
  });
});
