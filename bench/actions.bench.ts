/**
 * Agent actions (docs/actions.md): what one proposal costs through its life — propose (validate, policy, insert,
 * audit), approve (bound approval, audit, job enqueued in the transaction), execute (claim, re-check policy and
 * approval, the built-in create_note, record) — next to a baseline measured in the same run: one audited write
 * (a transaction with a `recordAudit`), the floor of every governed write. Then listing the approvals inbox.
 *
 *   node bench/actions.bench.ts [--database-url postgres://…/groundwork_actions_bench] [--proposals 300]
 *
 * Without --database-url: an embedded store in a temporary directory. With it, the database is dropped and
 * re-created (its name must end in `_bench`). Results go to stdout; docs/benchmarks.md ("Agent actions") records a run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { approveProposal, executeProposal, listProposals, proposeAction } from '../src/actions/index.ts';
import { callerWithPrincipals, loadConfig, silentLogger } from '../src/core/index.ts';
import { createPlatform } from '../src/create-platform.ts';
import { recordAudit } from '../src/govern/index.ts';
import { actionDeps } from '../src/worker.ts';

const { values } = parseArgs({
  options: { 'database-url': { type: 'string' }, proposals: { type: 'string', default: '300' } },
});
const n = Number(values.proposals);
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
const dir = mkdtempSync(join(tmpdir(), 'gw-bench-actions-'));
const platform = await createPlatform(
  loadConfig({ env: {}, cwd: dir, flags: url ? { databaseUrl: url.toString() } : { dataDir: join(dir, 'data') } }),
  { logger: silentLogger },
);
await platform.answerer.useCases.create('ops', { principals: ['group:ops'], status: 'general' });
const deps = actionDeps(platform);
const proposer = callerWithPrincipals(['user:agent-owner@example.com', 'group:ops']);
const approver = callerWithPrincipals(['user:approver@example.com', 'group:ops'], 'reviewer');

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
function stats(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: pct(sorted, 50), p95: pct(sorted, 95) };
}
const ms = (v: number) => `${v.toFixed(2)} ms`;
async function timed<T>(times: number[], work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  times.push(performance.now() - started);
  return result;
}

const baseline: number[] = [];
const propose: number[] = [];
const approve: number[] = [];
const execute: number[] = [];
await deps.jobs.prepare('action-execute');
for (let i = 0; i < n; i++) {
  await timed(baseline, () =>
    platform.db.transaction((tx) =>
      recordAudit(tx, { actor: proposer.id, action: 'bench.write', target: `bench:${i}`, after: { i } }),
    ),
  );
  const proposal = await timed(propose, () =>
    proposeAction(deps, proposer, {
      action: 'create_note',
      input: { useCase: 'ops', text: `note ${i}` },
      useCase: 'ops',
      reasoning: 'benchmark',
    }),
  );
  await timed(approve, () => approveProposal(deps, approver, proposal.id, { inputHash: proposal.inputHash }));
  await timed(execute, () => executeProposal(deps, proposal.id));
}
const b = stats(baseline);
const row = (name: string, times: number[]) => {
  const s = stats(times);
  return `${name.padEnd(36)} p50 ${ms(s.p50)}, p95 ${ms(s.p95)}  (${(s.p50 / b.p50).toFixed(1)}× the baseline p50)`;
};
console.log(`store: ${platform.db.mode}, ${n} proposals`);
console.log(row('baseline: one audited write', baseline));
console.log(row('propose (create_note)', propose));
console.log(row('approve (+ job in the transaction)', approve));
console.log(row('execute (claim, re-check, run, record)', execute));
const list: number[] = [];
for (let i = 0; i < 20; i++) await timed(list, () => listProposals(deps, approver, { limit: 100 }));
console.log(row(`list 100 of ${n} (approver)`, list));
await platform.close();
