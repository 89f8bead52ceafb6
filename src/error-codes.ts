/**
 * The ONE registry of error codes: every code thrown anywhere in src/, with its category, HTTP status, whether a
 * retry can help, a description and the fix. Each feature lists its own codes in its `error-codes.ts` (exported
 * from its index.ts); the edges' own codes (HTTP layer, CLI flags) are listed here. The HTTP edge takes the status
 * from this registry (server/http-errors.ts), the CLI its exit code (cli/exit-codes.ts), and docs/errors.md is
 * generated from it (`node scripts/generate-error-docs.ts`). src/error-codes.test.ts fails when a thrown code is
 * not registered, a registered code is never thrown, the categories differ, or docs/errors.md is out of date.
 *
 * To add a feature's table: export `<feature>ErrorCodes` from its index.ts and add it to `featureTables` below
 * (one import line and one entry).
 */

import { actionsErrorCodes } from './actions/index.ts';
import { adoptionErrorCodes } from './adoption/index.ts';
import { answerErrorCodes } from './answer/index.ts';
import { claimsErrorCodes } from './claims/index.ts';
import type { ErrorCategory, ErrorCodeEntry, ErrorCodeTable } from './core/index.ts';
import { coreErrorCodes } from './core/index.ts';
import { dataAuditErrorCodes } from './data-audit/index.ts';
import { evaluateErrorCodes } from './evaluate/index.ts';
import { changesErrorCodes, governErrorCodes, identityErrorCodes } from './govern/index.ts';
import { incidentsErrorCodes } from './incidents/index.ts';
import { connectorErrorCodes, ingestErrorCodes } from './ingest/index.ts';
import { jobsErrorCodes } from './jobs/index.ts';
import { modelsErrorCodes } from './models/index.ts';
import { monitorErrorCodes } from './monitor/index.ts';
import { observeErrorCodes } from './observe/index.ts';
import { promptsErrorCodes } from './prompts/index.ts';
import { protectErrorCodes } from './protect/index.ts';
import { retrieveErrorCodes } from './retrieve/index.ts';
import { reviewErrorCodes } from './review/index.ts';
import { rolloutErrorCodes } from './rollout/index.ts';
import { storeErrorCodes } from './store/index.ts';
import { vocabularyErrorCodes } from './vocabulary/index.ts';

/** Codes thrown by the HTTP layer itself (server/). */
export const serverErrorCodes = {
  'chat.no_question': {
    category: 'usage',
    description: 'The messages contain no user message with text.',
    fix: 'Send at least one message with role "user" and text content.',
  },
  'rate_limit.auth_failures': {
    category: 'limit',
    retryable: true,
    description: 'Too many failed authentication attempts from this address.',
    fix: 'Check the API key or token, then retry after … s.',
  },
  'rate_limit.exceeded': {
    category: 'limit',
    retryable: true,
    description: 'Too many requests for this caller.',
    fix: 'Retry after … s; server.rateLimit sets the per-caller rate.',
  },
  'request.invalid': {
    category: 'usage',
    description: "The request body, query or path parameters do not match the route's schema.",
    fix: 'Correct the fields listed; /openapi.json describes every request.',
  },
  'request.invalid_json': {
    category: 'usage',
    description: 'The request body is not valid JSON.',
    fix: 'Send a well-formed JSON document.',
  },
  'request.rejected': {
    category: 'usage',
    description: 'The HTTP layer rejected the request (its status says why: 413 too large, 4xx otherwise).',
  },
  'request.timeout': {
    category: 'unavailable',
    retryable: true,
    description: 'The request took longer than … ms.',
    fix: 'Retry; if it keeps happening, narrow the request or raise server.requestTimeoutMs.',
  },
  'request.too_large': {
    category: 'limit',
    status: 413,
    description: 'The request body is larger than … bytes.',
    fix: 'Send a smaller body, or raise server.bodyLimitBytes.',
  },
  'request.unsupported_media_type': {
    category: 'usage',
    description: 'The request body must be JSON.',
    fix: 'Send the body as JSON with `Content-Type: application/json`.',
  },
  'route.not_found': {
    category: 'not_found',
    description: 'No route has this method and path.',
    fix: 'See /openapi.json for the routes of this server.',
  },
  'server.draining': {
    category: 'unavailable',
    retryable: true,
    description: 'This process is shutting down and finishing its open requests.',
    fix: 'Send new requests to another process or replica; this one exits once its requests are done.',
  },
  'server.not_ready': {
    category: 'unavailable',
    retryable: true,
    description: 'The database is not reachable.',
    fix: 'Check the database (groundwork doctor) and its connection settings.',
  },
  'server.overloaded': {
    category: 'unavailable',
    retryable: true,
    description: 'The server is handling as many requests as it may; try again shortly.',
    fix: 'Retry after a second with backoff; operators can add processes or replicas, or raise server.maxConcurrentRequests / server.maxQueueDelayMs.',
  },
  'server.port_in_use': {
    category: 'usage',
    description: 'Port … on … is already in use by another process.',
    fix: 'Stop the other process, or choose another port with --port (--port 0 picks a free one), or set server.port.',
  },
  'server.unauthenticated_bind': {
    category: 'usage',
    description:
      'Refusing to listen on …: no authentication is configured (no API keys exist and auth.oidc is not set), so anyone who can reach the port could read every document.',
    fix: 'Create the first admin key on this machine with `groundwork keys create --admin --name <you>` (or configure auth.oidc), then start the server again; or listen on 127.0.0.1.',
  },
} as const satisfies ErrorCodeTable;

