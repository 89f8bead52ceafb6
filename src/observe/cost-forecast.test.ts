import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { insertInsurerCorpus, staff } from '../../test/helpers/insurer-corpus.ts';
import { type OpenAICompatibleServer, startOpenAICompatibleServer } from '../../test/helpers/openai-compatible-server.ts';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { callerWithPrincipals, type GroundworkConfigInput, type GroundworkError } from '../core/index.ts';
import { addSource } from '../ingest/index.ts';
import { type CostForecastRequest, forecastCost, forecastDefaults, measureAnswerUsage, requestsPerCoreAt } from './index.ts';

const answerable = [
  'What is the deductible for water damage under HO-3?',
  'How soon must the first notice of loss be recorded?',
  'How old may a roof be for HO-3?',
];
/** Nothing in the corpus matches: refused before any model call (0 tokens, as it costs). */
const unanswerable = 'Zyxwv qwerty plorb?';
/** Scripted usage of the three model calls, in order. */
const promptTokens = [1000, 2000, 3000];
const completionTokens = [100, 200, 300];

type Platform = Awaited<ReturnType<typeof createTestPlatform>>;

const month = forecastDefaults.daysPerMonth;
const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≠ ${expected}`);

describe('requests per core by corpus size', () => {
  test('the measured points, log-log between them, held flat outside (and flagged beyond the largest)', () => {
    assert.deepEqual(requestsPerCoreAt(500), { perSecond: 40, extrapolated: false });
    assert.deepEqual(requestsPerCoreAt(10_000), { perSecond: 40, extrapolated: false });
    close(requestsPerCoreAt(Math.sqrt(10_000 * 100_000)).perSecond, Math.sqrt(40 * 4), 'geometric midpoint');
    assert.deepEqual(requestsPerCoreAt(100_000), { perSecond: 4, extrapolated: false });
    assert.deepEqual(requestsPerCoreAt(1_000_000), { perSecond: 4, extrapolated: true });
  });
});

describe(`cost forecast (${testStoreKind})`, () => {
  let server: OpenAICompatibleServer;
  let calls = 0;
  before(async () => {
    server = await startOpenAICompatibleServer({
      chat: () => {
        const n = calls++ % 3;
        return {
          text: 'The answer is in the documents [1].',
          promptTokens: promptTokens[n] as number,
          completionTokens: completionTokens[n] as number,
        };
      },
      dimensions: 8,
    });
  });
  after(() => server.close());

  const config = (extra: GroundworkConfigInput = {}): GroundworkConfigInput => ({
    ...extra,
    models: {
      providers: { local: { type: 'openai-compatible', baseUrl: server.baseUrl, trusted: true } },
      chat: 'local:mid-model',
      ...extra.models,
    },
    observe: {
      prices: {
        models: {
          'mid-model': { inputPerMillion: 0.5, outputPerMillion: 1.5 },
          'big-model': { inputPerMillion: 5, outputPerMillion: 20 },
          'embed-model': { inputPerMillion: 0.1 },
        },
        ocrPerPage: 0.002,
      },
    },
  });

  const request = (platform: Platform, overrides: Partial<CostForecastRequest> = {}): CostForecastRequest => {
    const now = new Date();
    const since = new Date(now.getTime() - 30 * 86_400_000);
    return {
      useCase: 'underwriting-qa',
      queriesPerDay: 1000,
      users: 50,
      model: 'local:mid-model',
      modelSource: 'config',
      usage: { from: 'traces', useCase: 'underwriting-qa', since, label: 'traces since test start' },
      since,
      now,
      models: platform.config.models,
      retentionDays: platform.config.observe.retentionDays,
      chunkTargetTokens: platform.config.ingest.chunking.targetTokens,
      sources: [],
      overrides: {
        newDocumentsPerMonth: 200,
        ocrPagesPerMonth: 50,
        bytesPerChunk: 20_000,
        requestsPerCore: 10,
        corePricePerMonth: 40,
        minCores: 2,
        storagePricePerGbMonth: 0.5,
        engineeringHoursPerMonth: 10,
        engineeringRatePerHour: 120,
      },
      ...overrides,
    };
  };

  async function askAll(platform: Platform, options: { useCase?: string; trace?: { traceId: string; spanId: string } } = {}) {
    const caller = callerWithPrincipals([staff]);
    const answers = [];
    for (const question of [...answerable, unanswerable]) {
      answers.push(
        await platform.answerer.ask({
          question,
          caller,
          useCase: options.useCase ?? 'underwriting-qa',
          ...(options.trace ? { trace: options.trace } : {}),
        }),
      );
    }
    await platform.observe.recorder.flush();
    return answers;
  }

  test('tokens per answer are measured from the use case’s traces and every monthly figure follows from the inputs', async () => {
    calls = 0;
    const platform = await createTestPlatform(config());
    try {
      await insertInsurerCorpus(platform.db);
      await platform.answerer.useCases.create('underwriting-qa', { status: 'general' });
      const answers = await askAll(platform);
      assert.deepEqual(
        answers.map((a) => a.usage.inputTokens),
        [1000, 2000, 3000, 0],
        'three model calls and one refusal before generation',
      );
      assert.equal(answers[3]?.refused, true);
      // Another use case's answers are not measured.
      await platform.answerer.useCases.create('claims-qa', { status: 'general' });
      await platform.answerer.ask({
        question: answerable[0] as string,
        caller: callerWithPrincipals([staff]),
        useCase: 'claims-qa',
      });
      await platform.observe.recorder.flush();

      const usage = await measureAnswerUsage(platform.db, { from: 'traces', useCase: 'underwriting-qa', since: new Date(0) });
      assert.equal(usage.answers, 4);
      assert.equal(usage.withModelCall, 3);
      assert.deepEqual(usage.tokensIn, { mean: 1500, median: 1000, p90: 3000 });
      assert.deepEqual(usage.tokensOut, { mean: 150, median: 100, p90: 300 });
      assert.deepEqual(usage.models, ['openai-compatible:mid-model']);
      assert.equal(usage.otherCostUsd, 0, 'no embedding, rerank or judge model configured');

      const forecast = await forecastCost(platform.db, platform.observe.prices, request(platform));
      const perQuery = (1500 * 0.5 + 150 * 1.5) / 1_000_000;
      assert.deepEqual(
        { tokensIn: forecast.perQuery.tokensIn, tokensOut: forecast.perQuery.tokensOut },
        { tokensIn: 1500, tokensOut: 150 },
      );
      close(forecast.perQuery.cost, perQuery, 'perQuery.cost');
      close(forecast.monthly.model, perQuery * 1000 * month, 'monthly.model');
      assert.equal(forecast.monthly.embedding, 0, 'no embedding model: nothing embedded');
      close(forecast.monthly.ocr, 50 * 0.002, 'monthly.ocr');
      // Storage: the stored chunks plus a month of 200 documents, and 90 days of 1,000 answer traces.
      const stored = (
        await platform.db.query<{ chunks: number; documents: number }>(
          `SELECT (SELECT count(*) FROM chunks)::int AS chunks, (SELECT count(*) FROM documents WHERE status = 'indexed')::int AS documents`,
        )
      ).rows[0] as { chunks: number; documents: number };
      const chunksAtMonthEnd = stored.chunks + 200 * (stored.chunks / stored.documents);
      const storageGb =
        (chunksAtMonthEnd * 20_000 + 1000 * 90 * Number(forecast.assumptions.bytesPerAnswerTrace?.value)) / 1024 ** 3;
      close(forecast.sizing.storageGb, storageGb, 'storage GB');
      // Compute: 1,000 queries in 8 busy hours, the peak twice that: 0.069 requests/s, below 2 cores' worth.
      close(forecast.sizing.peakRequestsPerSecond, (1000 / (8 * 3600)) * 2, 'peak requests/s');
      assert.equal(forecast.sizing.cores, 2);
      close(forecast.monthly.infrastructure, storageGb * 0.5 + 2 * 40, 'monthly.infrastructure');
      assert.equal(forecast.monthly.engineering, 1200);
      close(
        forecast.monthly.total,
        forecast.monthly.model + forecast.monthly.embedding + forecast.monthly.ocr + forecast.monthly.infrastructure + 1200,
        'monthly.total',
      );
      close(forecast.perQuery.allInCost, forecast.monthly.total / (1000 * month), 'allInCost');
      close(forecast.perUser?.monthly ?? 0, forecast.monthly.total / 50, 'per user');
      assert.equal(forecast.perUser?.queriesPerDay, 20);

      // Every number is in the assumptions with its source.
      const sources = Object.fromEntries(Object.entries(forecast.assumptions).map(([name, a]) => [name, a.source]));
      assert.equal(sources.tokensInPerAnswer, 'measured');
      assert.equal(sources.inputPricePerMillion, 'table');
      assert.equal(sources.newDocumentsPerMonth, 'flag');
      assert.equal(sources.chunksPerDocument, 'measured');
      assert.equal(sources.bytesPerAnswerTrace, 'benchmark');
      assert.equal(sources.traceRetentionDays, 'config');
      assert.equal(sources.busyHoursPerDay, 'default');
      assert.match(String(forecast.assumptions.tokensInPerAnswer?.note), /4 answers.*median 1000, p90 3000/);

      assert.deepEqual(forecast.warnings, [
        'Only 3 answers with a model call measured: the mean tokens per answer are uncertain; measure more (a wider --since, or an answer evaluation with --dataset).',
      ]);
      assert.equal(forecast.modelTier, 'mid-tier');
      assert.equal(forecast.ruleOfThumb.position, 'below', `${forecast.perQuery.cost} is below $0.002`);
      assert.match(forecast.ruleOfThumb.summary, /mid-tier model.*below the rule of thumb/);
    } finally {
      await platform.close();
    }
  });

  test('--model reprices the measured tokens; extractive costs nothing; an unpriced model is an error naming the fix', async () => {
    calls = 0;
    const platform = await createTestPlatform(config());
    try {
      await insertInsurerCorpus(platform.db);
      await platform.answerer.useCases.create('underwriting-qa', { status: 'general' });
      await askAll(platform);
      const flagship = await forecastCost(
        platform.db,
        platform.observe.prices,
        request(platform, { model: 'local:big-model', modelSource: 'flag', queriesPerDay: 20_000 }),
      );
      const perQuery = (1500 * 5 + 150 * 20) / 1_000_000;
      close(flagship.perQuery.cost, perQuery, 'flagship perQuery.cost');
      assert.equal(flagship.modelTier, 'flagship');
      assert.equal(flagship.ruleOfThumb.position, 'below');
      assert.equal(flagship.assumptions.model?.source, 'flag');
      assert.ok(
        flagship.warnings.some((w) => w.includes('measured with openai-compatible:mid-model and are priced as local:big-model')),
      );
      // 20,000 queries/day: a peak of 1.39 requests/s over 10 per core still fits the 2-core minimum.
      assert.equal(flagship.sizing.cores, 2);
      const busy = await forecastCost(platform.db, platform.observe.prices, request(platform, { queriesPerDay: 1_000_000 }));
      assert.equal(busy.sizing.cores, Math.ceil(((1_000_000 / (8 * 3600)) * 2) / 10));
      // Beyond the measured corpus sizes the benchmark's rate is held flat, and the forecast says so.
      const base = request(platform);
      const large = await forecastCost(platform.db, platform.observe.prices, {
        ...base,
        overrides: { ...base.overrides, newDocumentsPerMonth: 1_000_000, requestsPerCore: undefined },
      });
      assert.equal(large.assumptions.requestsPerCore?.value, 4);
      assert.equal(large.assumptions.requestsPerCore?.source, 'benchmark');
      assert.ok(large.warnings.some((w) => w.includes('beyond the measured 100,000')));

      const extractive = await forecastCost(platform.db, platform.observe.prices, request(platform, { model: undefined }));
      assert.deepEqual(
        { tokensIn: extractive.perQuery.tokensIn, tokensOut: extractive.perQuery.tokensOut, cost: extractive.perQuery.cost },
        { tokensIn: 0, tokensOut: 0, cost: 0 },
      );
      assert.equal(extractive.monthly.model, 0);
      assert.equal(extractive.ruleOfThumb.position, 'not applicable');

      await assert.rejects(
        forecastCost(
          platform.db,
          platform.observe.prices,
          request(platform, { model: 'acme:secret-model', modelSource: 'flag' }),
        ),
        (error: GroundworkError) => {
          assert.equal(error.code, 'cost.unknown_price');
          assert.equal(error.category, 'usage');
          assert.match(error.fix ?? '', /observe\.prices\.models/);
          assert.match(error.fix ?? '', /gpt-4o-mini/);
          return true;
        },
      );
    } finally {
      await platform.close();
    }
  });

  test('an answer evaluation run is measured on its own answers; no answers and extractive-only traces are errors with both fixes', async () => {
    calls = 0;
    const platform = await createTestPlatform(config());
    try {
      await insertInsurerCorpus(platform.db);
      await platform.answerer.useCases.create('underwriting-qa', { status: 'general' });
      await assert.rejects(forecastCost(platform.db, platform.observe.prices, request(platform)), (error: GroundworkError) => {
        assert.equal(error.code, 'cost.no_usage');
        assert.equal(error.category, 'not_found');
        assert.match(error.message, /No answers of use case underwriting-qa/);
        assert.match(error.fix ?? '', /eval run DATASET --mode answer --use-case underwriting-qa/);
        assert.match(error.fix ?? '', /--dataset DATASET/);
        assert.match(error.fix ?? '', /--since/);
        return true;
      });
      // An evaluation asks every case under its own trace (as run-evaluation does).
      const evaluation = platform.tracer.startSpan('evaluation', undefined, { 'groundwork.operation': 'evaluation' });
      await askAll(platform, { trace: evaluation.context });
      evaluation.end();
      await platform.observe.recorder.flush();
      const usage = await measureAnswerUsage(platform.db, { from: 'evaluation', traceId: evaluation.context.traceId });
      assert.equal(usage.answers, 4);
      assert.equal(usage.tokensIn.mean, 1500);
      const forecast = await forecastCost(
        platform.db,
        platform.observe.prices,
        request(platform, { usage: { from: 'evaluation', traceId: evaluation.context.traceId, label: 'evaluation run r1' } }),
      );
      close(forecast.perQuery.cost, (1500 * 0.5 + 150 * 1.5) / 1_000_000, 'perQuery.cost from the evaluation');
      assert.match(String(forecast.assumptions.answersMeasured?.note), /evaluation run r1/);
      // The production traces of the use case are still empty: the evaluation's answers are not production traffic.
      await assert.rejects(forecastCost(platform.db, platform.observe.prices, request(platform)), /No answers of use case/);

      await platform.answerer.useCases.create('lookup', { model: 'extractive', status: 'general' });
      await askAll(platform, { useCase: 'lookup' });
      await assert.rejects(
        forecastCost(
          platform.db,
          platform.observe.prices,
          request(platform, {
            useCase: 'lookup',
            usage: { from: 'traces', useCase: 'lookup', since: new Date(0), label: 'traces' },
          }),
        ),
        (error: GroundworkError) => {
          assert.equal(error.code, 'cost.no_token_measurements');
          assert.match(error.message, /4 measured answers .* made no model call/);
          assert.match(error.fix ?? '', /--model extractive/);
          return true;
        },
      );
    } finally {
      await platform.close();
    }
  });

  test('corpus growth: documents, chunks, embedding tokens and OCR share are measured from the syncs', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gw-forecast-'));
    const platform = await createTestPlatform(config({ models: { embedding: { model: 'local:embed-model', dimensions: 8 } } }));
    try {
      for (let i = 0; i < 6; i++) {
        writeFileSync(
          join(root, `note-${i}.md`),
          `# Note ${i}\n\nWater damage claims under HO-3 are reported within 24 hours of discovery, policy ${i}.\n\n## Settlement\n\nThe adjuster settles claim ${i} within thirty days after the proof of loss.\n`,
        );
      }
      await addSource(platform.db, { name: 'notes', type: 'filesystem', path: root, readableBy: [staff] });
      const summary = await platform.ingestion.sync({ source: 'notes' });
      assert.equal(summary.added, 6);
      await platform.answerer.useCases.create('underwriting-qa', { model: 'extractive', status: 'general' });
      await platform.answerer.ask({
        question: 'When are water damage claims reported?',
        caller: callerWithPrincipals([staff]),
        useCase: 'underwriting-qa',
      });
      await platform.observe.recorder.flush();

      const base = request(platform, { model: undefined });
      const forecast = await forecastCost(platform.db, platform.observe.prices, {
        ...base,
        overrides: { ...base.overrides, newDocumentsPerMonth: undefined, ocrPagesPerMonth: undefined },
      });
      const a = forecast.assumptions;
      const stored = (
        await platform.db.query<{ chunks: number; documents: number }>(
          `SELECT (SELECT count(*) FROM chunks)::int AS chunks, (SELECT count(*) FROM documents WHERE status = 'indexed')::int AS documents`,
        )
      ).rows[0] as { chunks: number; documents: number };
      // 6 documents in the 30-day window, scaled to a month of 365/12 days.
      assert.equal(a.newDocumentsPerMonth?.source, 'measured');
      close(Number(a.newDocumentsPerMonth?.value), (6 * month) / 30, 'documents per month');
      close(Number(a.chunksPerDocument?.value), stored.chunks / stored.documents, 'chunks per document');
      // The loopback provider reports one token per embedded text.
      assert.equal(a.embeddingTokensPerChunk?.source, 'measured');
      assert.equal(a.embeddingTokensPerChunk?.value, 1);
      assert.equal(a.embeddingPricePerMillion?.value, 0.1);
      close(
        forecast.monthly.embedding,
        (((6 * month) / 30) * (stored.chunks / stored.documents) * 1 * 0.1) / 1_000_000,
        'monthly.embedding',
      );
      assert.equal(a.ocrPagesPerMonth?.source, 'measured');
      assert.equal(forecast.monthly.ocr, 0, 'Markdown needs no OCR');
      // The extractive answer embedded its query: that spend is measured per answer, as recorded.
      const recorded = await platform.db.query<{ cost: number }>(
        `SELECT coalesce(sum(cost_usd), 0)::float8 AS cost FROM spans WHERE trace_id IN (SELECT id FROM traces WHERE operation = 'answer')`,
      );
      close(forecast.perQuery.cost, Number(recorded.rows[0]?.cost), 'perQuery.cost = recorded query-embedding spend');
      assert.ok(forecast.perQuery.cost > 0);
    } finally {
      await platform.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
