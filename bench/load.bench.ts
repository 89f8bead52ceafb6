/**
 * HTTP load benchmark (`npm run bench:load`; not a test).
 *
 * Builds (once, then reuses) a generated corpus by direct SQL in a bench store, starts `groundwork serve`
 * as a child process, and drives it with autocannon from this process over loopback:
 *
 *  1. baseline: GET /healthz at the target rate (the HTTP stack's floor, same run, same machine);
 *  2. target: `--users` simultaneous users, each searching every `--interval` s on average, for `--duration` s;
 *  3. ramp: raise the offered search rate until p95 > 200 ms or any error — the maximum sustainable rate.
 *
 * Usage: node bench/load.bench.ts [--store embedded|server] [--chunks 100000] [--users 500] [--interval 5]
 *        [--duration 60] [--ramp-step-seconds 15] [--no-ramp]
 * Server store: GROUNDWORK_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/groundwork_bench,
 * created when missing). Embedded store: GROUNDWORK_BENCH_DATA_DIR (default /tmp/groundwork-bench-load-<chunks>).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig, silentLogger } from '../src/core/index.ts';
import { createPlatform } from '../src/create-platform.ts';
import type { Database } from '../src/store/index.ts';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: 'embedded' },
    chunks: { type: 'string', default: '100000' },
    users: { type: 'string', default: '500' },
    interval: { type: 'string', default: '5' },
    duration: { type: 'string', default: '60' },
    'ramp-step-seconds': { type: 'string', default: '15' },
    'no-ramp': { type: 'boolean', default: false },
  },
});
const store = args.store === 'server' ? 'server' : 'embedded';
const chunkTarget = Number(args.chunks);
const users = Number(args.users);
const intervalSeconds = Number(args.interval);
const durationSeconds = Number(args.duration);
const rampStepSeconds = Number(args['ramp-step-seconds']);
const chunksPerDocument = 10;
const groups = 50;
const vocabularySize = 20_000;
const wordsPerChunk = 120;
const root = fileURLToPath(new URL('..', import.meta.url));

type AutocannonResult = {
  latency: { p50: number; p90: number; p97_5: number; p99: number; average: number; max: number };
  requests: { average: number; total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
};
type AutocannonInstance = {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  on(event: 'done', listener: (result: AutocannonResult) => void): void;
};
type Autocannon = (
  options: Record<string, unknown>,
  callback?: (error: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

function log(message: string): void {
  process.stderr.write(`[bench:load] ${message}\n`);
}

/** Pseudo-words from the bench vocabulary, letters only so the analyzer treats them as words. */
function word(rank: number): string {
  return createHash('md5')
    .update(`w${rank}`)
    .digest('hex')
    .slice(0, 7)
    .replace(/[0-9]/g, (d) => 'ghijklmnop'[Number(d)] as string);
}

