import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import type { GroundworkConfigInput } from '../core/index.ts';
import { simulateAnswer } from './fixtures/simulate-answer.ts';

type TestPlatform = Awaited<ReturnType<typeof createTestPlatform>>;

async function withPlatform(config: GroundworkConfigInput, run: (platform: TestPlatform) => Promise<void>): Promise<void> {
  const platform = await createTestPlatform(config);
  try {
    await run(platform);
  } finally {
    await platform.close();
  }
}

describe(`trace recorder (${testStoreKind})`, () => {
  test('records an answer trace with its span tree, tokens, cost and outcome', async () => {
    await withPlatform({}, async (platform) => {
      const traceId = await simulateAnswer(platform.tracer);
      await platform.observe.recorder.flush();
      const trace = (await platform.db.query('SELECT * FROM traces WHERE id = $1', [traceId])).rows[0];
      assert.ok(trace);
      assert.equal(trace.operation, 'answer');
      assert.equal(trace.outcome, 'answered');
      assert.equal(trace.use_case, 'underwriting-qa');
      assert.equal(trace.caller_id, 'user:alice@example.com');
      assert.equal(trace.prompt_version, 'underwriting@3');
      assert.equal(trace.model, 'gpt-4o-mini');
      assert.equal(trace.provider, 'openai');
      assert.equal(Number(trace.input_tokens), 1_000_000);
      assert.equal(Number(trace.output_tokens), 100_000);
      assert.equal(Number(trace.embedding_tokens), 20);
      // gpt-4o-mini: $0.15 per 1M in + $0.60 per 1M out × 0.1M = 0.21; embeddings 20 × 0.02/1M.
      assert.ok(Math.abs(Number(trace.cost_usd) - (0.15 + 0.06 + 0.0000004)) < 1e-9, `cost ${trace.cost_usd}`);
      const spans = await platform.db.query<{ name: string; parent_span_id: string | null }>(
        'SELECT name, parent_span_id FROM spans WHERE trace_id = $1 ORDER BY started_at',
        [traceId],
      );
      assert.deepEqual(spans.rows.map((row) => row.name).sort(), [
        'answer',
        'generate',
        'retrieve',
        'retrieve.lexical',
        'retrieve.vector',
      ]);
      assert.equal(spans.rows.filter((row) => row.parent_span_id === null).length, 1);
      const retrieve = (
        await platform.db.query(`SELECT attributes FROM spans WHERE trace_id = $1 AND name = 'retrieve'`, [traceId])
      ).rows[0];
      assert.deepEqual((retrieve?.attributes as Record<string, unknown> | undefined)?.['groundwork.retrieved'], [
        { chunkId: 'chk_1', documentId: 'doc_1', score: 12.5 },
      ]);
      const metrics = await platform.observe.renderMetrics();
      assert.match(metrics, /groundwork_requests_total\{operation="answer",use_case="underwriting-qa",outcome="answered"\} 1/);
      assert.match(metrics, /groundwork_tokens_total\{direction="output",model="gpt-4o-mini"\} 100000/);
      assert.match(metrics, /groundwork_cost_usd_total\{operation="answer",use_case="underwriting-qa"\} 0\.21/);
    });
  });

  test('question and answer text follow observe.textRetention and never stay in span attributes', async () => {
    for (const retention of ['keep', 'redact', 'drop'] as const) {
      await withPlatform({ observe: { textRetention: retention } }, async (platform) => {
        const traceId = await simulateAnswer(platform.tracer);
        await platform.observe.recorder.flush();
        const trace = (await platform.db.query('SELECT question, answer, text_retention FROM traces WHERE id = $1', [traceId]))
          .rows[0];
        assert.equal(trace?.text_retention, retention);
        if (retention === 'keep') assert.match(String(trace?.question), /jane\.doe@example\.com/);
        if (retention === 'redact') {
          assert.match(String(trace?.question), /flood deductible/);
          assert.doesNotMatch(String(trace?.question), /jane\.doe@example\.com/);
          assert.doesNotMatch(String(trace?.answer), /jane\.doe@example\.com/);
        }
        if (retention === 'drop') {
          assert.equal(trace?.question, null);
          assert.equal(trace?.answer, null);
        }
        const leaked = await platform.db.query(
          `SELECT count(*)::int AS n FROM spans WHERE attributes ? 'groundwork.question' OR attributes ? 'groundwork.answer'`,
        );
        assert.equal(leaked.rows[0]?.n, 0);
      });
    }
  });

  test('refusals, errors and budget blocks become outcomes; a span ending after its root still counts', async () => {
    await withPlatform({}, async (platform) => {
      const refused = await simulateAnswer(platform.tracer, { refused: true });
      const failed = platform.tracer.startSpan('answer', undefined, { 'groundwork.operation': 'answer' });
      failed.fail(Object.assign(new Error('nope'), { code: 'budget.exhausted' }));
      const aborted = platform.tracer.startSpan('answer', undefined, { 'groundwork.operation': 'answer' });
      aborted.fail(Object.assign(new Error('closed'), { code: 'answer.aborted' }));
      const root = platform.tracer.startSpan('search', undefined, { 'groundwork.operation': 'search' });
      const late = platform.tracer.startSpan('retrieve.rerank', root.context, {
        'gen_ai.operation.name': 'rerank',
        'gen_ai.request.model': 'rerank-v3.5',
      });
      root.end();
      await platform.observe.recorder.flush();
      late.end();
      await platform.observe.recorder.flush();
      // Children written in an earlier batch than their root: the root's totals still include them.
      const early = platform.tracer.startSpan('answer', undefined, {
        'groundwork.operation': 'answer',
        'groundwork.use_case': 'uw',
      });
      platform.tracer
        .startSpan('generate', early.context, {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': 2_000_000,
        })
        .end();
      await platform.observe.recorder.flush();
      platform.tracer
        .startSpan('generate', early.context, {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.output_tokens': 1_000_000,
        })
        .end();
      early.end();
      await platform.observe.recorder.flush();
      const earlyRow = (
        await platform.db.query('SELECT input_tokens, output_tokens, cost_usd FROM traces WHERE id = $1', [early.context.traceId])
      ).rows[0];
      assert.equal(Number(earlyRow?.input_tokens), 2_000_000);
      assert.equal(Number(earlyRow?.output_tokens), 1_000_000);
      assert.ok(Math.abs(Number(earlyRow?.cost_usd) - 0.9) < 1e-9);
      assert.ok(Math.abs(platform.observe.metrics.costUsd.get({ operation: 'answer', use_case: 'uw' }) - 0.9) < 1e-9);
      const outcomes = await platform.db.query<{ id: string; outcome: string; cost_usd: number; error_code: string | null }>(
        'SELECT id, outcome, cost_usd, error_code FROM traces',
      );
      const byId = new Map(outcomes.rows.map((row) => [row.id, row]));
      assert.equal(byId.get(refused)?.outcome, 'refused');
      assert.equal(platform.observe.metrics.costUsd.get({ operation: 'search', use_case: '' }), 0.002);
      assert.equal(byId.get(failed.context.traceId)?.outcome, 'blocked');
      assert.equal(byId.get(failed.context.traceId)?.error_code, 'budget.exhausted');
      assert.equal(byId.get(aborted.context.traceId)?.outcome, 'aborted');
      assert.equal(byId.get(root.context.traceId)?.outcome, 'ok');
      assert.equal(Number(byId.get(root.context.traceId)?.cost_usd), 0.002);
    });
  });

  test('a context near the model window is flagged on the trace and counted', async () => {
    await withPlatform({}, async (platform) => {
      const near = await simulateAnswer(platform.tracer, { contextTokens: 120_000 });
      const far = await simulateAnswer(platform.tracer, { contextTokens: 10_000 });
      await platform.observe.recorder.flush();
      const rows = await platform.db.query<{ id: string; context_near_limit: boolean }>(
        'SELECT id, context_near_limit FROM traces',
      );
      const flags = new Map(rows.rows.map((row) => [row.id, row.context_near_limit]));
      assert.equal(flags.get(near), true);
      assert.equal(flags.get(far), false);
      assert.equal(platform.observe.metrics.contextNearLimit.get({ use_case: 'underwriting-qa', model: 'gpt-4o-mini' }), 1);
    });
  });

  test('a full buffer drops spans and counts them instead of blocking or growing', async () => {
    await withPlatform(
      { observe: { recorder: { maxBufferedSpans: 10, flushBatchSize: 1000, flushIntervalMs: 60_000 } } },
      async (platform) => {
        for (let i = 0; i < 25; i++) platform.tracer.startSpan('search', undefined, { 'groundwork.operation': 'search' }).end();
        assert.equal(platform.observe.recorder.stats.buffered, 10);
        assert.equal(platform.observe.recorder.stats.dropped, 15);
        await platform.observe.recorder.flush();
        const count = await platform.db.query<{ n: number }>('SELECT count(*)::int AS n FROM traces');
        assert.equal(count.rows[0]?.n, 10);
        assert.match(await platform.observe.renderMetrics(), /groundwork_trace_spans_dropped_total\{reason="buffer_full"\} 15/);
      },
    );
  });

  test('close() flushes what is buffered', async () => {
    const platform = await createTestPlatform({ observe: { recorder: { flushIntervalMs: 60_000 } } });
    let traceId = '';
    try {
      traceId = await simulateAnswer(platform.tracer);
      assert.ok(platform.observe.recorder.stats.buffered > 0);
      await platform.observe.close();
      const rows = await platform.db.query('SELECT id FROM traces WHERE id = $1', [traceId]);
      assert.equal(rows.rowCount, 1);
    } finally {
      await platform.close();
    }
  });
});

