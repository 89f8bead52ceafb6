/**
 * Source identities: how a source system names a reader before it is mapped to a unified principal —
 * `ad:S-1-5-21-…` or `ad:corp\claims` (Active Directory SIDs and DOMAIN\names), `entra:<object id>` (Entra ID
 * groups and users), `legacy:adj` (a legacy role), `sql:role:claims_rw` (a SQL role column). Written
 * `<system>:<id>`; the system is any lower-case word except the unified kinds `user` and `group`. Compared
 * case-insensitively (directories do), so the canonical spelling is trimmed and lower-cased.
 *
 * The mapping table itself is govern's (`identity_mappings`); this file only parses, and
 * `resolveDocumentAccess` applies a lookup it is given.
 */

const systemPattern = /^[a-z][a-z0-9_-]{0,31}$/;
const reservedSystems = new Set(['user', 'group', 'principals', 'key', 'local', 'role', 'system']);

/** A parsed source identity: `system` and `id` as canonical, `identity` = `${system}:${id}`. */
export interface SourceIdentity {
  readonly system: string;
  readonly id: string;
  readonly identity: string;
}

/**
 * Parses `<system>:<id>` (or a bare `DOMAIN\name`, read as `ad:domain\name`); undefined when it is not a source
 * identity (unified principals `user:`/`group:` are not source identities).
 */
export function tryParseSourceIdentity(raw: string): SourceIdentity | undefined {
  const trimmed = raw.trim().replace(/\s+/g, ' ');
  if (trimmed.length === 0 || trimmed.length > 512) return undefined;
  const colon = trimmed.indexOf(':');
  const backslash = trimmed.indexOf('\\');
  if (backslash > 0 && (colon < 0 || colon > backslash)) {
    const id = trimmed.toLowerCase();
    return { system: 'ad', id, identity: `ad:${id}` };
  }
  if (colon <= 0) return undefined;
  const system = trimmed.slice(0, colon).trim().toLowerCase();
  const id = trimmed
    .slice(colon + 1)
    .trim()
    .toLowerCase();
  if (!systemPattern.test(system) || reservedSystems.has(system) || id.length === 0) return undefined;
  if (/[\p{Cc},"]/u.test(id)) return undefined;
  return { system, id, identity: `${system}:${id}` };
}

/** What a system's identities are called in explanations ("Entra group", "legacy role"). */
export function describeSourceIdentity(identity: string): string {
  const parsed = tryParseSourceIdentity(identity);
  if (!parsed) return identity;
  const names: Record<string, string> = {
    ad: 'AD identity',
    entra: 'Entra group',
    legacy: 'legacy role',
    sql: 'SQL role',
    sharepoint: 'SharePoint group',
  };
  const raw = identity.trim();
  const shown = raw.slice(raw.indexOf(':') + 1);
  return `${names[parsed.system] ?? `${parsed.system} identity`} ${shown}`;
}

/** A mapped source identity, as `resolveDocumentAccess` and caller mapping need it. */
export interface MappedIdentity {
  /** Canonical source identity. */
  readonly identity: string;
  readonly principals: readonly string[];
  /** The mapping version that last changed it. */
  readonly version: number;
}

/** Source identity → unified principals (govern's identity mappings, loaded once per sync). */
export interface IdentityMappingLookup {
  /** The latest version of the whole table (0 = never changed): part of a sync's pipeline fingerprint. */
  readonly version: number;
  lookup(raw: string): MappedIdentity | undefined;
}

/** A lookup over a list of mappings (canonical identities). */
export function identityMappingLookup(mappings: readonly MappedIdentity[], version: number): IdentityMappingLookup {
  const byIdentity = new Map(mappings.map((m) => [m.identity, m]));
  return {
    version,
    lookup(raw) {
      const parsed = tryParseSourceIdentity(raw);
      return parsed ? byIdentity.get(parsed.identity) : undefined;
    },
  };
}

/**
 * "user:ana@example.com → group:claims via Entra group G and legacy role ADJ": the chain from the identities a
 * caller presented to the principals the mappings gave them. Empty string when nothing was mapped.
 */
export function describeIdentityChain(
  subject: string,
  chain: readonly { readonly principal: string; readonly via: readonly string[] }[],
): string {
  if (chain.length === 0) return '';
  const and = (items: readonly string[]) =>
    items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
  return chain.map((link) => `${subject} → ${link.principal} via ${and(link.via.map(describeSourceIdentity))}`).join('; ');
}

/**
 * The principals `identities` hold once mapped (pure, over a loaded lookup): unified principals pass through,
 * each mapped source identity adds its principals; `chain` says which identities gave which principal.
 */
export function mapIdentitiesWith(
  lookup: IdentityMappingLookup,
  identities: readonly string[],
): { principals: string[]; chain: { principal: string; via: string[] }[] } {
  const principals = new Set<string>();
  const via = new Map<string, string[]>();
  for (const raw of identities) {
    const mapped = lookup.lookup(raw);
    principals.add(tryParseSourceIdentity(raw)?.identity ?? raw.trim().toLowerCase());
    if (!mapped) continue;
    for (const principal of mapped.principals) {
      const list = via.get(principal) ?? [];
      if (!list.includes(mapped.identity)) list.push(mapped.identity);
      via.set(principal, list);
      principals.add(principal);
    }
  }
  const chain = [...via.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([principal, list]) => ({ principal, via: list }));
  return { principals: [...principals], chain };
}
