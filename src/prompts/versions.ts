import { createHash } from 'node:crypto';
import { GroundworkError } from '../core/index.ts';
import { canonicalJson, recordAudit } from '../govern/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import { type DiffLine, lineDiff } from './line-diff.ts';

/**
 * Immutable, numbered versions with movable labels — shared by prompts and model configurations.
 *
 * A version never changes once created (1, 2, 3 … per name). Labels (`production`, `staging`, any name)
 * point at versions; promoting moves a label, and rolling back moves it to the version it pointed at before
 * (label moves form a stack per label, so rolling back twice goes back two moves). Every change is a row in
 * `prompt_events` (who, when, why) and an entry in the audit log, written in the same transaction.
 */
export type VersionKind = 'prompt' | 'model';

export interface StoredVersion<Body> {
  readonly kind: VersionKind;
  readonly name: string;
  readonly version: number;
  readonly body: Body;
  readonly contentHash: string;
  readonly message: string;
  readonly author: string;
  readonly createdAt: Date;
  /** Labels pointing at this version now. */
  readonly labels: readonly string[];
}

/** `latest`, a version number, or a label. */
export type VersionRef = { readonly version: number } | { readonly label: string } | 'latest';

export interface ChangeContext {
  /** `Caller.id` of who made the change. */
  readonly actor: string;
  /** Why (commit-message style); required for creating a version. */
  readonly reason?: string;
}

export interface LabelMove {
  readonly kind: VersionKind;
  readonly name: string;
  readonly label: string;
  readonly from: number | null;
  readonly to: number;
}

export interface VersionEvent {
  readonly seq: number;
  readonly action: 'create' | 'label' | 'rollback';
  readonly label: string | null;
  readonly fromVersion: number | null;
  readonly toVersion: number | null;
  readonly actor: string;
  readonly reason: string | null;
  readonly at: Date;
}

export interface NamedSummary {
  readonly name: string;
  readonly latestVersion: number;
  readonly labels: Readonly<Record<string, number>>;
  readonly updatedAt: Date;
}

const namePattern = /^[a-z0-9][a-z0-9._-]{0,99}$/;
const labelPattern = /^[a-z][a-z0-9_-]{0,39}$/;

export function validateName(kind: VersionKind, name: string): void {
  if (!namePattern.test(name)) {
    throw new GroundworkError(`${kind}s.invalid_name`, `"${name}" is not a valid ${kind} name.`, {
      category: 'usage',
      fix: 'Use lowercase letters, digits, ".", "_" and "-", starting with a letter or digit (e.g. underwriting-qa).',
    });
  }
}

export function validateLabel(kind: VersionKind, label: string): void {
  if (!labelPattern.test(label) || label === 'latest') {
    throw new GroundworkError(`${kind}s.invalid_label`, `"${label}" is not a valid label.`, {
      category: 'usage',
      fix: 'Use a lowercase name such as production or staging ("latest" is reserved: it always means the newest version).',
    });
  }
}

/** Parses `NAME`, `NAME@3` or `NAME:production`. */
export function parseVersionRef(kind: VersionKind, text: string): { name: string; ref: VersionRef } {
  const at = text.lastIndexOf('@');
  const colon = text.lastIndexOf(':');
  if (at > 0) {
    const version = Number(text.slice(at + 1));
    if (!Number.isInteger(version) || version < 1) {
      throw new GroundworkError(`${kind}s.invalid_ref`, `"${text}" names no version.`, {
        category: 'usage',
        fix: `Write NAME@VERSION with a version number (e.g. underwriting-qa@3), or NAME:LABEL.`,
      });
    }
    return { name: text.slice(0, at), ref: { version } };
  }
  if (colon > 0) {
    const label = text.slice(colon + 1);
    return { name: text.slice(0, colon), ref: label === 'latest' ? 'latest' : { label } };
  }
  return { name: text, ref: 'latest' };
}

type VersionRow = {
  kind: VersionKind;
  name: string;
  version: number;
  body: unknown;
  content_hash: string;
  message: string;
  author: string;
  created_at: Date;
  labels: string[] | null;
};

const selectVersion = `
  SELECT v.kind, v.name, v.version, v.body, v.content_hash, v.message, v.author, v.created_at,
    (SELECT array_agg(l.label ORDER BY l.label) FROM prompt_labels l
      WHERE l.kind = v.kind AND l.name = v.name AND l.version = v.version) AS labels
  FROM prompt_versions v`;