describe(`sync runs as traces (${testStoreKind})`, () => {
  test('ingestion events become a sync trace with parse, ocr and embed spans, priced; quarantines are counted', async () => {
    await withPlatform({ observe: { prices: { ocrPerPage: 0.01 } } }, async (platform) => {
      const { events } = platform;
      const publish = events.publish as (name: string, payload: unknown) => void;
      publish('sync-start', { runId: 'run_1', sourceId: 'src_1', sourceName: 'corpus', trigger: 'cli' });
      for (let i = 0; i < 3; i++) {
        publish('document-parsed', {
          runId: 'run_1',
          sourceId: 'src_1',
          sourceRef: `doc-${i}.pdf`,
          mediaType: 'application/pdf',
          pages: 4,
          ocrPages: i === 0 ? 2 : 0,
          bytes: 1000,
          durationMs: 5,
          warnings: 0,
        });
      }
      publish('document-quarantined', {
        runId: 'run_1',
        sourceId: 'src_1',
        sourceRef: 'bad.pdf',
        code: 'parse.encrypted_pdf',
        message: 'x',
      });
      publish('embed-end', {
        runId: 'run_1',
        model: 'openai:text-embedding-3-small',
        count: 10,
        cached: 2,
        tokens: 600_000,
        durationMs: 30,
      });
      publish('embed-end', {
        runId: 'run_1',
        model: 'openai:text-embedding-3-small',
        count: 10,
        cached: 0,
        tokens: 400_000,
        durationMs: 30,
      });
      publish('sync-end', {
        runId: 'run_1',
        sourceId: 'src_1',
        sourceName: 'corpus',
        status: 'partial',
        counts: { documents: 3, pages: 12, ocrPages: 2, quarantined: 1 },
        durationMs: 120,
      });
      await platform.observe.recorder.flush();
      const trace = (await platform.db.query(`SELECT * FROM traces WHERE operation = 'sync'`)).rows[0];
      assert.ok(trace, 'a sync trace');
      assert.equal(trace.name, 'sync');
      assert.equal(Number(trace.embedding_tokens), 1_000_000);
      // 2 OCR pages × $0.01 + 1M embedding tokens × $0.02/M
      assert.ok(Math.abs(Number(trace.cost_usd) - 0.04) < 1e-9, `cost ${trace.cost_usd}`);
      const names = await platform.db.query<{ name: string; n: number }>(
        'SELECT name, count(*)::int AS n FROM spans WHERE trace_id = $1 GROUP BY name ORDER BY name',
        [trace.id],
      );
      assert.deepEqual(
        names.rows.map((r) => [r.name, r.n]),
        [
          ['embed', 1],
          ['ocr', 1],
          ['parse', 3],
          ['sync', 1],
        ],
      );
      const metrics = await platform.observe.renderMetrics();
      assert.match(metrics, /groundwork_ingest_syncs_total\{source="corpus",status="partial"\} 1/);
      assert.match(metrics, /groundwork_ingest_failures_total\{source="corpus",kind="quarantined"\} 1/);
    });
  });
});
