/**
 * Trace recording overhead and ingest rate (`npm run bench:trace`; not a test).
 *
 * 1. Request-path overhead: the time an answer request spends opening, annotating and ending its 8 spans
 *    (answer, retrieve, retrieve.lexical, retrieve.vector, retrieve.fusion, assemble, generate, groundedness)
 *    — measured with no subscriber (baseline: the tracer alone) and with the trace recorder subscribed
 *    (buffering; batches are written between requests, as the event loop would in a server). Requests are
 *    paced at about 1,000/s; an unpaced flood faster than the store can write is dropped (and counted).
 * 2. Sustained ingest: requests published as fast as the recorder keeps up (the producer yields to the
 *    event loop after each request, and waits for a flush when the buffer is half full), spans written per
 *    second until the last span is in the store.
 *
 * Usage: node bench/trace.bench.ts [--requests 5000] [--ingest-requests 10000] [--database-url URL]
 * Without --database-url it uses a fresh in-memory embedded store (PGlite).
 */
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { configSchema, createEventBus, createTracer, silentLogger, systemClock, type Tracer } from '../src/core/index.ts';
import { createObservability } from '../src/observe/index.ts';
import { openStore } from '../src/store/index.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '5000' },
    'ingest-requests': { type: 'string', default: '10000' },
    'database-url': { type: 'string' },
  },
});
const requests = Number(values.requests);
const ingestRequests = Number(values['ingest-requests']);
const spansPerRequest = 8;

const retrieved = Array.from({ length: 10 }, (_, i) => ({ chunkId: `chk_${i}`, documentId: `doc_${i}`, score: 10 - i }));

/** One answer request's spans, as the retrieve and answer features emit them. */
function answerRequest(tracer: Tracer, n: number): void {
  const root = tracer.startSpan('answer', undefined, {
    'groundwork.operation': 'answer',
    'groundwork.caller': `user:u${n % 50}@example.com`,
    'groundwork.use_case': `use-case-${n % 5}`,
    'groundwork.prompt.version': 'underwriting@3',
    'groundwork.question': `What is the flood deductible for policy ${n}? Contact jane.doe@example.com`,
  });
  const retrieve = tracer.startSpan('retrieve', root.context, { 'groundwork.mode': 'hybrid' });
  tracer.startSpan('retrieve.lexical', retrieve.context).end();
  tracer
    .startSpan('retrieve.vector', retrieve.context, {
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'text-embedding-3-small',
      'gen_ai.usage.input_tokens': 18,
    })
    .end();
  tracer.startSpan('retrieve.fusion', retrieve.context).end();
  retrieve.setAttributes({ 'groundwork.retrieved': retrieved });
  retrieve.end();
  tracer.startSpan('assemble', root.context, { 'groundwork.context.tokens': 3200, 'groundwork.context.limit': 128_000 }).end();
  tracer
    .startSpan('generate', root.context, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 3400,
      'gen_ai.usage.output_tokens': 220,
    })
    .end();
  tracer.startSpan('groundedness', root.context).end();
  root.setAttributes({
    'groundwork.answer': 'The deductible is $1,000 [1].',
    'groundwork.confidence': 0.8,
    'groundwork.refused': false,
    'groundwork.citations': [{ n: 1, chunkId: 'chk_0', documentId: 'doc_0' }],
  });
  root.end();
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measureOverhead(tracer: Tracer, count: number): Promise<{ p50: number; p95: number; p99: number; mean: number }> {
  for (let i = 0; i < 200; i++) answerRequest(tracer, i); // warm-up
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    answerRequest(tracer, i);
    times.push(performance.now() - start);
    // About 1,000 requests/s (a busy answer server does far fewer): batch writes run between requests.
    if (i % 2 === 0) await sleep(1);
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((s, t) => s + t, 0) / times.length;
  return { p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99), mean };
}

const config = configSchema.parse({});
const db = await openStore(
  values['database-url'] ? { ...config, databaseUrl: values['database-url'] } : { ...config, dataDir: 'memory://' },
  { logger: silentLogger },
);
const store = `${db.mode} (PostgreSQL ${db.capabilities.serverVersion})`;
try {
  await db.query('TRUNCATE traces, spans');
  const format = (r: { p50: number; p95: number; p99: number; mean: number }) =>
    `p50 ${(r.p50 * 1000).toFixed(1)} µs, p95 ${(r.p95 * 1000).toFixed(1)} µs, p99 ${(r.p99 * 1000).toFixed(1)} µs, mean ${(r.mean * 1000).toFixed(1)} µs`;

  // 1a. Baseline: the tracer publishing to a bus nobody listens to.
  const baseline = await measureOverhead(createTracer(createEventBus()), requests);

  // 1b. With the recorder (default settings: batches of 500, 1 s interval, 10k buffer).
  const events = createEventBus();
  const observe = createObservability({ db, events, config: config.observe, logger: silentLogger, clock: systemClock });
  const recorded = await measureOverhead(createTracer(events), requests);
  await observe.recorder.flush();
  const overheadStats = { ...observe.recorder.stats };
  await observe.close();

  // 2. Sustained ingest.
  await db.query('TRUNCATE traces, spans');
  const ingestEvents = createEventBus();
  const ingest = createObservability({
    db,
    events: ingestEvents,
    config: { ...config.observe, recorder: { ...config.observe.recorder, flushBatchSize: 1000, maxBufferedSpans: 20_000 } },
    logger: silentLogger,
    clock: systemClock,
  });
  const ingestTracer = createTracer(ingestEvents);
  const started = performance.now();
  for (let i = 0; i < ingestRequests; i++) {
    answerRequest(ingestTracer, i);
    await yieldToLoop();
    if (ingest.recorder.stats.buffered > 10_000) await ingest.recorder.flush();
  }
  await ingest.recorder.flush();
  const seconds = (performance.now() - started) / 1000;
  const ingestStats = { ...ingest.recorder.stats };
  await ingest.close();
  const stored = await db.query<{ spans: number; traces: number }>(
    'SELECT (SELECT count(*)::int FROM spans) AS spans, (SELECT count(*)::int FROM traces) AS traces',
  );

  console.log(`Tracing benchmark — ${store}, Node ${process.versions.node}, ${new Date().toISOString()}`);
  console.log(`\nRequest-path time per answer request (${spansPerRequest} spans, ${requests} requests):`);
  console.log(`  baseline (tracer, no subscriber): ${format(baseline)}`);
  console.log(`  with trace recorder:              ${format(recorded)}`);
  console.log(
    `  recorder overhead at p95: ${((recorded.p95 - baseline.p95) * 1000).toFixed(1)} µs; recorded ${overheadStats.recorded} spans, dropped ${overheadStats.dropped}`,
  );
  console.log(`\nSustained ingest (${ingestRequests} requests = ${ingestRequests * spansPerRequest} spans):`);
  console.log(
    `  ${(ingestStats.recorded / seconds).toFixed(0)} spans/s (${(ingestStats.recorded / spansPerRequest / seconds).toFixed(0)} traces/s) in ${seconds.toFixed(2)} s; stored ${stored.rows[0]?.spans} spans / ${stored.rows[0]?.traces} traces; dropped ${ingestStats.dropped}`,
  );
} finally {
  await db.close();
}
