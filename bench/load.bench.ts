/**
 * HTTP load benchmark (`npm run bench:load`; not a test): the 500-user test of issue 14.
 *
 * Builds (once, then reuses) a generated corpus by direct SQL in a bench store, starts a `groundwork worker`
 * and `groundwork serve --processes N` as child processes, and drives them over loopback with simulated
 * users: each user searches once per `--search-interval` s and asks for an extractive answer once per
 * `--answer-interval` s on average (independent Poisson arrivals). In the same run, the same phases against
 * `serve --processes 1`:
 *
 *  1. baseline: GET /healthz with the same user model (the HTTP stack's floor, same run, same machine);
 *  2. target: `--users` users for `--duration` s: p50/p95/p99 per kind (search, answer), errors by status;
 *  3. ramp: the user count raised ×1.5 per step until search p95 > 200 ms, answer p95 > 500 ms or any
 *     error — the saturation point of that configuration (the last step that held).
 *
 * Usage: node bench/load.bench.ts [--store server|embedded] [--chunks 100000] [--users 500]
 *        [--search-interval 5] [--answer-interval 30] [--duration 60] [--processes N (default: cores)]
 *        [--no-compare] [--ramp-step-seconds 15] [--no-ramp] [--build-only]
 * Server store: GROUNDWORK_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/groundwork_bench,
 * created when missing). Embedded store: GROUNDWORK_BENCH_DATA_DIR (default /tmp/groundwork-bench-load-<chunks>);
 * it allows one process only, so there is no comparison and no worker.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig, silentLogger } from '../src/core/index.ts';
import { createPlatform } from '../src/create-platform.ts';
import { createSharedRateLimiter } from '../src/server/index.ts';
import type { Database } from '../src/store/index.ts';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: 'server' },
    chunks: { type: 'string', default: '100000' },
    users: { type: 'string', default: '500' },
    'search-interval': { type: 'string', default: '5' },
    'answer-interval': { type: 'string', default: '30' },
    duration: { type: 'string', default: '60' },
    processes: { type: 'string' },
    'no-compare': { type: 'boolean', default: false },
    'ramp-step-seconds': { type: 'string', default: '15' },
    'no-ramp': { type: 'boolean', default: false },
    'build-only': { type: 'boolean', default: false },
  },
});
const store = args.store === 'embedded' ? 'embedded' : 'server';
const chunkTarget = Number(args.chunks);
const users = Number(args.users);
const searchInterval = Number(args['search-interval']);
const answerInterval = Number(args['answer-interval']);
const durationSeconds = Number(args.duration);
const rampStepSeconds = Number(args['ramp-step-seconds']);
const processes = store === 'embedded' ? 1 : Number(args.processes ?? availableParallelism());
const targets = { searchP95Ms: 200, answerP95Ms: 500 };
const chunksPerDocument = 10;
const groups = 50;
const vocabularySize = 20_000;
const wordsPerChunk = 120;
const root = fileURLToPath(new URL('..', import.meta.url));

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
async function createUsers(db: Database, count: number): Promise<string[]> {
  await db.query(`DELETE FROM api_keys WHERE name LIKE 'bench-user-%'`);
  const tokens: string[] = [];
  const rows: unknown[][] = [];
  for (let u = 0; u < count; u++) {
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

/** Starts `groundwork <args>` as a child process; resolves when its first JSON line names a URL (serve) or at once. */
function startProcess(
  args: string[],
  env: Record<string, string>,
  waitForUrl: boolean,
): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${root}bin/groundwork.js`, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
      if (!waitForUrl) return;
      try {
        resolve({ child, url: (JSON.parse(out) as { url: string }).url });
      } catch {
        // wait for the whole document
      }
    });
    child.on('exit', (code) => reject(new Error(`groundwork ${args[0]} exited (${code}): ${out}`)));
    if (!waitForUrl) setTimeout(() => resolve({ child, url: '' }), 3000);
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

interface KindResult {
  offeredRps: number;
  achievedRps: number;
  requests: number;
  ok: number;
  /** Failed responses by HTTP status (`503` includes load shed), `network` and `timeout`. */
  errors: Record<string, number>;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

interface MixPhase {
  name: string;
  users: number;
  seconds: number;
  search: KindResult;
  answer?: KindResult;
  /** Requests refused with 503 + Retry-After (shed), of all kinds. */
  shed: number;
  passed: boolean;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Math.round((sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number) * 10) / 10;
}

interface Kind {
  readonly name: 'search' | 'answer';
  readonly path: string;
  /** Mean think time of one user between two requests of this kind, in seconds. */
  readonly interval: number;
  body(): string | undefined;
}

/**
 * `count` independent users for `seconds`; each runs one Poisson arrival stream per kind (exponential think
 * times with the kind's mean), as real users behave — fixed-rate generators fire every connection in step.
 */
async function simulate(name: string, url: string, count: number, seconds: number, kinds: readonly Kind[], tokens: string[]) {
  const agent = new Agent({ keepAlive: true, maxSockets: count * kinds.length });
  const deadline = performance.now() + seconds * 1000;
  const stats = new Map(kinds.map((kind) => [kind.name, { latencies: [] as number[], errors: {} as Record<string, number> }]));
  let shed = 0;
  const one = (kind: Kind, token: string) =>
    new Promise<void>((resolve) => {
      const body = kind.body();
      const target = new URL(`${url}${kind.path}`);
      const stat = stats.get(kind.name) as { latencies: number[]; errors: Record<string, number> };
      const started = performance.now();
      const fail = (key: string) => {
        stat.errors[key] = (stat.errors[key] ?? 0) + 1;
      };
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
            stat.latencies.push(performance.now() - started);
            const status = res.statusCode ?? 0;
            if (status >= 400) fail(String(status));
            if (status === 503 && res.headers['retry-after']) shed += 1;
            resolve();
          });
        },
      );
      req.on('error', (error) => {
        fail(error.message === 'timeout' ? 'timeout' : 'network');
        resolve();
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end(body);
    });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const user = async (kind: Kind, token: string) => {
    for (;;) {
      // Never sleep past the end of the phase (with long think times the longest sleep would set its length).
      const think = -Math.log(1 - Math.random()) * kind.interval * 1000;
      const remaining = deadline - performance.now();
      if (think >= remaining) {
        await sleep(Math.max(0, remaining));
        return;
      }
      await sleep(think);
      await one(kind, token);
    }
  };
  const loops: Promise<void>[] = [];
  for (let u = 0; u < count; u++) for (const kind of kinds) loops.push(user(kind, tokens[u % tokens.length] as string));
  await Promise.all(loops);
  agent.destroy();
  const result = (kind: Kind): KindResult => {
    const stat = stats.get(kind.name) as { latencies: number[]; errors: Record<string, number> };
    const sorted = stat.latencies.sort((a, b) => a - b);
    const failed = Object.values(stat.errors).reduce((a, b) => a + b, 0);
    return {
      offeredRps: Math.round((count / kind.interval) * 10) / 10,
      achievedRps: Math.round((sorted.length / seconds) * 10) / 10,
      requests: sorted.length + (stat.errors.network ?? 0) + (stat.errors.timeout ?? 0),
      ok: sorted.length - failed + (stat.errors.network ?? 0) + (stat.errors.timeout ?? 0),
      errors: stat.errors,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: Math.round(sorted.at(-1) ?? 0),
    };
  };
  const search = result(kinds[0] as Kind);
  const answer = kinds[1] ? result(kinds[1]) : undefined;
  const errors = (r: KindResult | undefined) => Object.values(r?.errors ?? {}).reduce((a, b) => a + b, 0);
  const phase: MixPhase = {
    name,
    users: count,
    seconds,
    search,
    ...(answer ? { answer } : {}),
    shed,
    passed:
      search.p95 <= targets.searchP95Ms &&
      (!answer || answer.p95 <= targets.answerP95Ms) &&
      errors(search) + errors(answer) === 0 &&
      search.achievedRps >= search.offeredRps * 0.85,
  };
  log(`${name}: ${JSON.stringify(phase)}`);
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

/** What one rate-limit decision costs: the shared limiter's upsert, sequential, on the bench database. */
async function rateLimiterCost(db: Database): Promise<{ p50: number; p99: number; mean: number }> {
  const limiter = createSharedRateLimiter(db, { requestsPerSecond: 1000, burst: 2000 });
  const times: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const started = performance.now();
    await limiter.take(`caller:bench-cost-${i % 50}`);
    times.push(performance.now() - started);
  }
  await db.query(`DELETE FROM rate_limit_buckets WHERE key LIKE 'caller:bench-cost-%'`);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), mean: Math.round(mean * 1000) / 1000 };
}

async function measureConfiguration(
  count: number,
  env: Record<string, string>,
  tokens: string[],
  kinds: readonly Kind[],
): Promise<Record<string, unknown>> {
  const label = `${count} API process${count === 1 ? '' : 'es'}`;
  const { child, url } = await startProcess(['serve', '--port', '0', '--json', '--processes', String(count)], env, true);
  log(`${label}: serving at ${url}`);
  const phases: MixPhase[] = [];
  let saturation: MixPhase | undefined;
  let took: number[] = [];
  try {
    const health: Kind = { name: 'search', path: '/healthz', interval: searchInterval, body: () => undefined };
    phases.push(await simulate(`${label} baseline: ${users} users, GET /healthz`, url, users, 10, [health], tokens));
    await simulate(`${label} warm-up`, url, Math.max(10, Math.round(users / 10)), 10, kinds, tokens);
    await drain(url);
    phases.push(
      await simulate(
        `${label} target: ${users} users × search/${searchInterval}s + answer/${answerInterval}s`,
        url,
        users,
        durationSeconds,
        kinds,
        tokens,
      ),
    );
    await drain(url);
    // Retrieval's own time (reported by the retriever in each response), unloaded.
    for (let i = 0; i < 50; i++) {
      const response = await fetch(`${url}/v1/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[i % tokens.length]}` },
        body: (kinds[0] as Kind).body() as string,
      });
      took.push(((await response.json()) as { tookMs: number }).tookMs);
    }
    took = took.sort((a, b) => a - b);
    if (!args['no-ramp']) {
      for (let step = Math.max(10, Math.round(users / 10)); step <= 20_000; step = Math.round(step * 1.5)) {
        await drain(url);
        const phase = await simulate(`${label} ramp ${step} users`, url, step, rampStepSeconds, kinds, tokens);
        phases.push(phase);
        if (!phase.passed) break;
        saturation = phase;
      }
    }
  } finally {
    await stopProcess(child);
  }
  return {
    processes: count,
    phases,
    retrieverTookMs: { p50: percentile(took, 50), p95: percentile(took, 95), p99: percentile(took, 99) },
    saturation: saturation
      ? {
          users: saturation.users,
          searchRps: saturation.search.achievedRps,
          answerRps: saturation.answer?.achievedRps ?? 0,
          searchP95: saturation.search.p95,
          answerP95: saturation.answer?.p95 ?? null,
        }
      : null,
  };
}

async function main(): Promise<void> {
  const env: Record<string, string> =
    store === 'server'
      ? { DATABASE_URL: await serverDatabaseUrl() }
      : { GROUNDWORK_DATA_DIR: process.env.GROUNDWORK_BENCH_DATA_DIR ?? `/tmp/groundwork-bench-load-${chunkTarget}` };
  const loaded = loadConfig({ env, cwd: root });
  const platform = await createPlatform(loaded, { logger: silentLogger });
  let corpus: { chunks: number; seconds: number };
  let tokens: string[];
  let serverVersion: string;
  let limiterCost: Awaited<ReturnType<typeof rateLimiterCost>>;
  try {
    corpus = await buildCorpus(platform.db);
    tokens = await createUsers(platform.db, users);
    serverVersion = platform.db.capabilities.serverVersion;
    limiterCost = await rateLimiterCost(platform.db);
    log(`shared rate limiter: ${JSON.stringify(limiterCost)} ms per decision`);
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
  if (args['build-only']) return;

  const serveEnv = {
    ...env,
    GROUNDWORK_LOG_LEVEL: 'warn',
    // Every user stays far below a real per-caller limit; the shared limiter still runs (its cost counts).
    GROUNDWORK_SERVER__RATE_LIMIT__REQUESTS_PER_SECOND: '1000',
  };
  const random = () => Math.random();
  const query = () => {
    const n = 1 + Math.floor(random() * 3);
    return Array.from({ length: n }, () => word(10 + Math.floor(random() * 2000))).join(' ');
  };
  const kinds: Kind[] = [
    { name: 'search', path: '/v1/search', interval: searchInterval, body: () => JSON.stringify({ query: query(), k: 10 }) },
    // No chat model configured: answers are extractive (retrieval, selection and citations, no model call).
    { name: 'answer', path: '/v1/answers', interval: answerInterval, body: () => JSON.stringify({ question: `${query()}?` }) },
  ];
  // The worker runs for the whole run, as in production (it waits for queued jobs; none are queued here).
  const worker = store === 'server' ? await startProcess(['worker'], serveEnv, false) : undefined;
  const configurations: Record<string, unknown>[] = [];
  try {
    configurations.push(await measureConfiguration(processes, serveEnv, tokens, kinds));
    if (processes !== 1 && !args['no-compare']) configurations.push(await measureConfiguration(1, serveEnv, tokens, kinds));
  } finally {
    if (worker) await stopProcess(worker.child);
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
    searchIntervalSeconds: searchInterval,
    answerIntervalSeconds: answerInterval,
    targets,
    rateLimiterCostMs: limiterCost,
    configurations,
    machine: { cpus: cpus().length, loadavg: loadavg().map((l) => Math.round(l * 100) / 100), node: process.versions.node },
    at: new Date().toISOString(),
  };
  mkdirSync(`${root}bench/results`, { recursive: true });
  const file = `${root}bench/results/load-${store}-${report.at.replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  log(`written ${file}`);
}

await main();
