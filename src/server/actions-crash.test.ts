/**
 * Exactly once across a crash, with real processes: a proposal approved while no worker runs (a crash between
 * approval and execution) is executed by the next `groundwork worker`; that worker is killed with SIGKILL in the
 * middle of the execution step (the webhook received the call, the outcome is not recorded yet); the next worker
 * resumes the job and calls again with the SAME idempotency key. The loopback receiver counts deliveries by key:
 * one key, one effect; the proposal ends executed.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { startWebhookReceiver } from '../../test/helpers/action-receivers.ts';
import { groundworkBin } from '../../test/helpers/crash-corpus.ts';
import { testDatabaseUrl, testStoreKind } from '../../test/helpers/test-platform.ts';
import { approveProposal, getProposal, proposeAction } from '../actions/index.ts';
import { callerWithPrincipals, loadConfig, localOperator, silentLogger } from '../core/index.ts';
import { createPlatform } from '../create-platform.ts';
import { actionDeps } from '../worker.ts';

const ann = callerWithPrincipals(['user:ann@example.com'], 'user');
const approver = callerWithPrincipals(['user:rita@example.com'], 'reviewer');

function startWorker(cwd: string): { child: ChildProcess; output: () => string; exited: Promise<unknown> } {
  const child = spawn(process.execPath, [groundworkBin, 'worker', '--only', 'action-execute'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: cwd },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  return { child, output: () => out, exited: new Promise((resolve) => child.once('exit', resolve)) };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe(`actions: exactly once across kill -9 (${testStoreKind})`, () => {
  test('approved with no worker, worker killed mid-execution, the next worker resumes with the same key', async (t) => {
    const work = await mkdtemp(join(tmpdir(), 'gw-actions-crash-'));
    const hook = await startWebhookReceiver();
    let databaseName: string | undefined;
    const children: ChildProcess[] = [];
    try {
      let store: Record<string, unknown> = { dataDir: join(work, 'data') };
      if (testDatabaseUrl) {
        databaseName = `gw_actions_crash_${process.pid}`;
        const admin = new pg.Client({ connectionString: testDatabaseUrl });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${databaseName}`);
        await admin.query(`CREATE DATABASE ${databaseName}`);
        await admin.end();
        const url = new URL(testDatabaseUrl);
        url.pathname = `/${databaseName}`;
        store = { databaseUrl: url.toString() };
      }
      await writeFile(
        join(work, 'groundwork.config.json'),
        JSON.stringify({
          ...store,
          log: { level: 'info' },
          jobs: {
            maintenanceIntervalSeconds: 1,
            pollingIntervalSeconds: 0.5,
            types: { 'action-execute': { heartbeatSeconds: 10, retryDelaySeconds: 0, retryBackoff: false } },
          },
          actions: [
            {
              name: 'pay_claim',
              description: 'Pay a claim',
              input: { claimId: { type: 'string' }, amount: { type: 'number' } },
              hints: { destructive: true, idempotent: true },
              executor: { type: 'webhook', url: hook.url },
            },
          ],
        }),
      );
      const open = async () => createPlatform(loadConfig({ env: {}, flags: {}, cwd: work }), { logger: silentLogger });

      // Proposed and approved while no worker runs: the job waits in the queue (a crash here loses nothing).
      let platform = await open();
      const proposal = await proposeAction(actionDeps(platform), ann, {
        action: 'pay_claim',
        input: { claimId: 'CL-2026-0142', amount: 1200 },
        reasoning: 'Approved by the adjuster in the claim file.',
      });
      await approveProposal(actionDeps(platform), approver, proposal.id, { inputHash: proposal.inputHash });
      const id = proposal.id;
      // The embedded store is held by one process at a time: hand it to the workers.
      if (!testDatabaseUrl) {
        await platform.close();
      }

      // Worker A picks the job up; it is killed with SIGKILL while the webhook call is in flight.
      hook.hold();
      const a = startWorker(work);
      children.push(a.child);
      await until(() => hook.deliveries.length >= 1, 120_000, `worker A to call the webhook:\n${a.output()}`);
      a.child.kill('SIGKILL');
      await a.exited;
      hook.release();
      t.diagnostic(`worker A (pid ${a.child.pid}) killed mid-execution`);

      // Worker B: once A's heartbeat is overdue, the job is retried and resumed with the same key.
      const b = startWorker(work);
      children.push(b.child);
      await until(
        () => /action-execute, attempt \d+\): completed/.test(b.output()),
        120_000,
        `worker B to finish the job:\n${b.output()}`,
      );
      b.child.kill('SIGTERM');
      await b.exited;

      assert.equal(hook.deliveries.length, 2, 'called twice: once by the killed worker, once on resume');
      assert.equal(hook.distinctKeys().size, 1, 'one idempotency key: one effect at an idempotent receiver');
      assert.deepEqual([...hook.distinctKeys()], [`gw-${id}`]);
      if (!testDatabaseUrl) platform = await open();
      const done = await getProposal(actionDeps(platform), localOperator, id);
      assert.equal(done.status, 'executed');
      assert.equal(done.attempts, 2);
      await platform.close();
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await hook.close();
      if (databaseName && testDatabaseUrl) {
        const admin = new pg.Client({ connectionString: testDatabaseUrl });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`).catch(() => {});
        await admin.end();
      }
      await rm(work, { recursive: true, force: true });
    }
  });
});
