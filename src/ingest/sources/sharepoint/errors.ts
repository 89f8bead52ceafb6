import type { ErrorCodeTable } from '../../../core/index.ts';

/**
 * Error codes of the SharePoint / OneDrive connector. The `ingest.source_*` and `ingest.cursor_expired` names are
 * the connector-wide codes (shared with the other connectors; the integrator keeps one entry per code).
 */
export const sharepointErrorCodes = {
  'ingest.source_auth_failed': {
    category: 'usage',
    description:
      'The source refused the credentials the settings name (a bad secret or certificate, missing permissions, or a page that needs a login).',
    fix: "Check the credentials the source's settings name (…Env variables) and the permissions its connector page in docs/ lists, then sync again; nothing was deleted.",
  },
  'ingest.source_secret_missing': {
    category: 'usage',
    description: 'The environment variable a source setting names (…Env) is not set.',
    fix: 'Set the environment variable in the environment of the process that syncs (server or worker), or point the setting at another variable.',
  },
  'ingest.source_unreachable': {
    category: 'unavailable',
    retryable: true,
    description: 'The source did not answer (network error, timeout or a server error after retries).',
    fix: 'Check the URL in the settings and the network path to it, then sync again; nothing was deleted.',
  },
  'ingest.source_throttled': {
    category: 'limit',
    status: 503,
    retryable: true,
    description: 'The source kept throttling the requests (429/503 with Retry-After) after the retries.',
    fix: 'Sync again later or less often; nothing was deleted, and the next sync continues from the last completed cursor.',
  },
  'ingest.source_bad_response': {
    category: 'unavailable',
    retryable: true,
    description: 'The source answered with something that is not the documented response (malformed JSON, missing fields).',
    fix: 'Sync again; if it persists, check that the URL in the settings points at the service itself (not a proxy or login page).',
  },
  'ingest.source_not_found_remote': {
    category: 'usage',
    description: 'The site or a drive named in the settings does not exist (or the app may not see it).',
    fix: 'Check siteUrl / siteId and the drives setting (names or ids of document libraries); `drives` may be left out to sync every document library.',
  },
} as const satisfies ErrorCodeTable;
