import { type Caller, canonicalPrincipal, GroundworkError } from '../../core/index.ts';
import {
  describeIdentityChain,
  type IdentityMappingLookup,
  identityMappingLookup,
  type MappedIdentity,
  tryParsePrincipal,
  tryParseSourceIdentity,
} from '../../protect/index.ts';
import { type Database, publishChange, type Queryable } from '../../store/index.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Governance } from '../changes/change-kinds.ts';
import { type SubmitChangeResult, submitChange } from '../changes/change-requests.ts';
import { authorize } from '../scopes.ts';

/**
 * Identity mapping across sources (issue 20 item 3, docs/identity-mapping.md): source identities — AD SIDs and
 * DOMAIN\names (`ad:`), Entra object ids (`entra:`), legacy roles (`legacy:`), SQL role columns (`sql:`) — mapped
 * to unified principals. One table, applied in two places:
 *
 * 1. documents: `resolveDocumentAccess` maps the raw identities of ACL map rules, sidecars and connectors at
 *    sync (the mapping version is part of every source's pipeline fingerprint, so a change — a revocation
 *    too — takes effect at each source's next sync);
 * 2. callers: `withMappedIdentities` adds the principals an API key's or OIDC token's source identities map
 *    to, at every authentication (a revocation takes effect at the next request).
 *
 * Every change is a new version (`identity_mapping_versions`) and an audit entry; changes go through the
 * governed write path as `identity.map` (target: the source identity), so under the default policy an edit
 * over the API is a change request someone else approves.
 */

export interface IdentityMapping {
  /** Canonical `system:id`. */
  readonly identity: string;
  readonly system: string;
  readonly principals: readonly string[];
  readonly note: string | null;
  readonly version: number;
  readonly updatedBy: string;
  readonly updatedAt: string;
}

export interface IdentityMappingVersion {
  readonly version: number;
  readonly identity: string;
  /** null = the identity was not mapped before / is not mapped after. */
  readonly before: readonly string[] | null;
  readonly after: readonly string[] | null;
  readonly note: string | null;
  readonly actor: string;
  readonly reason: string | null;
  readonly changeRequestId: string | null;
  readonly at: string;
}

/** `identity.map` before/after: the principals (null = not mapped) and the note. */
interface MappingState {
  readonly principals: readonly string[];
  readonly note: string | null;
}

type MappingRow = {
  source_identity: string;
  system: string;
  principals: string[];
  note: string | null;
  version: string | number;
  updated_by: string;
  updated_at: Date;
};

const toMapping = (row: MappingRow): IdentityMapping => ({
  identity: row.source_identity,
  system: row.system,
  principals: [...row.principals],
  note: row.note,
  version: Number(row.version),
  updatedBy: row.updated_by,
  updatedAt: new Date(row.updated_at).toISOString(),
});

function invalidIdentity(raw: string): GroundworkError {
  return new GroundworkError(
    'identity.invalid_identity',
    `"${raw}" is not a source identity: expected <system>:<id>, e.g. ad:S-1-5-21-…-1104, ad:CORP\\Claims, entra:<object id>, legacy:ADJ or sql:role:claims_rw (user: and group: are unified principals, not source identities).`,
    {
      category: 'usage',
      fix: 'Write the identity as <system>:<id> with a lower-case system name (ad, entra, legacy, sql, …).',
      details: { identity: raw },
    },
  );
}

function invalidPrincipal(raw: string): GroundworkError {
  return new GroundworkError(
    'identity.invalid_principal',
    `"${raw}" is not a unified principal: a source identity maps to user:<e-mail> or group:<name>.`,
    {
      category: 'usage',
      fix: 'Map to principals such as group:claims or user:ana@example.com (mappings do not chain).',
      details: { principal: raw },
    },
  );
}

/** The canonical source identity, or `identity.invalid_identity`. */
export function parseMappedIdentity(raw: string): { identity: string; system: string } {
  const parsed = tryParseSourceIdentity(raw);
  if (!parsed) throw invalidIdentity(raw);
  return { identity: parsed.identity, system: parsed.system };
}

