/**
 * Who is asking. Every feature that can reveal content takes a Caller and filters by its principals
 * inside the query; bypassing document ACLs is explicit (`seesEverything`), never implied.
 */

/** Roles, least to most privileged. Scopes per role are defined in govern/. */
export const roles = ['viewer', 'user', 'reviewer', 'builder', 'admin'] as const;
export type Role = (typeof roles)[number];

export interface Caller {
  /** Stable identity for audit and traces: `user:alice@example.com`, `key:key_…`, `local:operator`. */
  readonly id: string;
  readonly role: Role;
  /** Unified principals (`user:…`, `group:…`) matched against document ACLs. */
  readonly principals: readonly string[];
  /** Admin/operator bypass of document ACLs. Explicit, and recorded in traces. */
  readonly seesEverything: boolean;
  /**
   * The credential that authenticated the caller when it is not the identity itself: `key:key_…` for an
   * API key (whose `id` is the person it was issued to). Governance follows it to who created the key, so
   * nobody approves their own change with a key they minted (docs/governance.md).
   */
  readonly credential?: string;
  /**
   * Principals the caller holds through identity mappings (govern/identity-mappings): each unified principal
   * added and the source identities (`entra:<object id>`, `legacy:adj`) that map to it, for explanations.
   */
  readonly identityChain?: readonly { readonly principal: string; readonly via: readonly string[] }[];
}

/** The CLI acting directly on the store without `--as`: the local operator sees everything. */
export const localOperator: Caller = Object.freeze({
  id: 'local:operator',
  role: 'admin',
  principals: [],
  seesEverything: true,
});

/**
 * The canonical spelling of a principal as stored in document ACLs: trimmed, kind and name lower-cased,
 * inner whitespace collapsed (directories compare e-mail addresses and group names case-insensitively).
 * ACLs are matched as exact strings in SQL, so every caller's principals pass through here.
 * Validation (what a valid user or group name is) lives in protect/.
 */
export function canonicalPrincipal(raw: string): string {
  const trimmed = raw.trim();
  const colon = trimmed.indexOf(':');
  if (colon <= 0) return trimmed.toLowerCase();
  const kind = trimmed.slice(0, colon).trim().toLowerCase();
  const name = trimmed
    .slice(colon + 1)
    .trim()
    .replace(/\s+/g, ' ')
    .toLowerCase();
  return `${kind}:${name}`;
}

/** A caller that reads exactly what `principals` may read (CLI `--as`, tests). */
export function callerWithPrincipals(principals: readonly string[], role: Role = 'user'): Caller {
  const canonical = [...new Set(principals.map(canonicalPrincipal).filter((p) => p.length > 0))];
  const user = canonical.find((p) => p.startsWith('user:'));
  return Object.freeze({
    id: user ?? `principals:${canonical.join(',')}`,
    role,
    principals: canonical,
    seesEverything: false,
  });
}
