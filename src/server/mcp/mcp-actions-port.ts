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

/**
 * The port from the actions feature's two functions as issue 19 names them — `listInvokableActions(deps,
 * caller, { useCase? })` and `proposeAction(deps, caller, { action, input, reasoning?, useCase? })` — so the
 * composition root wires it in one line: `mcpActions: actionsPortFrom(deps, { listInvokableActions, proposeAction })`.
 * `useCase` (optional) scopes both to one use case's actions.
 */
export function actionsPortFrom<D>(
  deps: D,
  actions: {
    listInvokableActions(deps: D, caller: Caller, options: { useCase?: string }): Promise<readonly McpAction[]>;
    proposeAction(
      deps: D,
      caller: Caller,
      request: { action: string; input: Readonly<Record<string, unknown>>; reasoning?: string; useCase?: string },
    ): Promise<unknown>;
  },
  options: { readonly useCase?: string } = {},
): McpActionsPort {
  const scope = options.useCase === undefined ? {} : { useCase: options.useCase };
  return {
    list: (caller) => actions.listInvokableActions(deps, caller, scope),
    propose: (caller, action, input, reasoning) =>
      actions.proposeAction(deps, caller, { action, input, ...(reasoning === undefined ? {} : { reasoning }), ...scope }),
  };
}