function toVersion<Body>(row: VersionRow): StoredVersion<Body> {
  return {
    kind: row.kind,
    name: row.name,
    version: Number(row.version),
    body: row.body as Body,
    contentHash: row.content_hash,
    message: row.message,
    author: row.author,
    createdAt: new Date(row.created_at),
    labels: row.labels ?? [],
  };
}

function notFound(kind: VersionKind, name: string, ref: VersionRef): GroundworkError {
  const what = ref === 'latest' ? `${kind} "${name}"` : 'version' in ref ? `${name}@${ref.version}` : `${name}:${ref.label}`;
  return new GroundworkError(`${kind}s.not_found`, `No ${kind} version ${what}.`, {
    category: 'not_found',
    fix:
      ref !== 'latest' && 'label' in ref
        ? `Point the label at a version first: groundwork ${kind}s label ${name} <VERSION> ${ref.label}.`
        : `List what exists with: groundwork ${kind}s list (and groundwork ${kind}s show ${name}).`,
  });
}

export async function findVersion<Body>(
  db: Queryable,
  kind: VersionKind,
  name: string,
  ref: VersionRef,
): Promise<StoredVersion<Body> | undefined> {
  let result: { rows: VersionRow[] };
  if (ref === 'latest') {
    result = await db.query<VersionRow>(`${selectVersion} WHERE v.kind = $1 AND v.name = $2 ORDER BY v.version DESC LIMIT 1`, [
      kind,
      name,
    ]);
  } else if ('version' in ref) {
    result = await db.query<VersionRow>(`${selectVersion} WHERE v.kind = $1 AND v.name = $2 AND v.version = $3`, [
      kind,
      name,
      ref.version,
    ]);
  } else {
    result = await db.query<VersionRow>(
      `${selectVersion} JOIN prompt_labels pl ON pl.kind = v.kind AND pl.name = v.name AND pl.version = v.version
       WHERE v.kind = $1 AND v.name = $2 AND pl.label = $3`,
      [kind, name, ref.label],
    );
  }
  const row = result.rows[0];
  return row ? toVersion<Body>(row) : undefined;
}

export async function getVersion<Body>(
  db: Queryable,
  kind: VersionKind,
  name: string,
  ref: VersionRef,
): Promise<StoredVersion<Body>> {
  const found = await findVersion<Body>(db, kind, name, ref);
  if (!found) throw notFound(kind, name, ref);
  return found;
}

export async function listVersions<Body>(db: Queryable, kind: VersionKind, name: string): Promise<StoredVersion<Body>[]> {
  const rows = await db.query<VersionRow>(`${selectVersion} WHERE v.kind = $1 AND v.name = $2 ORDER BY v.version DESC`, [
    kind,
    name,
  ]);
  return rows.rows.map((row) => toVersion<Body>(row));
}

export async function listNames(db: Queryable, kind: VersionKind): Promise<NamedSummary[]> {
  const rows = await db.query<{ name: string; latest: number; updated_at: Date; labels: Record<string, number> | null }>(
    `SELECT v.name, max(v.version) AS latest, greatest(max(v.created_at), max(l.updated_at)) AS updated_at,
       (SELECT jsonb_object_agg(pl.label, pl.version) FROM prompt_labels pl WHERE pl.kind = v.kind AND pl.name = v.name) AS labels
     FROM prompt_versions v LEFT JOIN prompt_labels l ON l.kind = v.kind AND l.name = v.name
     WHERE v.kind = $1 GROUP BY v.kind, v.name ORDER BY v.name`,
    [kind],
  );
  return rows.rows.map((row) => ({
    name: row.name,
    latestVersion: Number(row.latest),
    labels: row.labels ?? {},
    updatedAt: new Date(row.updated_at),
  }));
}

