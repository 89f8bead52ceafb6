/**
 * MCP overhead (docs/mcp.md): the same permission-aware search through `POST /v1/search` (the baseline,
 * measured in the same run), through `POST /mcp` `tools/call search` as one raw JSON-RPC request, and through
 * the official SDK client (Client + StreamableHTTPClientTransport), against one real server on 127.0.0.1.
 * The three are interleaved query by query so load on the machine affects them alike.
 *
 *   node bench/mcp.bench.ts [--database-url postgres://…/groundwork_mcp_bench] [--queries 300] [--documents 2000]
 *
 * Without --database-url: an embedded store in a temporary directory. With it, the database is dropped and
 * re-created (its name must end in `_bench`). Results go to stdout; docs/benchmarks.md ("MCP") records a run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import pg from 'pg';
import { loadConfig, silentLogger } from '../src/core/index.ts';
import { createPlatform } from '../src/create-platform.ts';
import { createApiKey } from '../src/govern/index.ts';
import { insertAclCorpus, principalPool, prng, words } from '../src/server/fixtures/acl-corpus.ts';
import { startServer } from '../src/server/index.ts';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    queries: { type: 'string', default: '300' },
    documents: { type: 'string', default: '2000' },
  },
});
const queries = Number(values.queries);
const documents = Number(values.documents);
const url = values['database-url'] ? new URL(values['database-url']) : undefined;
if (url) {
  const dbName = url.pathname.slice(1);
  if (!dbName.endsWith('_bench')) throw new Error(`refusing to drop ${dbName}: the bench database name must end in _bench`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${dbName}`);
  await client.query(`CREATE DATABASE ${dbName}`);
  await client.end();
}
const dir = mkdtempSync(join(tmpdir(), 'gw-bench-mcp-'));
const platform = await createPlatform(
  loadConfig({
    env: {},
    cwd: dir,
    flags: {
      ...(url ? { databaseUrl: url.toString() } : { dataDir: join(dir, 'data') }),
      server: { rateLimit: { requestsPerSecond: 0 } },
    },
  }),
  { logger: silentLogger },
);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
function stats(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: pct(sorted, 50), p95: pct(sorted, 95), mean: times.reduce((a, b) => a + b, 0) / times.length };
}
const ms = (v: number) => `${v.toFixed(2)} ms`;

const random = prng(20261204);
const started = performance.now();
await insertAclCorpus(platform.db, random, documents);
console.log(
  `corpus: ${documents} documents × 3 chunks with random ACLs in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
const { token } = await createApiKey(
  platform.db,
  { name: 'bench', role: 'user', principals: principalPool.slice(0, 4) },
  { actor: 'local:operator' },
);
const server = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false, authCacheMs: 60_000 });
const headers = {
  authorization: `Bearer ${token}`,
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};
const client = new Client({ name: 'bench', version: '1.0.0' });
await client.connect(
  new StreamableHTTPClientTransport(new URL('/mcp', server.url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  }),
);

const query = () =>
  Array.from({ length: 1 + Math.floor(random() * 3) }, () => words[Math.floor(random() * words.length)]).join(' ');
const api: number[] = [];
const raw: number[] = [];
const sdk: number[] = [];
let hits = 0;
const time = async (into: number[], work: () => Promise<number>) => {
  const t = performance.now();
  hits += await work();
  into.push(performance.now() - t);
};
for (let i = 0; i < queries + 10; i++) {
  const q = query();
  const warm = i < 10;
  const sink = (list: number[]) => (warm ? [] : list);
  await time(sink(api), async () => {
    const response = await fetch(new URL('/v1/search', server.url), {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: q, k: 10 }),
    });
    return ((await response.json()) as { hits: unknown[] }).hits.length;
  });
  await time(sink(raw), async () => {
    const response = await fetch(new URL('/mcp', server.url), {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: i,
        method: 'tools/call',
        params: { name: 'search', arguments: { query: q, limit: 10 } },
      }),
    });
    const body = (await response.json()) as { result: { structuredContent: { passages: unknown[] } } };
    return body.result.structuredContent.passages.length;
  });
  await time(sink(sdk), async () => {
    const result = (await client.callTool({ name: 'search', arguments: { query: q, limit: 10 } })) as unknown as {
      structuredContent: { passages: unknown[] };
    };
    return result.structuredContent.passages.length;
  });
}
await client.close();
await server.close();
await platform.close();

const base = stats(api);
console.log(`store: ${platform.db.mode}; ${queries} queries each (after 10 warm-up), ${hits} hits in all`);
for (const [name, list] of [
  ['POST /v1/search (baseline)', api],
  ['POST /mcp tools/call search (raw JSON-RPC)', raw],
  ['SDK client callTool search', sdk],
] as const) {
  const s = stats(list);
  console.log(
    `${name.padEnd(44)} p50 ${ms(s.p50)}, p95 ${ms(s.p95)}, mean ${ms(s.mean)}  ×${(s.p50 / base.p50).toFixed(2)} p50 vs baseline`,
  );
}
