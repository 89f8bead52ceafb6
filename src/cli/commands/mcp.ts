import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Command } from 'commander';
import { type Caller, GroundworkError } from '../../core/index.ts';
import { createOidcVerifier } from '../../govern/index.ts';
import { createAuthenticator, createMcpServer, platformActionsPort } from '../../server/index.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { callerFromAs } from '../principals.ts';

interface McpOptions {
  as?: string;
  apiKeyEnv?: string;
}

/**
 * `groundwork mcp`: the MCP tools of `/mcp` (search, answer, fetch_document, propose_action) over stdio, for
 * local clients that start Groundwork as a subprocess. The caller is picked like other commands': the local
 * operator by default, `--as PRINCIPALS`, or `--api-key-env NAME` — an API key (or OIDC token) read from that
 * environment variable and checked by the HTTP API's authenticator, so the client gets exactly that key's role
 * and principals. stdout carries the protocol only; logs go to stderr. Runs until stdin closes or a signal.
 */
export function registerMcpCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('mcp')
    .description('serve the MCP tools (search, answer, fetch_document, propose_action) over stdio for local MCP clients')
    .option('--as <principals>', 'act as these principals (comma-separated user:…/group:…); default: local operator')
    .option('--api-key-env <NAME>', 'act as the API key (or OIDC token) in this environment variable')
    .action(
      runtime.action(async (context, options: McpOptions) => {
        if (context.globals.server) {
          throw new GroundworkError('mcp.with_server', '`mcp` serves the store on this machine; it cannot use --server.', {
            category: 'usage',
            fix: 'Drop --server, or point the MCP client at the server itself: <server URL>/mcp with an `Authorization: Bearer` header.',
          });
        }
        if (options.as !== undefined && options.apiKeyEnv !== undefined) {
          throw new GroundworkError('mcp.conflicting_callers', '--as and --api-key-env both choose the caller.', {
            category: 'usage',
            fix: 'Pass one of them: --api-key-env for a key’s role and principals, --as for principals (role user).',
          });
        }
        const token = options.apiKeyEnv === undefined ? undefined : context.io.env[options.apiKeyEnv];
        if (options.apiKeyEnv !== undefined && !token) {
          throw new GroundworkError(
            'mcp.api_key_env_empty',
            `--api-key-env ${options.apiKeyEnv}: that environment variable is empty.`,
            {
              category: 'usage',
              fix: `Set ${options.apiKeyEnv} to an API key (\`groundwork keys create\`) in the MCP client's server configuration (its "env").`,
            },
          );
        }
        const platform = await context.platform();
        let caller: Caller = callerFromAs(options.as);
        if (token) {
          const { oidc } = platform.config.auth;
          const authenticator = createAuthenticator({
            db: platform.db,
            clock: platform.clock,
            ...(oidc ? { oidc: createOidcVerifier(oidc) } : {}),
          });
          caller = await authenticator.authenticate(`Bearer ${token}`, '127.0.0.1');
        }
        const server = createMcpServer({ platform, caller, transport: 'stdio', actions: platformActionsPort(platform) });
        // The CLI's stdout is the process's (bin/groundwork.js): the protocol's channel.
        const transport = new StdioServerTransport(process.stdin, context.io.stdout as NodeJS.WriteStream);
        const closed = new Promise<void>((resolve) => {
          server.onclose = () => resolve();
        });
        const stop = () => void server.close();
        process.stdin.once('end', stop);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          await server.connect(transport);
          platform.logger.info('mcp serving on stdio', { caller: caller.id, role: caller.role });
          await closed;
        } finally {
          process.stdin.off('end', stop);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
        return exitCodes.ok;
      }),
    );
}
