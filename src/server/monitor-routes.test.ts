import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runGroundwork } from '../../test/helpers/run-cli.ts';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import type { Role } from '../core/index.ts';
import type { Platform } from '../create-platform.ts';
import { createApiKey } from '../govern/index.ts';
import { addSource } from '../ingest/index.ts';
import { startWorker, type Worker } from '../worker.ts';
import { createApp } from './index.ts';
import { type RunningServer, startServer } from './start-server.ts';

type Json = Record<string, unknown>;

/** A webhook receiver on loopback: records every request; answers with `status()`. */
async function receiver(status: () => number = () => 200) {
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(status()).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/groundwork`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const SECRET = 'whsec-test-0123456789abcdef';

describe(`monitors and alerts over HTTP (${testStoreKind})`, () => {
  let platform: Platform;
  let call: (who: string, path: string, method?: string, body?: unknown) => Promise<{ status: number; text: string; json: Json }>;
  let close: () => Promise<void>;
  let worker: Worker;
  const tokens: Record<string, string> = {};
  const folder = mkdtempSync(join(tmpdir(), 'gw-monitors-'));
  const files = Array.from({ length: 10 }, (_, i) => `policy-${i}.txt`);
  const writeAll = () => {
    for (const [i, name] of files.entries())
      writeFileSync(join(folder, name), `Policy ${i}: claims are paid within ${i + 10} days.\n`);
  };

  before(async () => {
    writeAll();
    platform = await createTestPlatform({
      monitoring: { allowPrivateWebhooks: true },
      sources: { docs: { freshnessSlo: '1h' } },
      jobs: {
        pollingIntervalSeconds: 0.5,
        types: { 'monitor-webhook': { retryLimit: 2, retryDelaySeconds: 1, retryBackoff: false } },
      },
    });
    const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
    const keys: Record<string, { role: Role; principals: string[] }> = {
      builder: { role: 'builder', principals: ['user:bea@x.test'] },
      reviewer: { role: 'reviewer', principals: ['user:rita@x.test'] },
      user: { role: 'user', principals: ['user:uma@x.test'] },
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
      const isJson = (response.headers.get('content-type') ?? '').includes('json');
      return { status: response.status, text, json: (text && isJson ? JSON.parse(text) : {}) as Json };
    };
    await addSource(platform.db, { name: 'docs', type: 'filesystem', path: folder });
    await platform.ingestion.sync({ source: 'docs' });
    worker = await startWorker(platform, { only: ['monitor-webhook'] });
    close = async () => {
      await worker.stop({ timeoutMs: 2000 });
      await built.close();
      await platform.close();
      rmSync(folder, { recursive: true, force: true });
    };
  });
  after(async () => {
    await close();
  });

  test('scenario: files vanish → documents-count fires → signed webhook received → acknowledged → resolved after the next good sync', async () => {
    const hook = await receiver();
    try {
      const created = await call('builder', '/v1/monitors', 'POST', {
        name: 'docs-count',
        kind: 'documents-count',
        source: 'docs',
        threshold: 'drop>0.3',
        webhook: hook.url,
        webhookFormat: 'slack',
        webhookSecret: SECRET,
      });
      assert.equal(created.status, 201, created.text);
      assert.ok(!created.text.includes(SECRET), 'the secret is never returned');
      assert.ok(!created.text.includes('/hooks/groundwork'), 'the webhook path is not shown');
      assert.equal((created.json.webhook as Json).secretSet, true);

      // A healthy first evaluation: 10 documents become the reference.
      const first = await call('builder', '/v1/monitors/evaluate', 'POST', { force: true });
      assert.equal(first.status, 200, first.text);
      const firstResult = (first.json.results as Json[]).find((r) => r.name === 'docs-count') as Json;
      assert.equal(firstResult.state, 'ok');
      assert.equal(firstResult.value, 10);

      // The sync breaks: 6 of 10 files vanish.
      for (const name of files.slice(0, 6)) rmSync(join(folder, name));
      await platform.ingestion.sync({ source: 'docs' });
      const second = await call('builder', '/v1/monitors/evaluate', 'POST', { monitors: ['docs-count'] });
      const fired = (second.json.results as Json[])[0] as Json;
      assert.equal(fired.state, 'firing', JSON.stringify(fired));
      assert.equal(fired.value, 4);
      assert.equal(fired.reference, 10);
      const alertId = (fired.alert as { id: string; action: string }).id;
      assert.equal((fired.alert as { action: string }).action, 'fired');

      // The webhook arrives on the loopback receiver, Slack-shaped and signed.
      const delivery = await waitFor('the fired webhook', () => hook.received[0]);
      const timestamp = String(delivery.headers['x-groundwork-timestamp']);
      const expected = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${delivery.body}`).digest('hex')}`;
      assert.equal(delivery.headers['x-groundwork-signature'], expected);
      assert.equal(delivery.headers['x-groundwork-event'], 'alert.fired');
      const payload = JSON.parse(delivery.body) as { text: string; blocks: unknown[] };
      assert.match(payload.text, /FIRING.*docs-count.*documents-count.*source docs/);
      assert.ok(Array.isArray(payload.blocks) && payload.blocks.length > 0);

      // A reviewer sees it, with the data behind it, and acknowledges it.
      const open = await call('reviewer', '/v1/alerts?open=true');
      assert.equal(open.status, 200, open.text);
      const alerts = open.json.alerts as Json[];
      assert.deepEqual(
        alerts.map((a) => a.id),
        [alertId],
      );
      assert.equal(alerts[0]?.status, 'firing');
      assert.equal(((alerts[0] as Json).data as Json).documents, 4);
      // /metrics shows it for alerting rules (read from the store at scrape).
      assert.match(
        (await call('reviewer', '/metrics')).text,
        /groundwork_alerts_open\{kind="documents-count",status="firing"\} 1/,
      );
      const acked = await call('reviewer', `/v1/alerts/${alertId}/ack`, 'POST', { note: 'Looking at the share.' });
      assert.equal(acked.status, 200, acked.text);
      assert.equal(acked.json.status, 'acknowledged');
      assert.match(String(acked.json.acknowledgedBy), /^key:|rita/);

      // Still broken at the next evaluation: the same alert (deduplicated), still acknowledged.
      const third = await call('builder', '/v1/monitors/evaluate', 'POST', { monitors: ['docs-count'] });
      assert.equal((((third.json.results as Json[])[0] as Json).alert as Json).action, 'updated');
      assert.equal(((await call('reviewer', '/v1/alerts')).json.alerts as Json[]).length, 1);

      // The files come back; the next good sync and evaluation resolve the alert by themselves.
      writeAll();
      await platform.ingestion.sync({ source: 'docs' });
      const fourth = await call('builder', '/v1/monitors/evaluate', 'POST', { monitors: ['docs-count'] });
      const resolved = (fourth.json.results as Json[])[0] as Json;
      assert.equal(resolved.state, 'ok');
      assert.equal((resolved.alert as Json).action, 'resolved');
      const shown = await call('reviewer', `/v1/alerts/${alertId}`);
      assert.equal(shown.json.status, 'resolved');
      assert.equal(shown.json.resolution, 'auto');
      const resolvedNotice = await waitFor('the resolved webhook', () =>
        hook.received.find((r) => r.headers['x-groundwork-event'] === 'alert.resolved'),
      );
      assert.match((JSON.parse(resolvedNotice.body) as { text: string }).text, /RESOLVED/);

      // The monitor shows its evaluations (sparkline), the healthy webhook and its deliveries.
      // (The receiver has answered; the worker marks the delivery right after: wait for that.)
      const detail = await waitFor('both deliveries marked delivered', async () => {
        const shown = await call('reviewer', '/v1/monitors/docs-count');
        const deliveries = (shown.json.deliveries ?? []) as Json[];
        return deliveries.length === 2 && deliveries.every((d) => d.status === 'delivered') ? shown : undefined;
      });
      assert.equal(detail.status, 200, detail.text);
      assert.deepEqual(
        (detail.json.evaluations as Json[]).map((e) => e.state),
        ['ok', 'firing', 'firing', 'ok'],
      );
      assert.equal((detail.json.webhook as Json).status, 'ok');
      assert.ok((detail.json.deliveries as Json[]).every((d) => d.status === 'delivered'));
      // The pipeline dashboard: files after each sync (10 → 4 → 10), freshness against the SLO, the monitor's trend.
      const pipeline = await call('reviewer', '/v1/pipeline');
      assert.equal(pipeline.status, 200, pipeline.text);
      const docs = (pipeline.json.sources as Json[]).find((x) => x.name === 'docs') as Json;
      assert.deepEqual(
        (docs.history as Json[]).map((h) => h.files),
        [10, 4, 10],
      );
      assert.equal(docs.documents, 10);
      assert.deepEqual(docs.freshness, { slo: '1h', ageSeconds: (docs.freshness as Json).ageSeconds, status: 'ok' });
      assert.deepEqual(
        (docs.monitors as Json[]).map((m) => m.name),
        ['docs-count'],
      );
      assert.equal((await call('user', '/v1/pipeline')).status, 403);
      // Every transition is audited.
      const audit = await platform.db.query<{ action: string; actor: string }>(
        `SELECT action, actor FROM audit_log WHERE target = $1 ORDER BY seq`,
        [`alert:${alertId}`],
      );
      assert.deepEqual(
        audit.rows.map((r) => r.action),
        ['alert.fire', 'alert.ack', 'alert.resolve'],
      );
      const secretInAudit = await platform.db.query(`SELECT 1 FROM audit_log WHERE after::text LIKE $1`, [`%${SECRET}%`]);
      assert.equal(secretInAudit.rows.length, 0, 'the secret is not in the audit log');
    } finally {
      await hook.close();
    }
  });

  test('a failing webhook is retried with backoff, then the monitor shows it failing; a manual resolve works', async () => {
    const hook = await receiver(() => 500);
    try {
      const created = await call('builder', '/v1/monitors', 'POST', {
        name: 'quarantine',
        kind: 'quarantine-rate',
        source: 'docs',
        threshold: '>=0',
        webhook: hook.url,
        webhookFormat: 'teams',
      });
      assert.equal(created.status, 201, created.text);
      const evaluated = await call('builder', '/v1/monitors/evaluate', 'POST', { monitors: ['quarantine'] });
      const result = (evaluated.json.results as Json[])[0] as Json;
      assert.equal(result.state, 'firing', JSON.stringify(result));
      // 1 attempt + 2 retries, then failing.
      const detail = await waitFor('the webhook marked failing', async () => {
        const shown = await call('reviewer', '/v1/monitors/quarantine');
        return (shown.json.webhook as Json).status === 'failing' ? shown.json : undefined;
      });
      assert.equal(hook.received.length, 3);
      assert.equal((JSON.parse(hook.received[0]?.body ?? '{}') as Json)['@type'], 'MessageCard');
      assert.equal(hook.received[0]?.headers['x-groundwork-signature'], undefined, 'no secret: unsigned');
      assert.match(String((detail.webhook as Json).error), /HTTP 500/);
      const deliveries = detail.deliveries as Json[];
      assert.equal(deliveries[0]?.status, 'failing');
      assert.equal(deliveries[0]?.attempts, 3);
      const alertId = (result.alert as Json).id as string;
      const resolved = await call('reviewer', `/v1/alerts/${alertId}/resolve`, 'POST', { note: 'Known: test receiver is down.' });
      assert.equal(resolved.status, 200, resolved.text);
      assert.equal(resolved.json.resolution, 'manual');
      const again = await call('reviewer', `/v1/alerts/${alertId}/ack`, 'POST', {});
      assert.equal(again.status, 409);
    } finally {
      await hook.close();
    }
  });

  test('bad input: an unknown kind or a malformed threshold is a 400 naming the valid kinds / the grammar', async () => {
    const kind = await call('builder', '/v1/monitors', 'POST', { name: 'bad', kind: 'vibes', useCase: 'default' });
    assert.equal(kind.status, 400);
    assert.equal((kind.json.error as Json).code, 'monitor.unknown_kind');
    assert.match(String((kind.json.error as Json).message), /groundedness, refusal-rate, negative-feedback-rate/);
    const threshold = await call('builder', '/v1/monitors', 'POST', { name: 'bad', kind: 'refusal-rate', threshold: 'much>2' });
    assert.equal(threshold.status, 400);
    assert.equal((threshold.json.error as Json).code, 'monitor.invalid_threshold');
    assert.match(String((threshold.json.error as Json).message), /drop>R.*age>D/);
  });

  test('CLI: monitors create/list/show/evaluate and alerts list over --server', async () => {
    let server: RunningServer | undefined;
    try {
      server = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false, authCacheMs: 0 });
      const as = (who: string, ...args: string[]) =>
        runGroundwork(['--server', (server as RunningServer).url, '--api-key', tokens[who] as string, ...args]);
      const created = await as(
        'builder',
        'monitors',
        'create',
        '--name',
        'fresh',
        '--kind',
        'freshness',
        '--source',
        'docs',
        '--threshold',
        'age>24h',
        '--json',
      );
      assert.equal(created.code, 0, created.stderr);
      assert.equal((JSON.parse(created.stdout) as Json).threshold, 'age>24h');
      const evaluated = await as('builder', 'monitors', 'evaluate', '--monitor', 'fresh', '--json');
      assert.equal(evaluated.code, 0, evaluated.stderr);
      assert.equal(((JSON.parse(evaluated.stdout) as { results: Json[] }).results[0] as Json).state, 'ok');
      const listed = await as('reviewer', 'monitors', 'list');
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, /fresh\s+freshness\s+docs\s+age>24h/);
      const bad = await as('builder', 'monitors', 'create', '--name', 'x', '--kind', 'nope');
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /Valid kinds: groundedness/);
      const alerts = await as('reviewer', 'alerts', 'list', '--json');
      assert.equal(alerts.code, 0, alerts.stderr);
      const forbidden = await as('user', 'monitors', 'list');
      assert.notEqual(forbidden.code, 0);
    } finally {
      await server?.close(1000);
    }
  });
});
