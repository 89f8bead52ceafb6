/**
 * adoption/ — cohorts (named sets of principals) and usage analytics by cohort: rollups written from the answer,
 * feedback and review events (rollups.ts), reports computed from the rollups only (report.ts), and a seeded
 * simulator of 120 days of usage flagged `simulated` (simulate.ts). Definitions: docs/adoption.md.
 */
export {
  type Cohort,
  type CohortInput,
  cohortNamePattern,
  createCohort,
  deleteCohort,
  getCohort,
  listCohorts,
} from './cohorts.ts';
export {
  addCriterion,
  type CriteriaReport,
  type Criterion,
  type CriterionCadence,
  type CriterionInput,
  type CriterionPatch,
  type CriterionPoint,
  type CriterionStatus,
  type CriterionView,
  criteriaStatusFor,
  criterionCadences,
  criterionStatus,
  criterionStatuses,
  listCriteria,
  type Measurement,
  periodEnd,
  periodStart,
  recordMeasurement,
  registerCriteriaChangeKinds,
  removeCriterion,
  updateCriterion,
  usageMetrics,
} from './criteria.ts';
export { seedDemoCriteria } from './demo-criteria.ts';
export { adoptionErrorCodes } from './error-codes.ts';
export {
  type HealthFlag,
  healthOfUseCase,
  healthThresholds,
  listReviews,
  type Review,
  type ReviewDecision,
  recordReview,
  reviewDecisions,
  type UseCaseHealth,
} from './health.ts';
export {
  type CohortRow,
  timeToValueBuckets,
  type UsagePeriod,
  type UsageReport,
  type UsageReportOptions,
  usagePeriods,
  usageReport,
} from './report.ts';
export {
  type AnswerUsageInput,
  createUsageRecorder,
  defaultRetryWindowMinutes,
  purgeUsageAnswers,
  recordAnswerUsage,
  recordFeedbackUsage,
  recordReviewUsage,
  type UsageRecorder,
} from './rollups.ts';
export { type SimulatedCohortProfile, type SimulationSummary, simulatedCohorts, simulateUsage } from './simulate.ts';
