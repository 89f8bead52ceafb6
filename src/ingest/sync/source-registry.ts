import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { GroundworkError, type IdGenerator, newId, type SecretResolver, silentLogger, systemClock } from '../../core/index.ts';
import { type AclMap, describeInvalidPrincipal, parseAclMap, tryParsePrincipal, validateAclMap } from '../../protect/index.ts';
import { publishChange, type Queryable } from '../../store/index.ts';
import { insideAllowedRoots } from '../sources/allowed-roots.ts';
import type { ConnectorDeps } from '../sources/connector.ts';
import type { FilesystemSettings } from '../sources/filesystem/index.ts';
import { connectorKinds, findConnector, getConnector } from '../sources/registry.ts';
import { isEnvSetting, type SourceSettings } from '../sources/settings.ts';
import type { Source, SourceCursor } from '../sources/source.ts';

export type { FilesystemSettings } from '../sources/filesystem/index.ts';
export type { SourceSettings } from '../sources/settings.ts';

/** Connector types this build knows (the registry, src/ingest/sources/registry.ts). */
export const sourceTypes: readonly string[] = connectorKinds();
/** A connector kind (`filesystem`, `s3`, `sql`, …): any registered one. */
export type SourceType = string;

/** A registered source as stored in `sources`. */
export interface SourceRecord {
  readonly id: string;
  readonly name: string;
  readonly type: SourceType;
  /** The connector's settings (env-variable names for secrets, never secrets). */
  readonly settings: SourceSettings;
  readonly aclMap: AclMap | undefined;
  readonly cursor: SourceCursor | undefined;
  readonly createdAt: Date;
  readonly lastSyncAt: Date | undefined;
  readonly lastSuccessAt: Date | undefined;
  /** Sync schedule (cron, UTC) run by the workers, or undefined: synced only on request. */
  readonly schedule: string | undefined;
}

