import { type GroundworkConfig, GroundworkError } from '../core/index.ts';
import { type Database, measureStorage, type Queryable } from '../store/index.ts';
import { type ModelPrice, type PriceTable, priceFor } from './prices.ts';

/**
 * The cost of running one use case for a month (`groundwork cost forecast`): what an answer costs, measured
 * from the use case's answer traces (or an answer evaluation run) and priced with the price table; the
 * embedding and OCR of the corpus growth, measured from sync traces; storage and compute sized from the
 * store and the figures measured by the benchmarks (docs/operations.md#sizing); and engineering time.
 * Every number used is returned in `assumptions` with its source, so a forecast can be checked and redone.
 */

/** Defaults of the rates a forecast cannot measure; every one can be overridden (flags of `cost forecast`). */
export const forecastDefaults = Object.freeze({
  /** 365 / 12: queries per day are averaged over every day of the year. */
  daysPerMonth: 365 / 12,
  /** Answers arrive during a business day, the busiest hour at twice that day's mean rate. */
  busyHoursPerDay: 8,
  peakFactor: 2,
  /** USD per vCPU-month, with 4 GiB of memory: on-demand general-purpose cloud VMs, 2026 list prices (≈ $0.04/h). */
  corePricePerMonth: 30,
  /** The smallest production deployment: two API replicas, a worker and PostgreSQL (docs/operations.md). */
  minCores: 4,
  /** USD per GB-month: managed PostgreSQL storage (≈ $0.115) counted twice, for a standby or the backups. */
  storagePricePerGbMonth: 0.25,
  /** Upgrades, evaluation review, source and prompt changes: one person-day every two weeks. */
  engineeringHoursPerMonth: 16,
  engineeringRatePerHour: 100,
  /** Answers read from traces at most (the most recent ones in the window). */
  sampleLimit: 10_000,
  /** Below this many chunks (or traces) the store's own bytes are mostly fixed overhead: benchmark figures are used. */
  measuredStorageFromChunks: 10_000,
  measuredTracesFrom: 1_000,
});

/**
 * Figures measured by the benchmarks on the development machine (docs/operations.md#sizing):
 * `npm run bench:storage` (20,000 chunks of 350-token English prose, with and without 384-d vectors, on
 * PGlite 18.6 and PostgreSQL 15), `npm run bench:load` (searches/s on 2 cores with PostgreSQL on the same
 * machine, p95 < 200 ms) and `npm run bench:answer` (an answer's own work on top of retrieval).
 */
export const sizingBenchmarks = Object.freeze({
  /** Marginal bytes per chunk of the corpus tables and their indexes (postings are ~9 KB of it), without vectors. */
  bytesPerChunk: { embedded: 12_300, server: 10_900 },
  /** Added per embedding dimension: the vector in `chunks`, its HNSW entry and the embedding cache row. */
  bytesPerChunkPerDimension: { embedded: 14.8, server: 14.8 },
  /** An answer trace of 8 spans: `traces` + `spans` rows with their indexes. */
  bytesPerAnswerTrace: 6_300,
  /**
   * Answers per second per core at two corpus sizes (server PostgreSQL, portable BM25, API and database on the
   * same cores): searches measured by bench:load (120/s on 2 cores at 10k chunks; under 10/s on 2 cores at
   * 100k), less the answer's own work (2-5 ms per answer). Log-log interpolated between the two points, held
   * flat outside them (a forecast beyond 100k chunks says it extrapolates).
   */
  requestsPerCore: [
    { chunks: 10_000, perSecond: 40 },
    { chunks: 100_000, perSecond: 4 },
  ],
});

/** The seed's rule of thumb: USD of model spend per query, by model tier. */
export const ruleOfThumbRanges = Object.freeze({
  'mid-tier': { min: 0.002, max: 0.008 },
  flagship: { min: 0.02, max: 0.1 },
});
/** A chat model whose output costs at least this (USD per million tokens) counts as flagship. */
export const flagshipOutputPerMillion = 8;

export type AssumptionSource = 'measured' | 'table' | 'config' | 'flag' | 'default' | 'benchmark';

/** One number a forecast used, with where it came from. */
export interface Assumption {
  readonly value: number | string | null;
  readonly unit: string;
  readonly source: AssumptionSource;
  readonly note?: string;
}

