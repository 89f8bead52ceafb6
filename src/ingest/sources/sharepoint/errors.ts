import type { ErrorCodeTable } from '../../../core/index.ts';

/**
 * Error codes of the SharePoint / OneDrive connector that are its own. The source-failure codes
 * (`ingest.source_auth_failed`, `ingest.source_unreachable`, `ingest.source_throttled`,
 * `ingest.source_bad_response`, `ingest.cursor_expired`) and `ingest.missing_secret` are the connector-wide
 * ones of src/ingest/sources/error-codes.ts, thrown through `sourceFailure` / `requireSecret`.
 */
export const sharepointErrorCodes = {
  'ingest.source_not_found_remote': {
    category: 'usage',
    description: 'The site or a drive named in the settings does not exist (or the app may not see it).',
    fix: 'Check siteUrl / siteId and the drives setting (names or ids of document libraries); `drives` may be left out to sync every document library.',
  },
} as const satisfies ErrorCodeTable;