export interface AddSourceInput {
  readonly name: string;
  readonly type: SourceType;
  /**
   * The connector's settings (its zod schema decides). The legacy filesystem fields below are merged in
   * (`path`, `include`, `exclude`, `aclMapPath`, `readableBy`), so `{type: 'filesystem', path}` keeps working.
   */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Folder path (filesystem); made absolute against `cwd`. */
  readonly path?: string;
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  /** ACL map file (JSON or YAML); validated now and re-read at every sync. */
  readonly aclMapPath?: string;
  /**
   * Principals for documents no sidecar, rule or map default decides (`--readable-by`). Without it and
   * without an ACL map default, such documents are readable by no principal (operator-only).
   */
  readonly readableBy?: readonly string[];
  readonly cwd?: string;
  /**
   * When given (sources added over the HTTP API: config `sources.allowedRoots`), the folder and the ACL map
   * must resolve, after `realpath`, inside one of these folders; the real paths are stored. Empty refuses
   * every path. Absent (the operator's CLI on the server): no restriction.
   */
  readonly allowedRoots?: readonly string[];
  /**
   * When given (sources added over the HTTP API: config `sources.allowedSecretEnv`), every `…Env` setting must
   * name one of these variables: a builder key must not point a connector at any secret of the server process
   * (e.g. DATABASE_URL). Absent (the operator's CLI): any variable.
   */
  readonly allowedSecretEnv?: readonly string[];
  /**
   * When given (sources added over the HTTP API: config `sources.allowedWebOrigins`), the URLs a connector
   * would contact (web pages and sitemaps, an S3 endpoint) must have one of these origins; empty refuses
   * web sources and custom S3 endpoints. Absent (the operator's CLI): any URL.
   */
  readonly allowedWebOrigins?: readonly string[];
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

type SourceRow = {
  id: string;
  name: string;
  type: string;
  config: unknown;
  acl_map: unknown;
  cursor: unknown;
  created_at: Date;
  last_sync_at: Date | null;
  last_success_at: Date | null;
  schedule: string | null;
};

function toRecord(row: SourceRow): SourceRecord {
  return {
    id: row.id,
    name: row.name,
    type: row.type as SourceType,
    settings: storedSettings(row.type, row.config),
    aclMap: row.acl_map
      ? validateAclMap(row.acl_map, `ACL map of source ${row.name}`, { allowShadowed: true }).aclMap
      : undefined,
    cursor: (row.cursor as SourceCursor | null) ?? undefined,
    createdAt: row.created_at,
    lastSyncAt: row.last_sync_at ?? undefined,
    lastSuccessAt: row.last_success_at ?? undefined,
    schedule: row.schedule ?? undefined,
  };
}

/**
 * Stored settings through the connector's schema (defaults filled). A row of a kind this build does not know
 * (another build's connector) or that no longer parses keeps its raw JSON: listing sources never fails.
 */
function storedSettings(type: string, config: unknown): SourceSettings {
  const raw = (config && typeof config === 'object' ? config : {}) as SourceSettings;
  const parsed = findConnector(type)?.settingsSchema.safeParse(raw);
  return parsed?.success ? (parsed.data as SourceSettings) : raw;
}

/** Reads and validates an ACL map file. @throws `ingest.acl_map_unreadable` or `protect.invalid_acl_map`. */
export async function readAclMapFile(path: string): Promise<{ aclMap: AclMap; warnings: readonly string[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new GroundworkError('ingest.acl_map_unreadable', `The ACL map ${path} cannot be read.`, {
      category: 'usage',
      fix: 'Check the path given with --acl-map (JSON or YAML), or re-add the source without it.',
      cause: error,
    });
  }
  return parseAclMap(text, path);
}

/** A validated source, not stored yet: what `addSource` inserts (and a change request carries). */
export interface PreparedSource {
  readonly name: string;
  readonly type: SourceType;
  readonly settings: SourceSettings;
  readonly aclMap: AclMap | undefined;
}

const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** The settings of an `AddSourceInput`: `settings` with the legacy filesystem fields merged in. */
function givenSettings(input: AddSourceInput): Record<string, unknown> {
  const legacy: Record<string, unknown> = {};
  if (input.path !== undefined) legacy.path = input.path;
  if (input.include !== undefined) legacy.include = [...input.include];
  if (input.exclude !== undefined) legacy.exclude = [...input.exclude];
  if (input.aclMapPath !== undefined) legacy.aclMapPath = input.aclMapPath;
  if (input.readableBy !== undefined) legacy.readableBy = [...input.readableBy];
  return { ...legacy, ...(input.settings ?? {}) };
}

/** A zod failure as one sentence naming each bad setting. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const key = issue.path.length > 0 ? issue.path.join('.') : 'settings';
      return `${key}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * Validates a source to add: name, type (a registered connector), settings (its strict schema; `…Env` keys
 * hold variable names, inside `allowedSecretEnv` when given), the ACL map file (read and checked now,
 * inside `allowedRoots` when given), `readableBy` principals, then the connector's own checks (`normalize`:
 * a filesystem folder exists, inside `allowedRoots` when given).
 * @throws `ingest.invalid_source`, `ingest.invalid_settings` (usage), `ingest.secret_env_not_allowed`,
 *   `ingest.path_not_allowed` (forbidden) and the ACL map's errors.
 */
export async function prepareSource(input: AddSourceInput): Promise<PreparedSource> {
  if (!namePattern.test(input.name)) {
    throw new GroundworkError('ingest.invalid_source', `"${input.name}" is not a valid source name.`, {
      category: 'usage',
      fix: 'Use 1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit.',
    });
  }
  const connector = getConnector(input.type);
  const raw = givenSettings(input);
  const parsed = connector.settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const keys = connector.settingHints.map((hint) => hint.key);
    throw new GroundworkError(
      'ingest.invalid_settings',
      `The ${connector.kind} source settings are not valid: ${describeIssues(parsed.error)}.`,
      {
        category: 'usage',
        fix: `Give ${connector.kind} settings as --setting key=value (or --settings FILE / "settings" in the API body); its keys: ${keys.join(', ')}. \`groundwork sources types\` describes them.`,
        details: { type: connector.kind, keys },
      },
    );
  }
  let settings = { ...(parsed.data as Record<string, unknown>) } as Record<string, unknown>;
  for (const [key, value] of envSettings(settings)) {
    if (typeof value !== 'string' || !envNamePattern.test(value)) {
      throw new GroundworkError('ingest.invalid_settings', `The setting ${key} must be the NAME of an environment variable.`, {
        category: 'usage',
        fix: `Put the secret in an environment variable (e.g. export MY_SECRET=…) and give ${key}=MY_SECRET; secrets are never stored.`,
        details: { setting: key },
      });
    }
    if (input.allowedSecretEnv && !input.allowedSecretEnv.includes(value)) {
      throw new GroundworkError(
        'ingest.secret_env_not_allowed',
        `The setting ${key} names the environment variable ${value}, which sources added over the API may not use.`,
        {
          category: 'forbidden',
          fix: 'An operator lists the variables API-added sources may name in the configuration setting sources.allowedSecretEnv, or adds the source with `groundwork sources add` on the server.',
          details: { setting: 'sources.allowedSecretEnv', key },
        },
      );
    }
  }
  const aclMapPath = typeof settings.aclMapPath === 'string' ? await resolveAclMapPath(settings.aclMapPath, input) : undefined;
  const aclMap = aclMapPath ? (await readAclMapFile(aclMapPath)).aclMap : undefined;
  const readableBy = Array.isArray(settings.readableBy) ? readablePrincipals(settings.readableBy as string[]) : undefined;
  const { aclMapPath: _a, readableBy: _r, ...rest } = settings;
  settings = {
    ...rest,
    ...(aclMapPath ? { aclMapPath } : {}),
    ...(readableBy && readableBy.length > 0 ? { readableBy } : {}),
  };
  if (connector.normalize) {
    settings = (await connector.normalize(settings, {
      ...connectorDeps({}),
      ...(input.cwd ? { cwd: input.cwd } : {}),
      ...(input.allowedRoots ? { allowedRoots: input.allowedRoots } : {}),
      ...(input.allowedWebOrigins ? { allowedOrigins: input.allowedWebOrigins } : {}),
    })) as Record<string, unknown>;
  }
  return { name: input.name, type: connector.kind, settings: settings as SourceSettings, aclMap };
}

