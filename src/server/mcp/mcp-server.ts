import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, type CallToolResult, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { type Caller, GroundworkError, newId, toGroundworkError } from '../../core/index.ts';
import type { Platform } from '../../create-platform.ts';
import { recordAudit } from '../../govern/index.ts';
import { errorBody, httpStatusFor } from '../http-errors.ts';
import type { McpActionsPort } from './mcp-actions-port.ts';
import { authorizeTool, jsonSchemaOf, type McpTool, type McpToolContext, mcpTools, parseToolArguments } from './mcp-tools.ts';

export interface CreateMcpServerOptions {
  readonly platform: Platform;
  /** The authenticated caller (HTTP: the request's API key or OIDC token; stdio: the CLI's caller). */
  readonly caller: Caller;
  readonly actions?: McpActionsPort | undefined;
  /** The id tool errors and logs carry (HTTP: the request id; default a new one per call). */
  readonly requestId?: () => string;
  /** Which edge serves it, for logs and audit records. */
  readonly transport: 'http' | 'stdio';
}

const serverInfo = { name: 'groundwork', title: 'Groundwork', version: '0.1.0' };

const instructions = [
  "Groundwork searches and answers from an organisation's documents with the permissions of the signed-in caller:",
  'you only ever see passages of documents you may read. Use `search` to find passages, `fetch_document` to read',
  'a document, and `answer` for a cited answer through a use case. Cite documents by their uri. `propose_action`',
  'proposes an action for a person to approve.',
].join(' ');

/**
 * An MCP server (the SDK's low-level `Server`: tool errors carry Groundwork's error code and fix, and
 * descriptions are written per caller) bound to ONE caller. Over HTTP a new one serves each request (stateless
 * Streamable HTTP); over stdio one serves the process. Every tool call: the tool's scope (denials audited as
 * `access.denied`, like the API's), its arguments validated, then the same function the HTTP route calls —
 * which traces it — and one log line (tool, caller, outcome; never arguments or results).
 */
export function createMcpServer(options: CreateMcpServerOptions): Server {
  const { platform, caller } = options;
  const context: McpToolContext = { platform, caller, actions: options.actions };
  const requestId = options.requestId ?? (() => newId('req'));
  const server = new Server(serverInfo, { capabilities: { tools: { listChanged: false } }, instructions });

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: await Promise.all(
      mcpTools.map(async (tool) => ({
        name: tool.name,
        title: tool.title,
        description: await tool.description(context),
        inputSchema: jsonSchemaOf(tool.input, 'input') as { type: 'object'; [key: string]: unknown },
        ...(tool.output
          ? { outputSchema: jsonSchemaOf(tool.output, 'output') as { type: 'object'; [key: string]: unknown } }
          : {}),
        annotations: { title: tool.title, ...tool.annotations },
      })),
    ),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const id = requestId();
    const started = performance.now();
    const tool = mcpTools.find((t) => t.name === request.params.name);
    try {
      if (!tool) {
        throw new GroundworkError('mcp.unknown_tool', `There is no tool "${request.params.name}".`, {
          category: 'not_found',
          fix: `Call one of the tools tools/list returns: ${mcpTools.map((t) => t.name).join(', ')}.`,
        });
      }
      authorizeTool(tool, caller);
      const input = parseToolArguments(tool, request.params.arguments);
      const result = await tool.run(context, input);
      log(platform, options, { tool: tool.name, requestId: id, started, outcome: 'ok' });
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
    } catch (thrown) {
      const error = toGroundworkError(thrown);
      const status = httpStatusFor(error);
      if (status === 403) await auditDenied(platform, caller, tool, request.params.name, error, id, options.transport);
      log(platform, options, {
        tool: tool?.name ?? 'unknown',
        requestId: id,
        started,
        outcome: 'error',
        code: error.code,
        status,
      });
      if (status >= 500 && error.code !== 'server.overloaded') {
        platform.logger.error('mcp tool call failed', { requestId: id, code: error.code, error: error.cause ?? error });
      }
      // The API's error body (code, message, fix, request id; never a stack or SQL) as the tool's error result.
      return { isError: true, content: [{ type: 'text', text: JSON.stringify(errorBody(error, id)) }] };
    }
  });
  return server;
}

function log(
  platform: Platform,
  options: CreateMcpServerOptions,
  call: { tool: string; requestId: string; started: number; outcome: 'ok' | 'error'; code?: string; status?: number },
): void {
  platform.logger.info('mcp tool call', {
    transport: options.transport,
    tool: call.tool,
    caller: options.caller.id,
    outcome: call.outcome,
    ...(call.code ? { code: call.code, status: call.status } : {}),
    durationMs: Math.round((performance.now() - call.started) * 10) / 10,
    requestId: call.requestId,
  });
}

/** A denied tool call is audited like a denied API request (own transaction; never fails the call). */
async function auditDenied(
  platform: Platform,
  caller: Caller,
  tool: McpTool | undefined,
  name: string,
  error: GroundworkError,
  requestId: string,
  transport: 'http' | 'stdio',
): Promise<void> {
  try {
    await platform.db.transaction((tx) =>
      recordAudit(
        tx,
        {
          actor: caller.id,
          action: 'access.denied',
          target: `mcp ${tool?.name ?? name}`,
          after: { code: error.code, role: caller.role, transport, ...error.details },
          requestId,
        },
        platform.clock,
      ),
    );
  } catch (failure) {
    platform.logger.warn('could not audit a denied tool call', { requestId, error: failure });
  }
}
