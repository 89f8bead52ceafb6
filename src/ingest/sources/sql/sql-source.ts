/**
 * A SQL table or query (PostgreSQL first, through `pg`) as a source: each row is one document.
 *
 * Every sync scans the keys — `id`, `updated_at` and a hash of the principals, never the bodies — so:
 * a row whose updated-at moved is fetched and re-indexed (version = its updated-at); a row whose principals
 * changed is re-indexed even when nobody bumped updated-at (a revocation applies at the next sync); a row gone
 * from the scan is deleted (deletes by id diff against the index). The scan is one indexed read of three
 * narrow columns. The checkpoint cursor records the high-water mark (max updated-at and the ids at that
 * instant, for ties) and the row count. A failure anywhere in the scan throws a coded source failure before
 * the checkpoint: nothing is deleted.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { GroundworkError, isGroundworkError } from '../../../core/index.ts';
import type { FetchedItem, SidecarMetadata, Source, SourceChange, SourceProblem } from '../source.ts';
import { isNetworkError, type SourceRetryOptions, sourceFailure, withSourceRetry } from '../source-errors.ts';

export interface SqlSourceConfig {
  readonly connectionString: string;
  /** `table` or `schema.table` (identifiers), or a `query` (a SELECT). Exactly one. */
  readonly table?: string;
  readonly query?: string;
  readonly idColumn: string;
  readonly updatedAtColumn: string;
  readonly titleColumn?: string;
  readonly bodyColumn: string;
  /** text[] or comma-separated text; NULL = nothing decided by the row (ACL map / readableBy decide). */
  readonly principalsColumn?: string;
  /** `{id}` is replaced by the URL-encoded id, e.g. `https://claims.example/claims/{id}`. */
  readonly uriTemplate?: string;
  /** How bodies are parsed. */
  readonly format: 'text' | 'markdown';
  /** Extension added to refs (default by format: `txt`, `md`; empty: none). Tells the parser the type. */
  readonly extension?: string;
  readonly maxFileBytes: number;
  readonly retry?: SourceRetryOptions;
  /** Label for messages (never the connection string). */
  readonly label?: string;
}

const identifier = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** A safely quoted identifier (`schema.table` allowed). @throws `ingest.invalid_settings`. */
export function quoteIdentifier(name: string, setting: string, allowSchema = false): string {
  const parts = allowSchema ? name.split('.') : [name];
  if (parts.length > 2 || parts.some((part) => !identifier.test(part))) {
    throw new GroundworkError('ingest.invalid_settings', `The setting ${setting} (${name}) is not a plain SQL identifier.`, {
      category: 'usage',
      fix: `Give ${setting} as a column or table name of letters, digits and underscores${allowSchema ? ' (schema.table allowed)' : ''}; use the query setting for anything else.`,
      details: { setting },
    });
  }
  return parts.map((part) => `"${part}"`).join('.');
}

/** Principals from a text[] or comma-separated text column value; undefined for NULL. */
export function principalsOfValue(value: unknown): string[] | undefined {
  if (value === null || value === undefined) return undefined;
  const list = Array.isArray(value) ? value.map(String) : String(value).split(/[,\s]+/);
  return list.map((p) => p.trim()).filter(Boolean);
}

type PgError = Error & { code?: string };

/** Maps a `pg` failure onto the shared source-failure codes (never quoting the connection string). */
export function mapPgError(error: unknown, what: string): GroundworkError {
  if (isGroundworkError(error)) return error;
  const failure = error as PgError;
  const code = failure?.code;
  const detail = code ? `${failure.name} ${code}` : (failure?.name ?? 'Error');
  if (code === '28P01' || code === '28000' || code === '42501')
    return sourceFailure('auth', {
      what,
      detail,
      cause: error,
      fix: 'Check the connection string in the environment variable connectionStringEnv names (user, password) and that the user may SELECT the table.',
    });
  if (code === '53300' || code === '53400') return sourceFailure('throttled', { what, detail, cause: error, retryAfterMs: 1000 });
  if (code === '42P01' || code === '42703' || code === '42601' || code === '3F000' || code === '3D000') {
    return new GroundworkError(
      'ingest.invalid_settings',
      `${what} failed: ${failure.message.replace(/postgres(ql)?:\/\/\S+/g, '…')} (${code}).`,
      {
        category: 'usage',
        fix: 'Check the table or query and the column settings (idColumn, updatedAtColumn, titleColumn, bodyColumn, principalsColumn) against the database.',
        cause: error,
      },
    );
  }
  if (isNetworkError(error) || code === '57P01' || code === '57P02' || code === '57P03' || code?.startsWith('08'))
    return sourceFailure('unreachable', {
      what,
      detail,
      cause: error,
      fix: 'Check the host and port in the connection string and that the database accepts connections; the sync retries on its own.',
    });
  if (/timeout/i.test(failure?.message ?? '')) return sourceFailure('unreachable', { what, detail: 'timeout', cause: error });
  return sourceFailure('bad_response', { what, detail, cause: error });
}