/**
 * Every `…Env` setting with its path (`clientSecretEnv`, `auth.tokenEnv`, `targets.0.keyEnv`), at any depth of
 * objects and lists, so no connector can nest a secret reference past the `allowedSecretEnv` check.
 */
function envSettings(value: unknown, path = ''): Array<[string, unknown]> {
  if (Array.isArray(value)) return value.flatMap((entry, index) => envSettings(entry, `${path}${path ? '.' : ''}${index}`));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, entry]): Array<[string, unknown]> => {
    const at = `${path}${path ? '.' : ''}${key}`;
    if (isEnvSetting(key) && entry !== undefined) return [[at, entry]];
    return envSettings(entry, at);
  });
}

/** An ACL map path made absolute against `cwd`, and inside `allowedRoots` when given (real path). */
export async function resolveAclMapPath(
  aclMapPath: string,
  options: { readonly cwd?: string; readonly allowedRoots?: readonly string[] },
): Promise<string> {
  const given = isAbsolute(aclMapPath) ? aclMapPath : resolve(options.cwd ?? process.cwd(), aclMapPath);
  return options.allowedRoots ? insideAllowedRoots(given, options.allowedRoots, 'ACL map') : given;
}

/** Stores a prepared source. @throws `ingest.source_exists` (conflict). */
export async function insertSource(db: Queryable, prepared: PreparedSource, ids: IdGenerator = newId): Promise<SourceRecord> {
  const existing = await db.query('SELECT 1 FROM sources WHERE name = $1', [prepared.name]);
  if (existing.rowCount > 0) {
    throw new GroundworkError('ingest.source_exists', `A source named "${prepared.name}" already exists.`, {
      category: 'conflict',
      fix: 'Choose another name, or remove the existing one with `groundwork sources remove NAME`.',
    });
  }
  const result = await db.query<SourceRow>(
    `INSERT INTO sources (id, name, type, config, acl_map) VALUES ($1, $2, $3, $4, $5)
     RETURNING id, name, type, config, acl_map, cursor, created_at, last_sync_at, last_success_at, schedule`,
    [
      ids('src'),
      prepared.name,
      prepared.type,
      JSON.stringify(prepared.settings),
      prepared.aclMap ? JSON.stringify(prepared.aclMap) : null,
    ],
  );
  // Other processes re-read the analyzers in use (a source may bring another text configuration).
  await publishChange(db, 'sources');
  return toRecord(result.rows[0] as SourceRow);
}