function parseTargets(raws: readonly string[]): string[] {
  if (raws.length === 0) {
    throw new GroundworkError('identity.no_principals', 'Give at least one principal to map the identity to.', {
      category: 'usage',
      fix: 'e.g. `groundwork identities map legacy:ADJ group:claims`; to remove a mapping use `groundwork identities unmap`.',
    });
  }
  return [
    ...new Set(
      raws.map((raw) => {
        const principal = tryParsePrincipal(raw);
        if (!principal) throw invalidPrincipal(raw);
        return principal.id;
      }),
    ),
  ].sort();
}

async function readState(tx: Queryable, identity: string): Promise<MappingState | null> {
  const { rows } = await tx.query<MappingRow>('SELECT * FROM identity_mappings WHERE source_identity = $1', [identity]);
  const row = rows[0];
  return row ? { principals: [...row.principals].sort(), note: row.note } : null;
}

/** Registers `identity.map` (map, change or unmap one source identity; governed: it decides who reads what). */
export function registerIdentityChangeKinds(governance: Governance): void {
  governance.register({
    kind: 'identity.map',
    scope: 'identities:write',
    detailScope: 'identities:read',
    read: readState,
    async apply(tx, actor, change) {
      const identity = change.target;
      const before = change.before as MappingState | null;
      const after = change.after as MappingState | null;
      const { rows } = await tx.query<{ version: string }>(
        `INSERT INTO identity_mapping_versions (source_identity, before_principals, after_principals, note, actor, reason, change_request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING version`,
        [
          identity,
          before ? [...before.principals] : null,
          after ? [...after.principals] : null,
          after?.note ?? null,
          actor,
          change.reason,
          change.changeRequestId ?? null,
        ],
      );
      const version = Number(rows[0]?.version);
      if (after === null) {
        await tx.query('DELETE FROM identity_mappings WHERE source_identity = $1', [identity]);
      } else {
        await tx.query(
          `INSERT INTO identity_mappings (source_identity, system, principals, note, version, updated_by, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, now())
           ON CONFLICT (source_identity) DO UPDATE SET principals = $3, note = $4, version = $5, updated_by = $6, updated_at = now()`,
          [identity, parseMappedIdentity(identity).system, [...after.principals], after.note, version, actor],
        );
      }
      await recordAudit(tx, {
        actor,
        action: after === null ? 'identity.unmap' : 'identity.map',
        target: `identity:${identity}`,
        ...(before ? { before } : {}),
        after: {
          ...(after ?? { principals: null }),
          version,
          ...(change.changeRequestId ? { changeRequest: change.changeRequestId } : {}),
        },
      });
      await publishChange(tx, 'identity_mappings');
      return { identity, principals: after?.principals ?? [], version, removed: after === null };
    },
    describe: (target, before, after) => {
      const was = (before as MappingState | null)?.principals ?? [];
      const now = (after as MappingState | null)?.principals ?? [];
      if (now.length === 0) return `identity mapping ${target}: unmap (was ${was.join(', ') || 'nothing'})`;
      return `identity mapping ${target} → ${now.join(', ')}${was.length > 0 ? ` (was ${was.join(', ')})` : ''}`;
    },
  });
}

export interface MapIdentityOptions {
  readonly note?: string;
  readonly reason?: string;
  readonly requestId?: string;
  /** Replace the identity's principals instead of adding to them (import). */
  readonly replace?: boolean;
}

/**
 * Maps a source identity to unified principals (added to what it maps to already, or replacing it with
 * `replace`). Governed (`identity.map`): applied now, or a change request when the policy governs the kind.
 */