async function recordEvent(
  tx: Queryable,
  kind: VersionKind,
  name: string,
  event: { action: 'create' | 'label' | 'rollback'; label?: string; from?: number | null; to: number },
  change: ChangeContext,
): Promise<void> {
  await tx.query(
    `INSERT INTO prompt_events (kind, name, action, label, from_version, to_version, actor, reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [kind, name, event.action, event.label ?? null, event.from ?? null, event.to, change.actor, change.reason ?? null],
  );
  await recordAudit(tx, {
    actor: change.actor,
    action: `${kind}.${event.action === 'create' ? 'create' : event.action === 'label' ? 'label_move' : 'rollback'}`,
    target: `${kind}:${name}`,
    ...(event.action === 'create' ? {} : { before: { label: event.label, version: event.from ?? null } }),
    after: { ...(event.label ? { label: event.label } : {}), version: event.to, reason: change.reason ?? null },
  });
}

export function contentHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/**
 * Creates the next version of `name`. Refuses a version identical to the latest (`conflict`): re-running a
 * deploy script must not pile up copies. `labels` are pointed at the new version in the same transaction.
 */
export async function createVersion<Body>(
  db: Database,
  kind: VersionKind,
  name: string,
  body: Body,
  change: ChangeContext & { readonly labels?: readonly string[] },
): Promise<StoredVersion<Body>> {
  validateName(kind, name);
  for (const label of change.labels ?? []) validateLabel(kind, label);
  const message = change.reason?.trim();
  if (!message) {
    throw new GroundworkError(`${kind}s.message_required`, `A new ${kind} version needs a message saying what changed and why.`, {
      category: 'usage',
      fix: 'Pass --message "…" (like a commit message).',
    });
  }
  const hash = contentHash(body);
  const version = await db.transaction(async (tx) => {
    // Serialises version numbering per name across processes.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`prompt_versions:${kind}:${name}`]);
    const latest = (
      await tx.query<{ version: number; content_hash: string }>(
        'SELECT version, content_hash FROM prompt_versions WHERE kind = $1 AND name = $2 ORDER BY version DESC LIMIT 1',
        [kind, name],
      )
    ).rows[0];
    if (latest && latest.content_hash === hash) {
      throw new GroundworkError(`${kind}s.unchanged`, `${name}@${latest.version} already has exactly this content.`, {
        category: 'conflict',
        fix: `Nothing to create; point a label at it instead: groundwork ${kind}s label ${name} ${latest.version} <LABEL>.`,
        details: { version: Number(latest.version) },
      });
    }
    const next = Number(latest?.version ?? 0) + 1;
    await tx.query(
      `INSERT INTO prompt_versions (kind, name, version, body, content_hash, message, author) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [kind, name, next, JSON.stringify(body), hash, message, change.actor],
    );
    await recordEvent(tx, kind, name, { action: 'create', to: next }, change);
    for (const label of change.labels ?? []) await moveLabelIn(tx, kind, name, label, next, change, 'label');
    return next;
  });
  return getVersion<Body>(db, kind, name, { version });
}

async function moveLabelIn(
  tx: Queryable,
  kind: VersionKind,
  name: string,
  label: string,
  version: number,
  change: ChangeContext,
  action: 'label' | 'rollback',
): Promise<LabelMove> {
  const exists = await tx.query('SELECT 1 FROM prompt_versions WHERE kind = $1 AND name = $2 AND version = $3', [
    kind,
    name,
    version,
  ]);
  if (exists.rowCount === 0) throw notFound(kind, name, { version });
  const current = (
    await tx.query<{ version: number }>(
      'SELECT version FROM prompt_labels WHERE kind = $1 AND name = $2 AND label = $3 FOR UPDATE',
      [kind, name, label],
    )
  ).rows[0];
  const from = current ? Number(current.version) : null;
  await tx.query(
    `INSERT INTO prompt_labels (kind, name, label, version, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, now())
     ON CONFLICT (kind, name, label) DO UPDATE SET version = excluded.version, updated_by = excluded.updated_by, updated_at = now()`,
    [kind, name, label, version, change.actor],
  );
  await recordEvent(tx, kind, name, { action, label, from, to: version }, change);
  return { kind, name, label, from, to: version };
}

/** The version `label` points at now, or null (in the caller's transaction; locks the label row). */
export async function readLabel(tx: Queryable, kind: VersionKind, name: string, label: string): Promise<number | null> {
  const row = (
    await tx.query<{ version: number }>('SELECT version FROM prompt_labels WHERE kind = $1 AND name = $2 AND label = $3', [
      kind,
      name,
      label,
    ])
  ).rows[0];
  return row ? Number(row.version) : null;
}

