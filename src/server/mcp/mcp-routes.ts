import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { z } from 'zod';
import { GroundworkError } from '../../core/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';
import type { McpActionsPort } from './mcp-actions-port.ts';
import { createMcpServer } from './mcp-server.ts';

const notAllowed = (method: string) =>
  new Response(
    JSON.stringify({
      jsonrpc: '2.0',
      error: {
        code: -32000,
        message: `${method} /mcp is not supported: this server is stateless (no sessions, no server-initiated stream). Send each JSON-RPC message with POST /mcp.`,
      },
      id: null,
    }),
    { status: 405, headers: { allow: 'POST', 'content-type': 'application/json' } },
  );

/**
 * The MCP transport spec: servers MUST validate `Origin` (a web page must not drive a local server through the
 * visitor's browser). Clients that are not browsers send none; a browser's must be this server's own origin or
 * one of `server.corsOrigins`.
 */
function assertOriginAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): void {
  if (origin === undefined || allowed.includes(origin)) return;
  let originHost: string | undefined;
  try {
    originHost = new URL(origin).host;
  } catch {
    originHost = undefined;
  }
  if (originHost !== undefined && originHost === host) return;
  throw new GroundworkError('mcp.origin_refused', `Requests to /mcp from the web origin ${origin} are refused.`, {
    category: 'forbidden',
    fix: 'Call /mcp from an MCP client (not a web page), or add the origin to server.corsOrigins.',
    details: { origin },
  });
}

/**
 * `/mcp`: the Model Context Protocol over Streamable HTTP, stateless — every POST gets a new server bound to
 * the request's caller and a new transport (the SDK's documented pattern for stateless servers), answered as
 * JSON. It is a route like any other: the same authenticator (API keys, OIDC bearer tokens), per-caller rate
 * limit, load shedding, body limit and timeout as `/v1`; the route's scope (`search`, which every role has)
 * admits the caller, and each tool checks its own scope. GET and DELETE are 405: there are no sessions and no
 * server-initiated messages.
 */
export function mcpRoutes(deps: { readonly actions: () => McpActionsPort | undefined }): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/mcp',
      summary: 'Model Context Protocol (Streamable HTTP, stateless): tools search, answer, fetch_document, propose_action',
      description:
        'JSON-RPC 2.0 messages of MCP (initialize, tools/list, tools/call, …), one request per POST, answered with `application/json`. Send `Accept: application/json, text/event-stream` and `Authorization: Bearer <API key or OIDC token>`. Each tool checks its scope: search → `search`, answer → `ask`, fetch_document → `documents:read`, propose_action → `ask`. See docs/mcp.md.',
      tags: ['mcp'],
      scope: 'search',
      responses: {
        200: { description: 'JSON-RPC response(s)', schema: z.record(z.string(), z.unknown()) },
        202: { description: 'Notifications and responses accepted (no body)' },
        401: { description: 'No or invalid credentials (`WWW-Authenticate: Bearer`)' },
        403: { description: 'A browser origin that is neither this server nor in server.corsOrigins (`mcp.origin_refused`)' },
      },
      handler: async ({ platform, caller, requestId, c }) => {
        assertOriginAllowed(c.req.header('origin'), c.req.header('host'), platform.config.server.corsOrigins);
        const server = createMcpServer({
          platform,
          caller,
          actions: deps.actions(),
          requestId: () => requestId,
          transport: 'http',
        });
        const transport = new WebStandardStreamableHTTPServerTransport({
          sessionIdGenerator: undefined,
          enableJsonResponse: true,
          maxRequestBodySize: platform.config.server.bodyLimitBytes,
        });
        await server.connect(transport);
        try {
          // JSON responses: the Response is complete when this resolves, so the server can close at once.
          return await transport.handleRequest(c.req.raw);
        } finally {
          await server.close();
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/mcp',
      summary: 'Not supported (405): the MCP endpoint is stateless and opens no server-initiated stream',
      tags: ['mcp'],
      scope: 'public',
      responses: { 405: { description: 'Use POST /mcp' } },
      handler: () => notAllowed('GET'),
    }),
    defineRoute({
      method: 'delete',
      path: '/mcp',
      summary: 'Not supported (405): the MCP endpoint is stateless and has no sessions to end',
      tags: ['mcp'],
      scope: 'public',
      responses: { 405: { description: 'Use POST /mcp' } },
      handler: () => notAllowed('DELETE'),
    }),
  ];
}
