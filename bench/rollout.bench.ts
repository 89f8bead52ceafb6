/**
 * Rollout availability check (docs/rollout.md): what the per-caller check on the answer path costs — from the
 * per-process cache, with its background version polls — next to a baseline no-op awaited the same way in the
 * same run. Target: < 1 ms p95 added latency.
 *
 *   node bench/rollout.bench.ts [--database-url postgres://…/groundwork_rollout_bench] [--checks 20000] [--users 5000]
 *
 * Without --database-url: an embedded store in a temporary directory. With it, the database is dropped and
 * re-created (its name must end in `_bench`). Results go to stdout; docs/benchmarks.md ("Rollout") records a run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createCohort } from '../src/adoption/index.ts';
import { type Caller, loadConfig, localOperator, silentLogger } from '../src/core/index.ts';
import { createPlatform } from '../src/create-platform.ts';
import { killUseCase, setStage } from '../src/rollout/index.ts';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    checks: { type: 'string', default: '20000' },
    users: { type: 'string', default: '5000' },
  },
});
const checks = Number(values.checks);
const userCount = Number(values.users);
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
const dir = mkdtempSync(join(tmpdir(), 'gw-bench-rollout-'));
const platform = await createPlatform(
  loadConfig({ env: {}, cwd: dir, flags: url ? { databaseUrl: url.toString() } : { dataDir: join(dir, 'data') } }),
  { logger: silentLogger },
);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
function stats(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: pct(sorted, 50), p95: pct(sorted, 95), p99: pct(sorted, 99), max: sorted[sorted.length - 1] as number };
}
const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
const fmt = (s: ReturnType<typeof stats>) => `p50 ${us(s.p50)}, p95 ${us(s.p95)}, p99 ${us(s.p99)}, max ${us(s.max)}`;

const users: Caller[] = Array.from({ length: userCount }, (_, i) => {
  const id = `user:person${i}@example.com`;
  return { id, role: 'user', principals: [id, i % 10 === 0 ? 'group:pilot' : 'group:staff'], seesEverything: false };
});
const noop = async (_useCase: string, _caller: Caller) => {};

async function measure(label: string, check: (useCase: string, caller: Caller) => Promise<void>, useCase: string) {
  const times: number[] = [];
  for (let i = 0; i < checks; i += 1) {
    const caller = users[i % users.length] as Caller;
    const started = performance.now();
    await check(useCase, caller).catch(() => {});
    times.push(performance.now() - started);
  }
  return { label, ...stats(times) };
}

await createCohort(platform.db, localOperator, { name: 'pilot', principals: ['group:pilot', 'user:person1@example.com'] });
for (const [name, stage] of [
  ['general-uc', 'general'],
  ['pilot-uc', 'pilot'],
  ['limited-uc', 'limited'],
  ['killed-uc', 'general'],
] as const) {
  await platform.answerer.useCases.create(name, { status: 'draft' });
  await setStage(platform.governance, platform.db, localOperator, name, {
    stage,
    ...(stage === 'general' ? {} : { cohorts: ['pilot'] }),
    ...(stage === 'limited' ? { percent: 25 } : {}),
  });
}
await killUseCase(platform.db, localOperator, 'killed-uc', { message: 'Stopped for the benchmark.' });

const check = (useCase: string, caller: Caller) => platform.rollout.check(useCase, caller);
// Warm up (loads each use case into the cache once).
for (const name of ['general-uc', 'pilot-uc', 'limited-uc', 'killed-uc']) await check(name, users[0] as Caller).catch(() => {});
const started = performance.now();
const results = [
  await measure('baseline no-op', noop, 'general-uc'),
  await measure('general', check, 'general-uc'),
  await measure('pilot (cohort lookup)', check, 'pilot-uc'),
  await measure('limited 25% (cohort + salted hash)', check, 'limited-uc'),
  await measure('killed', check, 'killed-uc'),
];
const seconds = (performance.now() - started) / 1000;
console.log(
  `rollout availability check: ${checks} checks each, ${userCount} users, ${url ? 'server PostgreSQL' : 'embedded'} store, ${seconds.toFixed(1)} s (background version polls included)`,
);
const baseline = results[0] as (typeof results)[number];
for (const r of results) {
  console.log(`  ${r.label.padEnd(36)} ${fmt(r)}${r === baseline ? '' : `  (added p95 ${us(r.p95 - baseline.p95)})`}`);
}
await platform.close();
