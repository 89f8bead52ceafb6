/**
 * Evaluation: versioned datasets (JSONL, CSV, BEIR, production candidates), retrieval and answer metrics,
 * runs that snapshot their configuration and index state, paired-bootstrap comparisons, CI gates,
 * reports (Markdown, JUnit, JSON), scheduled runs with drift alerts. See docs/evaluation.md.
 *
 * Security: per-case results keep the principals each case was asked as; `showRun`, `loadCaseResults`,
 * `compareRuns` and `listCandidates` only reveal cases whose principals the viewer holds (filtered in SQL),
 * unless the viewer sees everything. Aggregate metrics carry no content and are visible to every viewer.
 */
export {
  type AcceptCandidateOptions,
  acceptCandidate,
  type Candidate,
  collectCandidates,
  listCandidates,
  proposeReviewCandidate,
  proposeWorkflowCandidate,
  type ReviewCandidateInput,
  rejectCandidate,
  type WorkflowCandidateInput,
} from './candidates.ts';
export {
  type ChangedCase,
  type CompareOptions,
  compareRuns,
  type MetricComparison,
  type RunComparison,
} from './compare-runs.ts';
export {
  type ImportDatasetOptions,
  importDataset,
  importProblemsError,
  listDatasets,
  loadDataset,
  resolveDocumentReferences,
} from './datasets.ts';
export {
  type CheckDriftDeps,
  checkDrift,
  type DriftAlert,
  type EvaluationSchedule,
  evaluationJobName,
  listAlerts,
  registerEvaluationSchedules,
  type ScheduleQueue,
} from './drift.ts';
export { evaluateErrorCodes } from './error-codes.ts';
export {
  citationPrecision,
  citationRecall,
  defaultRetrievalMetrics,
  exactMatch,
  isLowerBetter,
  knownMetricNames,
  normalizeAnswer,
  parseMetricName,
  summarizeMetrics,
  tokenF1,
} from './eval-metrics.ts';
export { evaluateGates, type Gate, type GateOperator, type GateOutcome, parseGate } from './gates.ts';
export { isClaimSupported, offlineGroundedness, splitSentences } from './groundedness.ts';
export { createJudge, type EvalJudge, type JudgeInput, type JudgeVerdict } from './judge.ts';
export { type BootstrapInterval, pairedBootstrap, seededRandom } from './paired-bootstrap.ts';
export { type ParsedCases, parseBeirCases, parseCsvCases, parseCsvRecords, parseJsonlCases } from './parse-dataset.ts';
export { type EvaluationReport, type ReportFormat, renderJUnit, renderMarkdown, renderReport } from './reports.ts';
export {
  captureIndexState,
  type EvaluationRunResult,
  type RunEvaluationDeps,
  type RunEvaluationOptions,
  runEvaluation,
} from './run-evaluation.ts';
export {
  askThrough,
  type GatedEvaluationOptions,
  type LatestEvalGate,
  latestEvalGate,
  runGatedEvaluation,
  runGatesPassed,
} from './run-gated.ts';
export { runScheduledEvaluation } from './run-scheduled.ts';
export {
  evalMetricHistory,
  evalMetricNames,
  type ListRunsOptions,
  labelRun,
  listRuns,
  loadCaseResults,
  requireAnswerRun,
  resolveRun,
  showRun,
} from './runs.ts';
export type {
  CaseInput,
  CaseResult,
  Dataset,
  DatasetSummary,
  EvalAnswer,
  EvalAsk,
  EvalCase,
  EvalSearch,
  EvalSearchResult,
  GroundednessCheck,
  ImportProblem,
  IndexState,
  MetricSummary,
  RunConfigSnapshot,
  RunDetail,
  RunSummary,
} from './types.ts';
