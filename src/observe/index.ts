/**
 * observe/: traces, cost, budgets, metrics and OTLP export — all subscribers to `span-end` events.
 * See docs/observability.md.
 */
export {
  type Budget,
  type BudgetChange,
  type BudgetEvent,
  type BudgetInput,
  type BudgetPeriodStatus,
  type BudgetSnapshot,
  type BudgetStatus,
  budgetOverview,
  budgetUsage,
  type CheckBudgetOptions,
  checkBudget,
  deleteBudget,
  listBudgetEvents,
  listBudgets,
  loosensBudget,
  registerBudgetChangeKinds,
  requestBudgetChange,
  setBudget,
} from './budgets.ts';
export {
  type AnswerUsage,
  type Assumption,
  type AssumptionSource,
  type CostForecast,
  type CostForecastRequest,
  type Distribution,
  evaluationUsageLabel,
  type ForecastOverrides,
  flagshipOutputPerMillion,
  forecastCost,
  forecastDefaults,
  type IngestionUsage,
  type ModelTier,
  measureAnswerUsage,
  measureIngestionUsage,
  requestsPerCoreAt,
  ruleOfThumbRanges,
  sizingBenchmarks,
  type UsageScope,
} from './cost-forecast.ts';
export { type CostGrouping, type CostReport, type CostReportOptions, type CostReportRow, costReport } from './cost-report.ts';
export { type CreateObservabilityOptions, createObservability, type Observability } from './create-observability.ts';
export { observeErrorCodes } from './error-codes.ts';
export { type IngestTracesOptions, subscribeIngestTraces } from './ingest-traces.ts';
export {
  type Counter,
  createMetricsRegistry,
  type Gauge,
  type Histogram,
  type Labels,
  type MetricsRegistry,
} from './metrics-registry.ts';
export {
  type AnswerExampleFilter,
  type AnswerWindow,
  type AnswerWindowStats,
  answerContentSample,
  answerEgressExamples,
  answerEgressStats,
  answerExampleTraces,
  answerGroundednessSample,
  answerTopScores,
  answerWindowStats,
  traceUseCases,
  unansweredQuestions,
} from './monitor-reads.ts';
export { createObserveMetrics, type ObserveMetrics } from './observe-metrics.ts';
export {
  createOtlpExporter,
  type OtlpExporter,
  type OtlpExporterOptions,
  type OtlpExportRequest,
  toOtelId,
  toOtlpSpan,
} from './otlp-exporter.ts';
export { buildPriceTable, builtInPrices, type ModelPrice, type PriceTable, priceFor, spanUsage } from './prices.ts';
export { type ExtraPurge, purgeTraces, retentionCutoff, startTracePurgeSchedule } from './purge-traces.ts';
export { defaultTextRedactor, type TextRedactor, type TextRetention } from './span-rows.ts';
export {
  answerTraceFacts,
  getTrace,
  listTraces,
  type RetrievedChunkView,
  restrictedDocumentTitle,
  type SpanView,
  type TraceAccess,
  type TraceDetail,
  type TraceFilters,
  type TraceSummary,
  traceCosts,
  traceDocumentIds,
  traceQuestions,
  tracesWithUnreadableDocuments,
} from './trace-access.ts';
export { createTraceRecorder, type TraceRecorder, type TraceRecorderStats } from './trace-recorder.ts';