export async function mapIdentity(
  governance: Governance,
  db: Database,
  caller: Caller,
  rawIdentity: string,
  rawPrincipals: readonly string[],
  options: MapIdentityOptions = {},
): Promise<SubmitChangeResult> {
  authorize(caller, 'identities:write');
  const { identity } = parseMappedIdentity(rawIdentity);
  const principals = parseTargets(rawPrincipals);
  const note = options.note?.trim() || null;
  if (note && note.length > 500) {
    throw new GroundworkError('identity.note_too_long', 'The note is longer than 500 characters.', {
      category: 'usage',
      fix: 'Shorten the note (say where the mapping comes from, e.g. "legacy role table, 2026-11 export").',
    });
  }
  return db.transaction(async (tx) => {
    const current = await readState(tx, identity);
    const merged = options.replace ? principals : [...new Set([...(current?.principals ?? []), ...principals])].sort();
    return submitChange(governance, tx, caller, {
      kind: 'identity.map',
      target: identity,
      after: { principals: merged, note: note ?? current?.note ?? null } satisfies MappingState,
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.requestId ? { requestId: options.requestId } : {}),
    });
  });
}

/**
 * Removes principals from a source identity's mapping (all of them when `principals` is empty): the identity
 * then grants nothing, from the next sync (documents) and the next request (callers). Governed like `mapIdentity`.
 */
export async function unmapIdentity(
  governance: Governance,
  db: Database,
  caller: Caller,
  rawIdentity: string,
  rawPrincipals: readonly string[] = [],
  options: { readonly reason?: string; readonly requestId?: string } = {},
): Promise<SubmitChangeResult> {
  authorize(caller, 'identities:write');
  const { identity } = parseMappedIdentity(rawIdentity);
  const remove = rawPrincipals.length === 0 ? undefined : new Set(parseTargets(rawPrincipals));
  return db.transaction(async (tx) => {
    const current = await readState(tx, identity);
    if (!current) {
      throw new GroundworkError('identity.not_mapped', `The source identity ${identity} is not mapped.`, {
        category: 'not_found',
        fix: 'List the mappings with `groundwork identities list` (GET /v1/identity-mappings).',
        details: { identity },
      });
    }
    const left = remove ? current.principals.filter((p) => !remove.has(p)) : [];
    return submitChange(governance, tx, caller, {
      kind: 'identity.map',
      target: identity,
      after: left.length === 0 ? null : ({ principals: left, note: current.note } satisfies MappingState),
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.requestId ? { requestId: options.requestId } : {}),
    });
  });
}

/** One line of an import file, parsed. */
export interface IdentityMappingImportRow {
  readonly identity: string;
  readonly principals: readonly string[];
  readonly note?: string;
}

/**
 * Parses an import file: JSON (`[{identity, principals, note?}]` or `{mappings: [...]}`) or CSV lines
 * `identity,principal[,principal…]` (a header line `identity,…` and `#` comments are skipped; a DOMAIN\name
 * identity needs no quoting). Every problem is reported at once with its line.
 */
