import { type ActionRegistry, createActionRegistry, registerActionChangeKinds } from './actions/index.ts';
import {
  createUsageRecorder,
  criteriaStatusFor,
  purgeUsageAnswers,
  registerCriteriaChangeKinds,
  type UsageRecorder,
} from './adoption/index.ts';
import {
  type Answerer,
  createAnswerer,
  ownershipOfUseCases,
  registerUseCaseChangeKinds,
  usableUseCaseNames,
  useCasesFeeding,
  useCasesSearching,
} from './answer/index.ts';
import { bindClaimsActions, registerClaimsChangeKinds } from './claims/index.ts';
import {
  type Clock,
  createEventBus,
  createLogger,
  createTracer,
  type EventBus,
  type GroundworkConfig,
  type LoadedConfig,
  type Logger,
  type SecretResolver,
  systemClock,
  type Tracer,
} from './core/index.ts';
import { latestEvalGate, resolveRun, runGatesPassed } from './evaluate/index.ts';
import { createGovernance, type Governance, registerIdentityChangeKinds, registerKeyChangeKinds } from './govern/index.ts';
import { createIngestion, type Ingestion, lazyEmbedder, registerSourceChangeKinds } from './ingest/index.ts';
import { createJobQueue, type JobQueue, jobSchemaFor } from './jobs/index.ts';
import { createModelResolver, type ModelResolver } from './models/index.ts';
import { openAlertCounts } from './monitor/index.ts';
import { createObservability, type Observability, registerBudgetChangeKinds } from './observe/index.ts';
import { registerLabelChangeKinds } from './prompts/index.ts';
import { redactText } from './protect/index.ts';
import { createRetriever, type Retriever } from './retrieve/index.ts';
import { createReviewSampler, type ReviewSampler } from './review/index.ts';
import { createRolloutAvailability, type RolloutAvailability, registerRolloutChangeKinds } from './rollout/index.ts';
import { type ChangeFeed, createChangeFeed, type Database, openStore } from './store/index.ts';
import { createVocabularyLookup } from './vocabulary/index.ts';

/**
 * The composition root: turns a loaded configuration into a running platform. The server, the CLI and the
 * worker all start here, so every entry point wires the features the same way.
 */
export interface Platform {
  readonly config: GroundworkConfig;
  readonly secrets: SecretResolver;
  readonly db: Database;
  readonly events: EventBus;
  /** Opens spans; published as `span-end` events for the observe feature. */
  readonly tracer: Tracer;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Trace recorder (subscribed to `span-end`), metrics for `/metrics`, OTLP export; flushed by `close()`. */
  readonly observe: Observability;
  /** Permission-aware BM25 / vector / hybrid search over chunks (the answers feature calls it). */
  readonly retriever: Retriever;
  /** AI SDK models from `config.models` (chat by `provider:model`, embedding, rerank). */
  readonly models: ModelResolver;
  /** Cited answers through use cases (streamed or final), extractive without a model. */
  readonly answerer: Answerer;
  /** Source syncs (parse worker pool started on first use). */
  readonly ingestion: Ingestion;
  /** The job queue on PostgreSQL (pg-boss), started on first use. */
  readonly jobs: JobQueue;
  /** LISTEN/NOTIFY cache invalidation: what another process changed (API keys, sources, indexes). */
  readonly changes: ChangeFeed;
  /** The governance policy and the kinds of governed change each feature registered (change requests). */
  readonly governance: Governance;
  /** Usage rollups (adoption/), written from answer, feedback and review events; `flush()` awaits the writes in flight. */
  readonly usage: UsageRecorder;
  /** Samples production answers into the review queue (review/, an event subscriber); `flush()` awaits its writes. */
  readonly reviewSampler: ReviewSampler;
  /** Rollout availability per caller (stage, cohorts, percentage, kill switch), cached per process (rollout/). */
  readonly rollout: RolloutAvailability;
  /** The actions registry: built-ins registered by features plus the configured `actions:` (src/actions). */
  readonly actions: ActionRegistry;
  close(): Promise<void>;
}

