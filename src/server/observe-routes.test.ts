import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { insertInsurerCorpus, staff } from '../../test/helpers/insurer-corpus.ts';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { callerWithPrincipals, type Role, roles } from '../core/index.ts';
import { createApiKey } from '../govern/index.ts';
import { createApp } from './index.ts';

describe(`traces, costs and feedback over HTTP (${testStoreKind})`, () => {
  test('roles × own/other traces: only your own (admins all); feedback only on your own; reviewers read feedback of their use cases', async () => {
    const platform = await createTestPlatform({ observe: { recorder: { flushIntervalMs: 60_000 } } });
    try {
      const tokens = {} as Record<Role, string>;
      for (const role of roles) {
        tokens[role] = (
          await createApiKey(platform.db, { name: role, role, principals: [`user:${role}@x.test`] }, { actor: 'local:operator' })
        ).token;
      }
      const traceOf = {} as Record<Role, string>;
      for (const role of roles) {
        const span = platform.tracer.startSpan('search', undefined, {
          'groundwork.operation': 'search',
          'groundwork.caller': `user:${role}@x.test`,
        });
        span.end();
        traceOf[role] = span.context.traceId;
      }
      const reviewed = platform.tracer.startSpan('answer', undefined, {
        'groundwork.operation': 'answer',
        'groundwork.caller': 'user:someone@x.test',
        'groundwork.use_case': 'default',
      });
      reviewed.end();
      await platform.observe.recorder.flush();
      const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
      const call = (path: string, token: string, init: RequestInit = {}) =>
        app.request(`http://127.0.0.1${path}`, {
          ...init,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', host: '127.0.0.1' },
        });

      for (const reader of roles) {
        const list = (await (await call('/v1/traces', tokens[reader])).json()) as {
          traces: Array<{ id: string; callerId: string }>;
        };
        const ids = new Set(list.traces.map((t) => t.id));
        for (const owner of roles) {
          const visible = reader === owner || reader === 'admin';
          assert.equal(ids.has(traceOf[owner]), visible, `${reader} listing ${owner}'s trace`);
          const one = await call(`/v1/traces/${traceOf[owner]}`, tokens[reader]);
          assert.equal(one.status, visible ? 200 : 404, `${reader} reading ${owner}'s trace`);

          const feedback = await call('/v1/feedback', tokens[reader], {
            method: 'POST',
            body: JSON.stringify({ traceId: traceOf[owner], rating: -1, category: 'wrong', comment: 'c' }),
          });
          const expected = reader === 'viewer' ? 403 : reader === owner ? 201 : 404;
          assert.equal(feedback.status, expected, `${reader} rating ${owner}'s trace`);
        }
      }
      // Use-case review: reviewers and builders see traces of use cases they may use; users do not.
      for (const role of roles) {
        const status = (await call(`/v1/traces/${reviewed.context.traceId}`, tokens[role])).status;
        assert.equal(status, ['reviewer', 'builder', 'admin'].includes(role) ? 200 : 404, `${role} reviewing a use-case trace`);
      }
      const own = (await (await call('/v1/feedback', tokens.user)).json()) as { feedback: Array<{ callerId: string }> };
      assert.deepEqual(
        own.feedback.map((f) => f.callerId),
        ['user:user@x.test'],
      );
      // Others' feedback is listed per use case the reader may use: these four are on search traces (no use
      // case, readable by their callers and admins only), so a reviewer sees none of them and an admin all.
      const listed = async (role: Role) =>
        ((await (await call('/v1/feedback', tokens[role])).json()) as { feedback: unknown[] }).feedback.length;
      assert.equal(await listed('reviewer'), 1, 'the reviewer: only their own');
      assert.equal(await listed('admin'), 4);

      assert.equal((await call('/v1/costs?by=user', tokens.user)).status, 403);
      const costs = await call('/v1/costs?by=user', tokens.reviewer);
      assert.equal(costs.status, 200);
      assert.ok(Array.isArray(((await costs.json()) as { rows: unknown[] }).rows));
      const metrics = await (await app.request('http://127.0.0.1/metrics')).text();
      assert.match(metrics, /groundwork_http_requests_total/);
    } finally {
      await platform.close();
    }
  });
});

