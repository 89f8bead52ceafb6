/**
 * rollout/ — phased rollout of a use case (docs/rollout.md): stages draft → pilot (named cohorts) → limited
 * (cohorts plus a sticky percentage) → general, plus retired, with the stage kept in the use case's `status`;
 * the kill switch; and availability per caller at request time from a per-process cache invalidated by the
 * change feed and a polled version row.
 */
export {
  type AvailabilityDecision,
  createRolloutAvailability,
  decideFor,
  type RolloutAvailability,
  type RolloutAvailabilityOptions,
  type UnavailableReason,
} from './availability.ts';
export { rolloutErrorCodes } from './error-codes.ts';
export {
  audienceBucket,
  inPercentage,
  isExpansion,
  type Rollout,
  type RolloutStage,
  rolloutStages,
  type StageSnapshot,
} from './settings.ts';
export {
  type CriteriaStatus,
  type KillOptions,
  killUseCase,
  type RolloutDeps,
  registerRolloutChangeKinds,
  restoreUseCase,
  type SetStageInput,
  setStage,
  showRollout,
} from './writes.ts';
