/**
 * actions/ — agent actions under human approval (docs/actions.md): the actions registry (configured webhooks and
 * e-mails, built-ins registered by features), the invocation policy, durable proposals with their state machine
 * (exactly-once execution on the job queue), an agent per use case (AI SDK tool calling), per-action records,
 * graduation to `auto` as a governed change, and the anomaly monitor's reads and pauses.
 */
export {
  type AgentDeps,
  type AgentOutcome,
  type AgentRun,
  type AgentRunInput,
  type AgentToolCall,
  runAgent,
} from './agent.ts';
export { actionsErrorCodes } from './error-codes.ts';
export { effectiveAllow, effectiveClass, pauseOf, policyRefusal, setActionPolicy, storedPolicy } from './policy.ts';
export {
  type ActionDeps,
  type ApproveInput,
  approvalHash,
  approveProposal,
  denyProposal,
  type EvidenceRef,
  type ExecutionOutcome,
  executeProposal,
  expireProposals,
  getProposal,
  type InvokableAction,
  inputHash,
  listInvokableActions,
  listProposals,
  type ProposalDetail,
  type ProposalEdit,
  type ProposalEvidence,
  type ProposalStatus,
  type ProposalSummary,
  type ProposeInput,
  proposalStatuses,
  proposeAction,
  retryProposal,
} from './proposals.ts';
export {
  type ActionDefinition,
  type ActionHints,
  type ActionRegistry,
  type BuiltinAction,
  createActionRegistry,
  type ExecutionContext,
  inputSchemaOf,
  listNotes,
  registerBuiltinAction,
  renderTemplate,
} from './registry.ts';
export {
  type ActionAnomaly,
  type ActionRecord,
  actionAnomalies,
  actionRecord,
  actionStats,
  type GraduationBar,
  judgeGraduation,
  pauseAnomalousActions,
  registerActionChangeKinds,
  requestActionClass,
  resumeAutoExecution,
} from './stats.ts';
