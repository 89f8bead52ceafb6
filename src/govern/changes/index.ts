/**
 * govern/changes: the governed write path — change requests with four-eyes approval. Features register
 * their kinds of change on one `Governance` (created by the composition root) and call `submitChange`
 * from their write functions. See docs/governance.md.
 */
export {
  type AppliedChange,
  type ChangeKind,
  createGovernance,
  type EvalRunVerdict,
  type Governance,
  type GovernanceOptions,
  type GovernancePolicy,
  type UseCaseOwnership,
} from './change-kinds.ts';
export {
  approveChange,
  type ChangeApproval,
  type ChangeFilter,
  type ChangeRequest,
  type ChangeStatus,
  changeContentHash,
  changeStatuses,
  changesForUseCase,
  type DecideOptions,
  expireChanges,
  getChange,
  listChanges,
  mayApprove,
  needsApproval,
  rejectChange,
  type SubmitChangeInput,
  type SubmitChangeResult,
  submitChange,
  withdrawChange,
} from './change-requests.ts';
export { changesErrorCodes } from './error-codes.ts';
export { controllingIdentities, samePerson } from './identities.ts';
