import type { Caller } from '../../core/index.ts';
import {
  authorize,
  type Governance,
  recordAudit,
  type SubmitChangeInput,
  type SubmitChangeResult,
  submitChange,
} from '../../govern/index.ts';
import type { AclMap } from '../../protect/index.ts';
import type { Database, Queryable } from '../../store/index.ts';
import {
  type AddSourceInput,
  findSource,
  getSource,
  insertSource,
  type PreparedSource,
  prepareSource,
  readAclMapFile,
  removeSource,
  resolveAclMapPath,
  type SourceRecord,
  type SourceSettings,
  storeSourceAclMap,
} from './source-registry.ts';

/**
 * Source writes as governed changes: adding a source (`source.add`), removing one (`source.remove`) and
 * changing its ACL map (`source.acl`) decide who can read what, so by default each needs approval. The
 * HTTP routes, `sources add|remove|acl-map` and `ingest` all call these functions; each writes its audit
 * record in the transaction of the change (the CLI wrote none before).
 *
 * Target: the source name. Snapshot: the source's settings and ACL map (`null` = no such source). What is
 * approved is the ACL map *content* read when the change was requested; applying stores that content.
 */
export interface SourceSnapshot {
  readonly name: string;
  readonly type: string;
  /** Filesystem sources: the folder; other kinds: null (their settings are in `settings`). */
  readonly path: string | null;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly aclMapPath: string | null;
  readonly readableBy: readonly string[];
  readonly aclMap: AclMap | null;
  /**
   * The connector's full settings (env-variable names for secrets, never secrets). Absent in change requests
   * filed before the connector registry: those are filesystem sources, rebuilt from the fields above.
   */
  readonly settings?: SourceSettings;
}

interface AclSnapshot {
  readonly aclMapPath: string | null;
  readonly aclMap: AclMap | null;
}

/** Use cases searching a source (answer feature; injected at composition). */
export type UseCasesOfSource = (db: Queryable, source: { id?: string; name: string }) => Promise<readonly string[]>;

function snapshotOf(source: Pick<SourceRecord, 'name' | 'type' | 'settings' | 'aclMap'>): SourceSnapshot {
  return JSON.parse(
    JSON.stringify({
      name: source.name,
      type: source.type,
      path: typeof source.settings.path === 'string' ? source.settings.path : null,
      include: source.settings.include ?? [],
      exclude: source.settings.exclude ?? [],
      aclMapPath: source.settings.aclMapPath ?? null,
      readableBy: source.settings.readableBy ?? [],
      aclMap: source.aclMap ?? null,
      settings: source.settings,
    }),
  ) as SourceSnapshot;
}

function preparedOf(snapshot: SourceSnapshot): PreparedSource {
  if (snapshot.settings) {
    return { name: snapshot.name, type: snapshot.type, settings: snapshot.settings, aclMap: snapshot.aclMap ?? undefined };
  }
  return {
    name: snapshot.name,
    type: snapshot.type as PreparedSource['type'],
    settings: {
      path: snapshot.path ?? '',
      include: [...snapshot.include],
      exclude: [...snapshot.exclude],
      ...(snapshot.aclMapPath ? { aclMapPath: snapshot.aclMapPath } : {}),
      ...(snapshot.readableBy.length > 0 ? { readableBy: [...snapshot.readableBy] } : {}),
    },
    aclMap: snapshot.aclMap ?? undefined,
  };
}

/** A short, secret-free summary of non-filesystem settings for a change description (`bucket=…, table=…`). */
function describeSettings(settings: SourceSettings | undefined): string {
  if (!settings) return '';
  const shown = ['bucket', 'prefix', 'endpoint', 'table', 'url', 'site']
    .filter((key) => typeof settings[key] === 'string' && settings[key] !== '')
    .map((key) => `${key}=${settings[key] as string}`);
  return shown.length > 0 ? ` (${shown.join(', ')})` : '';
}

const sourceView = (source: SourceRecord) => ({ ...snapshotOf(source), id: source.id });

