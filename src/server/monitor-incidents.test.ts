import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { type Clock, isGroundworkError, localOperator } from '../core/index.ts';
import type { Platform } from '../create-platform.ts';
import { getIncident } from '../incidents/index.ts';
import { addSource } from '../ingest/index.ts';
import { createMonitor, evaluateMonitors, getMonitor, listAlerts, listMonitors, updateMonitor } from '../monitor/index.ts';
import { createPrompt, resolvePrompt } from '../prompts/index.ts';
import { monitorDeps, startWorker } from '../worker.ts';

/**
 * Monitors from the configuration (freshness against `sources.<name>.freshnessSlo`), an alert that opens an
 * incident and rolls the use case's production prompt back (policy: `monitoring.autoRollbackUseCases`), and
 * evaluation as a queued `monitors-evaluate` job with its schedule registered by the worker.
 */
describe(`monitors: configuration, incidents, rollback and the job (${testStoreKind})`, () => {
  let platform: Platform;
  const folder = mkdtempSync(join(tmpdir(), 'gw-monitor-incidents-'));

  before(async () => {
    writeFileSync(join(folder, 'a.txt'), 'Alpha policy text.\n');
    platform = await createTestPlatform({
      sources: { docs: { freshnessSlo: '2h' } },
      monitors: [{ name: 'docs-fresh', kind: 'freshness', source: 'docs' }],
      monitoring: { autoRollbackUseCases: ['qa'] },
      jobs: { pollingIntervalSeconds: 0.5 },
    });
    await addSource(platform.db, { name: 'docs', type: 'filesystem', path: folder });
    await platform.ingestion.sync({ source: 'docs' });
    const template = 'Answer from the context.\n{{context}}\nQuestion: {{question}}';
    await createPrompt(platform.db, { name: 'qa', template, message: 'v1', labels: ['production'], author: 'local:operator' });
    await createPrompt(platform.db, {
      name: 'qa',
      template: `${template}\nBrief.`,
      message: 'v2',
      labels: ['production'],
      author: 'local:operator',
    });
    await platform.answerer.useCases.create('qa', { promptRef: 'qa', owner: 'user:olga@x.test' });
  });
  after(async () => {
    await platform.close();
    rmSync(folder, { recursive: true, force: true });
  });

  test('a configured freshness monitor takes the source SLO, cannot be changed over the API, and fires when the sync is older', async () => {
    const deps = monitorDeps(platform);
    const now = await evaluateMonitors(deps, localOperator, { monitors: ['docs-fresh'] });
    assert.equal(now[0]?.state, 'ok');
    const [monitor] = await listMonitors(platform.db, localOperator, { source: 'docs' });
    assert.equal(monitor?.origin, 'config');
    assert.equal(monitor?.threshold, 'age>2h');
    await assert.rejects(
      updateMonitor(deps, localOperator, 'docs-fresh', { threshold: 'age>1d' }),
      (error: unknown) => isGroundworkError(error) && error.code === 'monitor.configured',
    );
    const later: Clock = { now: () => new Date(Date.now() + 3 * 3600_000) };
    const [stale] = await evaluateMonitors({ ...deps, clock: later }, localOperator, { monitors: ['docs-fresh'] });
    assert.equal(stale?.state, 'firing');
    assert.ok((stale?.value ?? 0) > 2 * 3600);
  });

  test('an alert opens an incident and rolls the production prompt back (emergency, flagged for retrospective approval)', async () => {
    assert.equal((await resolvePrompt(platform.db, 'qa', 'production')).version, 2);
    for (let i = 0; i < 5; i++) {
      await platform.db.query(
        `INSERT INTO traces (id, operation, name, use_case, started_at, ended_at, duration_ms, status, outcome)
         VALUES ($1, 'answer', 'answer', 'qa', $2, $2, 10, 'ok', 'refused')`,
        [`trc_refused_${i}`, new Date(Date.now() - (i + 1) * 60_000)],
      );
    }
    const deps = monitorDeps(platform);
    await createMonitor(deps, localOperator, {
      name: 'qa-refusals',
      kind: 'refusal-rate',
      useCase: 'qa',
      threshold: '>0.5',
      params: { minSample: 1 },
      onFire: { incident: 'sev2', rollback: true },
    });
    const [result] = await evaluateMonitors(deps, localOperator, { monitors: ['qa-refusals'] });
    assert.equal(result?.state, 'firing');
    assert.ok(result?.incidentId, JSON.stringify(result));
    const incident = await getIncident(platform.db, localOperator, result.incidentId);
    assert.equal(incident.severity, 'sev2');
    assert.equal(incident.useCase, 'qa');
    assert.ok(incident.links.some((l) => l.kind === 'trace' && l.ref.startsWith('trc_refused_')));
    const rollback = incident.timeline.find((e) => e.kind === 'rollback');
    assert.ok(rollback, JSON.stringify(incident.timeline));
    assert.equal(rollback.data.emergency, true);
    assert.equal(rollback.data.status, 'applied');
    assert.equal((await resolvePrompt(platform.db, 'qa', 'production')).version, 1);
    const [alert] = await listAlerts(platform.db, localOperator, { monitor: 'qa-refusals' });
    assert.equal(alert?.incidentId, result.incidentId);
    const audit = await platform.db.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE actor = 'system:monitors' ORDER BY seq`,
    );
    const actions = audit.rows.map((r) => r.action);
    assert.ok(
      actions.includes('alert.fire') && actions.includes('incident.open') && actions.includes('incident.rollback'),
      actions.join(','),
    );
  });

  test('evaluation runs as a queued monitors-evaluate job; the worker registers its schedule', async () => {
    await createMonitor(monitorDeps(platform), localOperator, {
      name: 'docs-quarantine',
      kind: 'quarantine-rate',
      source: 'docs',
    });
    const worker = await startWorker(platform, { only: ['monitors-evaluate'] });
    try {
      const schedules = await worker.queue.schedules('monitors-evaluate');
      assert.deepEqual(
        schedules.map((s) => s.key),
        ['monitors'],
      );
      await platform.jobs.prepare('monitors-evaluate');
      await platform.jobs.send('monitors-evaluate', { trigger: 'test' });
      const deadline = Date.now() + 30_000;
      for (;;) {
        const monitor = await getMonitor(platform.db, localOperator, 'docs-quarantine');
        if (monitor.lastEvaluatedAt) {
          assert.equal(monitor.lastState, 'ok');
          break;
        }
        if (Date.now() > deadline) assert.fail('the job did not evaluate the monitor');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await worker.stop({ timeoutMs: 2000 });
    }
  });
});