/** Moves a label inside the caller's transaction (the governed write path applies label changes here). */
export function moveLabelInTransaction(
  tx: Queryable,
  kind: VersionKind,
  name: string,
  label: string,
  version: number,
  change: ChangeContext & { readonly action: 'label' | 'rollback' },
): Promise<LabelMove> {
  return moveLabelIn(tx, kind, name, label, version, change, change.action);
}

/** Points `label` at `version` (promote). Moving a label to where it already points is a no-op, not an event. */
export async function moveLabel(
  db: Database,
  kind: VersionKind,
  name: string,
  label: string,
  version: number,
  change: ChangeContext,
): Promise<LabelMove> {
  validateLabel(kind, label);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`prompt_labels:${kind}:${name}`]);
    const current = (
      await tx.query<{ version: number }>('SELECT version FROM prompt_labels WHERE kind = $1 AND name = $2 AND label = $3', [
        kind,
        name,
        label,
      ])
    ).rows[0];
    if (current && Number(current.version) === version) return { kind, name, label, from: version, to: version };
    return moveLabelIn(tx, kind, name, label, version, change, 'label');
  });
}

/** The versions a label has pointed at, oldest first, with rolled-back moves removed (the stack). */
export function labelStack(events: readonly VersionEvent[], label: string): number[] {
  const stack: number[] = [];
  for (const event of events) {
    if (event.label !== label || event.toVersion === null) continue;
    if (event.action === 'label') stack.push(event.toVersion);
    if (event.action === 'rollback') {
      stack.pop();
      // A rollback lands on the previous entry, which is now the top again.
      if (stack[stack.length - 1] !== event.toVersion) stack.push(event.toVersion);
    }
  }
  return stack;
}

/** Moves `label` back to the version it pointed at before its last move. */
export async function rollbackLabel(
  db: Database,
  kind: VersionKind,
  name: string,
  label: string,
  change: ChangeContext,
): Promise<LabelMove> {
  validateLabel(kind, label);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`prompt_labels:${kind}:${name}`]);
    const events = await historyIn(tx, kind, name);
    const stack = labelStack(events, label);
    const previous = stack[stack.length - 2];
    if (previous === undefined) {
      throw new GroundworkError(
        `${kind}s.nothing_to_roll_back`,
        stack.length === 0
          ? `Label "${label}" of ${kind} "${name}" has never been set.`
          : `Label "${label}" of ${kind} "${name}" has no earlier version to roll back to (it points at its first version, ${stack[0]}).`,
        {
          category: 'conflict',
          fix: `Point the label at a version explicitly: groundwork ${kind}s label ${name} <VERSION> ${label}.`,
        },
      );
    }
    return moveLabelIn(tx, kind, name, label, previous, change, 'rollback');
  });
}

async function historyIn(db: Queryable, kind: VersionKind, name: string): Promise<VersionEvent[]> {
  const rows = await db.query<{
    seq: string | number;
    action: 'create' | 'label' | 'rollback';
    label: string | null;
    from_version: number | null;
    to_version: number | null;
    actor: string;
    reason: string | null;
    at: Date;
  }>('SELECT * FROM prompt_events WHERE kind = $1 AND name = $2 ORDER BY seq', [kind, name]);
  return rows.rows.map((row) => ({
    seq: Number(row.seq),
    action: row.action,
    label: row.label,
    fromVersion: row.from_version === null ? null : Number(row.from_version),
    toVersion: row.to_version === null ? null : Number(row.to_version),
    actor: row.actor,
    reason: row.reason,
    at: new Date(row.at),
  }));
}

/** Every change to `name`, oldest first: versions created, labels moved and rolled back, by whom and why. */
export function versionHistory(db: Queryable, kind: VersionKind, name: string): Promise<VersionEvent[]> {
  return historyIn(db, kind, name);
}

/** A line diff between two versions' text (`text` maps a body to the text to compare). */
export async function diffVersions<Body>(
  db: Queryable,
  kind: VersionKind,
  name: string,
  from: VersionRef,
  to: VersionRef,
  text: (body: Body) => string,
): Promise<{ from: StoredVersion<Body>; to: StoredVersion<Body>; lines: DiffLine[] }> {
  const [a, b] = await Promise.all([getVersion<Body>(db, kind, name, from), getVersion<Body>(db, kind, name, to)]);
  return { from: a, to: b, lines: lineDiff(text(a.body), text(b.body)) };
}
