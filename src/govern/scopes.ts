import { type Caller, GroundworkError, type Role, roles } from '../core/index.ts';

/**
 * Roles → scopes, as one typed table. Every HTTP route declares the scope it needs and the server calls
 * `authorize` before the handler runs, so no route can forget its check.
 *
 * Scopes say what a caller may *do*; what a caller may *read* is decided by document ACLs (principals),
 * filtered in SQL by each feature. `:own` / `:usecase` / `:all` variants narrow object-level access.
 */
export const scopes = [
  'search',
  'ask',
  'usecases:read',
  'usecases:write',
  'documents:read',
  'documents:explain',
  'sources:read',
  'sources:write',
  'quarantine:read',
  'feedback:write',
  'feedback:read',
  'traces:read:own',
  'traces:read:usecase',
  'traces:read:all',
  /** Delete traces before the retention period ends (`groundwork traces purge`): admins only. */
  'traces:purge',
  'costs:read',
  'prompts:read',
  'prompts:write',
  'eval:read',
  'eval:run',
  'keys:admin',
  'audit:read',
  /** Background jobs: state, failures and dead letters (GET /v1/jobs). */
  'jobs:read',
  /** Retry a failed or dead-lettered job (POST /v1/jobs/:id/retry): operators only. */
  'jobs:write',
  /** Incidents: list and read them with their timeline and links (GET /v1/incidents…), and use-case change logs. */
  'incidents:read',
  /** Open, update and resolve incidents (a rollback from an incident also needs `prompts:write`). */
  'incidents:write',
  /** Change requests: list and read them (GET /v1/changes). */
  'changes:read',
  /** Approve or reject change requests; each request further checks that the caller is one of its approvers. */
  'changes:approve',
  /** Usage analytics and cohort definitions (GET /v1/usage, /v1/cohorts): counts only, never who. */
  'usage:read',
  /** Create and delete cohorts (POST|DELETE /v1/cohorts). */
  'cohorts:write',
  /** The human review queue (GET /v1/reviews…): items of the use cases the reviewer may use. */
  'reviews:read',
  /** Claim, grade and turn reviews into evaluation candidates (POST /v1/reviews…). */
  'reviews:write',
  /**
   * Triage feedback (set open / planned / fixed / wont_fix with a note): each entry further checks that the
   * caller owns or approves the feedback's use case (admins triage all). Never plain users.
   */
  'feedback:triage',
  /** Monitors and their alerts: list and read them (GET /v1/monitors, /v1/alerts); example traces per trace access. */
  'monitors:read',
  /** Create, update, delete and evaluate monitors (POST|PATCH|DELETE /v1/monitors…). */
  'monitors:write',
  /** Acknowledge and resolve alerts (POST /v1/alerts/:id/ack|resolve). */
  'alerts:write',
  /** Change a use case's rollout stage, cohorts and percentage (PUT /v1/use-cases/:name/rollout; governed). */
  'rollout:write',
  /** Kill or restore any use case (POST /v1/use-cases/:name/kill|restore): admins; a use case's owner may too. */
  'rollout:kill',
  /** Agent actions (GET /v1/actions, /v1/proposals): the actions you may invoke, your proposals; approvers all of their use cases'. */
  'actions:read',
  /** Invoke an action (a `propose` action becomes a proposal; POST /v1/proposals, agents' tools). */
  'actions:propose',
  /** Approve, deny, edit and retry proposals of others (never one's own); request graduation; resume paused actions. */
  'actions:approve',
  /**
   * The data audit of a source (GET /v1/sources/:name/audit, `groundwork audit-data`): every file name, format,
   * PII counts (never values) and permission coverage of the whole source. Operators (builder) and admins.
   */
  'sources:audit',
  /** Claims the caller may see (their own, or all for senior/SIU) with the citations they may read now (GET /v1/claims…). */
  'claims:read',
  /** Add claim documents, process claims, propose claims configuration (POST /v1/claims…). */
  'claims:write',
  /** Decide claims: accept, edit fields, override with a reason code; record SIU outcomes. */
  'claims:review',
  /** Identity mappings and their history (GET /v1/identity-mappings…): builders and admins. */
  'identities:read',
  /** Map and unmap source identities to principals (POST /v1/identity-mappings…; governed): admins only. */
  'identities:write',
  /** The domain vocabulary and its suggestions (GET /v1/vocabulary…). */
  'vocabulary:read',
  /** Add and remove vocabulary entries; export training pairs (POST|DELETE /v1/vocabulary…). */
  'vocabulary:write',
] as const;
export type Scope = (typeof scopes)[number];

const viewer: readonly Scope[] = ['search', 'usecases:read', 'documents:read', 'sources:read', 'traces:read:own'];
const user: readonly Scope[] = [
  ...viewer,
  'ask',
  'feedback:write',
  'actions:read',
  'actions:propose',
  'claims:read',
  'claims:write',
  'claims:review',
];
const reviewer: readonly Scope[] = [
  ...user,
  'traces:read:usecase',
  'feedback:read',
  'eval:read',
  'costs:read',
  'prompts:read',
  'incidents:read',
  'incidents:write',
  'changes:read',
  'changes:approve',
  'usage:read',
  'reviews:read',
  'reviews:write',
  'feedback:triage',
  'monitors:read',
  'alerts:write',
  'actions:approve',
  'vocabulary:read',
];
const builder: readonly Scope[] = [
  ...reviewer,
  'sources:write',
  'quarantine:read',
  'documents:explain',
  'usecases:write',
  'prompts:write',
  'eval:run',
  'jobs:read',
  'cohorts:write',
  'monitors:write',
  'rollout:write',
  'sources:audit',
  'identities:read',
  'vocabulary:write',
];

/** What each role may do. Each role includes the one below it; admin has every scope. */
export const roleScopes: Readonly<Record<Role, ReadonlySet<Scope>>> = Object.freeze({
  viewer: new Set(viewer),
  user: new Set(user),
  reviewer: new Set(reviewer),
  builder: new Set(builder),
  admin: new Set(scopes),
});

export function hasScope(caller: Caller, scope: Scope): boolean {
  return roleScopes[caller.role]?.has(scope) ?? false;
}

/**
 * Throws `auth.forbidden` (category forbidden → HTTP 403) unless the caller's role grants `scope`.
 * The local operator (CLI on the machine) is an admin and passes every check.
 */
export function authorize(caller: Caller, scope: Scope): void {
  if (hasScope(caller, scope)) return;
  throw new GroundworkError('auth.forbidden', `The ${caller.role} role does not allow "${scope}".`, {
    category: 'forbidden',
    fix: `Use a key or account whose role grants "${scope}" (roles with it: ${rolesWith(scope).join(', ')}).`,
    details: { scope, role: caller.role },
  });
}

/** Roles that grant `scope`, least privileged first. */
export function rolesWith(scope: Scope): Role[] {
  return roles.filter((role) => roleScopes[role].has(scope));
}

/** Ranks roles so the most privileged of several matches can win (OIDC role mapping). */
export function roleRank(role: Role): number {
  return roles.indexOf(role);
}

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}
