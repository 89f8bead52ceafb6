import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runGroundwork } from '../../test/helpers/run-cli.ts';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { createCohort, deleteCohort, listCohorts, recordAnswerUsage, simulateUsage, usageReport } from '../adoption/index.ts';
import { callerWithPrincipals, type GroundworkError, localOperator, type Role, roles } from '../core/index.ts';
import { createApiKey, hasScope, listAudit, type Scope } from '../govern/index.ts';
import { createApp } from './index.ts';

const requests: Array<{ method: string; path: string; scope: Scope; body?: unknown }> = [
  { method: 'GET', path: '/v1/usage?useCase=default', scope: 'usage:read' },
  { method: 'GET', path: '/v1/cohorts', scope: 'usage:read' },
  { method: 'GET', path: '/v1/cohorts/pilot', scope: 'usage:read' },
  { method: 'POST', path: '/v1/cohorts', scope: 'cohorts:write', body: { name: 'stolen', principals: ['group:x'] } },
  { method: 'DELETE', path: '/v1/cohorts/pilot', scope: 'cohorts:write' },
  { method: 'POST', path: '/v1/usage/simulate', scope: 'usecases:write', body: { useCase: 'default' } },
];

describe(`adoption over HTTP (${testStoreKind})`, () => {
  test('attacks with low-privilege keys: refused (randomized order), nothing written; reviewers read counts only', async () => {
    const platform = await createTestPlatform();
    const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
    try {
      await createCohort(platform.db, localOperator, { name: 'pilot', principals: ['group:pilot', 'user:ann@x.test'] });
      await recordAnswerUsage(platform.db, {
        traceId: 't1',
        useCase: 'default',
        userId: 'user:ann@x.test',
        principals: ['user:ann@x.test', 'group:pilot'],
        questionHash: 'h',
        refused: false,
        at: new Date(),
      });
      const tokens = new Map<Role, string>();
      for (const role of roles) {
        const { token } = await createApiKey(
          platform.db,
          { name: role, role, principals: [`user:${role}@x.test`] },
          { actor: localOperator.id },
        );
        tokens.set(role, token);
      }
      const call = (role: Role, method: string, path: string, body?: unknown) =>
        built.app.request(`http://127.0.0.1${path}`, {
          method,
          headers: { authorization: `Bearer ${tokens.get(role)}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      const before = (await listAudit(platform.db, { limit: 1000 })).length;
      const attempts = roles.flatMap((role) => requests.map((r) => ({ role, r }))).sort(() => Math.random() - 0.5);
      for (const { role, r } of attempts) {
        if (hasScope({ ...localOperator, role, seesEverything: false }, r.scope)) continue;
        const response = await call(role, r.method, r.path, r.body);
        assert.equal(response.status, 403, `${role} ${r.method} ${r.path}`);
        assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'auth.forbidden');
      }
      for (const role of ['viewer', 'user'] as const) {
        assert.ok(!hasScope({ ...localOperator, role, seesEverything: false }, 'usage:read'), `${role} may not read usage`);
      }
      const audit = await listAudit(platform.db, { limit: 1000 });
      assert.deepEqual(
        audit.slice(0, audit.length - before).filter((e) => e.action !== 'access.denied'),
        [],
      );
      assert.deepEqual(
        (await listCohorts(platform.db, localOperator)).map((c) => c.name),
        ['pilot'],
      );
      // A reviewer reads the report: counts only, no user id anywhere.
      const report = await call('reviewer', 'GET', '/v1/usage?useCase=default&cohort=pilot');
      assert.equal(report.status, 200);
      const text = await report.text();
      assert.equal(JSON.parse(text).users, 1);
      assert.ok(!text.includes('ann@x.test'));
      // …but not of a use case they may not use.
      await platform.answerer.useCases.create('secret', { principals: ['group:execs'] });
      const secret = await call('reviewer', 'GET', '/v1/usage?useCase=secret');
      assert.equal(secret.status, 403);
      assert.equal((await call('builder', 'GET', '/v1/usage?useCase=secret')).status, 200);
      // Builders write cohorts; the write is audited.
      const created = await call('builder', 'POST', '/v1/cohorts', { name: 'underwriters', principals: ['group:UW'] });
      assert.equal(created.status, 201);
      assert.deepEqual(((await created.json()) as { principals: string[] }).principals, ['group:uw']);
      assert.equal((await call('builder', 'DELETE', '/v1/cohorts/underwriters')).status, 200);
      const actions = (await listAudit(platform.db, { limit: 10 })).map((e) => e.action);
      assert.ok(actions.includes('cohort.create') && actions.includes('cohort.delete'));
    } finally {
      await built.close();
      await platform.close();
    }
  });

  test('bad input: unknown cohort, bad period, bad date, bad name or principals, duplicates → registered codes naming the valid values', async () => {
    const platform = await createTestPlatform();
    const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
    try {
      const { token } = await createApiKey(
        platform.db,
        { name: 'b', role: 'builder', principals: ['user:b@x.test'] },
        { actor: localOperator.id },
      );
      const call = async (method: string, path: string, body?: unknown) => {
        const response = await built.app.request(`http://127.0.0.1${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } };
      };
      await call('POST', '/v1/cohorts', { name: 'pilot', principals: ['group:pilot'] });
      const unknown = await call('GET', '/v1/usage?useCase=default&cohort=nope');
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.error?.code, 'usage.unknown_cohort');
      assert.match(unknown.body.error?.message ?? '', /valid: pilot/);
      const missing = await call('GET', '/v1/cohorts/nope');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error?.code, 'cohort.not_found');
      assert.match(missing.body.error?.message ?? '', /valid: pilot/);
      assert.equal((await call('DELETE', '/v1/cohorts/nope')).body.error?.code, 'cohort.not_found');
      const period = await call('GET', '/v1/usage?useCase=default&period=year');
      assert.equal(period.status, 400);
      assert.equal(period.body.error?.code, 'usage.invalid_period');
      assert.equal((await call('GET', '/v1/usage?useCase=default&asOf=2026-02-30')).body.error?.code, 'usage.invalid_date');
      assert.equal((await call('GET', '/v1/usage?useCase=nope')).body.error?.code, 'use_case.not_found');
      assert.equal(
        (await call('POST', '/v1/cohorts', { name: 'Bad Name!', principals: ['group:x'] })).body.error?.code,
        'cohort.invalid',
      );
      assert.equal(
        (await call('POST', '/v1/cohorts', { name: 'x', principals: ['alice'] })).body.error?.code,
        'protect.invalid_principal',
      );
      assert.equal((await call('POST', '/v1/cohorts', { name: 'pilot', principals: ['group:x'] })).status, 409);
      assert.equal((await call('POST', '/v1/cohorts', { name: 'x', principals: [] })).status, 400);
    } finally {
      await built.close();
      await platform.close();
    }
  });

  test('the write functions refuse low-privilege callers themselves', async () => {
    const platform = await createTestPlatform();
    try {
      const forbidden = (error: GroundworkError) => error.code === 'auth.forbidden';
      const viewer = callerWithPrincipals(['user:v@x.test'], 'viewer');
      const user = callerWithPrincipals(['user:u@x.test'], 'user');
      const reviewer = callerWithPrincipals(['user:r@x.test'], 'reviewer');
      for (const caller of [viewer, user, reviewer]) {
        await assert.rejects(createCohort(platform.db, caller, { name: 'x', principals: ['group:x'] }), forbidden);
        await assert.rejects(deleteCohort(platform.db, caller, 'x'), forbidden);
        await assert.rejects(simulateUsage(platform.db, caller, { useCase: 'default' }), forbidden);
      }
      for (const caller of [viewer, user]) {
        await assert.rejects(usageReport(platform.db, caller, { useCase: 'default' }), forbidden);
        await assert.rejects(listCohorts(platform.db, caller), forbidden);
      }
    } finally {
      await platform.close();
    }
  });

  test('the simulator: seeded, flagged simulated, excluded from reports unless asked; three different adoption curves', async () => {
    const platform = await createTestPlatform();
    try {
      const summary = await simulateUsage(platform.db, localOperator, { useCase: 'default', seed: 7, endDay: '2026-06-30' });
      assert.equal(summary.simulated, true);
      assert.equal(summary.firstDay, '2026-03-03');
      const again = await simulateUsage(platform.db, localOperator, { useCase: 'default', seed: 7, endDay: '2026-06-30' });
      assert.deepEqual(again, summary, 'same seed, same simulation (and it replaces, not adds)');
      const real = await usageReport(platform.db, localOperator, { useCase: 'default', asOf: '2026-06-30' });
      assert.equal(real.users, 0, 'simulated rows never count as real usage');
      assert.equal(real.includesSimulated, false);
      const demo = await usageReport(platform.db, localOperator, {
        useCase: 'default',
        asOf: '2026-06-30',
        includeSimulated: true,
      });
      assert.equal(demo.includesSimulated, true);
      assert.equal(demo.users, summary.users);
      const byGroup = async (principal: string) => {
        const name = principal.slice('group:'.length);
        await createCohort(platform.db, localOperator, { name, principals: [principal] });
        const r = await usageReport(platform.db, localOperator, {
          useCase: 'default',
          asOf: '2026-06-30',
          includeSimulated: true,
          cohort: name,
        });
        return r.cohorts.filter((c) => c.active60 !== null).reduce((best, c) => (c.users > best.users ? c : best));
      };
      const pilot = await byGroup('group:pilot-adjusters');
      const claims = await byGroup('group:claims-ops');
      assert.ok((pilot.active60 ?? 0) > (claims.active60 ?? 1) + 0.3, `pilot ${pilot.active60} ≫ claims ${claims.active60}`);
      const audit = (await listAudit(platform.db, { limit: 5 })).map((e) => e.action);
      assert.ok(audit.includes('usage.simulate'));
    } finally {
      await platform.close();
    }
  });
});

