/**
 * review/ — the human review queue (docs/review.md): a deterministic, stratified sample of production answers
 * per use case (sampling.ts, an event subscriber off the answer path), claimed with a lease and graded by
 * reviewers who see only the passages they may read now (reviews.ts). Grades publish `answer-reviewed`
 * (adoption's override rate) and become evaluation candidates in one click.
 */
export { reviewErrorCodes } from './error-codes.ts';
export {
  type GradeInput,
  getReview,
  gradeReview,
  isOverride,
  listReviews,
  maxCorrectedAnswerLength,
  maxReasonLength,
  nextReview,
  type ReviewDetail,
  type ReviewItem,
  type ReviewOptions,
  type ReviewOutcomes,
  type ReviewPassage,
  type ReviewQueueSummary,
  type ReviewStats,
  type ReviewStatus,
  type ReviewVerdict,
  reviewableUseCases,
  reviewOutcomes,
  reviewQueueSummaries,
  reviewStats,
  reviewStatuses,
  reviewToCandidate,
  reviewVerdicts,
} from './reviews.ts';
export {
  createReviewSampler,
  enqueueSampledAnswer,
  type ReviewConfig,
  type ReviewSampler,
  type ReviewStratum,
  reviewDraw,
  reviewStrata,
  type SampleDecision,
  type SampledAnswer,
  type SamplingRates,
  sampleDecision,
  samplingRates,
} from './sampling.ts';
