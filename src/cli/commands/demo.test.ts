import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';

describe('groundwork demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-demo-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('refuses to wipe a non-empty directory it did not create', async () => {
    const precious = join(dir, 'precious');
    mkdirSync(precious);
    writeFileSync(join(precious, 'notes.txt'), 'keep me');
    const result = await runGroundwork(['demo', '--no-serve', '--json', '--data-dir', precious], { cwd: dir });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /not empty and was not created by `groundwork demo`/);
    assert.ok(existsSync(join(precious, 'notes.txt')));
  });

  test('a taken port fails at once with a fix, before touching the data directory', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = blocker.address() as AddressInfo;
      const data = join(dir, 'port-data');
      const result = await runGroundwork(['demo', '--port', String(port), '--data-dir', data], { cwd: dir });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, new RegExp(`Port ${port} on 127.0.0.1 is already in use`));
      assert.match(result.stderr, /--port 0/);
      assert.equal(existsSync(data), false);
    } finally {
      blocker.close();
    }
  });

  test('ingests the example corpus with its ACL map and creates four keys; a second run starts fresh', async () => {
    const data = join(dir, 'demo-data');
    for (let run = 0; run < 2; run++) {
      const result = await runGroundwork(['demo', '--no-serve', '--json', '--data-dir', data], { cwd: dir, timeoutMs: 180_000 });
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(result.stdout) as {
        documents: number;
        chunks: number;
        quarantined: number;
        keys: Record<string, string>;
        questions: string[];
        url: string;
        inbox: string;
        simulatedCriteria: { criteria: Array<{ id: string; status: string }>; flags: string[]; simulated: boolean };
        claims: { count: number; tiers: Record<string, number> };
      };
      assert.equal(report.documents, 11);
      assert.equal(report.quarantined, 0);
      assert.ok(report.chunks >= 11);
      assert.deepEqual(Object.keys(report.keys).sort(), ['adjuster', 'admin', 'approver', 'underwriter']);
      for (const key of Object.values(report.keys)) assert.match(key, /^gw_/);
      assert.equal(report.questions.length, 3);
      assert.equal(report.url, '');
      assert.ok(existsSync(join(data, '.groundwork-demo')));
      assert.equal(report.inbox, join(data, 'inbox'));
      assert.ok(existsSync(report.inbox), 'the folder API sources may be added under');
      // Example claims (generated, no scans) for the Claims pages, in more than one tier.
      assert.ok(report.claims.count >= 5, JSON.stringify(report.claims));
      assert.ok(Object.keys(report.claims.tiers).length >= 3, JSON.stringify(report.claims.tiers));
      // Example criteria on the SIMULATED usage: one on track, one at risk, and health flags to look at.
      assert.deepEqual(report.simulatedCriteria.criteria, [
        { id: 'retention-30d', status: 'on_track' },
        { id: 'task-completion', status: 'at_risk' },
      ]);
      assert.ok(report.simulatedCriteria.flags.includes('adoption_falling'), report.simulatedCriteria.flags.join());
      assert.equal(report.simulatedCriteria.simulated, true);
    }
    // The keys of the second run are the only ones: the directory was wiped, not appended to.
    const keys = await runGroundwork(['keys', 'list', '--json', '--data-dir', data], { cwd: dir });
    assert.equal(keys.code, 0, keys.stderr);
    assert.equal((JSON.parse(keys.stdout) as { keys: unknown[] }).keys.length, 4);
  });
});
