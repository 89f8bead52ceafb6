import { GroundworkError } from '../../core/index.ts';

/**
 * Unified principals: the identities document ACLs and callers are matched on.
 *
 * Two kinds exist: `user:<email>` and `group:<name>`. Both are compared as exact strings in SQL
 * (`chunks.principals && $callerPrincipals`), so every principal is normalised once, here: trimmed, the kind
 * prefix and the name lower-cased (e-mail addresses and directory group names are case-insensitive in every
 * directory we map from), runs of inner whitespace in group names collapsed to one space ("Claims
 * Adjusters" in Entra ID). Group names may be e-mail addresses (Google Workspace groups) or GUIDs.
 */

export const principalKinds = ['user', 'group'] as const;
export type PrincipalKind = (typeof principalKinds)[number];

/** A parsed, normalised principal. `id` is the canonical string stored in ACLs: `${kind}:${name}`. */
export interface Principal {
  readonly kind: PrincipalKind;
  readonly name: string;
  readonly id: string;
}

// Deliberately simple: a local part, an @, and a domain with at least one dot. Directory exports contain
// addresses, not RFC 5322 edge cases; anything stranger should be refused loudly, not half-matched.
const emailPattern = /^[^\s@:]+@[^\s@:]+\.[^\s@:.]+$/u;
// Starts with a letter or digit (any script); no control characters, and none of `,` (list separator in
// flags and environment variables), `\` (a DOMAIN\name source identity belongs in `aliases`) or `"`.
const groupNamePattern = /^[\p{L}\p{N}][^\p{Cc},\\"]{0,255}$/u;

/** Parses and normalises one principal; `undefined` when it is not a valid unified principal. */
export function tryParsePrincipal(raw: string): Principal | undefined {
  const trimmed = raw.trim();
  const colon = trimmed.indexOf(':');
  if (colon <= 0) return undefined;
  const kind = trimmed.slice(0, colon).trim().toLowerCase();
  const name = trimmed
    .slice(colon + 1)
    .trim()
    .replace(/\s+/g, ' ')
    .toLowerCase();
  if (kind === 'user') {
    if (!emailPattern.test(name)) return undefined;
    return { kind, name, id: `user:${name}` };
  }
  if (kind === 'group') {
    if (!groupNamePattern.test(name)) return undefined;
    return { kind, name, id: `group:${name}` };
  }
  return undefined;
}

/** Why a string is not a unified principal, in one sentence (for error messages and warnings). */
export function describeInvalidPrincipal(raw: string): string {
  const trimmed = raw.trim();
  const colon = trimmed.indexOf(':');
  const kind = colon > 0 ? trimmed.slice(0, colon).trim().toLowerCase() : '';
  if (kind === 'user') return `"${raw}" is not a user principal: expected user:<e-mail address>`;
  if (kind === 'group')
    return `"${raw}" is not a group principal: a group name starts with a letter or digit and has no commas, backslashes or quotes, e.g. group:claims-adjusters (map DOMAIN\\name identities with aliases)`;
  return `"${raw}" is not a unified principal: expected user:<e-mail> or group:<name>`;
}

/**
 * Parses and normalises one principal.
 * @throws GroundworkError `protect.invalid_principal` (category usage) naming the expected form.
 */
export function parsePrincipal(raw: string): Principal {
  const principal = tryParsePrincipal(raw);
  if (!principal) {
    throw new GroundworkError('protect.invalid_principal', `${describeInvalidPrincipal(raw)}.`, {
      category: 'usage',
      fix: 'Write principals as user:alice@example.com or group:underwriting; map source-specific identities (e.g. CORP\\Underwriters) to them with `aliases` in the ACL map.',
      details: { principal: raw },
    });
  }
  return principal;
}

/**
 * Normalises a list of principals: each parsed, duplicates removed, sorted (stable storage and comparison).
 * @throws GroundworkError `protect.invalid_principal` listing every invalid entry at once.
 */
export function normalisePrincipals(raws: readonly string[]): string[] {
  const valid = new Set<string>();
  const invalid: string[] = [];
  for (const raw of raws) {
    const principal = tryParsePrincipal(raw);
    if (principal) valid.add(principal.id);
    else invalid.push(raw);
  }
  if (invalid.length > 0) {
    throw new GroundworkError(
      'protect.invalid_principal',
      `${invalid.length} invalid principal${invalid.length === 1 ? '' : 's'}: ${invalid.map(describeInvalidPrincipal).join('; ')}.`,
      {
        category: 'usage',
        fix: 'Write principals as user:alice@example.com or group:underwriting.',
        details: { invalid },
      },
    );
  }
  return [...valid].sort();
}
