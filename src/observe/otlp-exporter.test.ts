import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createTestPlatform } from '../../test/helpers/test-platform.ts';
import { createEventBus, createTracer } from '../core/index.ts';
import { simulateAnswer } from './fixtures/simulate-answer.ts';
import { createMetricsRegistry, createObserveMetrics, createOtlpExporter, type OtlpExportRequest, toOtelId } from './index.ts';

interface Received {
  path: string;
  contentType: string | undefined;
  body: OtlpExportRequest;
}

/** A loopback OTLP/HTTP receiver that can be told to fail the next N requests. */
function receiver(): { server: Server; received: Received[]; failNext: (n: number, status: number) => void; url: () => string } {
  const received: Received[] = [];
  let failures = 0;
  let failStatus = 503;
  const server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      if (failures > 0) {
        failures -= 1;
        response.writeHead(failStatus).end();
        return;
      }
      received.push({ path: request.url ?? '', contentType: request.headers['content-type'], body: JSON.parse(body) });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return {
    server,
    received,
    failNext: (n, status) => {
      failures = n;
      failStatus = status;
    },
    url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
}

describe('OTLP exporter', () => {
  const collector = receiver();
  before(() => new Promise<void>((resolve) => collector.server.listen(0, '127.0.0.1', resolve)));
  after(() => new Promise<void>((resolve) => collector.server.close(() => resolve())));

  test('exports spans as an ExportTraceServiceRequest with GenAI attributes and valid hex ids', async () => {
    collector.received.length = 0;
    const events = createEventBus();
    const exporter = createOtlpExporter({ endpoint: `${collector.url()}/`, retention: 'drop', redact: (t) => t });
    events.subscribe('span-end', (span) => exporter.enqueue(span));
    const traceId = await simulateAnswer(createTracer(events));
    await exporter.close();
    assert.equal(collector.received.length, 1);
    const [request] = collector.received;
    assert.equal(request?.path, '/v1/traces');
    assert.equal(request?.contentType, 'application/json');
    const resource = request?.body.resourceSpans[0];
    assert.deepEqual(resource?.resource.attributes[0], { key: 'service.name', value: { stringValue: 'groundwork' } });
    const spans = resource?.scopeSpans[0]?.spans ?? [];
    assert.equal(spans.length, 5);
    const expectedTraceId = toOtelId(traceId, 32);
    for (const span of spans) {
      assert.match(span.traceId, /^[0-9a-f]{32}$/);
      assert.equal(span.traceId, expectedTraceId);
      assert.match(span.spanId, /^[0-9a-f]{16}$/);
      assert.match(span.startTimeUnixNano, /^\d{19}$/);
      assert.ok(BigInt(span.endTimeUnixNano) >= BigInt(span.startTimeUnixNano));
      assert.deepEqual(span.status, { code: 1 });
    }
    const root = spans.find((span) => span.name === 'answer');
    assert.ok(root && root.parentSpanId === undefined);
    const chat = spans.find((span) => span.name === 'chat gpt-4o-mini');
    assert.ok(chat, 'chat span named "{operation} {model}"');
    assert.equal(chat.parentSpanId, root.spanId);
    assert.equal(chat.kind, 3);
    const attributes = Object.fromEntries(chat.attributes.map((a) => [a.key, a.value]));
    assert.deepEqual(attributes['gen_ai.operation.name'], { stringValue: 'chat' });
    assert.deepEqual(attributes['gen_ai.provider.name'], { stringValue: 'openai' });
    assert.deepEqual(attributes['gen_ai.request.model'], { stringValue: 'gpt-4o-mini' });
    assert.deepEqual(attributes['gen_ai.usage.input_tokens'], { intValue: '1000000' });
    assert.deepEqual(attributes['gen_ai.usage.output_tokens'], { intValue: '100000' });
    assert.ok(spans.some((span) => span.name === 'embeddings text-embedding-3-small'));
    const rootAttributes = Object.fromEntries(root.attributes.map((a) => [a.key, a.value]));
    assert.equal(rootAttributes['groundwork.question'], undefined, 'text dropped per retention');
    assert.deepEqual(rootAttributes['groundwork.confidence'], { doubleValue: 0.82 });
    assert.equal(typeof (rootAttributes['groundwork.citations'] as { stringValue: string }).stringValue, 'string');
  });

  test('retries 5xx with backoff, drops after max attempts, never throws; ids are deterministic', async () => {
    collector.received.length = 0;
    const metrics = createObserveMetrics(createMetricsRegistry());
    const events = createEventBus();
    const exporter = createOtlpExporter({
      endpoint: collector.url(),
      retention: 'redact',
      redact: () => '[redacted]',
      retryDelayMs: 5,
      maxAttempts: 3,
      metrics,
    });
    events.subscribe('span-end', (span) => exporter.enqueue(span));
    const tracer = createTracer(events);
    collector.failNext(2, 503);
    await simulateAnswer(tracer);
    await exporter.flush();
    assert.equal(collector.received.length, 1, 'delivered on the third attempt');
    const root = collector.received[0]?.body.resourceSpans[0]?.scopeSpans[0]?.spans.find((s) => s.name === 'answer');
    assert.deepEqual(root?.attributes.find((a) => a.key === 'groundwork.question')?.value, { stringValue: '[redacted]' });
    collector.failNext(3, 500);
    await simulateAnswer(tracer);
    await exporter.flush();
    assert.equal(exporter.stats.dropped, 5);
    assert.equal(metrics.otlpDropped.get({ reason: 'retries_exhausted' }), 5);
    collector.failNext(1, 400);
    await simulateAnswer(tracer);
    await exporter.flush();
    assert.equal(metrics.otlpDropped.get({ reason: 'rejected' }), 5);
    await exporter.close();
    assert.equal(toOtelId('trc_abc', 32), toOtelId('trc_abc', 32));
    assert.notEqual(toOtelId('spn_a', 16), toOtelId('spn_b', 16));
  });

  test('the queue is bounded: enqueue never blocks, overflow is counted', async () => {
    const exporter = createOtlpExporter({
      endpoint: 'http://127.0.0.1:9',
      retention: 'drop',
      redact: (t) => t,
      maxQueue: 3,
      batchSize: 100,
      maxAttempts: 1,
      intervalMs: 60_000,
    });
    const span = {
      traceId: 'trc_1',
      spanId: 'spn_1',
      parentSpanId: undefined,
      name: 'search',
      startTime: 1,
      endTime: 2,
      status: 'ok' as const,
      attributes: {},
    };
    for (let i = 0; i < 10; i++) exporter.enqueue(span);
    assert.equal(exporter.stats.queued, 3);
    assert.equal(exporter.stats.dropped, 7);
    await exporter.close();
    assert.equal(exporter.stats.dropped, 10, 'unreachable collector: dropped after its one attempt');
  });

  test('a platform with observe.otlpEndpoint exports its spans and records them too', async () => {
    collector.received.length = 0;
    const platform = await createTestPlatform({ observe: { otlpEndpoint: collector.url(), textRetention: 'keep' } });
    try {
      const traceId = await simulateAnswer(platform.tracer);
      await platform.observe.exporter?.flush();
      await platform.observe.recorder.flush();
      const spans = collector.received.flatMap((r) => r.body.resourceSpans[0]?.scopeSpans[0]?.spans ?? []);
      assert.equal(spans.length, 5);
      assert.ok(spans.every((span) => span.traceId === toOtelId(traceId, 32)));
      const root = spans.find((span) => span.name === 'answer');
      assert.match(JSON.stringify(root?.attributes), /flood deductible/, 'text kept per retention');
      const stored = await platform.db.query('SELECT id FROM traces WHERE id = $1', [traceId]);
      assert.equal(stored.rowCount, 1);
    } finally {
      await platform.close();
    }
  });
});
