import { type Caller, callerWithPrincipals, GroundworkError, localOperator } from '../core/index.ts';
import { tryParsePrincipal, tryParseSourceIdentity } from '../protect/index.ts';

/** `user:alice@example.com,group:claims` → the principals, or a usage error naming the flag and the fix. */
export function parsePrincipalsFlag(text: string, flag = '--as'): string[] {
  const principals = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  // Source identities (legacy:ADJ, entra:<id>) are accepted too: explanations map them (docs/identity-mapping.md).
  const invalid = principals.filter((p) => tryParsePrincipal(p) === undefined && tryParseSourceIdentity(p) === undefined);
  if (principals.length === 0 || invalid.length > 0) {
    throw new GroundworkError(
      'cli.invalid_principals',
      `${flag} needs principals like user:alice@example.com or group:claims (got "${text}").`,
      {
        category: 'usage',
        fix: `Pass comma-separated principals with a type prefix: ${flag} user:alice@example.com,group:claims`,
      },
    );
  }
  return principals;
}

/** Without `--as` the CLI is the local operator and sees everything; with it, exactly what those principals may. */
export function callerFromAs(as: string | undefined): Caller {
  return as === undefined ? localOperator : callerWithPrincipals(parsePrincipalsFlag(as));
}
