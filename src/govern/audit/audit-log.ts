import { createHash } from 'node:crypto';
import { type Clock, GroundworkError, newId, systemClock } from '../../core/index.ts';
import type { Queryable } from '../../store/index.ts';
import { canonicalJson } from './canonical-json.ts';

/**
 * The tamper-evident audit log.
 *
 * Append-only (a trigger rejects UPDATE, DELETE and TRUNCATE) and hash-chained: each entry's hash covers its
 * canonical JSON and the previous entry's hash, so editing or deleting any entry breaks every hash after it
 * and `verifyAuditChain` names the first bad one. Appends lock the single `audit_head` row
 * (`SELECT … FOR UPDATE`), which serialises writers across processes, and happen **in the caller's
 * transaction**: the change and its audit record commit or roll back together.
 *
 * Limits: someone with owner rights on the database can disable the trigger and rewrite the whole chain
 * consistently. Anchor `audit verify`'s head hash outside the database (ticket, log shipping) to detect that.
 */

/** What happened. `before`/`after` are JSON snapshots of the target (never secrets). */
export interface AuditEntryInput {
  /** Who did it: `Caller.id` (`key:key_…`, `user:…`, `local:operator`). */
  readonly actor: string;
  /** `<area>.<verb>`: `key.create`, `key.revoke`, `source.create`, `prompt.label_move`, `access.denied`, … */
  readonly action: string;
  /** What it was done to: `key:key_…`, `source:src_…`, `GET /v1/audit`. */
  readonly target?: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly requestId?: string;
  /** Defaults to the system clock. */
  readonly at?: Date;
}

export interface AuditEntry {
  readonly seq: number;
  readonly id: string;
  readonly at: Date;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly before: unknown;
  readonly after: unknown;
  readonly requestId: string | null;
  readonly prevHash: string;
  readonly hash: string;
}

export type AuditRow = {
  seq: number;
  id: string;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  before: unknown;
  after: unknown;
  request_id: string | null;
  prev_hash: string;
  hash: string;
};

/** The hash of entry `seq`: sha256 over the previous hash and the entry's canonical JSON. */
export function auditEntryHash(entry: Omit<AuditEntry, 'hash'>): string {
  const body = canonicalJson({
    seq: entry.seq,
    id: entry.id,
    at: entry.at.toISOString(),
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    before: entry.before ?? null,
    after: entry.after ?? null,
    requestId: entry.requestId,
  });
  return createHash('sha256').update(entry.prevHash).update('\n').update(body).digest('hex');
}

/**
 * Appends one entry. Call it with the transaction that makes the change (`db.transaction(async (tx) => …)`),
 * so the record and the change commit together; it locks the chain head until that transaction ends.
 */
export async function recordAudit(tx: Queryable, input: AuditEntryInput, clock: Clock = systemClock): Promise<AuditEntry> {
  const head = await tx.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE');
  const previous = head.rows[0];
  if (!previous) {
    throw new GroundworkError('audit.head_missing', 'The audit log head row is missing.', {
      category: 'internal',
      fix: 'Run `groundwork audit verify`; restore the database from a backup if the audit tables were altered.',
    });
  }
  // Millisecond precision: what the hash covers must survive the round trip through timestamptz and Date.
  const at = new Date(Math.floor((input.at ?? clock.now()).getTime()));
  const unhashed = {
    seq: Number(previous.seq) + 1,
    id: newId('aud'),
    at,
    actor: input.actor,
    action: input.action,
    target: input.target ?? null,
    before: normalise(input.before),
    after: normalise(input.after),
    requestId: input.requestId ?? null,
    prevHash: previous.hash,
  };
  const entry: AuditEntry = { ...unhashed, hash: auditEntryHash(unhashed) };
  await tx.query(
    `INSERT INTO audit_log (seq, id, at, actor, action, target, before, after, request_id, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11)`,
    [
      entry.seq,
      entry.id,
      entry.at,
      entry.actor,
      entry.action,
      entry.target,
      entry.before === null ? null : JSON.stringify(entry.before),
      entry.after === null ? null : JSON.stringify(entry.after),
      entry.requestId,
      entry.prevHash,
      entry.hash,
    ],
  );
  await tx.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1', [entry.seq, entry.hash]);
  return entry;
}