/** Registers a source. @throws `ingest.source_exists` (conflict), `ingest.invalid_source` (usage). */
export async function addSource(db: Queryable, input: AddSourceInput, ids: IdGenerator = newId): Promise<SourceRecord> {
  return insertSource(db, await prepareSource(input), ids);
}

/** Stores an already validated ACL map (and its file path) on a source: what an approved change applies. */
export async function storeSourceAclMap(
  db: Queryable,
  nameOrId: string,
  aclMapPath: string | null,
  aclMap: AclMap | null,
): Promise<SourceRecord> {
  const source = await getSource(db, nameOrId);
  const { aclMapPath: _previous, ...rest } = source.settings;
  await db.query('UPDATE sources SET config = $2, acl_map = $3, updated_at = now() WHERE id = $1', [
    source.id,
    JSON.stringify(aclMapPath ? { ...rest, aclMapPath } : rest),
    aclMap ? JSON.stringify(aclMap) : null,
  ]);
  return getSource(db, source.id);
}

const selectColumns = 'id, name, type, config, acl_map, cursor, created_at, last_sync_at, last_success_at, schedule';

export async function listSources(db: Queryable): Promise<SourceRecord[]> {
  const result = await db.query<SourceRow>(`SELECT ${selectColumns} FROM sources ORDER BY name`);
  return result.rows.map(toRecord);
}

/** Ids and names of every source (cheap: no settings parsed), for checks such as a use case's source list. */
export async function listSourceNames(db: Queryable): Promise<Array<{ id: string; name: string }>> {
  return (await db.query<{ id: string; name: string }>('SELECT id, name FROM sources ORDER BY name')).rows;
}

/** A source by name or id, or undefined. */
export async function findSource(db: Queryable, nameOrId: string): Promise<SourceRecord | undefined> {
  const result = await db.query<SourceRow>(`SELECT ${selectColumns} FROM sources WHERE name = $1 OR id = $1`, [nameOrId]);
  return result.rows[0] ? toRecord(result.rows[0]) : undefined;
}

/** A source by name or id. @throws `ingest.source_not_found`. */
export async function getSource(db: Queryable, nameOrId: string): Promise<SourceRecord> {
  const found = await findSource(db, nameOrId);
  if (!found) {
    throw new GroundworkError('ingest.source_not_found', `There is no source named "${nameOrId}".`, {
      category: 'not_found',
      fix: 'List sources with `groundwork sources list`, or add one with `groundwork sources add NAME --type filesystem --path DIR`.',
    });
  }
  return found;
}

/** Removes a source with all its documents, chunks, runs and quarantine entries. Returns documents removed. */
export async function removeSource(db: Queryable, nameOrId: string): Promise<{ source: SourceRecord; documents: number }> {
  const source = await getSource(db, nameOrId);
  const counted = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM documents WHERE source_id = $1', [source.id]);
  await db.query('DELETE FROM sources WHERE id = $1', [source.id]);
  return { source, documents: counted.rows[0]?.n ?? 0 };
}

/** What opening a connector needs beyond the stored record. */
export interface OpenSourceOptions {
  readonly maxFileBytes: number;
  /** Resolves `…Env` settings: the platform's secrets (the config loader's resolver). */
  readonly secrets: SecretResolver;
  readonly logger?: ConnectorDeps['logger'];
  readonly clock?: ConnectorDeps['clock'];
  readonly signal?: AbortSignal;
}

