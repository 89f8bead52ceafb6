import { listInvokableActions, proposeAction } from '../../actions/index.ts';
import { isGroundworkError } from '../../core/index.ts';
import type { Platform } from '../../create-platform.ts';
import { actionDeps } from '../../worker.ts';
import { actionsPortFrom, type McpActionsPort } from './mcp-actions-port.ts';

/**
 * The MCP server's actions port on a running platform: the actions feature's own `listInvokableActions` and
 * `proposeAction`, so `propose_action` enforces exactly the policy, schema and four-eyes rules of
 * `POST /v1/proposals`. A caller without `actions:read` is listed no actions (the tool says so) rather than
 * failing `tools/list`; proposing still checks `actions:propose` itself.
 */
export function platformActionsPort(platform: Platform): McpActionsPort {
  const port = actionsPortFrom(actionDeps(platform), {
    listInvokableActions: async (deps, caller, options) =>
      (await listInvokableActions(deps, caller, options)).map((action) => ({
        ...action,
        inputSchema: (action.inputSchema ?? {}) as Readonly<Record<string, unknown>>,
        hints: { ...action.hints },
      })),
    proposeAction,
  });
  return {
    list: async (caller) => {
      try {
        return await port.list(caller);
      } catch (error) {
        if (isGroundworkError(error) && error.category === 'forbidden') return [];
        throw error;
      }
    },
    propose: port.propose,
  };
}