/** JSON round trip: what jsonb will give back (drops undefined, turns Dates into strings). */
function normalise(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  return JSON.parse(JSON.stringify(value));
}

export interface AuditListOptions {
  /** Entries with `seq` below this (paging backwards from the newest). */
  readonly beforeSeq?: number;
  readonly limit?: number;
  readonly action?: string;
  readonly actor?: string;
}

/** Newest first. */
export async function listAudit(db: Queryable, options: AuditListOptions = {}): Promise<AuditEntry[]> {
  const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
  const result = await db.query<AuditRow>(
    `SELECT * FROM audit_log
     WHERE ($1::bigint IS NULL OR seq < $1) AND ($2::text IS NULL OR action = $2) AND ($3::text IS NULL OR actor = $3)
     ORDER BY seq DESC LIMIT $4`,
    [options.beforeSeq ?? null, options.action ?? null, options.actor ?? null, limit],
  );
  return result.rows.map(fromRow);
}

/** An `audit_log` row as an entry (also used by audit-by-target.ts). */
export function fromRow(row: AuditRow): AuditEntry {
  return {
    seq: Number(row.seq),
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    target: row.target,
    before: row.before ?? null,
    after: row.after ?? null,
    requestId: row.request_id,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** Result of walking the chain. `firstBad` names the first entry that does not verify. */
export interface AuditVerification {
  readonly ok: boolean;
  readonly entries: number;
  readonly headSeq: number;
  readonly headHash: string;
  readonly firstBad?: {
    readonly seq: number;
    readonly id: string | null;
    readonly problem: 'hash_mismatch' | 'broken_link' | 'missing_entry' | 'head_mismatch';
    readonly message: string;
  };
}

const genesisHash = '0'.repeat(64);

/**
 * Re-hashes every entry in order and checks the links and the head. Detects an edited entry (its hash no
 * longer matches), a deleted entry (a gap in `seq` or a broken link) and a deleted tail (head ahead of the
 * last entry). Reads in pages, so it runs in constant memory.
 */
export async function verifyAuditChain(db: Queryable, pageSize = 2000): Promise<AuditVerification> {
  const head = (await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1')).rows[0];
  const headSeq = Number(head?.seq ?? 0);
  const headHash = head?.hash ?? genesisHash;
  let expectedSeq = 1;
  let prevHash = genesisHash;
  let count = 0;
  const fail = (
    seq: number,
    id: string | null,
    problem: NonNullable<AuditVerification['firstBad']>['problem'],
    message: string,
  ) => ({ ok: false, entries: count, headSeq, headHash, firstBad: { seq, id, problem, message } }) as const;
  for (;;) {
    const page = await db.query<AuditRow>('SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2', [
      expectedSeq,
      pageSize,
    ]);
    for (const row of page.rows) {
      const entry = fromRow(row);
      if (entry.seq !== expectedSeq) {
        return fail(expectedSeq, null, 'missing_entry', `Entry ${expectedSeq} is missing (the next entry is ${entry.seq}).`);
      }
      if (entry.prevHash !== prevHash) {
        return fail(
          entry.seq,
          entry.id,
          'broken_link',
          `Entry ${entry.seq} (${entry.id}) does not link to entry ${entry.seq - 1}.`,
        );
      }
      if (auditEntryHash(entry) !== entry.hash) {
        return fail(entry.seq, entry.id, 'hash_mismatch', `Entry ${entry.seq} (${entry.id}) was modified after it was written.`);
      }
      prevHash = entry.hash;
      expectedSeq += 1;
      count += 1;
    }
    if (page.rows.length < pageSize) break;
  }
  if (headSeq !== expectedSeq - 1 || headHash !== prevHash) {
    return fail(
      expectedSeq - 1 < headSeq ? expectedSeq : headSeq,
      null,
      headSeq > expectedSeq - 1 ? 'missing_entry' : 'head_mismatch',
      headSeq > expectedSeq - 1
        ? `Entries ${expectedSeq}..${headSeq} are missing (the chain head says ${headSeq} entries exist).`
        : `The chain head (entry ${headSeq}) does not match the last entry (${expectedSeq - 1}).`,
    );
  }
  return { ok: true, entries: count, headSeq, headHash };
}
