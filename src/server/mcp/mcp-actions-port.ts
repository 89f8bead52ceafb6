import type { Caller } from '../../core/index.ts';

/** One action a caller may propose, as the MCP `propose_action` tool describes it to the client's model. */
export interface McpAction {
  readonly name: string;
  readonly description: string;
  /** The action's input as a JSON schema (the client's model writes `input` to match it). */
  readonly inputSchema: Readonly<Record<string, unknown>>;
  /** MCP-style hints of the action itself: `readOnly`, `destructive`, `idempotent` (true ones are shown). */
  readonly hints?: Readonly<Record<string, boolean | undefined>>;
}

/**
 * The port through which the MCP server reaches agent actions (issue 19: the actions feature's
 * `listInvokableActions` / `proposeAction`, wired by the composition root). The MCP layer only translates:
 * the implementation checks which actions this caller may invoke, validates the input against the action's
 * schema (rejected before any proposal exists), audits and returns the proposal (or the result of an
 * automatic action). Errors it throws should be GroundworkErrors: they reach the client with their code and fix.
 * Absent, `propose_action` lists no actions and says actions are not configured.
 */
export interface McpActionsPort {
  /** The actions `caller` may propose or invoke now. */
  list(caller: Caller): Promise<readonly McpAction[]>;
  /** Proposes (or, for an `auto` action, runs) `name` with `input`; `reasoning` is shown to the approver. */
  propose(caller: Caller, name: string, input: Readonly<Record<string, unknown>>, reasoning?: string): Promise<unknown>;
}
