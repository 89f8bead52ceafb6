import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Caller, type Clock, GroundworkError, newId, type Role, systemClock } from '../core/index.ts';
import { type Database, publishChange, type Queryable } from '../store/index.ts';
import { recordAudit } from './audit/audit-log.ts';
import type { Governance } from './changes/change-kinds.ts';
import { type ChangeRequest, submitChange } from './changes/change-requests.ts';
import { authorize } from './scopes.ts';

/**
 * API keys for users and services.
 *
 * A token looks like `gw_<lookup>_<secret>`: `gw_` makes it recognisable (secret scanners, logs), the
 * 12-character lookup finds the row, and the 256-bit secret is what proves possession. Only sha256 of the
 * whole token is stored; comparison is constant-time. The token is returned once, at creation.
 */

/** A key as listed: never the secret. */
export interface ApiKey {
  readonly id: string;
  readonly name: string;
  /** `gw_<lookup>`: the recognisable, non-secret beginning of the token. */
  readonly prefix: string;
  readonly role: Role;
  readonly principals: readonly string[];
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
  /** `pending`: an admin or builder key whose change request is not approved yet (it does not authenticate). */
  readonly status: 'active' | 'expired' | 'revoked' | 'pending';
  /** The change request that must be approved before the key works, while `pending`. */
  readonly pendingChange: string | null;
}

export interface CreateApiKeyInput {
  readonly name: string;
  readonly role: Role;
  /** Unified principals the key reads as (`user:…`, `group:…`); a service key may have none. */
  readonly principals?: readonly string[];
  /** Days until expiry; absent = no expiry. */
  readonly expiresInDays?: number;
}

/** Who is acting, for the audit record. */
export interface ActorContext {
  readonly actor: string;
  readonly requestId?: string;
  readonly clock?: Clock;
}

type KeyRow = {
  id: string;
  name: string;
  lookup: string;
  secret_hash: string;
  role: Role;
  principals: string[];
  created_by: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  pending_change: string | null;
};

const tokenPattern = /^gw_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const lookupAlphabet = '0123456789abcdefghjkmnpqrstvwxyz';
const principalPattern = /^[a-z][a-z0-9_-]*:.+$/;

/** Whether a bearer token is shaped like a Groundwork API key (as opposed to an OIDC JWT). */
export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('gw_');
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function newLookup(): string {
  const bytes = randomBytes(12);
  let out = '';
  for (const byte of bytes) out += lookupAlphabet[byte & 31];
  return out;
}

function toApiKey(row: KeyRow, now: Date): ApiKey {
  const status = row.revoked_at
    ? 'revoked'
    : row.expires_at && row.expires_at <= now
      ? 'expired'
      : row.pending_change
        ? 'pending'
        : 'active';
  return {
    id: row.id,
    name: row.name,
    prefix: `gw_${row.lookup}`,
    role: row.role,
    principals: row.principals,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    status,
    pendingChange: row.pending_change ?? null,
  };
}