export interface Distribution {
  readonly mean: number;
  readonly median: number;
  readonly p90: number;
}

/** Tokens and spend of answers, measured from their spans. */
export interface AnswerUsage {
  readonly answers: number;
  /** Answers that called a chat model (`generate` span). */
  readonly withModelCall: number;
  /** Input and output tokens of the answer model (`generate` spans) per answer. */
  readonly tokensIn: Distribution;
  readonly tokensOut: Distribution;
  /** Mean recorded spend per answer besides the answer model: query embedding, rerank, judge. */
  readonly otherCostUsd: number;
  /** Answer models seen (`provider:model`), most used first. */
  readonly models: readonly string[];
  readonly firstAt: Date | null;
  readonly lastAt: Date | null;
}

/** Answers to measure: a use case's production traces, or the answers of one evaluation run. */
export type UsageScope =
  | { readonly from: 'traces'; readonly useCase: string; readonly since: Date; readonly limit?: number }
  | { readonly from: 'evaluation'; readonly traceId: string };

/** How an evaluation run is named in a forecast's assumptions. */
export function evaluationUsageLabel(run: {
  readonly id: string;
  readonly datasetName: string;
  readonly datasetVersion: number;
  readonly startedAt: Date;
}): string {
  return `evaluation run ${run.id} of ${run.datasetName}@${run.datasetVersion} (${run.startedAt.toISOString().slice(0, 10)})`;
}

