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
}

/** The CLI acting directly on the store without `--as`: the local operator sees everything. */
export const localOperator: Caller = Object.freeze({
  id: 'local:operator',
  role: 'admin',
  principals: [],
  seesEverything: true,
});

/** A caller that reads exactly what `principals` may read (CLI `--as`, tests). */
export function callerWithPrincipals(principals: readonly string[], role: Role = 'user'): Caller {
  const user = principals.find((p) => p.startsWith('user:'));
  return Object.freeze({
    id: user ?? `principals:${principals.join(',')}`,
    role,
    principals: [...principals],
    seesEverything: false,
  });
}
