/**
 * Monitors (docs/monitoring.md): what monitors add to the answer path (nothing runs there: the difference is
 * measured, answers with and without 16 monitors defined), and how long evaluating every monitor takes over
 * 1M answer traces generated in bulk SQL (30 days, 5 use cases; retrieval scores, citations, groundedness spans).
 *
 *   node bench/monitors.bench.ts [--database-url postgres://postgres@127.0.0.1:5432/groundwork_monitors_bench]
 *                                [--answers 300] [--traces 1000000] [--keep]
 *
 * The database is dropped and re-created (its name must end in `_bench`). docs/benchmarks.md ("Monitors") records a run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { callerWithPrincipals, loadConfig, localOperator, silentLogger } from '../src/core/index.ts';
import { createPlatform } from '../src/create-platform.ts';
import { addSource } from '../src/ingest/index.ts';
import { createMonitor, deleteMonitor, evaluateMonitors, listMonitors, monitorKinds } from '../src/monitor/index.ts';
import { monitorDeps } from '../src/worker.ts';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/groundwork_monitors_bench' },
    answers: { type: 'string', default: '300' },
    traces: { type: 'string', default: '1000000' },
    keep: { type: 'boolean', default: false },
  },
});
const url = new URL(values['database-url'] as string);
const dbName = url.pathname.slice(1);
if (!dbName.endsWith('_bench')) throw new Error(`refusing to drop ${dbName}: the bench database name must end in _bench`);
const answers = Number(values.answers);
const traces = Number(values.traces);
const admin = new URL(url);
admin.pathname = '/postgres';

async function onAdmin(sql: string) {
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
function stats(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: pct(sorted, 50), p95: pct(sorted, 95), mean: times.reduce((s, t) => s + t, 0) / times.length };
}
const ms = (v: number) => `${v.toFixed(2)} ms`;
const fmt = (s: { p50: number; p95: number; mean: number }) => `p50 ${ms(s.p50)}, p95 ${ms(s.p95)}, mean ${ms(s.mean)}`;

await onAdmin(`DROP DATABASE IF EXISTS ${dbName}`);
await onAdmin(`CREATE DATABASE ${dbName}`);
const dir = mkdtempSync(join(tmpdir(), 'gw-bench-monitors-'));
const platform = await createPlatform(loadConfig({ env: {}, cwd: dir, flags: { databaseUrl: url.toString() } }), {
  logger: silentLogger,
});
try {
  const version = (await platform.db.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version'])).rows[0]?.v;
  console.log(`Store: ${platform.db.mode} PostgreSQL ${version}`);
  const corpus = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'corpus');
  await addSource(platform.db, { name: 'examples', type: 'filesystem', path: corpus });
  await platform.ingestion.sync({ source: 'examples', trigger: 'cli' });
  const deps = monitorDeps(platform);
  const questions = [
    'What is the deductible for water damage?',
    'Who approves a claim over the limit?',
    'How long is the waiting period?',
  ];
  const caller = (i: number) => callerWithPrincipals([`user:bench${i % 50}@x.test`]);
  const ask = async (n: number) => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await platform.answerer.ask({ question: questions[i % 3] as string, caller: caller(i) });
      times.push(performance.now() - t0);
    }
    await platform.observe.recorder.flush();
    return times;
  };
  await ask(30); // warm up
  // 1. The answer path without monitors, then with one monitor of every kind defined (interleaved in rounds
  //    so machine noise falls on both alike).
  const source = new Set(['freshness', 'update-lag', 'documents-count', 'quarantine-rate']);
  const defineAll = async () => {
    for (const kind of monitorKinds) {
      await createMonitor(deps, localOperator, {
        name: `m-${kind}`,
        kind,
        ...(source.has(kind) ? { source: 'examples' } : { useCase: 'default' }),
      });
    }
  };
  const without: number[] = [];
  const withMonitors: number[] = [];
  for (let round = 0; round < 3; round++) {
    without.push(...(await ask(answers / 3)));
    await defineAll();
    withMonitors.push(...(await ask(answers / 3)));
    for (const m of await listMonitors(platform.db, localOperator)) await deleteMonitor(deps, localOperator, m.id);
  }
  const a = stats(without);
  const b = stats(withMonitors);
  console.log(`Answer path, no monitors (${without.length} extractive answers):      ${fmt(a)}`);
  console.log(`Answer path, ${monitorKinds.length} monitors defined (${withMonitors.length} answers):      ${fmt(b)}`);
  console.log(
    `  → added per answer: p50 ${ms(b.p50 - a.p50)}, p95 ${ms(b.p95 - a.p95)} (monitors run nothing on the answer path)`,
  );

  // 2. 1M answer traces over 30 days in bulk SQL, 5 use cases.
  for (let u = 0; u < 5; u++) await platform.answerer.useCases.create(`uc${u}`, {});
  const now = new Date();
  const g0 = performance.now();
  await platform.db.query('SELECT setseed(0.17)');
  await platform.db.query(
    `INSERT INTO traces (id, operation, name, use_case, caller_id, started_at, ended_at, duration_ms, status, outcome,
       confidence, cost_usd, input_tokens, output_tokens, answer, text_retention, attributes)
     SELECT 'bt' || i, 'answer', 'answer', 'uc' || (i % 5), 'user:u' || (i % 5000), at, at, 50 + random() * 2000, 'ok',
       CASE WHEN random() < 0.08 THEN 'refused' ELSE 'answered' END, random(), random() * 0.004,
       (300 + random() * 3000)::int, (50 + random() * 300)::int,
       CASE WHEN i % 50 = 0 THEN 'Write to [EMAIL_1] for the form.' ELSE 'The deductible is 500 dollars [1].' END, 'redact',
       jsonb_build_object(
         'groundwork.retrieved', CASE WHEN random() < 0.03 THEN '[]'::jsonb
           ELSE jsonb_build_array(jsonb_build_object('chunkId', 'c' || (i % 997), 'documentId', 'doc' || (i % 311), 'score', 0.4 + random() * 0.6)) END,
         'groundwork.citations', jsonb_build_array(jsonb_build_object('n', 1, 'chunkId', 'c' || (i % 997), 'documentId', 'doc' || (i % 311))))
     FROM (SELECT i, $2::timestamptz - make_interval(secs => random() * 30 * 86400) AS at FROM generate_series(1, $1) i) x`,
    [traces, now],
  );
  await platform.db.query(
    `INSERT INTO spans (trace_id, span_id, name, started_at, ended_at, duration_ms, status, attributes)
     SELECT id, 'g' || id, 'groundedness', started_at, started_at, 1, 'ok',
       jsonb_build_object('groundwork.groundedness', 0.5 + random() * 0.5)
     FROM traces WHERE id LIKE 'bt%' AND outcome = 'answered'`,
  );
  await platform.db.query(
    `INSERT INTO feedback (id, trace_id, caller_id, rating, created_at)
     SELECT 'fb' || id, id, caller_id, CASE WHEN random() < 0.2 THEN -1 ELSE 1 END, started_at + interval '1 minute'
     FROM traces WHERE id LIKE 'bt%' AND random() < 0.05`,
  );
  await platform.db.query('ANALYZE traces');
  await platform.db.query('ANALYZE spans');
  await platform.db.query('ANALYZE feedback');
  const counts = (
    await platform.db.query<{ t: string; s: string; f: string }>(
      `SELECT (SELECT count(*) FROM traces) AS t, (SELECT count(*) FROM spans) AS s, (SELECT count(*) FROM feedback) AS f`,
    )
  ).rows[0];
  console.log(
    `Generated ${counts?.t} traces, ${counts?.s} spans, ${counts?.f} ratings in ${((performance.now() - g0) / 1000).toFixed(1)} s`,
  );
  await platform.db.query(`INSERT INTO budgets (use_case, daily_usd, updated_by) VALUES ('uc0', 5, 'bench')`);

  // 3. Every kind per use case (5 × 12) + on all use cases (12) + 4 source kinds: 76 monitors; then all evaluated.
  for (const window of ['1h', '24h']) {
    for (const m of await listMonitors(platform.db, localOperator)) await deleteMonitor(deps, localOperator, m.id);
    for (const kind of monitorKinds) {
      if (source.has(kind)) {
        await createMonitor(deps, localOperator, { name: `s-${kind}`, kind, source: 'examples', window });
        continue;
      }
      await createMonitor(deps, localOperator, { name: `all-${kind}`, kind, window });
      for (let u = 0; u < 5; u++)
        await createMonitor(deps, localOperator, { name: `uc${u}-${kind}`, kind, useCase: `uc${u}`, window });
    }
    const t0 = performance.now();
    const results = await evaluateMonitors(deps, localOperator, { force: true });
    const total = performance.now() - t0;
    const byKind = new Map<string, number[]>();
    for (const r of results) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r.durationMs]);
    console.log(
      `Evaluate ${results.length} monitors, window ${window}, over ${counts?.t} traces: ${(total / 1000).toFixed(2)} s total (${ms(total / results.length)} per monitor; ${results.filter((r) => r.state === 'firing').length} firing)`,
    );
    for (const [kind, times] of byKind) console.log(`  ${kind.padEnd(24)} max ${ms(Math.max(...times))}`);
  }
} finally {
  await platform.close();
  if (!values.keep) await onAdmin(`DROP DATABASE IF EXISTS ${dbName}`);
}
