/**
 * Graph `permission` resources → unified principals (docs/connectors-sharepoint.md, "Mapping rules").
 *
 * - users (grantedToV2 / grantedToIdentitiesV2 `user` or `siteUser`) → `user:<e-mail or UPN>`; a user known only by
 *   object id cannot be a unified principal (those are e-mail addresses) and is reported as unmapped;
 * - Entra groups (`group`, or a `siteUser` whose login is a federated-directory group claim) → `group:<object id>`;
 * - SharePoint site groups (`siteGroup`) → `group:sp:<site name>:<group name>`;
 * - sharing links: `organization` scope → the configured `organizationPrincipal` (none when unset);
 *   `anonymous` → flagged on the document and granting nobody unless `anonymousLinkPrincipal` is set;
 *   `users` scope → the users and groups it was granted to (mapped as above).
 * Every role (read, write, owner, restricted view) grants read.
 */
import { tryParsePrincipal } from '../../../protect/index.ts';

export interface PermissionMapping {
  /** Site name used in site-group principals (`group:sp:<site>:<group>`), lower-cased. */
  readonly siteName: string;
  readonly organizationPrincipal?: string | undefined;
  readonly anonymousLinkPrincipal?: string | undefined;
}

export interface MappedPermissions {
  readonly principals: string[];
  /** `anonymous-link`, `organization-link` when such links exist. */
  readonly flags: string[];
  /** Identities that could not be mapped (object ids without e-mail), for the log. */
  readonly unmapped: string[];
}

type Identity = { id?: unknown; displayName?: unknown; email?: unknown; loginName?: unknown };
type IdentitySet = { user?: Identity; group?: Identity; siteUser?: Identity; siteGroup?: Identity; application?: Identity };

const str = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

/** `i:0#.f|membership|ann@contoso.com` → ann@contoso.com; `c:0o.c|federateddirectoryclaimprovider|<guid>` → group. */
function fromLoginName(login: string): { kind: 'user' | 'group'; name: string } | undefined {
  const parts = login.split('|');
  const last = parts[parts.length - 1] ?? '';
  if (login.startsWith('c:0o.c|federateddirectoryclaimprovider|') || login.startsWith('c:0t.c|tenant|'))
    return { kind: 'group', name: last.replace(/_o$/, '') };
  if (login.startsWith('i:0#.f|membership|') && last.includes('@')) return { kind: 'user', name: last };
  return undefined;
}

function identityPrincipals(set: IdentitySet, mapping: PermissionMapping, out: Set<string>, unmapped: string[]): void {
  const add = (raw: string) => {
    const principal = tryParsePrincipal(raw);
    if (principal) out.add(principal.id);
    else unmapped.push(raw);
  };
  const siteUserLogin = str(set.siteUser?.loginName);
  const fromLogin = siteUserLogin ? fromLoginName(siteUserLogin) : undefined;
  if (set.user) {
    const email = str(set.user.email) ?? (fromLogin?.kind === 'user' ? fromLogin.name : undefined);
    if (email) add(`user:${email}`);
    else unmapped.push(`user id ${str(set.user.id) ?? '?'}`);
  } else if (set.siteUser) {
    if (fromLogin?.kind === 'user') add(`user:${str(set.siteUser.email) ?? fromLogin.name}`);
    else if (fromLogin?.kind === 'group') add(`group:${fromLogin.name}`);
    else if (str(set.siteUser.email)) add(`user:${str(set.siteUser.email)}`);
    else unmapped.push(`site user ${siteUserLogin ?? str(set.siteUser.id) ?? '?'}`);
  }
  if (set.group) {
    const id = str(set.group.id);
    const name = str(set.group.displayName);
    if (id) add(`group:${id}`);
    else if (name) add(`group:${name}`);
  }
  if (set.siteGroup) {
    const name = str(set.siteGroup.displayName) ?? str(set.siteGroup.loginName);
    if (name) add(`group:sp:${mapping.siteName}:${name}`);
  }
}

/** Maps one item's permission collection (`GET …/items/{id}/permissions` → `value`). */
export function mapPermissions(permissions: readonly unknown[], mapping: PermissionMapping): MappedPermissions {
  const out = new Set<string>();
  const flags = new Set<string>();
  const unmapped: string[] = [];
  for (const raw of permissions) {
    if (!raw || typeof raw !== 'object') continue;
    const permission = raw as {
      link?: { scope?: unknown };
      grantedToV2?: IdentitySet;
      grantedTo?: IdentitySet;
      grantedToIdentitiesV2?: IdentitySet[];
      grantedToIdentities?: IdentitySet[];
    };
    const scope = str(permission.link?.scope);
    if (scope === 'anonymous') {
      flags.add('anonymous-link');
      if (mapping.anonymousLinkPrincipal) out.add(mapping.anonymousLinkPrincipal);
      continue; // an anonymous link is never read as "everyone"
    }
    if (scope === 'organization') {
      flags.add('organization-link');
      if (mapping.organizationPrincipal) out.add(mapping.organizationPrincipal);
      continue;
    }
    const sets: IdentitySet[] = [];
    const single = permission.grantedToV2 ?? permission.grantedTo;
    if (single) sets.push(single);
    const many = permission.grantedToIdentitiesV2 ?? permission.grantedToIdentities;
    if (Array.isArray(many)) sets.push(...many);
    for (const set of sets) if (set && typeof set === 'object') identityPrincipals(set, mapping, out, unmapped);
  }
  return { principals: [...out].sort(), flags: [...flags].sort(), unmapped };
}
