import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { GroundworkError, type IdGenerator, newId } from '../../core/index.ts';
import { type AclMap, describeInvalidPrincipal, parseAclMap, tryParsePrincipal, validateAclMap } from '../../protect/index.ts';
import { publishChange, type Queryable } from '../../store/index.ts';
import { createFilesystemSource } from '../sources/filesystem/filesystem-source.ts';
import type { Source, SourceCursor } from '../sources/source.ts';

/** Connector types this build knows. */
export const sourceTypes = ['filesystem'] as const;
export type SourceType = (typeof sourceTypes)[number];

const filesystemSettings = z.strictObject({
  path: z.string().min(1),
  include: z.array(z.string().min(1)).default([]),
  exclude: z.array(z.string().min(1)).default([]),
  /** Where the ACL map was read from; re-read at every sync so edits apply. */
  aclMapPath: z.string().optional(),
  /** Principals for documents no sidecar, rule or map default decides (`--readable-by`). */
  readableBy: z.array(z.string().min(1)).optional(),
});
export type FilesystemSettings = z.infer<typeof filesystemSettings>;

/** A registered source as stored in `sources`. */
export interface SourceRecord {
  readonly id: string;
  readonly name: string;
  readonly type: SourceType;
  readonly settings: FilesystemSettings;
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
  /** Folder path; made absolute against `cwd`. */
  readonly path: string;
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
    settings: filesystemSettings.parse(row.config),
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

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The real path of `path` when it lies inside one of `roots` (both resolved with `realpath`, so a symlink
 * cannot lead out). A path outside every root is refused before the file system is asked whether it exists,
 * so the check is no oracle for files elsewhere on the server.
 * @throws `ingest.path_not_allowed` (forbidden → HTTP 403).
 */
async function insideAllowedRoots(path: string, roots: readonly string[], what: 'source folder' | 'ACL map'): Promise<string> {
  const refuse = (detail: string) =>
    new GroundworkError('ingest.path_not_allowed', `The ${what} ${path} ${detail}`, {
      category: 'forbidden',
      fix:
        roots.length === 0
          ? 'An operator lists the folders the API may index in the configuration setting sources.allowedRoots (e.g. "sources": {"allowedRoots": ["/srv/shares"]}), or adds the source with `groundwork sources add` on the server.'
          : `Use a folder inside sources.allowedRoots (${roots.join(', ')}), or ask an operator to extend that setting.`,
      details: { setting: 'sources.allowedRoots' },
    });
  if (roots.length === 0) throw refuse('cannot be added over the API: sources.allowedRoots is empty.');
  const resolvedRoots = roots.map((root) => resolve(root));
  const realRoots = (await Promise.all(resolvedRoots.map((root) => realpath(root).catch(() => undefined)))).filter(
    (root): root is string => root !== undefined,
  );
  // A root may itself be a link (/srv/shares → /data/shares): a path under either spelling is a candidate.
  if (![...resolvedRoots, ...realRoots].some((root) => isInside(path, root))) throw refuse('is outside sources.allowedRoots.');
  // Inside a root lexically, but it may not exist (the caller reports that) or lead elsewhere through a link.
  const real = await realpath(path).catch(() => undefined);
  if (real === undefined) return path;
  if (!realRoots.some((root) => isInside(real, root)))
    throw refuse('resolves (through a symbolic link) outside sources.allowedRoots.');
  return real;
}

/** A validated source, not stored yet: what `addSource` inserts (and a change request carries). */
export interface PreparedSource {
  readonly name: string;
  readonly type: SourceType;
  readonly settings: FilesystemSettings;
  readonly aclMap: AclMap | undefined;
}

/**
 * Validates a source to add: name, folder (inside `allowedRoots` when given), ACL map file (read and
 * checked now). @throws `ingest.invalid_source` (usage) and the ACL map's errors.
 */
export async function prepareSource(input: AddSourceInput): Promise<PreparedSource> {
  if (!namePattern.test(input.name)) {
    throw new GroundworkError('ingest.invalid_source', `"${input.name}" is not a valid source name.`, {
      category: 'usage',
      fix: 'Use 1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit.',
    });
  }
  const given = isAbsolute(input.path) ? input.path : resolve(input.cwd ?? process.cwd(), input.path);
  const path = input.allowedRoots ? await insideAllowedRoots(given, input.allowedRoots, 'source folder') : given;
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new GroundworkError('ingest.invalid_source', `${path} is not a folder Groundwork can read.`, {
      category: 'usage',
      fix: 'Give --path an existing folder (a mounted share must be mounted first).',
    });
  }
  const aclMapPath = input.aclMapPath ? await resolveAclMapPath(input.aclMapPath, input) : undefined;
  const aclMap = aclMapPath ? (await readAclMapFile(aclMapPath)).aclMap : undefined;
  const readableBy = input.readableBy === undefined ? undefined : readablePrincipals(input.readableBy);
  const settings: FilesystemSettings = {
    path,
    include: [...(input.include ?? [])],
    exclude: [...(input.exclude ?? [])],
    ...(aclMapPath ? { aclMapPath } : {}),
    ...(readableBy && readableBy.length > 0 ? { readableBy } : {}),
  };
  return { name: input.name, type: input.type, settings, aclMap };
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

/** The connector for a stored source. */
export function openSource(record: SourceRecord, limits: { maxFileBytes: number }): Source {
  return createFilesystemSource({
    path: record.settings.path,
    include: record.settings.include,
    exclude: record.settings.exclude,
    maxFileBytes: limits.maxFileBytes,
  });
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
  const settings: FilesystemSettings = principals.length > 0 ? { ...rest, readableBy: principals } : rest;
  await db.query('UPDATE sources SET config = $2, updated_at = now() WHERE id = $1', [source.id, JSON.stringify(settings)]);
  return getSource(db, source.id);
}

/** The filesystem source whose root is `path` (absolute), if any. */
export async function findSourceByPath(db: Queryable, path: string): Promise<SourceRecord | undefined> {
  return (await listSources(db)).find((source) => source.type === 'filesystem' && source.settings.path === path);
}