export interface CreatePlatformOptions {
  /** Apply pending migrations when opening the store (default true). */
  readonly migrate?: boolean;
  /** An already opened store (tests share one embedded instance across isolated schemas). */
  readonly database?: Database;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

export async function createPlatform(loaded: LoadedConfig, options: CreatePlatformOptions = {}): Promise<Platform> {
  const { config, secrets } = loaded;
  const logger = options.logger ?? createLogger(config.log.level);
  const events = createEventBus((error, name) => logger.warn('event subscriber failed', { event: name, error }));
  const db =
    options.database ??
    (await openStore(config, { logger, ...(options.migrate === undefined ? {} : { migrate: options.migrate }) }));
  const closers: Array<() => Promise<void>> = [() => db.close()];
  const clock = options.clock ?? systemClock;
  const changes = createChangeFeed(db, { logger });
  closers.push(() => changes.close());
  // Trace text under `observe.textRetention: redact` goes through the same PII detector as ingestion.
  const redact = (text: string) => redactText(text, { customPatterns: config.ingest.piiPatterns }).text;
  const observe = createObservability({
    db,
    events,
    config: config.observe,
    logger,
    clock,
    redact,
    jobsSchema: jobSchemaFor(db),
    alsoPurge: [purgeUsageAnswers],
  });
  closers.push(() => observe.close()); // runs before db.close(): closers run in reverse
  // Open monitor alerts on /metrics (read at scrape, shared by every process through the store).
  const alertsOpen = observe.metrics.registry.gauge(
    'groundwork_alerts_open',
    'Open monitor alerts (firing or acknowledged), by monitor kind and status.',
    ['kind', 'status'],
  );
  observe.metrics.registry.addCollector(async () => {
    const counts = await openAlertCounts(db);
    alertsOpen.reset();
    for (const row of counts) alertsOpen.set({ kind: row.kind, status: row.status }, row.count);
  });
  const tracer = createTracer(events);
  const embedding = config.models.embedding;
  const models = createModelResolver({ config: config.models, secrets });
  // Query embeddings and reranking from config.models (providers are built on first call).
  const embeddingModel = models.embedding();
  const rerankModel = models.rerank();
  const retriever = createRetriever({
    db,
    config: config.retrieval,
    tracer,
    changes,
    vocabulary: createVocabularyLookup(db),
    ...(embeddingModel ? { embeddingModel, embeddingDimensions: models.embeddingDimensions } : {}),
    ...(rerankModel ? { rerankModel } : {}),
  });
  const usage = createUsageRecorder({ db, events, logger, clock });
  closers.push(() => usage.close()); // before db.close(): the last rollup writes finish first
  const reviewSampler = createReviewSampler({
    db,
    events,
    logger,
    clock,
    config: config.review,
    textRetention: config.observe.textRetention,
  });
  closers.push(() => reviewSampler.close());
  const rollout = createRolloutAvailability({ db, changes, logger });
  closers.push(async () => rollout.close());
  const answerer = createAnswerer({
    db,
    retriever,
    models,
    tracer,
    events,
    piiPatterns: config.ingest.piiPatterns,
    availability: (useCase, caller) => rollout.check(useCase, caller),
  });
  const ingestion = createIngestion({
    db,
    events,
    logger,
    clock,
    config,
    secrets,
    embedder: embedding
      ? lazyEmbedder(embedding, () => models.embedding() as NonNullable<ReturnType<typeof models.embedding>>)
      : undefined,
  });
  closers.push(() => ingestion.close());
  const jobs = createJobQueue(db, logger, { config: config.jobs });
  closers.push(() => jobs.stop());
  const governance = createGovernance({
    policy: config.governance,
    clock,
    ownershipOf: ownershipOfUseCases,
    usableUseCases: usableUseCaseNames,
    async evalRunVerdict(tx, runId) {
      const run = await resolveRun(tx, runId).catch(() => undefined);
      if (!run || run.id !== runId) return { found: false, passed: false };
      // A gated run must have passed its gates; an ungated run counts once it succeeded.
      const gatesPassed = await runGatesPassed(tx, runId);
      const reason =
        run.status !== 'succeeded' ? `its status is ${run.status}` : gatesPassed === false ? 'it failed its gates' : undefined;
      return {
        found: true,
        passed: reason === undefined,
        useCase: run.useCase,
        promptVersion: run.config.promptVersion,
        modelVersion: run.config.modelVersion ?? null,
        ...(reason ? { reason } : {}),
      };
    },
  });
  registerLabelChangeKinds(governance, useCasesFeeding);
  registerUseCaseChangeKinds(governance);
  registerSourceChangeKinds(governance, useCasesSearching);
  registerBudgetChangeKinds(governance);
  registerKeyChangeKinds(governance);
  registerCriteriaChangeKinds(governance);
  registerClaimsChangeKinds(governance);
  registerIdentityChangeKinds(governance);
  registerRolloutChangeKinds(governance, {
    criteriaStatus: criteriaStatusFor,
    latestEvalGate,
    requireCriteriaOnTrack: config.rollout.requireCriteriaOnTrack,
  });
  const actions = createActionRegistry(config.actions);
  bindClaimsActions({ db, config, clock });
  registerActionChangeKinds(governance, { registry: actions, bar: config.agents.graduation });
  return {
    config,
    secrets,
    db,
    events,
    tracer,
    logger,
    clock,
    observe,
    retriever,
    models,
    answerer,
    ingestion,
    jobs,
    changes,
    governance,
    usage,
    reviewSampler,
    rollout,
    actions,
    async close() {
      for (const close of closers.reverse()) await close();
    },
  };
}