/** Codes thrown by the command line itself (cli/): flags, local processes, the HTTP client. */
export const cliErrorCodes = {
  'cli.missing_command': {
    category: 'internal',
    description: 'A subcommand was registered before the command it extends (a bug in the CLI wiring).',
    fix: 'This is a bug in Groundwork: report it with the command you ran.',
  },
  'cli.as_with_server': {
    category: 'usage',
    description: '--as cannot be used with --server: the server knows the caller from the API key.',
    fix: 'Drop --as, or ask directly against the store (without --server).',
  },
  'cli.bad_amount': {
    category: 'usage',
    description: 'An amount flag is not an amount in US dollars.',
    fix: 'Give dollars, e.g. --… 5, or --… none to remove the limit.',
  },
  'cli.bad_days': {
    category: 'usage',
    description: '--older-than … is not a number of days.',
    fix: 'Give days, e.g. --older-than 30.',
  },
  'cli.bad_grouping': {
    category: 'usage',
    description: '--by … is not a grouping.',
    fix: 'Use one of ….',
  },
  'cli.bad_limit': {
    category: 'usage',
    description: '--limit … is not a positive whole number.',
    fix: 'Give a number such as --limit 20.',
  },
  'cli.bad_model': {
    category: 'usage',
    description: '--model … is not "provider:model" or "extractive".',
    fix: 'Name a model as provider:model, e.g. --model openai:gpt-4o-mini, or --model extractive.',
  },
  'cli.bad_number': {
    category: 'usage',
    description: 'A numeric flag was given something that is not a number in its range.',
    fix: 'Give …, e.g. --… ….',
  },
  'cli.bad_since': {
    category: 'usage',
    description: '--since … is neither a duration nor a date.',
    fix: 'Use a duration such as 30m, 24h, 7d, 2w, or a date such as 2026-11-01.',
  },
  'cli.bad_version': {
    category: 'usage',
    description: '… is not a version number.',
    fix: 'Versions are numbered 1, 2, 3 …; see them with the show command.',
  },
  'cli.file_unreadable': {
    category: 'usage',
    description: 'Cannot read JSON from ….',
    fix: 'Pass a JSON file like {"provider": "openai", "model": "gpt-4o-mini", "parameters": {"temperature": 0}}.',
  },
  'cli.flag_with_server': {
    category: 'usage',
    description: '--as cannot be used with --server.',
    fix: 'The server knows the caller from the API key; drop --as, or read the store directly.',
  },
  'cli.invalid_option': {
    category: 'usage',
    description: 'A token-count flag is not a whole number of tokens.',
    fix: 'Pass … as a whole number, e.g. … ….',
  },
  'cli.invalid_principals': {
    category: 'usage',
    description: '… needs principals like user:alice@example.com or group:claims (got "…").',
    fix: 'Pass comma-separated principals with a type prefix: … user:alice@example.com,group:claims',
  },
  'cli.prompt_source': {
    category: 'usage',
    description: 'Give the template with exactly one of --file or --text.',
    fix: 'e.g. groundwork prompts create underwriting-qa --file prompts/underwriting.txt -m "cite every claim"',
  },
  'cli.usage': {
    category: 'usage',
    description: 'Say which file to retry: an ID from `groundwork quarantine list`, or --all.',
    fix: 'Run `groundwork quarantine retry ID` or `groundwork quarantine retry --all`.',
  },
  'client.unreachable': {
    category: 'unavailable',
    retryable: true,
    description: 'Cannot reach the Groundwork server at ….',
    fix: 'Check --server (or GROUNDWORK_SERVER_URL) and that `groundwork serve` runs there.',
  },
  'demo.bad_port': {
    category: 'usage',
    description: '--port … is not a port number.',
    fix: 'Give an integer between 0 and 65535.',
  },
  'demo.data_dir_in_use': {
    category: 'usage',
    description: '… is not empty and was not created by `groundwork demo`.',
    fix: 'Pass an empty or new directory with --data-dir, or remove this one yourself.',
  },
  'demo.not_embedded': {
    category: 'usage',
    description: 'The demo always uses a fresh embedded store.',
    fix: 'Drop --server and --database-url (use `groundwork serve` for server mode).',
  },
  'demo.port_in_use': {
    category: 'usage',
    description: 'Port … on 127.0.0.1 is already in use.',
    fix: 'Stop the other process (an earlier `groundwork demo`?), or pass --port 0 for any free port, or another --port.',
  },
  'serve.bad_port': {
    category: 'usage',
    description: '--port … is not a port number.',
    fix: 'Give an integer between 0 and 65535.',
  },
  'serve.bad_processes': {
    category: 'usage',
    description: '--processes … is not a process count.',
    fix: 'Give an integer between 1 and 256 (one per core is a good start).',
  },
  'serve.processes_embedded': {
    category: 'usage',
    description:
      '--processes … needs server PostgreSQL: the embedded store (PGlite) lives inside one process and cannot be shared.',
    fix: 'Use --processes 1 on the embedded store, or set DATABASE_URL (--database-url) to a PostgreSQL server to run several API processes.',
  },
  'serve.processes_failed': {
    category: 'unavailable',
    description: 'API processes kept exiting before they listened; they are not restarted again.',
    fix: 'Read the errors above (configuration, database, port); run `groundwork serve --processes 1` to see one process start.',
  },
  'serve.with_server': {
    category: 'usage',
    description: '`serve` runs a server; it cannot use --server.',
    fix: 'Drop --server.',
  },
} as const satisfies ErrorCodeTable;