describe(`GET /v1/cost/forecast (${testStoreKind})`, () => {
  test('costs:read forecasts the use cases the caller may use from real answer traces; bad input is a 400 with a code', async () => {
    const platform = await createTestPlatform();
    try {
      await insertInsurerCorpus(platform.db);
      await platform.answerer.useCases.create('board-only', { principals: ['group:board'], status: 'general' });
      for (const useCase of ['default', 'board-only']) {
        await platform.answerer.ask({
          question: 'What is the deductible for water damage under HO-3?',
          caller: callerWithPrincipals([staff, 'group:board']),
          useCase,
        });
      }
      await platform.observe.recorder.flush();
      const tokens = {} as Record<Role, string>;
      for (const role of roles) {
        tokens[role] = (
          await createApiKey(platform.db, { name: role, role, principals: [staff] }, { actor: 'local:operator' })
        ).token;
      }
      const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
      const get = (query: string, role: Role) =>
        app.request(`http://127.0.0.1/v1/cost/forecast?${query}`, {
          headers: { authorization: `Bearer ${tokens[role]}`, host: '127.0.0.1' },
        });

      const ok = await get('useCase=default&queriesPerDay=2000&users=100&engineeringRate=90', 'reviewer');
      assert.equal(ok.status, 200);
      const forecast = (await ok.json()) as {
        perQuery: Record<string, number>;
        monthly: Record<string, number>;
        perUser: { monthly: number };
        assumptions: Record<string, { source: string; value: unknown }>;
        modelTier: string;
      };
      assert.deepEqual(Object.keys(forecast.perQuery).sort(), ['allInCost', 'cost', 'tokensIn', 'tokensOut']);
      assert.deepEqual(Object.keys(forecast.monthly).sort(), [
        'embedding',
        'engineering',
        'infrastructure',
        'model',
        'ocr',
        'total',
      ]);
      assert.equal(forecast.modelTier, 'extractive');
      assert.equal(forecast.monthly.engineering, 16 * 90);
      assert.equal(forecast.assumptions.engineeringRatePerHour?.source, 'flag');
      assert.equal(forecast.assumptions.answersMeasured?.value, 1, 'only the use case’s own answers');
      assert.ok(Math.abs(forecast.perUser.monthly - Number(forecast.monthly.total) / 100) < 1e-9);

      assert.equal((await get('useCase=default&queriesPerDay=10', 'user')).status, 403, 'users have no costs:read');
      const hidden = await get('useCase=board-only&queriesPerDay=10', 'reviewer');
      assert.equal(hidden.status, 404, 'a use case the reviewer may not use is missing to them');
      assert.equal(((await hidden.json()) as { error: { code: string } }).error.code, 'use_case.not_found');
      assert.equal((await get('useCase=board-only&queriesPerDay=10', 'admin')).status, 200);
      assert.equal((await get('useCase=nope&queriesPerDay=10', 'admin')).status, 404);
      for (const query of [
        'useCase=default&queriesPerDay=-1',
        'useCase=default&queriesPerDay=many',
        'useCase=default',
        'useCase=default&queriesPerDay=10&users=0',
        'useCase=default&queriesPerDay=10&model=gpt-4o',
        'useCase=default&queriesPerDay=10&requestsPerCore=0',
        'useCase=default&queriesPerDay=10&typo=1',
      ]) {
        const bad = await get(query, 'reviewer');
        assert.equal(bad.status, 400, query);
        assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'request.invalid', query);
      }
      const unpriced = await get('useCase=default&queriesPerDay=10&model=acme:x-1', 'reviewer');
      assert.equal(unpriced.status, 400);
      assert.equal(((await unpriced.json()) as { error: { code: string } }).error.code, 'cost.unknown_price');
      const noRun = await get('useCase=default&queriesPerDay=10&dataset=qa', 'reviewer');
      assert.equal(noRun.status, 404);
      assert.equal(((await noRun.json()) as { error: { code: string } }).error.code, 'evaluate.no_answer_run');
    } finally {
      await platform.close();
    }
  });
});
