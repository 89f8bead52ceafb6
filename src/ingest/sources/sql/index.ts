/** The SQL connector (type `sql`): a PostgreSQL table or query, one document per row. */
import { z } from 'zod';
import type { ConnectorDefinition } from '../connector.ts';
import { commonSettingHints, commonSourceSettings } from '../settings.ts';
import { requireSecret } from '../source-errors.ts';
import { createSqlSource, quoteIdentifier } from './sql-source.ts';

export {
  createSqlSource,
  mapPgError,
  principalsOfValue,
  quoteIdentifier,
  refOfId,
  type SqlSourceConfig,
} from './sql-source.ts';

export const sqlSettingsSchema = z
  .strictObject({
    connectionStringEnv: z.string().min(1).max(128),
    table: z.string().min(1).max(128).optional(),
    query: z.string().min(1).max(20_000).optional(),
    idColumn: z.string().min(1).default('id'),
    updatedAtColumn: z.string().min(1).default('updated_at'),
    titleColumn: z.string().min(1).optional(),
    bodyColumn: z.string().min(1).default('body'),
    principalsColumn: z.string().min(1).optional(),
    uriTemplate: z.string().min(1).max(2000).optional(),
    format: z.enum(['text', 'markdown']).default('text'),
    /** Extension of refs (default by format: txt, md; empty: none). */
    extension: z
      .string()
      .regex(/^[a-z0-9]{0,8}$/)
      .optional(),
    ...commonSourceSettings,
  })
  .refine((s) => (s.table === undefined) !== (s.query === undefined), {
    message: 'give exactly one of table and query',
    path: ['table'],
  });
export type SqlSettings = z.infer<typeof sqlSettingsSchema>;

export const sqlConnector: ConnectorDefinition<SqlSettings> = {
  kind: 'sql',
  title: 'SQL table (PostgreSQL)',
  description:
    'Rows of a PostgreSQL table or query as documents (title and body columns). Changes by updated-at, deletes by id diff, principals from a text[] or comma-separated column.',
  settingsSchema: sqlSettingsSchema,
  settingHints: [
    {
      key: 'connectionStringEnv',
      label: 'Connection string (env var)',
      description: 'Name of the environment variable holding the postgres:// connection string.',
      kind: 'env',
      required: true,
      example: 'CLAIMS_DB_URL',
    },
    {
      key: 'table',
      label: 'Table',
      description: 'Table (or schema.table); or give a query.',
      kind: 'string',
      required: false,
      example: 'claims.notes',
    },
    {
      key: 'query',
      label: 'Query',
      description: 'A SELECT returning the columns below, instead of a table.',
      kind: 'string',
      required: false,
      example: 'SELECT id, updated_at, subject, text, roles FROM notes WHERE NOT archived',
    },
    { key: 'idColumn', label: 'Id column', description: 'Unique id of a row.', kind: 'string', required: false, example: 'id' },
    {
      key: 'updatedAtColumn',
      label: 'Updated-at column',
      description: 'Timestamp bumped on every change of the row.',
      kind: 'string',
      required: false,
      example: 'updated_at',
    },
    {
      key: 'titleColumn',
      label: 'Title column',
      description: 'Document title.',
      kind: 'string',
      required: false,
      example: 'subject',
    },
    { key: 'bodyColumn', label: 'Body column', description: 'Document text.', kind: 'string', required: false, example: 'body' },
    {
      key: 'principalsColumn',
      label: 'Principals column',
      description:
        'text[] or comma-separated text of unified principals who may read the row (NULL: the ACL map / readable-by decide).',
      kind: 'string',
      required: false,
      example: 'principals',
    },
    {
      key: 'uriTemplate',
      label: 'Link template',
      description: 'Link to the row in its application; {id} is replaced by the id.',
      kind: 'url',
      required: false,
      example: 'https://claims.example/claims/{id}',
    },
    {
      key: 'format',
      label: 'Body format',
      description: 'text or markdown.',
      kind: 'string',
      required: false,
      example: 'markdown',
    },
    ...commonSettingHints,
  ],
  capabilities: { incremental: false, renames: false, contentHash: false, permissions: true, deletes: true },
  normalize(settings) {
    // Identifiers are checked now (a clear error at `sources add`), and quoted when the source runs.
    if (settings.table) quoteIdentifier(settings.table, 'table', true);
    for (const key of ['idColumn', 'updatedAtColumn', 'titleColumn', 'bodyColumn', 'principalsColumn'] as const) {
      const value = settings[key];
      if (value) quoteIdentifier(value, key);
    }
    return settings;
  },
  create(settings, deps) {
    return createSqlSource({
      connectionString: requireSecret(deps.secrets, 'connectionStringEnv', settings.connectionStringEnv, 'sql'),
      idColumn: settings.idColumn,
      updatedAtColumn: settings.updatedAtColumn,
      bodyColumn: settings.bodyColumn,
      format: settings.format,
      ...(settings.extension !== undefined ? { extension: settings.extension } : {}),
      maxFileBytes: deps.maxFileBytes ?? 100 * 1024 * 1024,
      ...(settings.table ? { table: settings.table } : {}),
      ...(settings.query ? { query: settings.query } : {}),
      ...(settings.titleColumn ? { titleColumn: settings.titleColumn } : {}),
      ...(settings.principalsColumn ? { principalsColumn: settings.principalsColumn } : {}),
      ...(settings.uriTemplate ? { uriTemplate: settings.uriTemplate } : {}),
    });
  },
};