describe('groundwork cohorts / usage (CLI process)', () => {
  test('create, list, show, report (with the simulation), delete; unknown cohort exits 2', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'gw-usage-cli-'));
    const run = (...args: string[]) => runGroundwork([...args, '--data-dir', join(cwd, 'data')], { cwd });
    const created = await run('cohorts', 'create', 'pilot', '--principals', 'group:pilot-adjusters', '--json');
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(JSON.parse(created.stdout).principals, ['group:pilot-adjusters']);
    const listed = await run('cohorts', 'list', '--json');
    assert.deepEqual(
      JSON.parse(listed.stdout).cohorts.map((c: { name: string }) => c.name),
      ['pilot'],
    );
    assert.match((await run('cohorts', 'show', 'pilot')).stdout, /group:pilot-adjusters/);
    const simulated = await run('usage', 'simulate', '--use-case', 'default');
    assert.equal(simulated.code, 0, simulated.stderr);
    assert.match(simulated.stdout, /Simulated \(not real\)/);
    const report = await run('usage', 'report', '--use-case', 'default', '--cohort', 'pilot', '--include-simulated', '--json');
    assert.equal(report.code, 0, report.stderr);
    const json = JSON.parse(report.stdout);
    assert.equal(json.includesSimulated, true);
    assert.ok(json.users > 0);
    for (const key of [
      'activeUsers',
      'cohorts',
      'timeToValue',
      'taskCompletionRate',
      'refusalRate',
      'feedbackRate',
      'overrideRate',
    ]) {
      assert.ok(key in json, key);
    }
    assert.match((await run('usage', 'report', '--use-case', 'default', '--include-simulated')).stdout, /SIMULATED/);
    const bad = await run('usage', 'report', '--use-case', 'default', '--cohort', 'nope', '--json');
    assert.equal(bad.code, 2);
    assert.equal(JSON.parse(bad.stdout).error.code, 'usage.unknown_cohort');
    assert.equal((await run('usage', 'report', '--use-case', 'default', '--period', 'year')).code, 2);
    assert.equal((await run('cohorts', 'delete', 'pilot')).code, 0);
    assert.equal((await run('cohorts', 'show', 'pilot')).code, 1);
  });
});