async function serverDatabaseUrl(): Promise<string> {
  const url = process.env.GROUNDWORK_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/groundwork_bench';
  const name = new URL(url).pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${name.replace(/[^a-z0-9_]/g, '')}`);
  await client.end();
  return url;
}

/** Generates what is missing of the corpus with INSERT … SELECT (no ingestion pipeline: this measures serving). */
async function buildCorpus(db: Database): Promise<{ chunks: number; seconds: number }> {
  const started = performance.now();
  await db.query(`INSERT INTO sources (id, name, type) VALUES ('src_bench', 'bench', 'filesystem') ON CONFLICT (id) DO NOTHING`);
  await db.query('CREATE TABLE IF NOT EXISTS bench_vocabulary (rank int PRIMARY KEY, word text NOT NULL)');
  if (((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM bench_vocabulary')).rows[0]?.n ?? 0) < vocabularySize) {
    const ranks = Array.from({ length: vocabularySize }, (_, i) => i + 1);
    await db.query(
      'INSERT INTO bench_vocabulary (rank, word) SELECT * FROM unnest($1::int[], $2::text[]) ON CONFLICT DO NOTHING',
      [ranks, ranks.map(word)],
    );
  }
  let have =
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM chunks WHERE source_id = 'src_bench'`)).rows[0]?.n ?? 0;
  const batch = 5000;
  while (have < chunkTarget) {
    const from = have;
    const to = Math.min(chunkTarget, have + batch) - 1;
    await db.transaction(async (tx) => {
      // Documents of this batch; each readable by two of `groups` groups (about 4% of documents per group).
      await tx.query(
        `INSERT INTO documents (id, source_id, source_ref, uri, title, principals, status, chunk_count, indexed_at)
         SELECT 'doc_b' || d, 'src_bench', 'doc' || d || '.txt', 'file:///bench/doc' || d || '.txt', 'Bench document ' || d,
                ARRAY['group:g' || (d % ${groups}), 'group:g' || ((d * 7 + 3) % ${groups})], 'indexed', ${chunksPerDocument}, now()
         FROM generate_series($1::int, $2::int) d ON CONFLICT DO NOTHING`,
        [Math.floor(from / chunksPerDocument), Math.floor(to / chunksPerDocument)],
      );
      // Zipf-like word frequencies: rank = exp(uniform · ln V).
      await tx.query(
        `WITH vocabulary AS (SELECT array_agg(word ORDER BY rank) AS words FROM bench_vocabulary)
         INSERT INTO chunks (id, document_id, source_id, ordinal, text, token_count, content_hash, principals)
         SELECT 'chk_b' || g, 'doc_b' || (g / ${chunksPerDocument}), 'src_bench', g % ${chunksPerDocument},
                (SELECT string_agg(v.words[floor(exp(random() * ln(${vocabularySize})))::int + 0 * w.i], ' ')
                   FROM generate_series(1, ${wordsPerChunk} + (g % 1)) AS w (i)),
                ${wordsPerChunk}, md5(g::text),
                ARRAY['group:g' || ((g / ${chunksPerDocument}) % ${groups}), 'group:g' || (((g / ${chunksPerDocument}) * 7 + 3) % ${groups})]
         FROM generate_series($1::int, $2::int) g, vocabulary v`,
        [from, to],
      );
    });
    have = to + 1;
    log(`corpus: ${have}/${chunkTarget} chunks (${Math.round((performance.now() - started) / 1000)} s)`);
  }
  return { chunks: have, seconds: (performance.now() - started) / 1000 };
}

/** Bench users: one API key each (direct insert: 500 keys need no 500 audit entries). Returns their tokens. */
async function createUsers(db: Database): Promise<string[]> {
  await db.query(`DELETE FROM api_keys WHERE name LIKE 'bench-user-%'`);
  const tokens: string[] = [];
  const rows: unknown[][] = [];
  for (let u = 0; u < users; u++) {
    const lookup = randomBytes(6).toString('hex');
    const token = `gw_${lookup}_${randomBytes(32).toString('base64url')}`;
    tokens.push(token);
    const principals = [
      `user:u${u}@bench.test`,
      `group:g${u % groups}`,
      `group:g${(u * 3 + 1) % groups}`,
      `group:g${(u * 11 + 5) % groups}`,
    ];
    rows.push([`key_bench${u}`, `bench-user-${u}`, lookup, createHash('sha256').update(token).digest('hex'), principals]);
  }
  for (const [id, name, lookup, hash, principals] of rows) {
    await db.query(
      `INSERT INTO api_keys (id, name, lookup, secret_hash, role, principals, created_by) VALUES ($1, $2, $3, $4, 'user', $5, 'bench')`,
      [id, name, lookup, hash, principals],
    );
  }
  return tokens;
}

