import { type Caller, canonicalPrincipal } from '../../core/index.ts';
import type { Queryable } from '../../store/index.ts';

/**
 * Who controls a credential, for four-eyes checks.
 *
 * An API key counts as the person it was issued to (`Caller.id` is its `user:` principal) AND as whoever
 * created it, transitively: the creator saw the token once, so an admin who mints a key for a colleague's
 * principal still holds it. The local operator is not followed: it bootstraps the first keys and already
 * owns the database (docs/governance.md).
 */
const maxDepth = 8;

export async function controllingIdentities(db: Queryable, caller: Caller): Promise<string[]> {
  const identities = new Set<string>([caller.id, canonicalPrincipal(caller.id)]);
  let keyId = caller.credential?.startsWith('key:') ? caller.credential.slice(4) : undefined;
  for (let depth = 0; keyId && depth < maxDepth; depth++) {
    identities.add(`key:${keyId}`);
    const row = (
      await db.query<{ principals: string[]; created_by: string }>('SELECT principals, created_by FROM api_keys WHERE id = $1', [
        keyId,
      ])
    ).rows[0];
    if (!row) break;
    const person = row.principals.find((p) => p.startsWith('user:'));
    if (person) identities.add(canonicalPrincipal(person));
    if (row.created_by === 'local:operator') break;
    identities.add(canonicalPrincipal(row.created_by));
    keyId = row.created_by.startsWith('key:') ? row.created_by.slice(4) : undefined;
  }
  return [...identities];
}

/**
 * Whether two credentials are the same person for four-eyes purposes: either one's identity is among the
 * identities that control the other. Asymmetric on purpose: two colleagues whose keys the same admin minted
 * are still two people; the admin is neither of them. Compared in canonical spelling (`user:Alice@X` is
 * `user:alice@x`, as OIDC and document ACLs spell principals), so a second key whose principal differs only
 * in case is still the same person.
 */
export function samePerson(
  a: { readonly id: string; readonly identities: readonly string[] },
  b: { readonly id: string; readonly identities: readonly string[] },
): boolean {
  const aId = canonicalPrincipal(a.id);
  const bId = canonicalPrincipal(b.id);
  return (
    aId === bId ||
    a.identities.some((identity) => canonicalPrincipal(identity) === bId) ||
    b.identities.some((identity) => canonicalPrincipal(identity) === aId)
  );
}

/** Whether `identities` (from `controllingIdentities`) include `id`, in canonical spelling. */
export function controls(identities: readonly string[], id: string): boolean {
  const wanted = canonicalPrincipal(id);
  return identities.some((identity) => canonicalPrincipal(identity) === wanted);
}