/** Settings are normalized without secrets: only creating a source resolves its `…Env` settings. */
const noSecrets: SecretResolver = () => undefined;

function connectorDeps(options: Partial<OpenSourceOptions>): ConnectorDeps {
  return {
    secrets: options.secrets ?? noSecrets,
    logger: options.logger ?? silentLogger,
    clock: options.clock ?? systemClock,
    ...(options.maxFileBytes !== undefined ? { maxFileBytes: options.maxFileBytes } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/** The connector for a stored source (its settings through the connector's schema). @throws `ingest.invalid_source`. */
export async function openSource(record: SourceRecord, options: OpenSourceOptions): Promise<Source> {
  const connector = getConnector(record.type);
  return connector.create(connector.settingsSchema.parse(record.settings), connectorDeps(options));
}

/**
 * Stores a source's sync schedule (cron, UTC) or clears it (`null`). The caller validates the expression and
 * registers it with the job queue (src/worker.ts `applySourceSchedule`); this is the record workers reconcile from.
 */
export async function setSourceSchedule(db: Queryable, nameOrId: string, schedule: string | null): Promise<SourceRecord> {
  const source = await getSource(db, nameOrId);
  await db.query('UPDATE sources SET schedule = $2, updated_at = now() WHERE id = $1', [source.id, schedule]);
  return getSource(db, source.id);
}

/** Points a source at another ACL map file (validated now, re-read at every sync). */
export async function setSourceAclMap(db: Queryable, nameOrId: string, aclMapPath: string, cwd?: string): Promise<SourceRecord> {
  const source = await getSource(db, nameOrId);
  const path = isAbsolute(aclMapPath) ? aclMapPath : resolve(cwd ?? process.cwd(), aclMapPath);
  const { aclMap } = await readAclMapFile(path);
  await db.query('UPDATE sources SET config = $2, acl_map = $3, updated_at = now() WHERE id = $1', [
    source.id,
    JSON.stringify({ ...source.settings, aclMapPath: path }),
    JSON.stringify(aclMap),
  ]);
  return getSource(db, source.id);
}

/**
 * `--readable-by` principals, canonical and unique. @throws `ingest.invalid_readable_by` naming each bad one.
 */
export function readablePrincipals(raw: readonly string[]): string[] {
  const problems: string[] = [];
  const principals: string[] = [];
  for (const item of raw.flatMap((entry) => entry.split(',')).map((entry) => entry.trim())) {
    if (item === '') continue;
    const principal = tryParsePrincipal(item);
    if (principal) principals.push(principal.id);
    else problems.push(describeInvalidPrincipal(item));
  }
  if (problems.length > 0 || principals.length === 0) {
    throw new GroundworkError(
      'ingest.invalid_readable_by',
      problems.length > 0 ? `--readable-by: ${problems.join('; ')}.` : '--readable-by lists no principal.',
      {
        category: 'usage',
        fix: 'List unified principals separated by commas, e.g. --readable-by group:staff,user:ann@example.com.',
      },
    );
  }
  return [...new Set(principals)].sort();
}

/** Sets (or clears, with an empty list) a source's `--readable-by` principals; applied at the next sync. */
export async function setSourceReadableBy(db: Queryable, nameOrId: string, readableBy: readonly string[]): Promise<SourceRecord> {
  const source = await getSource(db, nameOrId);
  const { readableBy: _previous, ...rest } = source.settings;
  const principals = readableBy.length === 0 ? [] : readablePrincipals(readableBy);
  const settings: SourceSettings = principals.length > 0 ? { ...rest, readableBy: principals } : rest;
  await db.query('UPDATE sources SET config = $2, updated_at = now() WHERE id = $1', [source.id, JSON.stringify(settings)]);
  return getSource(db, source.id);
}

/** The filesystem source whose root is `path` (absolute), if any. */
export async function findSourceByPath(db: Queryable, path: string): Promise<SourceRecord | undefined> {
  return (await listSources(db)).find(
    (source) => source.type === 'filesystem' && (source.settings as FilesystemSettings).path === path,
  );
}
