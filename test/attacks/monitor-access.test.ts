/**
 * Attacks on monitors and alerts with low-privilege keys: a user key cannot create, read or evaluate monitors;
 * a reviewer who may not use a use case sees neither its monitors nor its alerts, and an all-use-case
 * monitor's alert shows them only the example traces they may open; webhook secrets are never returned; a
 * builder cannot point a webhook at the metadata service or loopback (SSRF) nor watch a use case it may not use.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Role } from '../../src/core/index.ts';
import { localOperator } from '../../src/core/index.ts';
import type { Platform } from '../../src/create-platform.ts';
import { createApiKey } from '../../src/govern/index.ts';
import { createMonitor, evaluateMonitors } from '../../src/monitor/index.ts';
import { createApp } from '../../src/server/index.ts';
import { createTestPlatform, testStoreKind } from '../helpers/test-platform.ts';

type Json = Record<string, unknown>;
const SECRET = 'whsec-attack-0123456789abcdef';

describe(`attacks: monitors and alerts (${testStoreKind})`, () => {
  let platform: Platform;
  let call: (who: string, path: string, method?: string, body?: unknown) => Promise<{ status: number; text: string; json: Json }>;
  let closeApp: () => Promise<void>;
  const tokens: Record<string, string> = {};

  before(async () => {
    platform = await createTestPlatform();
    const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
    closeApp = () => built.close();
    const keys: Record<string, { role: Role; principals: string[] }> = {
      user: { role: 'user', principals: ['user:uma@x.test', 'group:hr'] },
      reviewer: { role: 'reviewer', principals: ['user:rita@x.test'] },
      hrReviewer: { role: 'reviewer', principals: ['user:hana@x.test', 'group:hr'] },
      builder: { role: 'builder', principals: ['user:bea@x.test'] },
    };
    for (const [name, key] of Object.entries(keys)) {
      tokens[name] = (await createApiKey(platform.db, { name, ...key }, { actor: 'local:operator' })).token;
    }
    call = async (who, path, method = 'GET', body) => {
      const response = await built.app.request(`http://127.0.0.1${path}`, {
        method,
        headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, text, json: (text ? JSON.parse(text) : {}) as Json };
    };
    await platform.answerer.useCases.create('hr', { principals: ['group:hr'] });
    await platform.answerer.useCases.create('public', {});
    // Refused answers in both use cases, in the last hour.
    const now = Date.now();
    for (let i = 0; i < 12; i++) {
      const useCase = i % 2 === 0 ? 'hr' : 'public';
      await platform.db.query(
        `INSERT INTO traces (id, operation, name, use_case, caller_id, started_at, ended_at, duration_ms, status, outcome)
         VALUES ($1, 'answer', 'answer', $2, 'user:someone', $3, $3, 10, 'ok', 'refused')`,
        [`trc_${useCase}_${i}`, useCase, new Date(now - (i + 1) * 60_000)],
      );
    }
    const deps = { db: platform.db, config: platform.config };
    await createMonitor(deps, localOperator, {
      name: 'hr-refusals',
      kind: 'refusal-rate',
      useCase: 'hr',
      params: { minSample: 1 },
    });
    await createMonitor(deps, localOperator, { name: 'all-refusals', kind: 'refusal-rate', params: { minSample: 1 } });
    await createMonitor(deps, localOperator, {
      name: 'with-secret',
      kind: 'refusal-rate',
      useCase: 'public',
      webhook: 'https://hooks.example.com/services/T000/SECRETPATH',
      webhookSecret: SECRET,
      enabled: false,
    });
    await evaluateMonitors(deps, localOperator);
  });
  after(async () => {
    await closeApp();
    await platform.close();
  });

  test('a user key cannot create, list, evaluate monitors or acknowledge alerts', async () => {
    const create = await call('user', '/v1/monitors', 'POST', { name: 'mine', kind: 'refusal-rate', useCase: 'hr' });
    assert.equal(create.status, 403);
    assert.equal((await call('user', '/v1/monitors')).status, 403);
    assert.equal((await call('user', '/v1/alerts')).status, 403);
    assert.equal((await call('user', '/v1/monitors/evaluate', 'POST', { force: true })).status, 403);
    const anyAlert = (await call('hrReviewer', '/v1/alerts')).json.alerts as Json[];
    assert.equal((await call('user', `/v1/alerts/${anyAlert[0]?.id}/ack`, 'POST', {})).status, 403);
    // A reviewer may acknowledge but not create or evaluate.
    assert.equal((await call('reviewer', '/v1/monitors', 'POST', { name: 'r', kind: 'refusal-rate' })).status, 403);
    assert.equal((await call('reviewer', '/v1/monitors/evaluate', 'POST', {})).status, 403);
  });

  test("a reviewer outside a use case sees neither its monitors nor its alerts, nor its traces among another alert's examples", async () => {
    const monitors = ((await call('reviewer', '/v1/monitors')).json.monitors as Json[]).map((m) => m.name);
    assert.ok(!monitors.includes('hr-refusals'), monitors.join(','));
    assert.ok(monitors.includes('all-refusals'));
    assert.equal((await call('reviewer', '/v1/monitors/hr-refusals')).status, 404);
    const alerts = (await call('reviewer', '/v1/alerts')).json.alerts as Json[];
    assert.ok(alerts.every((a) => a.useCase !== 'hr'));
    const hrAlert = ((await call('hrReviewer', '/v1/alerts?monitor=hr-refusals')).json.alerts as Json[])[0] as Json;
    assert.ok(hrAlert, 'the hr reviewer sees the hr alert');
    assert.equal((await call('reviewer', `/v1/alerts/${hrAlert.id}`)).status, 404);
    assert.equal((await call('reviewer', `/v1/alerts/${hrAlert.id}/ack`, 'POST', {})).status, 404);
    // The all-use-case alert: its example traces from "hr" are withheld from this reviewer, shown to the hr one.
    const all = alerts.find((a) => a.monitor === 'all-refusals') as Json;
    const shown = (all.exampleTraces as Json[]).map((t) => t.id as string);
    assert.ok(shown.length > 0 && shown.every((id) => id.startsWith('trc_public_')), shown.join(','));
    assert.ok((all.withheldExampleTraces as number) > 0);
    const forHr = ((await call('hrReviewer', '/v1/alerts?monitor=all-refusals')).json.alerts as Json[])[0] as Json;
    assert.ok((forHr.exampleTraces as Json[]).some((t) => String(t.id).startsWith('trc_hr_')));
  });

  test('webhook secrets and paths are never returned', async () => {
    for (const path of ['/v1/monitors', '/v1/monitors/with-secret']) {
      const reply = await call('builder', path);
      assert.equal(reply.status, 200);
      assert.ok(!reply.text.includes(SECRET), path);
      assert.ok(!reply.text.includes('SECRETPATH'), path);
    }
    const shown = (await call('builder', '/v1/monitors/with-secret')).json.webhook as Json;
    assert.deepEqual(shown.url, 'https://hooks.example.com/…');
    assert.equal(shown.secretSet, true);
    const updated = await call('builder', '/v1/monitors/with-secret', 'PATCH', { webhookSecret: `${SECRET}-2` });
    assert.equal(updated.status, 200, updated.text);
    assert.ok(!updated.text.includes(SECRET));
    const audit = await platform.db.query(
      `SELECT 1 FROM audit_log WHERE after::text LIKE '%whsec-attack%' OR before::text LIKE '%whsec-attack%'`,
    );
    assert.equal(audit.rows.length, 0);
  });

  test('SSRF: webhooks to loopback, private or metadata addresses are refused by default; no watching a use case one may not use', async () => {
    for (const url of [
      'http://127.0.0.1:9/x',
      'http://localhost/x',
      'http://169.254.169.254/latest/meta-data',
      'http://10.0.0.5/x',
      'http://[::1]/x',
      'file:///etc/passwd',
      'https://user:pass@hooks.example.com/x',
    ]) {
      const reply = await call('builder', '/v1/monitors', 'POST', {
        name: 'ssrf',
        kind: 'refusal-rate',
        useCase: 'public',
        webhook: url,
      });
      assert.equal(reply.status, 400, `${url}: ${reply.text}`);
      assert.equal((reply.json.error as Json).code, 'monitor.webhook_refused', url);
    }
    const hr = await call('builder', '/v1/monitors', 'POST', { name: 'peek', kind: 'refusal-rate', useCase: 'hr' });
    assert.equal(hr.status, 404, hr.text);
    // Automatic rollback needs prompts:write (builders have it) — and is refused without a use case.
    const rollback = await call('builder', '/v1/monitors', 'POST', {
      name: 'rb',
      kind: 'refusal-rate',
      onFire: { rollback: true },
    });
    assert.equal(rollback.status, 400);
  });
});
