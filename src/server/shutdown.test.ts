import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { defineRoute } from './define-route.ts';
import { startServer } from './index.ts';

/** One keep-alive GET; resolves with the status, the Connection header and the body. */
function get(url: string, agentKeepAlive = true): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { connection: agentKeepAlive ? 'keep-alive' : 'close' } }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe(`graceful shutdown (${testStoreKind})`, () => {
  test('requests in flight finish with Connection: close before close() resolves; the store is still open for them', async () => {
    const platform = await createTestPlatform();
    let entered: () => void = () => {};
    const handlerEntered = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const slow = defineRoute({
      method: 'get',
      path: '/v1/test/slow',
      summary: 'waits, then queries the store',
      tags: ['test'],
      scope: 'public',
      responses: { 200: { description: 'ok', schema: z.object({ one: z.number() }) } },
      handler: async ({ platform: p }) => {
        entered();
        await new Promise((resolve) => setTimeout(resolve, 600));
        const result = await p.db.query<{ one: number }>('SELECT 1 AS one');
        return { one: result.rows[0]?.one ?? 0 };
      },
    });
    const server = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false, routes: [slow] });
    try {
      const inFlight = get(`${server.url}/v1/test/slow`);
      await handlerEntered;
      const closing = server.close(10_000).then(() => 'closed');
      const response = await inFlight;
      assert.equal(response.status, 200, response.body);
      assert.deepEqual(JSON.parse(response.body), { one: 1 });
      assert.equal(response.connection, 'close', 'keep-alive clients are told to go elsewhere');
      // While draining, readiness fails so a load balancer stops routing here (liveness still passes).
      const ready = await server.app.app.request('/readyz');
      assert.equal(ready.status, 503);
      assert.equal(((await ready.json()) as { error: { code: string } }).error.code, 'server.draining');
      assert.equal((await server.app.app.request('/healthz')).status, 200);
      assert.equal(await closing, 'closed');
      await assert.rejects(get(`${server.url}/healthz`), { code: 'ECONNREFUSED' });
    } finally {
      await platform.close();
    }
  });
});