export function parseIdentityMappingImport(text: string, fileName = 'the file'): IdentityMappingImportRow[] {
  const trimmed = text.trim();
  const problems: string[] = [];
  const rows: IdentityMappingImportRow[] = [];
  const check = (where: string, identity: unknown, principals: unknown, note?: unknown) => {
    if (typeof identity !== 'string' || !tryParseSourceIdentity(identity)) {
      problems.push(`${where}: ${JSON.stringify(identity)} is not a source identity (<system>:<id>)`);
      return;
    }
    const list = Array.isArray(principals) ? principals : [];
    const bad = list.filter((p) => typeof p !== 'string' || !tryParsePrincipal(p));
    if (list.length === 0) problems.push(`${where}: ${identity} maps to no principal`);
    else if (bad.length > 0)
      problems.push(`${where}: ${bad.map((p) => JSON.stringify(p)).join(', ')} not user:/group: principals`);
    else rows.push({ identity, principals: list as string[], ...(typeof note === 'string' && note.trim() ? { note } : {}) });
  };
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      problems.push(`${fileName} is not valid JSON (${(error as Error).message})`);
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { mappings?: unknown } | undefined)?.mappings;
    if (parsed !== undefined && !Array.isArray(list)) problems.push(`${fileName}: expected a list of {identity, principals}`);
    (Array.isArray(list) ? list : []).forEach((entry, index) => {
      const e = (entry ?? {}) as { identity?: unknown; principals?: unknown; note?: unknown };
      check(`entry ${index + 1}`, e.identity, typeof e.principals === 'string' ? [e.principals] : e.principals, e.note);
    });
  } else {
    trimmed.split(/\r?\n/).forEach((line, index) => {
      const content = line.trim();
      if (content === '' || content.startsWith('#') || /^identity\s*,/i.test(content)) return;
      const [identity, ...principals] = content.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'));
      check(
        `line ${index + 1}`,
        identity,
        principals.filter((p) => p !== ''),
      );
    });
  }
  if (problems.length > 0 || rows.length === 0) {
    throw new GroundworkError(
      'identity.invalid_import',
      `${fileName} cannot be imported: ${problems.length > 0 ? problems.slice(0, 20).join('; ') : 'it holds no mapping'}.`,
      {
        category: 'usage',
        fix: 'Write one mapping per line as identity,principal[,principal…] (e.g. legacy:ADJ,group:claims), or JSON [{"identity": …, "principals": […]}].',
        details: { problems },
      },
    );
  }
  return rows;
}

/**
 * Imports mappings (each identity set to exactly the principals listed): one governed `identity.map` change per
 * identity, all in one transaction — every row applies (or becomes a request), or none does.
 */
export async function importIdentityMappings(
  governance: Governance,
  db: Database,
  caller: Caller,
  rows: readonly IdentityMappingImportRow[],
  options: { readonly reason?: string; readonly requestId?: string } = {},
): Promise<{ applied: number; pending: number; unchanged: number; results: SubmitChangeResult[] }> {
  authorize(caller, 'identities:write');
  const prepared = rows.map((row) => ({
    identity: parseMappedIdentity(row.identity).identity,
    principals: parseTargets(row.principals),
    note: row.note?.trim() || null,
  }));
  return db.transaction(async (tx) => {
    const results: SubmitChangeResult[] = [];
    let unchanged = 0;
    for (const row of prepared) {
      const current = await readState(tx, row.identity);
      const after: MappingState = { principals: row.principals, note: row.note ?? current?.note ?? null };
      if (current && JSON.stringify(current) === JSON.stringify(after)) {
        unchanged += 1;
        continue;
      }
      results.push(
        await submitChange(governance, tx, caller, {
          kind: 'identity.map',
          target: row.identity,
          after,
          ...(options.reason ? { reason: options.reason } : {}),
          ...(options.requestId ? { requestId: options.requestId } : {}),
        }),
      );
    }
    return {
      applied: results.filter((r) => r.status === 'applied').length,
      pending: results.filter((r) => r.status === 'pending').length,
      unchanged,
      results,
    };
  });
}

/** The current mappings (optionally of one system), with the table's latest version. */
export async function listIdentityMappings(
  db: Queryable,
  caller: Caller,
  options: { readonly system?: string } = {},
): Promise<{ version: number; mappings: IdentityMapping[] }> {
  authorize(caller, 'identities:read');
  const { rows } = await db.query<MappingRow>(
    `SELECT * FROM identity_mappings WHERE ($1::text IS NULL OR system = $1) ORDER BY source_identity`,
    [options.system?.trim().toLowerCase() || null],
  );
  return { version: await latestVersion(db), mappings: rows.map(toMapping) };
}