/** Ref of a row: its id (each `/`-segment URL-encoded; ids with unsafe segments fully encoded) + extension. */
export function refOfId(id: string, extension: string): string {
  const segments = id.split('/');
  const safe = segments.every((part) => part !== '' && part !== '.' && part !== '..');
  const path = safe ? segments.map((part) => encodeURIComponent(part)).join('/') : encodeURIComponent(id).replaceAll('.', '%2E');
  return extension ? `${path}.${extension}` : path;
}

function idOfRef(ref: string, extension: string): string | undefined {
  if (extension && !ref.endsWith(`.${extension}`)) return undefined;
  const path = extension ? ref.slice(0, -(extension.length + 1)) : ref;
  if (path === '' || path.split('/').some((part) => part === '' || part === '.' || part === '..')) return undefined;
  try {
    return path
      .split('/')
      .map((part) => decodeURIComponent(part))
      .join('/');
  } catch {
    return undefined;
  }
}

export function createSqlSource(config: SqlSourceConfig): Source {
  if ((config.table === undefined) === (config.query === undefined)) {
    throw new GroundworkError('ingest.invalid_settings', 'A sql source needs exactly one of table and query.', {
      category: 'usage',
      fix: 'Give --setting table=claims (or schema.table), or --setting query="SELECT …" — not both.',
    });
  }
  const from = config.table
    ? quoteIdentifier(config.table, 'table', true)
    : `(${(config.query as string).trim().replace(/;\s*$/, '')}) AS groundwork_source`;
  const id = quoteIdentifier(config.idColumn, 'idColumn');
  const updatedAt = quoteIdentifier(config.updatedAtColumn, 'updatedAtColumn');
  const body = quoteIdentifier(config.bodyColumn, 'bodyColumn');
  const title = config.titleColumn ? quoteIdentifier(config.titleColumn, 'titleColumn') : undefined;
  const principals = config.principalsColumn ? quoteIdentifier(config.principalsColumn, 'principalsColumn') : undefined;
  const extension = config.extension ?? (config.format === 'markdown' ? 'md' : 'txt');
  const label = config.label ?? `SQL source ${config.table ?? '(query)'}`;
  const pool = new pg.Pool({
    connectionString: config.connectionString,
    max: 2,
    idleTimeoutMillis: 2_000,
    connectionTimeoutMillis: 10_000,
    allowExitOnIdle: true,
  });
  // An idle client that loses its connection must not crash the process: the next query reports it.
  pool.on('error', () => {});
  const call = <T>(operation: string, run: () => Promise<T>): Promise<T> =>
    withSourceRetry(
      async () => {
        try {
          return await run();
        } catch (error) {
          throw mapPgError(error, `${label} (${operation})`);
        }
      },
      { ...config.retry },
    );
  const principalsText = principals ? `${principals}::text` : 'NULL::text';
  const uriOf = (rowId: string, ref: string) =>
    config.uriTemplate
      ? config.uriTemplate.replaceAll('{id}', encodeURIComponent(rowId))
      : `sql:${config.table ?? 'query'}/${ref}`;

  async function* listChanges(_cursor: unknown, onProblem: (problem: SourceProblem) => void): AsyncGenerator<SourceChange> {
    // Keys only, in id order, in batches through a cursor-less keyset scan (no server-side state to expire).
    let after: string | undefined;
    let maxUpdatedAt: string | undefined;
    let idsAtMax: string[] = [];
    let rows = 0;
    const batch = 2000;
    for (;;) {
      const page = await call('scan', () =>
        pool.query<{
          id: string | null;
          updated_at: Date | null;
          updated_text: string | null;
          principals: string | null;
          size: number | null;
        }>(
          `SELECT ${id}::text AS id, ${updatedAt}::timestamptz AS updated_at, octet_length(${body})::int AS size,
                  to_char(${updatedAt}::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_text,
                  ${principalsText} AS principals
           FROM ${from} WHERE ($1::text IS NULL OR ${id}::text > $1) ORDER BY ${id}::text LIMIT ${batch}`,
          [after ?? null],
        ),
      );
      for (const row of page.rows) {
        if (row.id === null) continue;
        rows += 1;
        if (row.updated_at === null || row.updated_text === null) {
          onProblem({
            ref: refOfId(row.id, extension),
            code: 'ingest.unreadable',
            message: `Row ${row.id} has no ${config.updatedAtColumn}; it cannot be synced incrementally.`,
            fix: `Give the row a ${config.updatedAtColumn} value (NOT NULL), or filter it out in the query setting.`,
          });
          continue;
        }
        if (maxUpdatedAt === undefined || row.updated_text > maxUpdatedAt) {
          maxUpdatedAt = row.updated_text;
          idsAtMax = [row.id];
        } else if (row.updated_text === maxUpdatedAt) idsAtMax.push(row.id);
        const ref = refOfId(row.id, extension);
        const principalsHash =
          row.principals === null ? undefined : createHash('sha256').update(row.principals).digest('hex').slice(0, 16);
        yield {
          kind: 'upsert',
          item: {
            ref,
            version: row.updated_text,
            sizeBytes: row.size ?? 0,
            modifiedAt: row.updated_at,
            uri: uriOf(row.id, ref),
            mediaType: config.format === 'markdown' ? 'text/markdown' : 'text/plain',
            ...(principalsHash ? { sidecarVersion: `principals:${principalsHash}` } : {}),
          },
        };
      }
      if (page.rows.length < batch) break;
      after = page.rows[page.rows.length - 1]?.id ?? undefined;
      if (after === undefined) break;
    }
    yield { kind: 'checkpoint', cursor: { maxUpdatedAt: maxUpdatedAt ?? null, idsAtMax: idsAtMax.slice(0, 1000), rows } };
  }

  async function row(ref: string) {
    const rowId = idOfRef(ref, extension);
    if (rowId === undefined) throw notFound(ref);
    const result = await call('fetch', () =>
      pool.query<{ id: string; title: string | null; body: string | Uint8Array | null; principals: unknown }>(
        `SELECT ${id}::text AS id, ${title ? `${title}::text` : 'NULL::text'} AS title, ${body} AS body,
                ${principals ?? 'NULL'} AS principals
         FROM ${from} WHERE ${id}::text = $1 LIMIT 1`,
        [rowId],
      ),
    );
    const found = result.rows[0];
    if (!found) throw notFound(ref);
    return found;
  }

  function metadata(found: { title: string | null; principals: unknown }): SidecarMetadata | undefined {
    const list = principalsOfValue(found.principals);
    const out: Record<string, unknown> = {};
    if (found.title) out.title = found.title;
    if (list) out.principals = list;
    return Object.keys(out).length > 0 ? out : undefined;
  }

  return {
    type: 'sql',
    capabilities: { incremental: false, renames: false, contentHash: false, permissions: true },
    listChanges,
    async fetch(ref: string): Promise<FetchedItem> {
      const found = await row(ref);
      // A bytea body (scans, PDFs in a legacy system) arrives as bytes; anything else as text.
      const bytes =
        found.body instanceof Uint8Array
          ? new Uint8Array(found.body)
          : new TextEncoder().encode(found.body === null ? '' : String(found.body));
      if (bytes.byteLength > config.maxFileBytes) {
        throw new GroundworkError(
          'ingest.too_large',
          `${ref} is ${bytes.byteLength} bytes, more than ingest.maxFileBytes (${config.maxFileBytes}).`,
          { category: 'limit', fix: 'Raise ingest.maxFileBytes, or leave such rows out with the query setting.' },
        );
      }
      const sidecar = metadata(found);
      return sidecar ? { bytes, sidecar } : { bytes };
    },
    async fetchSidecar(ref: string) {
      return metadata(await row(ref));
    },
    async close() {
      await pool.end();
    },
  };
}

function notFound(ref: string): GroundworkError {
  return new GroundworkError('ingest.not_found', `${ref} is not a row of the source (any more).`, {
    category: 'not_found',
    fix: 'Nothing to do: the next sync notices it is gone.',
  });
}