function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${root}bin/groundwork.js`, 'serve', '--port', '0', '--json'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
      try {
        resolve({ child, url: (JSON.parse(out) as { url: string }).url });
      } catch {
        // wait for the whole line
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
}

interface Phase {
  name: string;
  offeredRps: number;
  achievedRps: number;
  requests: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function run(
  autocannon: Autocannon,
  name: string,
  options: { url: string; rate: number; seconds: number; connections: number; request: Record<string, unknown> },
): Promise<Phase> {
  const latencies: number[] = [];
  let failures = 0;
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        overallRate: options.rate,
        duration: options.seconds,
        timeout: 10,
        requests: [options.request],
      },
      (error, res) => (error ? reject(error) : resolve(res)),
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      latencies.push(ms);
      if (status >= 400) failures += 1;
    });
  });
  latencies.sort((a, b) => a - b);
  const phase: Phase = {
    name,
    offeredRps: options.rate,
    achievedRps: Math.round((latencies.length / options.seconds) * 10) / 10,
    requests: latencies.length,
    errors: failures + result.errors + result.timeouts,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? 0,
  };
  log(`${name}: ${JSON.stringify(phase)}`);
  return phase;
}

/**
 * `users` independent users, each sending one search after an exponentially distributed think time
 * (mean `intervalSeconds`): Poisson arrivals at `users / intervalSeconds` per second overall, as real users
 * behave (autocannon's fixed-rate timers would fire every connection in step, a burst model instead).
 */
async function simulateUsers(
  name: string,
  url: string,
  seconds: number,
  makeRequest: () => { token: string; body?: string },
  path = '/v1/search',
  /** Mean think time per user; the offered rate is users / interval. */
  interval = intervalSeconds,
): Promise<Phase> {
  const agent = new Agent({ keepAlive: true, maxSockets: users });
  const target = new URL(`${url}${path}`);
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const one = () =>
    new Promise<void>((resolve) => {
      const { token, body } = makeRequest();
      const started = performance.now();
      const req = httpRequest(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: body === undefined ? 'GET' : 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
          },
          timeout: 10_000,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - started);
            if ((res.statusCode ?? 500) >= 400) errors += 1;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors += 1;
        resolve();
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end(body);
    });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const user = async () => {
    for (;;) {
      // Never sleep past the end of the phase (with long think times the longest sleep would set its length).
      const think = -Math.log(1 - Math.random()) * interval * 1000;
      const remaining = deadline - performance.now();
      if (think >= remaining) {
        await sleep(Math.max(0, remaining));
        return;
      }
      await sleep(think);
      await one();
    }
  };
  await Promise.all(Array.from({ length: users }, user));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const phase: Phase = {
    name,
    offeredRps: Math.round((users / interval) * 10) / 10,
    achievedRps: Math.round((latencies.length / seconds) * 10) / 10,
    requests: latencies.length,
    errors,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? 0,
  };
  log(`${phase.name}: ${JSON.stringify(phase)}`);
  return phase;
}

/** Waits until the server answers /healthz quickly again (work queued by an overloaded phase has drained). */
async function drain(url: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const started = performance.now();
    await fetch(`${url}/healthz`).then((r) => r.text());
    if (performance.now() - started < 50) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function main(): Promise<void> {
  const { default: autocannon } = (await import('autocannon' as string)) as { default: Autocannon };
  const env: Record<string, string> =
    store === 'server'
      ? { DATABASE_URL: await serverDatabaseUrl() }
      : { GROUNDWORK_DATA_DIR: process.env.GROUNDWORK_BENCH_DATA_DIR ?? `/tmp/groundwork-bench-load-${chunkTarget}` };
  const loaded = loadConfig({ env, cwd: root });
  const platform = await createPlatform(loaded, { logger: silentLogger });
  let corpus: { chunks: number; seconds: number };
  let tokens: string[];
  let serverVersion: string;
  try {
    corpus = await buildCorpus(platform.db);
    tokens = await createUsers(platform.db);
    serverVersion = platform.db.capabilities.serverVersion;
    log('warming the lexical index');
    const warm = performance.now();
    await platform.retriever.search({
      query: `${word(50)} ${word(300)}`,
      caller: { id: 'bench', role: 'user', principals: ['group:g1'], seesEverything: false },
    });
    log(`first search (index build if needed): ${Math.round(performance.now() - warm)} ms`);
  } finally {
    await platform.close();
  }

  const { child, url } = await startServer({
    ...env,
    GROUNDWORK_LOG_LEVEL: 'warn',
    // The bench measures serving, not the abuse limiter: each user stays far below it anyway.
    GROUNDWORK_SERVER__RATE_LIMIT__REQUESTS_PER_SECOND: '1000',
  });
  log(`server at ${url}`);
  const random = () => Math.random();
  const query = () => {
    const n = 1 + Math.floor(random() * 3);
    return Array.from({ length: n }, () => word(10 + Math.floor(random() * 2000))).join(' ');
  };
  const search = {
    method: 'POST',
    path: '/v1/search',
    setupRequest: (request: Record<string, unknown>) => ({
      ...request,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${tokens[Math.floor(random() * tokens.length)]}`,
      },
      body: JSON.stringify({ query: query(), k: 10 }),
    }),
  };
  const targetRate = users / intervalSeconds;
  const phases: Phase[] = [];
  try {
    // Baseline first, on an idle server: the HTTP stack's floor for the same user model.
    phases.push(
      await simulateUsers('baseline: same users, GET /healthz', url, 15, () => ({ token: tokens[0] as string }), '/healthz'),
    );
    // Warm-up at a tenth of the rate (JIT, connections, caches) without leaving a queue behind.
    await run(autocannon, 'warm-up', {
      url,
      rate: Math.max(1, Math.round(targetRate / 10)),
      seconds: 10,
      connections: 20,
      request: search,
    });
    await drain(url);
    phases.push(
      await simulateUsers(`target: ${users} users × 1 search / ${intervalSeconds} s (Poisson)`, url, durationSeconds, () => ({
        token: tokens[Math.floor(random() * tokens.length)] as string,
        body: JSON.stringify({ query: query(), k: 10 }),
      })),
    );

    await drain(url);
    const serverSide = await (await fetch(`${url}/metrics`)).text();
    const sum = Number(
      /groundwork_http_request_duration_seconds_sum\{method="POST",route="\/v1\/search"\} ([\d.e+-]+)/.exec(serverSide)?.[1] ?? 0,
    );
    const count = Number(
      /groundwork_http_request_duration_seconds_count\{method="POST",route="\/v1\/search"\} (\d+)/.exec(serverSide)?.[1] ?? 0,
    );
    // Retrieval's own time for a sample of queries (reported by the retriever in each response).
    const took: number[] = [];
    for (let i = 0; i < 100; i++) {
      const response = await fetch(`${url}/v1/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[i % tokens.length]}` },
        body: JSON.stringify({ query: query(), k: 10 }),
      });
      took.push(((await response.json()) as { tookMs: number }).tookMs);
    }
    took.sort((a, b) => a - b);

    let maxSustainable: Phase | undefined;
    if (!args['no-ramp']) {
      // From a tenth of the target upward, so a store that cannot sustain the target still gets a number.
      // The same user model as the target (Poisson arrivals per user), with shorter think times: a fixed-rate
      // generator (autocannon's overallRate) sends each second's requests in one burst, which measured a
      // worse p95 at 10/s than Poisson arrivals at 100/s.
      for (let rate = Math.max(5, Math.round(targetRate / 10)); rate <= 5000; rate = Math.round(rate * 1.5)) {
        await drain(url);
        const phase = await simulateUsers(
          `ramp ${rate}/s (Poisson)`,
          url,
          rampStepSeconds,
          () => ({
            token: tokens[Math.floor(random() * tokens.length)] as string,
            body: JSON.stringify({ query: query(), k: 10 }),
          }),
          '/v1/search',
          users / rate,
        );
        phases.push(phase);
        if (phase.p95 > 200 || phase.errors > 0 || phase.achievedRps < rate * 0.9) break;
        maxSustainable = phase;
      }
    }
    const report = {
      store,
      serverVersion,
      corpus: {
        chunks: corpus.chunks,
        documents: Math.ceil(corpus.chunks / chunksPerDocument),
        groups,
        wordsPerChunk,
        buildSeconds: Math.round(corpus.seconds),
      },
      users,
      intervalSeconds,
      phases,
      whereTimeGoes: {
        serverHandlerMeanMs: count ? Math.round((sum / count) * 10_000) / 10 : null,
        retrieverTookMs: { p50: percentile(took, 50), p95: percentile(took, 95), p99: percentile(took, 99) },
      },
      maxSustainable: maxSustainable ? { rps: maxSustainable.achievedRps, p95: maxSustainable.p95 } : null,
      machine: { cpus: (await import('node:os')).cpus().length, node: process.versions.node },
      at: new Date().toISOString(),
    };
    mkdirSync(`${root}bench/results`, { recursive: true });
    const file = `${root}bench/results/load-${store}-${report.at.replace(/[:.]/g, '-')}.json`;
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    log(`written ${file}`);
  } finally {
    child.removeAllListeners('exit');
    child.kill('SIGTERM');
  }
}

await main();
