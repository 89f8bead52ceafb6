import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runGroundwork } from '../../test/helpers/run-cli.ts';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { listCriteria, listReviews } from '../adoption/index.ts';
import { localOperator, type Role, roles } from '../core/index.ts';
import { createApiKey, listAudit } from '../govern/index.ts';
import { createApp, startServer } from './index.ts';

type Json = { error?: { code: string; message: string } } & Record<string, unknown>;

async function withServer(
  run: (
    call: (who: string, method: string, path: string, body?: unknown) => Promise<{ status: number; body: Json }>,
    platform: Awaited<ReturnType<typeof createTestPlatform>>,
  ) => Promise<void>,
) {
  const platform = await createTestPlatform();
  const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
  try {
    const tokens = new Map<string, string>();
    for (const role of roles) {
      const { token } = await createApiKey(
        platform.db,
        { name: role, role, principals: [`user:${role}@x.test`] },
        { actor: localOperator.id },
      );
      tokens.set(role, token);
    }
    const { token: ownerToken } = await createApiKey(
      platform.db,
      { name: 'owner', role: 'reviewer', principals: ['user:olga@x.test'] },
      { actor: localOperator.id },
    );
    tokens.set('owner', ownerToken);
    const call = async (who: string, method: string, path: string, body?: unknown) => {
      const response = await built.app.request(`http://127.0.0.1${path}`, {
        method,
        headers: { authorization: `Bearer ${tokens.get(who)}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Json };
    };
    await run(call, platform);
  } finally {
    await built.close();
    await platform.close();
  }
}

describe(`success criteria, health and reviews over HTTP (${testStoreKind})`, () => {
  test('attacks: viewers and users are refused everything; a reviewer who is not the owner may read but not add, remove, record or review', async () => {
    await withServer(async (call, platform) => {
      await platform.answerer.useCases.create('claims', { owner: 'user:olga@x.test' });
      const add = await call('builder', 'POST', '/v1/use-cases/claims/criteria', {
        metric: 'manual:minutes',
        unit: 'min',
        target: 30,
        id: 'minutes',
      });
      assert.equal(add.status, 201, JSON.stringify(add.body));
      const writes: Array<[string, string, unknown?]> = [
        ['POST', '/v1/use-cases/claims/criteria', { metric: 'refusalRate', target: 0.5, id: 'stolen' }],
        ['DELETE', '/v1/use-cases/claims/criteria/minutes'],
        ['POST', '/v1/use-cases/claims/criteria/minutes/measurements', { value: 1 }],
        ['POST', '/v1/use-cases/claims/reviews', { decision: 'stop', notes: 'sabotage' }],
      ];
      const reads: Array<[string, string]> = [
        ['GET', '/v1/use-cases/claims/criteria'],
        ['GET', '/v1/use-cases/claims/health'],
        ['GET', '/v1/use-cases/claims/reviews'],
      ];
      const before = (await listAudit(platform.db, { limit: 1000 })).filter((e) => e.action !== 'access.denied').length;
      const attempts = [
        ...(['viewer', 'user'] as Role[]).flatMap((who) => [...writes, ...reads].map((r) => ({ who, r }))),
        ...writes.map((r) => ({ who: 'reviewer', r })),
      ].sort(() => Math.random() - 0.5);
      for (const { who, r } of attempts) {
        const response = await call(who, r[0], r[1], r[2]);
        assert.equal(response.status, 403, `${who} ${r[0]} ${r[1]}`);
        assert.equal(response.body.error?.code, 'auth.forbidden');
      }
      const after = (await listAudit(platform.db, { limit: 1000 })).filter((e) => e.action !== 'access.denied').length;
      assert.equal(after, before, 'nothing written');
      assert.deepEqual(
        (await listCriteria(platform.db, localOperator, 'claims')).criteria.map((c) => c.id),
        ['minutes'],
      );
      assert.deepEqual(await listReviews(platform.db, localOperator, 'claims'), []);
      for (const [method, path] of reads) assert.equal((await call('reviewer', method, path)).status, 200, path);
      // A reviewer may not even read criteria of a use case they may not use.
      await platform.answerer.useCases.create('secret', { principals: ['group:execs'] });
      assert.equal((await call('reviewer', 'GET', '/v1/use-cases/secret/criteria')).status, 403);
      assert.equal((await call('reviewer', 'GET', '/v1/use-cases/secret/health')).status, 403);
      // The owner (a reviewer) may record values and reviews.
      assert.equal(
        (await call('owner', 'POST', '/v1/use-cases/claims/criteria/minutes/measurements', { value: 42, date: '2026-06-01' }))
          .status,
        201,
      );
      const review = await call('owner', 'POST', '/v1/use-cases/claims/reviews', {
        decision: 'continue',
        notes: 'pilot is fine',
      });
      assert.equal(review.status, 201);
      assert.equal(review.body.reviewer, 'user:olga@x.test');
    });
  });

  test('routes: list with status, 202 past draft, bad input 400 naming the valid values, unknown use case 404', async () => {
    await withServer(async (call, platform) => {
      await platform.answerer.useCases.create('claims', {});
      const unknownMetric = await call('builder', 'POST', '/v1/use-cases/claims/criteria', { metric: 'happiness', target: 1 });
      assert.equal(unknownMetric.status, 400);
      assert.equal(unknownMetric.body.error?.code, 'criteria.unknown_metric');
      assert.match(unknownMetric.body.error?.message ?? '', /active30.*refusalRate/s);
      const notNumber = await call('builder', 'POST', '/v1/use-cases/claims/criteria', { metric: 'active30', target: 'high' });
      assert.equal(notNumber.status, 400);
      const badCadence = await call('builder', 'POST', '/v1/use-cases/claims/criteria', {
        metric: 'active30',
        target: 0.5,
        cadence: 'yearly',
      });
      assert.equal(badCadence.status, 400);
      assert.equal(badCadence.body.error?.code, 'criteria.invalid');
      const badDirection = await call('builder', 'POST', '/v1/use-cases/claims/criteria', {
        metric: 'active30',
        target: 0.5,
        direction: 'sideways',
      });
      assert.match(badDirection.body.error?.message ?? '', /valid: up, down/);
      assert.equal(
        (await call('builder', 'POST', '/v1/use-cases/nope/criteria', { metric: 'active30', target: 0.5 })).status,
        404,
      );
      assert.equal((await call('builder', 'GET', '/v1/use-cases/nope/criteria')).status, 404);
      assert.equal((await call('builder', 'GET', '/v1/use-cases/nope/health')).status, 404);
      const added = await call('builder', 'POST', '/v1/use-cases/claims/criteria', {
        metric: 'active30',
        target: 0.5,
        baseline: 0.2,
      });
      assert.equal(added.status, 201);
      assert.equal(added.body.id, 'active30');
      const listed = await call('reviewer', 'GET', '/v1/use-cases/claims/criteria?asOf=2026-06-30');
      assert.equal(listed.status, 200);
      assert.equal((listed.body.criteria as Array<{ status: string }>)[0]?.status, 'no_data');
      assert.equal(listed.body.allOnTrack, false);
      assert.equal(
        (await call('builder', 'GET', '/v1/use-cases/claims/criteria?asOf=2026-02-30')).body.error?.code,
        'usage.invalid_date',
      );
      const missing = await call('builder', 'DELETE', '/v1/use-cases/claims/criteria/ghost');
      assert.equal(missing.status, 404);
      assert.match(missing.body.error?.message ?? '', /valid: active30/);
      const notManual = await call('builder', 'POST', '/v1/use-cases/claims/criteria/active30/measurements', { value: 0.4 });
      assert.equal(notManual.body.error?.code, 'criteria.not_manual');
      const badReview = await call('builder', 'POST', '/v1/use-cases/claims/reviews', { decision: 'maybe' });
      assert.equal(badReview.status, 400);
      assert.match(badReview.body.error?.message ?? '', /continue, fix, pivot, stop/);
      const health = await call('reviewer', 'GET', '/v1/use-cases/claims/health');
      assert.equal(health.status, 200);
      assert.deepEqual(health.body.flags, []);
      // Update (draft: applied); the metric cannot change.
      const updated = await call('builder', 'PATCH', '/v1/use-cases/claims/criteria/active30', {
        target: 0.6,
        due: '2026-12-31',
      });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.equal(updated.body.target, 0.6);
      const otherMetric = await call('builder', 'PATCH', '/v1/use-cases/claims/criteria/active30', { metric: 'active60' });
      assert.equal(otherMetric.body.error?.code, 'criteria.invalid');
      // Past draft: a change request, applied only when someone else approves it.
      await platform.answerer.useCases.update('claims', { status: 'pilot' });
      const lowered = await call('builder', 'PATCH', '/v1/use-cases/claims/criteria/active30', {
        target: 0.3,
        reason: 'too ambitious',
      });
      assert.equal(lowered.status, 202);
      assert.match((lowered.body.changeRequest as { summary: string }).summary, /target 0\.6 → 0\.3/);
      await call('builder', 'POST', `/v1/changes/${(lowered.body.changeRequest as { id: string }).id}/withdraw`, {});
      const pending = await call('builder', 'DELETE', '/v1/use-cases/claims/criteria/active30');
      assert.equal(pending.status, 202);
      const change = pending.body.changeRequest as { id: string; kind: string; summary: string };
      assert.equal(change.kind, 'criteria.change');
      assert.match(change.summary, /remove/);
      assert.equal((await call('builder', 'POST', `/v1/changes/${change.id}/approve`, {})).status, 403);
      assert.equal((await call('admin', 'POST', `/v1/changes/${change.id}/approve`, {})).status, 200);
      assert.deepEqual((await call('builder', 'GET', '/v1/use-cases/claims/criteria')).body.criteria, []);
    });
  });
});

describe('groundwork use-cases criteria / health / review (CLI process)', () => {
  test('add, list, record, remove; health and review; bad input exits 2', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'gw-criteria-cli-'));
    const run = (...args: string[]) => runGroundwork([...args, '--data-dir', join(cwd, 'data')], { cwd });
    const added = await run(
      'use-cases',
      'criteria',
      'add',
      'default',
      '--metric',
      'manual:uw-minutes',
      '--unit',
      'minutes',
      '--target',
      '30',
      '--baseline',
      '55',
      '--direction',
      'down',
      '--cadence',
      'monthly',
      '--json',
    );
    assert.equal(added.code, 0, added.stderr);
    assert.equal(JSON.parse(added.stdout).id, 'manual-uw-minutes');
    const recorded = await run(
      'use-cases',
      'criteria',
      'record',
      'default',
      'manual-uw-minutes',
      '--value',
      '28',
      '--date',
      '2026-06-01',
    );
    assert.equal(recorded.code, 0, recorded.stderr);
    const listed = await run('use-cases', 'criteria', 'list', 'default', '--as-of', '2026-06-15', '--json');
    const json = JSON.parse(listed.stdout);
    assert.equal(json.criteria[0].status, 'on_track');
    assert.equal(json.criteria[0].latest, 28);
    assert.equal(json.allOnTrack, true);
    assert.match((await run('use-cases', 'criteria', 'list', 'default', '--as-of', '2026-06-15')).stdout, /on_track/);
    const unknown = await run('use-cases', 'criteria', 'add', 'default', '--metric', 'vibes', '--target', '1', '--json');
    assert.equal(unknown.code, 2);
    assert.equal(JSON.parse(unknown.stdout).error.code, 'criteria.unknown_metric');
    assert.notEqual((await run('use-cases', 'criteria', 'add', 'default', '--metric', 'active30', '--target', 'lots')).code, 0);
    const health = await run('use-cases', 'health', 'default', '--json');
    assert.equal(health.code, 0, health.stderr);
    assert.deepEqual(JSON.parse(health.stdout).flags, []);
    const review = await run('use-cases', 'review', 'default', '--decision', 'continue', '--notes', 'on track', '--json');
    assert.equal(review.code, 0, review.stderr);
    assert.equal(JSON.parse(review.stdout).decision, 'continue');
    assert.match((await run('use-cases', 'reviews', 'default')).stdout, /continue/);
    assert.equal((await run('use-cases', 'review', 'default', '--decision', 'panic')).code, 2);
    const updated = await run('use-cases', 'criteria', 'update', 'default', 'manual-uw-minutes', '--target', '25', '--json');
    assert.equal(updated.code, 0, updated.stderr);
    assert.equal(JSON.parse(updated.stdout).target, 25);
    assert.equal((await run('use-cases', 'criteria', 'remove', 'default', 'manual-uw-minutes')).code, 0);
    assert.match((await run('use-cases', 'criteria', 'list', 'default')).stdout, /No success criteria/);
  });
});

describe(`groundwork --server use-cases criteria / health / review (${testStoreKind})`, () => {
  test('the same commands over HTTP as the key’s caller: past draft a pending change request; a reviewer is refused', async () => {
    const platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    const server = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false, authCacheMs: 0 });
    try {
      await platform.answerer.useCases.create('claims', { owner: 'user:olga@x.test' });
      const { token: builder } = await createApiKey(
        platform.db,
        { name: 'b', role: 'builder', principals: ['user:bob@x.test'] },
        { actor: localOperator.id },
      );
      const { token: reviewer } = await createApiKey(
        platform.db,
        { name: 'r', role: 'reviewer', principals: ['user:rita@x.test'] },
        { actor: localOperator.id },
      );
      const run = (key: string, ...args: string[]) => runGroundwork(['--server', server.url, '--api-key', key, ...args]);
      const added = await run(
        builder,
        'use-cases',
        'criteria',
        'add',
        'claims',
        '--metric',
        'refusalRate',
        '--target',
        '0.1',
        '--json',
      );
      assert.equal(added.code, 0, added.stderr);
      assert.equal(JSON.parse(added.stdout).direction, 'down');
      const listed = await run(reviewer, 'use-cases', 'criteria', 'list', 'claims', '--json');
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual(
        JSON.parse(listed.stdout).criteria.map((c: { id: string; status: string }) => [c.id, c.status]),
        [['refusalrate', 'no_data']],
      );
      assert.equal((await run(reviewer, 'use-cases', 'criteria', 'remove', 'claims', 'refusalrate')).code, 1);
      await platform.answerer.useCases.update('claims', { status: 'pilot' });
      const lowered = await run(builder, 'use-cases', 'criteria', 'update', 'claims', 'refusalrate', '--target', '0.2', '--json');
      assert.equal(lowered.code, 0, lowered.stderr);
      assert.equal(JSON.parse(lowered.stdout).changeRequest.status, 'pending');
      const health = await run(reviewer, 'use-cases', 'health', 'claims', '--json');
      assert.equal(health.code, 0, health.stderr);
      assert.deepEqual(JSON.parse(health.stdout).flags, []);
      assert.equal((await run(reviewer, 'use-cases', 'review', 'claims', '--decision', 'stop')).code, 1);
      const review = await run(
        builder,
        'use-cases',
        'review',
        'claims',
        '--decision',
        'continue',
        '--notes',
        'pilot ok',
        '--json',
      );
      assert.equal(review.code, 0, review.stderr);
      assert.equal(JSON.parse(review.stdout).reviewer, 'user:bob@x.test');
      assert.match((await run(reviewer, 'use-cases', 'reviews', 'claims')).stdout, /continue/);
    } finally {
      await server.close(1000);
      await platform.close();
    }
  });
});