/** Registers `source.add`, `source.remove` and `source.acl`. */
export function registerSourceChangeKinds(governance: Governance, useCasesOf: UseCasesOfSource): void {
  const readSource = async (tx: Queryable, name: string) => {
    const found = await findSource(tx, name);
    return found ? snapshotOf(found) : null;
  };
  const affected = async (tx: Queryable, name: string) => {
    const found = await findSource(tx, name);
    return useCasesOf(tx, { name, ...(found ? { id: found.id } : {}) });
  };
  governance.register({
    kind: 'source.add',
    scope: 'sources:write',
    // Server paths and ACL maps are configuration: shown only to those who may change sources.
    detailScope: 'sources:write',
    read: readSource,
    async apply(tx, actor, change) {
      const added = await insertSource(tx, preparedOf(change.after as SourceSnapshot));
      await recordAudit(tx, { actor, action: 'source.create', target: `source:${added.id}`, after: sourceView(added) });
      return sourceView(added);
    },
    affectedUseCases: (tx, target) => affected(tx, target),
    describe: (target, _before, after) => {
      const snapshot = after as SourceSnapshot;
      return snapshot.path
        ? `add source ${target} at ${snapshot.path}`
        : `add ${snapshot.type} source ${target}${describeSettings(snapshot.settings)}`;
    },
  });
  governance.register({
    kind: 'source.remove',
    scope: 'sources:write',
    // Server paths and ACL maps are configuration: shown only to those who may change sources.
    detailScope: 'sources:write',
    read: readSource,
    async apply(tx, actor, change) {
      const { source, documents } = await removeSource(tx, change.target);
      await recordAudit(tx, {
        actor,
        action: 'source.delete',
        target: `source:${source.id}`,
        before: { ...sourceView(source), documents },
      });
      return { source: source.name, documents };
    },
    affectedUseCases: (tx, target) => affected(tx, target),
    describe: (target) => `remove source ${target} and everything indexed from it`,
  });
  governance.register({
    kind: 'source.acl',
    scope: 'sources:write',
    detailScope: 'sources:write',
    async read(tx, target) {
      const found = await findSource(tx, target);
      return found
        ? ({ aclMapPath: found.settings.aclMapPath ?? null, aclMap: found.aclMap ?? null } satisfies AclSnapshot)
        : null;
    },
    async apply(tx, actor, change) {
      const after = change.after as AclSnapshot;
      const updated = await storeSourceAclMap(tx, change.target, after.aclMapPath, after.aclMap);
      await recordAudit(tx, {
        actor,
        action: 'source.acl_map',
        target: `source:${updated.id}`,
        before: change.before,
        after,
      });
      return sourceView(updated);
    },
    affectedUseCases: (tx, target) => affected(tx, target),
    describe: (target, _before, after) =>
      `ACL map of source ${target} → ${(after as AclSnapshot).aclMapPath ?? 'none'} (${(after as AclSnapshot).aclMap?.rules.length ?? 0} rules)`,
  });
}

export interface SourceChangeOptions {
  readonly reason?: string;
  readonly requestId?: string;
}

function optionsOf(options: SourceChangeOptions): Partial<SubmitChangeInput> {
  return {
    ...(options.reason ? { reason: options.reason } : {}),
    ...(options.requestId ? { requestId: options.requestId } : {}),
  };
}

/**
 * Adds a source, governed: validated now (folder, `allowedRoots`, ACL map file), then applied or held as a
 * change request. Applied result: the source (settings and ACL map).
 */
export async function requestSourceAdd(
  governance: Governance,
  db: Database,
  caller: Caller,
  input: AddSourceInput,
  options: SourceChangeOptions = {},
): Promise<SubmitChangeResult> {
  authorize(caller, 'sources:write');
  const prepared = await prepareSource(input);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sources:${prepared.name}`]);
    return submitChange(governance, tx, caller, {
      kind: 'source.add',
      target: prepared.name,
      before: null,
      after: snapshotOf(prepared),
      ...optionsOf(options),
    });
  });
}

/** Removes a source with everything indexed from it, governed. Applied result: `{source, documents}`. */
export async function requestSourceRemoval(
  governance: Governance,
  db: Database,
  caller: Caller,
  nameOrId: string,
  options: SourceChangeOptions = {},
): Promise<SubmitChangeResult> {
  authorize(caller, 'sources:write');
  return db.transaction(async (tx) => {
    const source = await getSource(tx, nameOrId);
    return submitChange(governance, tx, caller, {
      kind: 'source.remove',
      target: source.name,
      after: null,
      ...optionsOf(options),
    });
  });
}

/**
 * Points a source at another ACL map file (or none: `null`), governed. The file is read and validated now;
 * the approved content is what applying stores. Applied result: the source.
 */
export async function requestSourceAclMap(
  governance: Governance,
  db: Database,
  caller: Caller,
  nameOrId: string,
  aclMapPath: string | null,
  options: SourceChangeOptions & { readonly cwd?: string; readonly allowedRoots?: readonly string[] } = {},
): Promise<SubmitChangeResult> {
  authorize(caller, 'sources:write');
  const path = aclMapPath === null ? null : await resolveAclMapPath(aclMapPath, options);
  const aclMap = path === null ? null : (await readAclMapFile(path)).aclMap;
  return db.transaction(async (tx) => {
    const source = await getSource(tx, nameOrId);
    const after: AclSnapshot = JSON.parse(JSON.stringify({ aclMapPath: path, aclMap }));
    return submitChange(governance, tx, caller, { kind: 'source.acl', target: source.name, after, ...optionsOf(options) });
  });
}
