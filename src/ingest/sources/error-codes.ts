import type { ErrorCodeTable } from '../../core/index.ts';
import { sharepointErrorCodes } from './sharepoint/errors.ts';

/**
 * Error codes of the connector registry and of every connector (registered in src/error-codes.ts as
 * `connectors`, documented in docs/errors.md). The five source-failure codes are thrown through
 * `sourceFailure` (source-errors.ts) by every connector, so status and retries treat them alike.
 */
export const connectorErrorCodes = {
  ...sharepointErrorCodes,
  'ingest.cursor_expired': {
    category: 'unavailable',
    retryable: true,
    description: 'The source no longer accepts the stored sync cursor (an expired delta token or change cursor).',
    fix: 'Sync again: the next sync lists the source in full (the stale cursor is dropped); nothing was deleted.',
  },
  'ingest.invalid_settings': {
    category: 'usage',
    description: 'The connector settings of a source are not valid (an unknown key, a missing or mistyped value).',
    fix: 'Give the settings the connector takes (`groundwork sources types`, GET /v1/connectors); secrets as …Env variable names.',
  },
  'ingest.missing_secret': {
    category: 'usage',
    description: 'A …Env source setting names an environment variable that is not set.',
    fix: 'Set the variable in the environment of every process that syncs (CLI, server, workers), or change the setting.',
  },
  'ingest.origin_not_allowed': {
    category: 'forbidden',
    description:
      'A source added over the API points at a URL (web startUrls/sitemapUrls/allowedPrefixes, an S3 endpoint) whose origin is not in sources.allowedWebOrigins.',
    fix: 'An operator lists the origins API-added sources may contact in sources.allowedWebOrigins, or adds the source with the CLI.',
  },
  'ingest.secret_env_not_allowed': {
    category: 'forbidden',
    description: 'A source added over the API names an environment variable outside sources.allowedSecretEnv.',
    fix: 'An operator lists the variables API-added sources may name in sources.allowedSecretEnv, or adds the source with the CLI.',
  },
  'ingest.source_auth_failed': {
    category: 'unavailable',
    description: 'The system behind a source refused the credentials.',
    fix: 'Check the environment variables the source settings name (…Env keys) and the account’s permissions at the source; then sync again.',
  },
  'ingest.source_bad_response': {
    category: 'unavailable',
    retryable: true,
    description: 'The system behind a source sent a response the connector cannot read.',
    fix: 'Check that the endpoint is the service the connector expects (not a proxy or a login page); nothing was deleted.',
  },
  'ingest.source_throttled': {
    category: 'unavailable',
    retryable: true,
    description: 'The system behind a source is throttling requests (HTTP 429, SlowDown, too many connections).',
    fix: 'Nothing to do: the sync waits and retries; if it persists, sync less often or ask for a higher quota.',
  },
  'ingest.source_unreachable': {
    category: 'unavailable',
    retryable: true,
    description: 'The system behind a source cannot be reached (connection refused, DNS, timeout, 5xx).',
    fix: 'Check the endpoint in the source settings, the network and the service; the sync retries on its own.',
  },
  'ingest.unsafe_ref': {
    category: 'usage',
    description: 'An item of the source has a name with an empty, "." or ".." path segment and cannot be indexed safely.',
    fix: 'Rename the item (no "//", "/./" or "/../", no leading "/"), or exclude it from the source.',
  },
} as const satisfies ErrorCodeTable;