/** Codes thrown by the MCP endpoint (server/mcp/: `/mcp` and `groundwork mcp`). */
export const mcpErrorCodes = {
  'mcp.actions_not_configured': {
    category: 'not_found',
    description: 'Actions are not configured on this server (propose_action has nothing to propose).',
    fix: 'Use search, answer and fetch_document; an operator can configure actions (docs/mcp.md).',
  },
  'mcp.api_key_env_empty': {
    category: 'usage',
    description: '`groundwork mcp --api-key-env NAME`: that environment variable is empty.',
    fix: 'Set it to an API key (`groundwork keys create`) in the MCP client\'s server configuration (its "env").',
  },
  'mcp.conflicting_callers': {
    category: 'usage',
    description: '`groundwork mcp` got both --as and --api-key-env.',
    fix: 'Pass one of them: --api-key-env for a key’s role and principals, --as for principals (role user).',
  },
  'mcp.origin_refused': {
    category: 'forbidden',
    description: 'A request to /mcp came from a web origin that is neither this server nor in server.corsOrigins.',
    fix: 'Call /mcp from an MCP client (not a web page), or add the origin to server.corsOrigins.',
  },
  'mcp.unknown_tool': {
    category: 'not_found',
    description: 'There is no MCP tool with this name.',
    fix: 'Call one of the tools tools/list returns: search, answer, fetch_document, propose_action.',
  },
  'mcp.with_server': {
    category: 'usage',
    description: '`groundwork mcp` serves the store on this machine; it cannot use --server.',
    fix: 'Drop --server, or point the MCP client at the server itself: <server URL>/mcp with an `Authorization: Bearer` header.',
  },
} as const satisfies ErrorCodeTable;

/** Every table, by owner; docs/errors.md has one section per owner. */
export const errorCodeTables: Readonly<Record<string, ErrorCodeTable>> = {
  core: coreErrorCodes,
  store: storeErrorCodes,
  models: modelsErrorCodes,
  protect: protectErrorCodes,
  ingest: ingestErrorCodes,
  connectors: connectorErrorCodes,
  retrieve: retrieveErrorCodes,
  answer: answerErrorCodes,
  prompts: promptsErrorCodes,
  evaluate: evaluateErrorCodes,
  observe: observeErrorCodes,
  govern: governErrorCodes,
  changes: changesErrorCodes,
  incidents: incidentsErrorCodes,
  adoption: adoptionErrorCodes,
  review: reviewErrorCodes,
  monitor: monitorErrorCodes,
  rollout: rolloutErrorCodes,
  actions: actionsErrorCodes,
  claims: claimsErrorCodes,
  jobs: jobsErrorCodes,
  'data-audit': dataAuditErrorCodes,
  server: serverErrorCodes,
  cli: cliErrorCodes,
  mcp: mcpErrorCodes,
  identity: identityErrorCodes,
  vocabulary: vocabularyErrorCodes,
};

/** HTTP status of each category; a registry entry's `status` overrides it for its code. */
export const httpStatusByCategory: Readonly<Record<ErrorCategory, number>> = {
  usage: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  limit: 429,
  unavailable: 503,
  internal: 500,
};

function mergeTables(): Readonly<Record<string, ErrorCodeEntry>> {
  const merged: Record<string, ErrorCodeEntry> = {};
  for (const [owner, table] of Object.entries(errorCodeTables)) {
    for (const [code, entry] of Object.entries(table)) {
      if (merged[code]) throw new Error(`Error code ${code} is registered twice (again by ${owner}).`);
      merged[code] = entry;
    }
  }
  return merged;
}

/** All registered codes. */
export const errorCodes: Readonly<Record<string, ErrorCodeEntry>> = mergeTables();

/** The registry entry of a code; undefined for codes that are not ours (e.g. relayed from another server). */
export function errorCodeEntry(code: string): ErrorCodeEntry | undefined {
  return Object.hasOwn(errorCodes, code) ? errorCodes[code] : undefined;
}

/** HTTP status for an error: its code's registered status, else its category's. */
export function httpStatusForError(error: { readonly code: string; readonly category: ErrorCategory }): number {
  return errorCodeEntry(error.code)?.status ?? httpStatusByCategory[error.category] ?? 500;
}