const distribution = (values: readonly number[]): Distribution => {
  if (values.length === 0) return { mean: 0, median: 0, p90: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
  return { mean: sorted.reduce((sum, v) => sum + v, 0) / sorted.length, median: at(0.5), p90: at(0.9) };
};

/**
 * Tokens per answer from recorded spans: each `answer` span and everything under it (production traces have
 * it as their root; an evaluation trace holds one per case and sample). Answers that were refused before
 * generation count with 0 tokens, as they cost; failed and budget-blocked ones are left out.
 */
export async function measureAnswerUsage(db: Queryable, scope: UsageScope): Promise<AnswerUsage> {
  const answers =
    scope.from === 'traces'
      ? `SELECT s.trace_id, s.span_id, s.started_at FROM traces t
           JOIN spans s ON s.trace_id = t.id AND s.parent_span_id IS NULL AND s.name = 'answer'
         WHERE t.operation = 'answer' AND t.use_case = $1 AND t.started_at >= $2 AND t.outcome IN ('answered', 'refused')
         ORDER BY t.started_at DESC LIMIT $3`
      : `SELECT s.trace_id, s.span_id, s.started_at FROM spans s
         WHERE s.trace_id = $1 AND s.name = 'answer' AND s.status = 'ok'`;
  const params =
    scope.from === 'traces' ? [scope.useCase, scope.since, scope.limit ?? forecastDefaults.sampleLimit] : [scope.traceId];
  const { rows } = await db.query<{
    tokens_in: number;
    tokens_out: number;
    calls: number;
    other_cost: number;
    model: string | null;
    started_at: Date;
  }>(
    `WITH RECURSIVE answers AS (${answers}),
     tree (trace_id, answer_id, span_id) AS (
       SELECT trace_id, span_id, span_id FROM answers
       UNION ALL
       SELECT t.trace_id, t.answer_id, s.span_id FROM tree t
         JOIN spans s ON s.trace_id = t.trace_id AND s.parent_span_id = t.span_id
     )
     SELECT a.started_at,
       coalesce(sum(s.input_tokens) FILTER (WHERE s.name = 'generate'), 0)::float8 AS tokens_in,
       coalesce(sum(s.output_tokens) FILTER (WHERE s.name = 'generate'), 0)::float8 AS tokens_out,
       count(*) FILTER (WHERE s.name = 'generate')::int AS calls,
       coalesce(sum(s.cost_usd) FILTER (WHERE s.name <> 'generate'), 0)::float8 AS other_cost,
       max(CASE WHEN s.name = 'generate' THEN coalesce(s.provider || ':', '') || s.model END) AS model
     FROM answers a
       JOIN tree t ON t.trace_id = a.trace_id AND t.answer_id = a.span_id
       JOIN spans s ON s.trace_id = t.trace_id AND s.span_id = t.span_id
     GROUP BY a.trace_id, a.span_id, a.started_at`,
    params,
  );
  const models = new Map<string, number>();
  for (const row of rows) if (row.model) models.set(row.model, (models.get(row.model) ?? 0) + 1);
  const times = rows.map((row) => row.started_at.getTime());
  return {
    answers: rows.length,
    withModelCall: rows.filter((row) => Number(row.calls) > 0).length,
    tokensIn: distribution(rows.map((row) => Number(row.tokens_in))),
    tokensOut: distribution(rows.map((row) => Number(row.tokens_out))),
    otherCostUsd: rows.length === 0 ? 0 : rows.reduce((sum, row) => sum + Number(row.other_cost), 0) / rows.length,
    models: [...models.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([model]) => model),
    firstAt: rows.length === 0 ? null : new Date(Math.min(...times)),
    lastAt: rows.length === 0 ? null : new Date(Math.max(...times)),
  };
}

/** What the syncs of a window wrote and spent: documents (new and changed), chunks, OCR pages, embeddings. */
export interface IngestionUsage {
  readonly syncs: number;
  readonly documents: number;
  readonly chunks: number;
  readonly ocrPages: number;
  readonly embeddingTokens: number;
  readonly embeddedTexts: number;
}

export async function measureIngestionUsage(db: Queryable, since: Date): Promise<IngestionUsage> {
  const { rows } = await db.query<{
    syncs: number;
    documents: number | null;
    chunks: number | null;
    ocr_pages: number | null;
    embedding_tokens: number | null;
    embedded_texts: number | null;
  }>(
    `WITH syncs AS (
       SELECT id, attributes -> 'groundwork.sync.counts' AS counts FROM traces
       WHERE operation = 'sync' AND started_at >= $1
     )
     SELECT (SELECT count(*) FROM syncs)::bigint AS syncs,
       (SELECT sum((counts ->> 'documents')::float8) FROM syncs) AS documents,
       (SELECT sum((counts ->> 'chunks')::float8) FROM syncs) AS chunks,
       (SELECT sum((s.attributes ->> 'groundwork.ocr.pages')::float8) FROM spans s JOIN syncs ON syncs.id = s.trace_id
         WHERE s.name = 'ocr') AS ocr_pages,
       (SELECT sum(s.embedding_tokens)::float8 FROM spans s JOIN syncs ON syncs.id = s.trace_id WHERE s.name = 'embed') AS embedding_tokens,
       (SELECT sum((s.attributes ->> 'groundwork.embed.texts')::float8) FROM spans s JOIN syncs ON syncs.id = s.trace_id
         WHERE s.name = 'embed') AS embedded_texts`,
    [since],
  );
  const row = rows[0];
  return {
    syncs: Number(row?.syncs ?? 0),
    documents: Number(row?.documents ?? 0),
    chunks: Number(row?.chunks ?? 0),
    ocrPages: Number(row?.ocr_pages ?? 0),
    embeddingTokens: Number(row?.embedding_tokens ?? 0),
    embeddedTexts: Number(row?.embedded_texts ?? 0),
  };
}

/** Rates given on the command line; each replaces the measured or default figure it names. */
export interface ForecastOverrides {
  readonly newDocumentsPerMonth?: number;
  readonly ocrPagesPerMonth?: number;
  readonly bytesPerChunk?: number;
  readonly requestsPerCore?: number;
  readonly corePricePerMonth?: number;
  readonly minCores?: number;
  readonly storagePricePerGbMonth?: number;
  readonly engineeringHoursPerMonth?: number;
  readonly engineeringRatePerHour?: number;
}

export interface CostForecastRequest {
  readonly useCase: string;
  readonly queriesPerDay: number;
  readonly users?: number | undefined;
  /** `provider:model` answers are priced with, or undefined: extractive (no model call). */
  readonly model: string | undefined;
  /** Where `model` came from: `flag` (--model) or `config` (the use case, its production model configuration, models.chat). */
  readonly modelSource: 'flag' | 'config';
  readonly usage: UsageScope & { readonly label: string };
  /** Window of the sync traces and new documents measured for the corpus growth. */
  readonly since: Date;
  readonly now: Date;
  /** Providers (name → type, for pricing) and the embedding model. */
  readonly models: Pick<GroundworkConfig['models'], 'providers' | 'embedding'>;
  readonly retentionDays: number;
  readonly chunkTargetTokens: number;
  /** The use case's sources (empty: every source). */
  readonly sources: readonly string[];
  readonly overrides: ForecastOverrides;
}

export type ModelTier = 'extractive' | 'mid-tier' | 'flagship';

export interface CostForecast {
  readonly useCase: string;
  readonly model: string | null;
  readonly modelTier: ModelTier;
  readonly queriesPerDay: number;
  readonly users: number | null;
  /** Model spend per answered query (the answer model, plus query embedding, rerank and judge as measured). */
  readonly perQuery: { readonly tokensIn: number; readonly tokensOut: number; readonly cost: number; readonly allInCost: number };
  readonly monthly: {
    readonly total: number;
    readonly model: number;
    readonly embedding: number;
    readonly ocr: number;
    readonly infrastructure: number;
    readonly engineering: number;
  };
  readonly perUser: { readonly monthly: number; readonly queriesPerDay: number } | null;
  readonly sizing: {
    readonly peakRequestsPerSecond: number;
    readonly cores: number;
    readonly storageGb: number;
    readonly chunksAtMonthEnd: number;
  };
  readonly ruleOfThumb: {
    readonly ranges: typeof ruleOfThumbRanges;
    readonly tier: ModelTier;
    readonly perQueryCost: number;
    readonly position: 'below' | 'within' | 'above' | 'not applicable';
    readonly summary: string;
  };
  readonly assumptions: Readonly<Record<string, Assumption>>;
  /** What makes this forecast less certain: few answers measured, another model than the measured one, extrapolation. */
  readonly warnings: readonly string[];
  readonly prices: { readonly asOf: string; readonly note: string };
}

/** Below this many measured answers a forecast says its mean is uncertain. */
export const fewAnswers = 30;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

interface PricedModel {
  readonly ref: string;
  readonly price: ModelPrice;
}

/** Prices `provider:model`: a configured provider name gives its type; otherwise the prefix is read as the type. */
function priceModel(
  table: PriceTable,
  ref: string,
  providers: GroundworkConfig['models']['providers'],
  what: string,
  flag: string,
): PricedModel {
  const colon = ref.indexOf(':');
  const prefix = colon > 0 ? ref.slice(0, colon) : undefined;
  const modelId = colon > 0 ? ref.slice(colon + 1) : ref;
  const providerType = prefix === undefined ? undefined : (providers[prefix]?.type ?? prefix);
  const price = priceFor(table, providerType, modelId);
  if (!price) {
    const known = Object.keys(table.models).filter((key) => key !== 'mock');
    throw new GroundworkError('cost.unknown_price', `The ${what} ${ref} has no price in the price table.`, {
      category: 'usage',
      fix: `Add it under observe.prices.models in the config, e.g. "${modelId}": { "inputPerMillion": 0.5, "outputPerMillion": 1.5 }, or ${flag}. Priced models: ${known.join(', ')}.`,
      details: { model: ref, known },
    });
  }
  return { ref, price };
}

/** Requests per second per core for a corpus size, from the measured points (log-log between them). */
export function requestsPerCoreAt(chunks: number): { perSecond: number; extrapolated: boolean } {
  const points = sizingBenchmarks.requestsPerCore;
  const first = points[0] as { chunks: number; perSecond: number };
  const last = points[points.length - 1] as { chunks: number; perSecond: number };
  if (chunks <= first.chunks) return { perSecond: first.perSecond, extrapolated: false };
  if (chunks >= last.chunks) return { perSecond: last.perSecond, extrapolated: chunks > last.chunks };
  const slope = Math.log(last.perSecond / first.perSecond) / Math.log(last.chunks / first.chunks);
  return { perSecond: first.perSecond * (chunks / first.chunks) ** slope, extrapolated: false };
}

const usd = (value: number) => `$${value < 0.01 && value > 0 ? value.toFixed(5) : value.toFixed(value < 1 ? 4 : 2)}`;

/** Measures what it can, then prices a month of the use case; throws `cost.no_usage` when nothing can be measured. */
export async function forecastCost(db: Database, prices: PriceTable, request: CostForecastRequest): Promise<CostForecast> {
  const model = request.model
    ? priceModel(
        prices,
        request.model,
        request.models.providers,
        'model',
        'pass --model with a priced model (`--model extractive` for answers without one)',
      )
    : undefined;
  const embeddingRef = request.models.embedding?.model;
  const embedding = embeddingRef
    ? priceModel(prices, embeddingRef, request.models.providers, 'embedding model (models.embedding.model)', 'set its price')
    : undefined;

  const usage = await measureAnswerUsage(db, request.usage);
  if (usage.answers === 0) {
    throw new GroundworkError(
      'cost.no_usage',
      request.usage.from === 'traces'
        ? `No answers of use case ${request.useCase} were recorded since ${request.usage.since.toISOString().slice(0, 10)}: tokens per answer cannot be measured.`
        : `The evaluation run ${request.usage.label} recorded no answers: tokens per answer cannot be measured.`,
      {
        category: 'not_found',
        fix: `Forecast from an answer evaluation instead: \`groundwork eval run DATASET --mode answer --use-case ${request.useCase}\`, then \`groundwork cost forecast --use-case ${request.useCase} --dataset DATASET …\`; or widen the window with --since (e.g. --since 90d).`,
      },
    );
  }
  if (model && usage.withModelCall === 0) {
    throw new GroundworkError(
      'cost.no_token_measurements',
      `The ${usage.answers} measured answers (${request.usage.label}) made no model call, so the tokens ${model.ref} would use per answer cannot be measured.`,
      {
        category: 'usage',
        fix: `Measure them with that model: create a use case that uses it (\`groundwork use-cases create ${request.useCase}-${model.ref.split(':').pop()} --model ${model.ref}\`), run \`groundwork eval run DATASET --mode answer --use-case\` with it, and forecast that use case with --dataset DATASET; or forecast extractive answers with --model extractive.`,
      },
    );
  }

  const [storage, ingestion] = await Promise.all([
    measureStorage(db, { sourceNames: request.sources, since: request.since }),
    measureIngestionUsage(db, request.since),
  ]);
  const assumptions: Record<string, Assumption> = {};
  const note = (name: string, assumption: Assumption): number => {
    assumptions[name] = assumption;
    return typeof assumption.value === 'number' ? assumption.value : 0;
  };
  const overrides = request.overrides;
  const windowDays = Math.max(1 / 24, (request.now.getTime() - request.since.getTime()) / 86_400_000);
  const daysPerMonth = note('daysPerMonth', {
    value: forecastDefaults.daysPerMonth,
    unit: 'days',
    source: 'default',
    note: '365 / 12',
  });
  note('queriesPerDay', { value: request.queriesPerDay, unit: 'queries/day', source: 'flag' });
  const monthlyQueries = request.queriesPerDay * daysPerMonth;

  // Per query: the answer model's tokens, priced now; what else answers spent, as recorded.
  const measuredFrom = `${plural(usage.answers, 'answer')}, ${request.usage.label}`;
  note('answersMeasured', { value: usage.answers, unit: 'answers', source: 'measured', note: request.usage.label });
  note('answersWithModelCall', { value: usage.withModelCall, unit: 'answers', source: 'measured', note: request.usage.label });
  const tokensIn = model ? usage.tokensIn.mean : 0;
  const tokensOut = model ? usage.tokensOut.mean : 0;
  note('tokensInPerAnswer', {
    value: tokensIn,
    unit: 'tokens (mean)',
    source: model ? 'measured' : 'default',
    note: model
      ? `${measuredFrom}; median ${usage.tokensIn.median}, p90 ${usage.tokensIn.p90}`
      : 'extractive answers call no model',
  });
  note('tokensOutPerAnswer', {
    value: tokensOut,
    unit: 'tokens (mean)',
    source: model ? 'measured' : 'default',
    note: model
      ? `${measuredFrom}; median ${usage.tokensOut.median}, p90 ${usage.tokensOut.p90}`
      : 'extractive answers call no model',
  });
  if (usage.models.length > 0) {
    note('measuredModels', { value: usage.models.join(', '), unit: 'provider:model', source: 'measured', note: measuredFrom });
  }
  note('model', {
    value: model?.ref ?? 'extractive',
    unit: 'provider:model',
    source: request.modelSource,
    note: request.modelSource === 'config' ? 'the use case (its production model configuration, else models.chat)' : '--model',
  });
  const inputPrice = note('inputPricePerMillion', {
    value: model?.price.inputPerMillion ?? 0,
    unit: 'USD per million tokens',
    source: model ? 'table' : 'default',
    note: model ? prices.note : 'no model',
  });
  const outputPrice = note('outputPricePerMillion', {
    value: model?.price.outputPerMillion ?? 0,
    unit: 'USD per million tokens',
    source: model ? 'table' : 'default',
    note: model ? prices.note : 'no model',
  });
  const otherPerQuery = note('otherModelCostPerAnswer', {
    value: usage.otherCostUsd,
    unit: 'USD (mean)',
    source: 'measured',
    note: `query embedding, rerank and judge spend recorded on the answers (${measuredFrom})`,
  });
  const perQueryCost = (tokensIn * inputPrice + tokensOut * outputPrice) / 1_000_000 + otherPerQuery;

  // Corpus growth: documents written per month (new and changed), their chunks, embedding tokens and OCR pages.
  const measuredDocuments = (ingestion.documents * daysPerMonth) / windowDays;
  const documentsPerMonth = note(
    'newDocumentsPerMonth',
    overrides.newDocumentsPerMonth === undefined
      ? {
          value: measuredDocuments,
          unit: 'documents/month',
          source: 'measured',
          note: `${plural(ingestion.documents, 'document')} written by ${plural(ingestion.syncs, 'sync')} in the last ${windowDays.toFixed(1)} days (new and changed), scaled to a month`,
        }
      : { value: overrides.newDocumentsPerMonth, unit: 'documents/month', source: 'flag' },
  );
  const chunksPerDocument = note(
    'chunksPerDocument',
    storage.documents > 0
      ? {
          value: storage.chunks / storage.documents,
          unit: 'chunks',
          source: 'measured',
          note: `${storage.chunks} chunks of ${storage.documents} indexed documents`,
        }
      : { value: 4, unit: 'chunks', source: 'default', note: 'empty store: 4 chunks of 350 tokens per document' },
  );
  const tokensPerChunk = note(
    'embeddingTokensPerChunk',
    ingestion.embeddedTexts > 0
      ? {
          value: ingestion.embeddingTokens / ingestion.embeddedTexts,
          unit: 'tokens',
          source: 'measured',
          note: `${ingestion.embeddingTokens} tokens for ${ingestion.embeddedTexts} embedded chunks in the window`,
        }
      : storage.meanChunkTokens !== undefined
        ? { value: storage.meanChunkTokens, unit: 'tokens', source: 'measured', note: 'mean token count of the stored chunks' }
        : { value: request.chunkTargetTokens, unit: 'tokens', source: 'config', note: 'ingest.chunking.targetTokens' },
  );
  const embeddingPrice = note('embeddingPricePerMillion', {
    value: embedding?.price.inputPerMillion ?? 0,
    unit: 'USD per million tokens',
    source: embedding ? 'table' : 'config',
    note: embedding
      ? `${embedding.ref}; ${prices.note}`
      : 'no embedding model configured (models.embedding): lexical retrieval, nothing embedded',
  });
  const embeddingCost = (documentsPerMonth * chunksPerDocument * tokensPerChunk * embeddingPrice) / 1_000_000;
  const ocrPages = note(
    'ocrPagesPerMonth',
    overrides.ocrPagesPerMonth !== undefined
      ? { value: overrides.ocrPagesPerMonth, unit: 'pages/month', source: 'flag' }
      : ingestion.documents > 0
        ? {
            value: (documentsPerMonth * ingestion.ocrPages) / ingestion.documents,
            unit: 'pages/month',
            source: 'measured',
            note: `${plural(ingestion.ocrPages, 'OCR page')} per ${plural(ingestion.documents, 'document')} written in the window`,
          }
        : { value: 0, unit: 'pages/month', source: 'default', note: 'no sync in the window; set --ocr-pages-per-month' },
  );
  const ocrPerPage = note('ocrPricePerPage', {
    value: prices.ocrPerPage,
    unit: 'USD per page',
    source: 'table',
    note: prices.note,
  });
  const ocrCost = ocrPages * ocrPerPage;

  // Storage: the corpus after a month of growth, and the answer traces kept for the retention period.
  const chunksAtMonthEnd = storage.chunks + documentsPerMonth * chunksPerDocument;
  const dimensions = request.models.embedding?.dimensions ?? 0;
  const measuredBytes = storage.allChunks >= forecastDefaults.measuredStorageFromChunks;
  const benchmarkBytes =
    sizingBenchmarks.bytesPerChunk[storage.mode] + dimensions * sizingBenchmarks.bytesPerChunkPerDimension[storage.mode];
  const bytesPerChunk = note(
    'bytesPerChunk',
    overrides.bytesPerChunk !== undefined
      ? { value: overrides.bytesPerChunk, unit: 'bytes', source: 'flag' }
      : measuredBytes
        ? {
            value: storage.corpusBytes / storage.allChunks,
            unit: 'bytes',
            source: 'measured',
            note: `${storage.corpusBytes} bytes of corpus tables and indexes / ${storage.allChunks} chunks in this store`,
          }
        : {
            value: benchmarkBytes,
            unit: 'bytes',
            source: 'benchmark',
            note: `${storage.mode} store, ${dimensions > 0 ? `${dimensions}-d vectors` : 'no vectors'} (docs/operations.md#sizing); this store has fewer than ${forecastDefaults.measuredStorageFromChunks} chunks`,
          },
  );
  const measuredTraces = storage.traces >= forecastDefaults.measuredTracesFrom;
  const bytesPerTrace = note(
    'bytesPerAnswerTrace',
    measuredTraces
      ? {
          value: storage.traceBytes / storage.traces,
          unit: 'bytes',
          source: 'measured',
          note: `${storage.traceBytes} bytes of traces and spans / ${storage.traces} traces`,
        }
      : { value: sizingBenchmarks.bytesPerAnswerTrace, unit: 'bytes', source: 'benchmark', note: 'docs/operations.md#sizing' },
  );
  const retentionDays = note('traceRetentionDays', {
    value: request.retentionDays,
    unit: 'days',
    source: 'config',
    note: 'observe.retentionDays',
  });
  const storageGb = (chunksAtMonthEnd * bytesPerChunk + request.queriesPerDay * retentionDays * bytesPerTrace) / 1024 ** 3;
  const storagePrice = note(
    'storagePricePerGbMonth',
    overrides.storagePricePerGbMonth !== undefined
      ? { value: overrides.storagePricePerGbMonth, unit: 'USD per GB-month', source: 'flag' }
      : {
          value: forecastDefaults.storagePricePerGbMonth,
          unit: 'USD per GB-month',
          source: 'default',
          note: 'managed PostgreSQL storage, counted twice (standby or backups)',
        },
  );

  // Compute: the busiest hour's rate over the requests one core sustains at this corpus size.
  const busyHours = note('busyHoursPerDay', { value: forecastDefaults.busyHoursPerDay, unit: 'hours', source: 'default' });
  const peakFactor = note('peakFactor', {
    value: forecastDefaults.peakFactor,
    unit: '× the busy hours’ mean rate',
    source: 'default',
  });
  const peakRps = (request.queriesPerDay / (busyHours * 3600)) * peakFactor;
  const atSize = requestsPerCoreAt(chunksAtMonthEnd);
  const perCore = note(
    'requestsPerCore',
    overrides.requestsPerCore !== undefined
      ? { value: overrides.requestsPerCore, unit: 'requests/s per core', source: 'flag' }
      : {
          value: atSize.perSecond,
          unit: 'requests/s per core',
          source: 'benchmark',
          note: `at ${Math.round(chunksAtMonthEnd)} chunks, server PostgreSQL, p95 < 200 ms (docs/operations.md#sizing)${atSize.extrapolated ? '; beyond the measured 100,000 chunks: extrapolated flat, measure your own with npm run bench:load' : ''}`,
        },
  );
  const minCores = note(
    'minCores',
    overrides.minCores !== undefined
      ? { value: overrides.minCores, unit: 'vCPU', source: 'flag' }
      : { value: forecastDefaults.minCores, unit: 'vCPU', source: 'default', note: 'two API replicas, a worker, PostgreSQL' },
  );
  const cores = Math.max(minCores, Math.ceil(peakRps / perCore));
  const corePrice = note(
    'corePricePerMonth',
    overrides.corePricePerMonth !== undefined
      ? { value: overrides.corePricePerMonth, unit: 'USD per vCPU-month', source: 'flag' }
      : {
          value: forecastDefaults.corePricePerMonth,
          unit: 'USD per vCPU-month',
          source: 'default',
          note: 'on-demand VM with 4 GiB per vCPU',
        },
  );
  const infrastructure = storageGb * storagePrice + cores * corePrice;

  const hours = note(
    'engineeringHoursPerMonth',
    overrides.engineeringHoursPerMonth !== undefined
      ? { value: overrides.engineeringHoursPerMonth, unit: 'hours', source: 'flag' }
      : {
          value: forecastDefaults.engineeringHoursPerMonth,
          unit: 'hours',
          source: 'default',
          note: 'one person-day every two weeks',
        },
  );
  const rate = note(
    'engineeringRatePerHour',
    overrides.engineeringRatePerHour !== undefined
      ? { value: overrides.engineeringRatePerHour, unit: 'USD per hour', source: 'flag' }
      : { value: forecastDefaults.engineeringRatePerHour, unit: 'USD per hour', source: 'default' },
  );
  const engineering = hours * rate;

  const monthlyModel = perQueryCost * monthlyQueries;
  const total = monthlyModel + embeddingCost + ocrCost + infrastructure + engineering;
  if (request.users !== undefined) note('users', { value: request.users, unit: 'users', source: 'flag' });

  const warnings: string[] = [];
  if (model && usage.withModelCall < fewAnswers) {
    warnings.push(
      `Only ${plural(usage.withModelCall, 'answer')} with a model call measured: the mean tokens per answer are uncertain; measure more (a wider --since, or an answer evaluation with --dataset).`,
    );
  }
  if (model && usage.models.length > 0 && !usage.models.some((measured) => measured.endsWith(`:${model.ref.split(':').pop()}`))) {
    warnings.push(
      `The tokens were measured with ${usage.models.join(', ')} and are priced as ${model.ref}: tokenizers and answer lengths differ between models; measure ${model.ref} with an answer evaluation to be sure.`,
    );
  }
  if (atSize.extrapolated && overrides.requestsPerCore === undefined) {
    warnings.push(
      `${Math.round(chunksAtMonthEnd)} chunks is beyond the measured 100,000: the requests per core are extrapolated; measure with npm run bench:load and pass --requests-per-core.`,
    );
  }

  const tier: ModelTier = !model
    ? 'extractive'
    : (model.price.outputPerMillion ?? 0) >= flagshipOutputPerMillion
      ? 'flagship'
      : 'mid-tier';
  return {
    useCase: request.useCase,
    model: model?.ref ?? null,
    modelTier: tier,
    queriesPerDay: request.queriesPerDay,
    users: request.users ?? null,
    perQuery: { tokensIn, tokensOut, cost: perQueryCost, allInCost: monthlyQueries > 0 ? total / monthlyQueries : 0 },
    monthly: { total, model: monthlyModel, embedding: embeddingCost, ocr: ocrCost, infrastructure, engineering },
    perUser:
      request.users === undefined
        ? null
        : { monthly: total / request.users, queriesPerDay: request.queriesPerDay / request.users },
    sizing: { peakRequestsPerSecond: peakRps, cores, storageGb, chunksAtMonthEnd },
    ruleOfThumb: ruleOfThumb(tier, perQueryCost, model?.ref),
    assumptions,
    warnings,
    prices: { asOf: prices.asOf, note: prices.note },
  };
}

function ruleOfThumb(tier: ModelTier, cost: number, ref: string | undefined): CostForecast['ruleOfThumb'] {
  const ranges = ruleOfThumbRanges;
  const rangeText = `mid-tier models ${usd(ranges['mid-tier'].min)}–${usd(ranges['mid-tier'].max)}, flagship ${usd(ranges.flagship.min)}–${usd(ranges.flagship.max)} per query`;
  if (tier === 'extractive') {
    return {
      ranges,
      tier,
      perQueryCost: cost,
      position: 'not applicable',
      summary: `Extractive answers call no model: ${usd(cost)} per query, below every tier of the rule of thumb (${rangeText}).`,
    };
  }
  const range = ranges[tier];
  const position = cost < range.min ? 'below' : cost > range.max ? 'above' : 'within';
  return {
    ranges,
    tier,
    perQueryCost: cost,
    position,
    summary: `${ref} is priced as a ${tier} model (output ${tier === 'flagship' ? '≥' : '<'} $${flagshipOutputPerMillion} per million tokens); at ${usd(cost)} per query this use case is ${position} the rule of thumb for its tier (${rangeText}).`,
  };
}
