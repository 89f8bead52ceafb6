import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the actions feature throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const actionsErrorCodes = {
  'actions.unknown_action': {
    category: 'not_found',
    description: 'There is no action with this name that you may invoke.',
    fix: 'List the actions you may invoke with `groundwork actions list` (GET /v1/actions).',
  },
  'actions.not_allowed': {
    category: 'forbidden',
    description: 'The action policy does not let you (or this use case) invoke this action.',
    fix: 'Ask an admin to add your principal, role or use case to the action policy (`allow` of the action).',
  },
  'actions.invalid_input': {
    category: 'usage',
    description: "The action's input does not match its schema; no proposal was created.",
    fix: 'Correct the fields listed; `groundwork actions list --json` shows each input schema.',
  },
  'actions.proposal_not_found': {
    category: 'not_found',
    description: 'There is no proposal with this id that you may see.',
    fix: 'List proposals with `groundwork actions proposals` (GET /v1/proposals).',
  },
  'actions.not_pending': {
    category: 'conflict',
    description: 'The proposal was already decided (an approval is single-use) or is not in the state this needs.',
    fix: 'Show it with `groundwork actions proposals --id ID`; a failed proposal can be retried, a decided one cannot be decided again.',
  },
  'actions.input_changed': {
    category: 'conflict',
    description: 'The input was changed after you looked at it: the approval is bound to the exact input hash.',
    fix: 'Read the proposal again (GET /v1/proposals/:id) and approve with its current inputHash.',
  },
  'actions.own_proposal': {
    category: 'forbidden',
    description: 'Nobody approves, denies or retries a proposal they made or that was made on their behalf.',
    fix: 'Ask another approver (a role with actions:approve).',
  },
  'actions.expired': {
    category: 'conflict',
    description: 'The proposal expired before it was approved (agents.proposalTtlHours).',
    fix: 'Propose the action again.',
  },
  'actions.permission_revoked': {
    category: 'forbidden',
    description: 'Just before execution the policy no longer allowed the proposer or the approver: nothing was executed.',
    fix: 'Restore the policy, or propose the action again with a caller the policy allows.',
  },
  'actions.executor_failed': {
    category: 'unavailable',
    retryable: true,
    description: 'The executor (webhook, e-mail, built-in) failed; the proposal is marked failed with the error.',
    fix: 'Fix the receiving system, then retry it: `groundwork actions retry ID` (POST /v1/proposals/:id/retry).',
  },
  'actions.smtp_not_configured': {
    category: 'unavailable',
    description: 'An e-mail action ran but agents.smtp is not configured.',
    fix: 'Configure agents.smtp (host, port, from; userEnv/passwordEnv name the credentials).',
  },
  'actions.graduation_refused': {
    category: 'conflict',
    description: "The action's record is below the bar for auto-execution (agents.graduation).",
    fix: 'Keep approving its proposals until it has enough approvals with no edits or denials, or change agents.graduation.',
  },
  'actions.invalid_class': {
    category: 'usage',
    description: 'The action class is not one of read, propose or auto.',
    fix: 'Use read, propose or auto.',
  },
  'actions.invalid_status': {
    category: 'usage',
    description: 'The proposal status filter is not a known status.',
    fix: 'Use one of proposed, approved, denied, expired, executing, executed, failed.',
  },
  'actions.duplicate_action': {
    category: 'usage',
    description: 'Two actions (configured or built in) have the same name.',
    fix: 'Rename one of the actions in the configuration (`actions:`).',
  },
  'actions.agent_not_enabled': {
    category: 'not_found',
    description: 'This use case has no agent (agents are opt-in per use case).',
    fix: 'Enable it under agents.useCases.<name> in the configuration.',
  },
  'actions.agent_needs_model': {
    category: 'conflict',
    description: 'Agents need a model: neither the agent, its use case nor models.chat names one.',
    fix: 'Configure a model provider and models.chat (or agents.useCases.<name>.model); extractive answers need none, agents do.',
  },
  'actions.agent_failed': {
    category: 'unavailable',
    retryable: true,
    description: "The agent's model call failed.",
    fix: 'Check the model provider (groundwork models test), then run the agent again.',
  },
} as const satisfies ErrorCodeTable;