/** Audit snapshot of a key: everything but the hash. */
function snapshot(key: ApiKey): Record<string, unknown> {
  return {
    name: key.name,
    role: key.role,
    principals: key.principals,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

function validate(input: CreateApiKeyInput): void {
  const problems: string[] = [];
  if (!input.name.trim() || input.name.length > 200) problems.push('name must be 1–200 characters');
  for (const principal of input.principals ?? []) {
    if (!principalPattern.test(principal)) problems.push(`principal "${principal}" must look like user:… or group:…`);
  }
  if (input.expiresInDays !== undefined && !(input.expiresInDays > 0 && input.expiresInDays <= 3650)) {
    problems.push('expiry must be between 1 and 3650 days');
  }
  if (problems.length > 0) {
    throw new GroundworkError('key.invalid', `The API key request is invalid: ${problems.join('; ')}.`, {
      category: 'usage',
      fix: 'Give a name, principals such as user:alice@example.com or group:underwriting, and a positive number of days.',
      details: { problems },
    });
  }
}

/** Creates a key and its audit record in one transaction; returns the key and the token (shown once). */
export async function createApiKey(
  db: Database,
  input: CreateApiKeyInput,
  context: ActorContext,
): Promise<{ key: ApiKey; token: string }> {
  validate(input);
  return db.transaction((tx) => insertApiKey(tx, input, context));
}

/**
 * Inserts a key in the caller's transaction, with its `key.create` audit record. `pending` keys exist (their
 * token is returned now) but do not authenticate until `activateApiKey`.
 */
async function insertApiKey(
  tx: Queryable,
  input: CreateApiKeyInput,
  context: ActorContext & { readonly pending?: boolean },
): Promise<{ key: ApiKey; token: string }> {
  const clock = context.clock ?? systemClock;
  const now = clock.now();
  const lookup = newLookup();
  const token = `gw_${lookup}_${randomBytes(32).toString('base64url')}`;
  const expiresAt = input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * 86_400_000) : null;
  {
    const result = await tx.query<KeyRow>(
      `INSERT INTO api_keys (id, name, lookup, secret_hash, role, principals, created_by, created_at, expires_at, pending_change)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [
        newId('key'),
        input.name.trim(),
        lookup,
        sha256(token).toString('hex'),
        input.role,
        [...new Set(input.principals ?? [])],
        context.actor,
        now,
        expiresAt,
        context.pending ? 'requested' : null,
      ],
    );
    const key = toApiKey(result.rows[0] as KeyRow, now);
    await publishChange(tx, 'api_keys');
    await recordAudit(
      tx,
      {
        actor: context.actor,
        action: 'key.create',
        target: `key:${key.id}`,
        after: { ...snapshot(key), ...(context.pending ? { pending: true } : {}) },
        requestId: context.requestId,
        at: now,
      },
      clock,
    );
    return { key, token };
  }
}

/** Roles whose keys are governed (`key.grant`): granting them needs approval by default. */
export const governedKeyRoles: readonly Role[] = ['admin', 'builder'];

interface KeyGrantSnapshot {
  readonly name: string;
  readonly role: Role;
  readonly principals: readonly string[];
  readonly expiresAt: string | null;
  readonly revoked: boolean;
  readonly pending: boolean;
}

async function readKeyGrant(tx: Queryable, id: string): Promise<KeyGrantSnapshot | null> {
  const row = (await tx.query<KeyRow>('SELECT * FROM api_keys WHERE id = $1', [id])).rows[0];
  if (!row) return null;
  return {
    name: row.name,
    role: row.role,
    principals: [...row.principals],
    expiresAt: row.expires_at ? new Date(row.expires_at).toISOString() : null,
    revoked: row.revoked_at !== null,
    pending: row.pending_change !== null,
  };
}

/**
 * Registers `key.grant`: a key with a governed role (admin, builder) is created pending and works only once
 * its change request is approved (applying activates it).
 */
export function registerKeyChangeKinds(governance: Governance): void {
  governance.register({
    kind: 'key.grant',
    scope: 'keys:admin',
    detailScope: 'keys:admin',
    read: readKeyGrant,
    async apply(tx, actor, change) {
      await tx.query('UPDATE api_keys SET pending_change = NULL WHERE id = $1', [change.target]);
      await publishChange(tx, 'api_keys');
      if (change.changeRequestId) {
        await recordAudit(tx, {
          actor,
          action: 'key.activate',
          target: `key:${change.target}`,
          after: { changeRequest: change.changeRequestId },
        });
      }
      const key = await getApiKey(tx, change.target);
      return key ? JSON.parse(JSON.stringify(key)) : null;
    },
    async discard(tx, actor, change) {
      // A key whose grant was rejected, withdrawn or expired never works: revoke it so lists say so.
      await tx.query('UPDATE api_keys SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL', [
        change.target,
        actor,
      ]);
      await recordAudit(tx, {
        actor,
        action: 'key.revoke',
        target: `key:${change.target}`,
        after: { changeRequest: change.changeRequestId, reason: 'its grant was not approved' },
      });
    },
    needsApproval: (_before, after) => governedKeyRoles.includes((after as KeyGrantSnapshot).role),
    describe: (target, _before, after) => {
      const grant = after as KeyGrantSnapshot;
      return `grant ${grant.role} key ${target} (${grant.name}) to ${grant.principals.join(', ') || 'a service'}`;
    },
  });
}

/**
 * Creates an API key, governed: a key granting admin or builder becomes a change request (`status:
 * 'pending'`: the token is returned now, once, and works after approval); other keys work at once.
 */
export async function createKey(
  governance: Governance,
  db: Database,
  caller: Caller,
  input: CreateApiKeyInput,
  context: { readonly requestId?: string; readonly reason?: string } = {},
): Promise<{ key: ApiKey; token: string; changeRequest?: ChangeRequest }> {
  authorize(caller, 'keys:admin');
  validate(input);
  return db.transaction(async (tx) => {
    const { key, token } = await insertApiKey(tx, input, {
      actor: caller.id,
      clock: governance.clock,
      pending: true,
      ...(context.requestId ? { requestId: context.requestId } : {}),
    });
    const before = await readKeyGrant(tx, key.id);
    const outcome = await submitChange(governance, tx, caller, {
      kind: 'key.grant',
      target: key.id,
      after: { ...before, pending: false },
      ...(context.reason ? { reason: context.reason } : {}),
      ...(context.requestId ? { requestId: context.requestId } : {}),
    });
    if (outcome.status === 'pending') {
      await tx.query('UPDATE api_keys SET pending_change = $2 WHERE id = $1', [key.id, outcome.changeRequest.id]);
    }
    const stored = (await getApiKey(tx, key.id, governance.clock)) as ApiKey;
    return outcome.status === 'pending' ? { key: stored, token, changeRequest: outcome.changeRequest } : { key: stored, token };
  });
}

export async function listApiKeys(db: Queryable, options: { clock?: Clock; includeRevoked?: boolean } = {}): Promise<ApiKey[]> {
  const now = (options.clock ?? systemClock).now();
  const result = await db.query<KeyRow>(`SELECT * FROM api_keys WHERE ($1 OR revoked_at IS NULL) ORDER BY created_at, id`, [
    options.includeRevoked ?? true,
  ]);
  return result.rows.map((row) => toApiKey(row, now));
}

export async function getApiKey(db: Queryable, id: string, clock: Clock = systemClock): Promise<ApiKey | undefined> {
  const result = await db.query<KeyRow>('SELECT * FROM api_keys WHERE id = $1', [id]);
  const row = result.rows[0];
  return row ? toApiKey(row, clock.now()) : undefined;
}

/** Revokes a key (idempotent: revoking a revoked key changes nothing and records nothing). */
export async function revokeApiKey(db: Database, id: string, context: ActorContext): Promise<ApiKey> {
  const clock = context.clock ?? systemClock;
  const now = clock.now();
  return db.transaction(async (tx) => {
    const found = await tx.query<KeyRow>('SELECT * FROM api_keys WHERE id = $1 FOR UPDATE', [id]);
    const row = found.rows[0];
    if (!row) {
      throw new GroundworkError('key.not_found', `No API key has the id ${id}.`, {
        category: 'not_found',
        fix: 'List the keys with `groundwork keys list` and use an id from the first column.',
      });
    }
    const before = toApiKey(row, now);
    if (row.revoked_at) return before;
    const updated = await tx.query<KeyRow>('UPDATE api_keys SET revoked_at = $2, revoked_by = $3 WHERE id = $1 RETURNING *', [
      id,
      now,
      context.actor,
    ]);
    const after = toApiKey(updated.rows[0] as KeyRow, now);
    await publishChange(tx, 'api_keys');
    await recordAudit(
      tx,
      {
        actor: context.actor,
        action: 'key.revoke',
        target: `key:${id}`,
        before: snapshot(before),
        after: snapshot(after),
        requestId: context.requestId,
        at: now,
      },
      clock,
    );
    return after;
  });
}

/** Whether any usable key exists (the server refuses non-loopback binds without authentication). */
export async function hasActiveApiKeys(db: Queryable, clock: Clock = systemClock): Promise<boolean> {
  const result = await db.query<{ exists: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoked_at IS NULL AND pending_change IS NULL AND (expires_at IS NULL OR expires_at > $1)) AS exists',
    [clock.now()],
  );
  return Boolean(result.rows[0]?.exists);
}

const invalidKey = () =>
  new GroundworkError('auth.invalid_key', 'The API key is not valid: unknown, revoked or expired.', {
    category: 'unauthenticated',
    fix: 'Create a new key with `groundwork keys create` (an admin can list keys with `groundwork keys list`).',
  });

/**
 * Turns a token into the Caller it stands for, or throws `auth.invalid_key` (401). The same error for every
 * failure (unknown, wrong secret, revoked, expired), so the answer reveals nothing about which keys exist.
 */
export async function authenticateApiKey(db: Queryable, token: string, clock: Clock = systemClock): Promise<Caller> {
  const match = tokenPattern.exec(token);
  if (!match) throw invalidKey();
  const result = await db.query<KeyRow>('SELECT * FROM api_keys WHERE lookup = $1', [match[1]]);
  const row = result.rows[0];
  // Hash something even when the row is missing, so timing does not tell unknown lookups from wrong secrets.
  const presented = sha256(token);
  const stored = row ? Buffer.from(row.secret_hash, 'hex') : sha256('');
  const equal = stored.length === presented.length && timingSafeEqual(stored, presented);
  const now = clock.now();
  // A key awaiting approval of its change request (role admin/builder) does not authenticate yet.
  if (!row || !equal || row.revoked_at || row.pending_change || (row.expires_at && row.expires_at <= now)) throw invalidKey();
  // Coarse last-used tracking (one write per key per minute at most) keeps the hot path cheap.
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > 60_000) {
    await db.query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [row.id, now]).catch(() => {});
  }
  // A user's key acts as that user (their traces, their feedback); a service key is its own identity.
  const user = row.principals.find((p) => p.startsWith('user:'));
  return Object.freeze({
    id: user ?? `key:${row.id}`,
    role: row.role,
    principals: [...row.principals],
    seesEverything: false,
    credential: `key:${row.id}`,
  });
}