/** Every version, newest first (optionally of one identity). */
export async function identityMappingHistory(
  db: Queryable,
  caller: Caller,
  options: { readonly identity?: string; readonly limit?: number } = {},
): Promise<IdentityMappingVersion[]> {
  authorize(caller, 'identities:read');
  const identity = options.identity ? parseMappedIdentity(options.identity).identity : null;
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? 100), 1), 1000);
  const { rows } = await db.query<{
    version: string;
    source_identity: string;
    before_principals: string[] | null;
    after_principals: string[] | null;
    note: string | null;
    actor: string;
    reason: string | null;
    change_request_id: string | null;
    at: Date;
  }>(`SELECT * FROM identity_mapping_versions WHERE ($1::text IS NULL OR source_identity = $1) ORDER BY version DESC LIMIT $2`, [
    identity,
    limit,
  ]);
  return rows.map((row) => ({
    version: Number(row.version),
    identity: row.source_identity,
    before: row.before_principals,
    after: row.after_principals,
    note: row.note,
    actor: row.actor,
    reason: row.reason,
    changeRequestId: row.change_request_id,
    at: new Date(row.at).toISOString(),
  }));
}

async function latestVersion(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ v: string | null }>('SELECT max(version) AS v FROM identity_mapping_versions');
  return Number(rows[0]?.v ?? 0);
}

/**
 * Every mapping as a lookup for `resolveDocumentAccess` (a sync loads it once; its `version` goes into the
 * pipeline fingerprint, so any mapping change re-decides each source's documents at its next sync).
 */
export async function loadIdentityMappings(db: Queryable): Promise<IdentityMappingLookup> {
  const { rows } = await db.query<MappingRow>('SELECT * FROM identity_mappings');
  const mappings: MappedIdentity[] = rows.map((row) => ({
    identity: row.source_identity,
    principals: [...row.principals],
    version: Number(row.version),
  }));
  return identityMappingLookup(mappings, await latestVersion(db));
}

/**
 * The unified principals `identities` map to, and the chain that explains them: each principal added with the
 * source identities that gave it. Identities that are unified principals already pass through unchanged.
 */
export async function resolveIdentities(
  db: Queryable,
  identities: readonly string[],
): Promise<{ principals: string[]; chain: { principal: string; via: string[] }[] }> {
  const canonical = identities.map((raw) => tryParseSourceIdentity(raw)?.identity ?? canonicalPrincipal(raw));
  const candidates = [...new Set(canonical.filter((identity) => !tryParsePrincipal(identity)))];
  const principals = new Set(canonical.filter((identity) => tryParsePrincipal(identity)));
  const via = new Map<string, string[]>();
  if (candidates.length > 0) {
    const { rows } = await db.query<{ source_identity: string; principals: string[] }>(
      'SELECT source_identity, principals FROM identity_mappings WHERE source_identity = ANY($1::text[]) ORDER BY source_identity',
      [candidates],
    );
    for (const row of rows) {
      for (const principal of row.principals) {
        const list = via.get(principal) ?? [];
        list.push(row.source_identity);
        via.set(principal, list);
      }
    }
  }
  const chain = [...via.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([principal, list]) => ({ principal, via: list }));
  for (const link of chain) principals.add(link.principal);
  // Source identities stay in the list too (they match nothing in documents: documents hold unified principals).
  return { principals: [...new Set([...canonical, ...principals])], chain };
}

/**
 * The caller with the principals its source identities map to (API key principals such as `legacy:adj`,
 * OIDC group claims under `auth.oidc.principalPrefix: entra:`), and the chain in `identityChain`. Read at
 * every authentication: an unmap takes effect at the caller's next request. A caller with no source
 * identity is returned as is (one indexed query otherwise).
 */
export async function withMappedIdentities(db: Queryable, caller: Caller): Promise<Caller> {
  if (caller.seesEverything || !caller.principals.some((p) => tryParseSourceIdentity(p))) return caller;
  const { principals, chain } = await resolveIdentities(db, caller.principals);
  return Object.freeze({ ...caller, principals, identityChain: chain });
}

/** "user:ana@example.com → group:claims via Entra group g and legacy role adj" for a caller (empty if none). */
export function describeCallerChain(caller: Pick<Caller, 'id' | 'principals' | 'identityChain'>): string {
  const subject = caller.principals.find((p) => p.startsWith('user:')) ?? caller.id;
  return describeIdentityChain(subject, caller.identityChain ?? []);
}
