import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { loadConfig, silentLogger } from '../../src/core/index.ts';
import { createPlatform, type Platform } from '../../src/create-platform.ts';
import { insertDocument } from '../../src/retrieve/fixtures/corpus.ts';
import { type RunningServer, startServer } from '../../src/server/index.ts';
import { testDatabaseUrl } from '../helpers/test-platform.ts';

/** A TCP proxy on 127.0.0.1 in front of PostgreSQL that can be cut (every connection dropped, port closed) and restored. */
class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  private readonly targetHost: string;
  private readonly targetPort: number;
  constructor(targetHost: string, targetPort: number) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
  }

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    this.server = server;
  }

  async cut(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

describe('a lost database connection: 503 store.unavailable, then recovery without a restart', {
  skip: testDatabaseUrl ? false : 'needs GROUNDWORK_TEST_DATABASE_URL (the embedded store is inside the process)',
}, () => {
  const base = new URL(testDatabaseUrl ?? 'postgres://localhost/none');
  const name = `${base.pathname.slice(1)}_lost_${randomBytes(4).toString('hex')}`;
  const proxy = new CuttableProxy(base.hostname, Number(base.port || 5432));
  let platform: Platform;
  let server: RunningServer;

  before(async () => {
    const admin = new pg.Client({ connectionString: base.toString() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    await proxy.open();
    const url = Object.assign(new URL(base), { pathname: `/${name}`, port: String(proxy.port) }).toString();
    const loaded = loadConfig({
      env: { DATABASE_URL: url },
      flags: { server: { rateLimit: { requestsPerSecond: 0 } } },
      cwd: '/nonexistent',
    });
    platform = await createPlatform(loaded, { logger: silentLogger });
    await insertDocument(platform.db, { id: 'doc', chunks: [{ id: 'chk', text: 'Water damage from a burst pipe is covered.' }] });
    server = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false });
  });
  after(async () => {
    await server?.close(1000);
    await platform?.close();
    await proxy.cut();
    const admin = new pg.Client({ connectionString: base.toString() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  const search = () =>
    fetch(`${server.url}/v1/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'burst pipe' }),
    });

  test('cut: search and readiness answer 503 with the code and a fix; restored: the same process serves again', async () => {
    const ok = await search();
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.equal(((await ok.json()) as { hits: unknown[] }).hits.length, 1);

    await proxy.cut();
    const lost = await search();
    assert.equal(lost.status, 503);
    assert.equal(lost.headers.get('retry-after'), '2');
    const body = (await lost.json()) as { error: { code: string; message: string; fix: string } };
    assert.equal(body.error.code, 'store.unavailable');
    assert.match(body.error.fix, /reconnects by itself/);
    assert.doesNotMatch(body.error.message, /127\.0\.0\.1|postgres:\/\//, 'the database address stays in the server log');
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(((await ready.json()) as { error: { code: string } }).error.code, 'server.not_ready');
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'liveness holds: no restart wanted');

    await proxy.open();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await search()).status;
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(status, 200, 'recovered without restarting the server');
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
  });
});
