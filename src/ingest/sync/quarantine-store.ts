import type { IdGenerator } from '../../core/index.ts';
import type { Queryable } from '../../store/index.ts';
import { childSeparator } from './prepare-document.ts';

/** A file that could not be ingested, as listed by `groundwork quarantine list`. */
export interface QuarantineEntry {
  readonly id: string;
  readonly sourceId: string;
  readonly sourceName: string;
  readonly sourceRef: string;
  readonly code: string;
  /** What went wrong and what to do about it. */
  readonly message: string;
  readonly attempts: number;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
  /** File version that failed; null = re-attempted at the next sync. */
  readonly version: string | null;
}

/** Records (or re-records, counting attempts) a failure of one file. */
export async function recordQuarantine(
  q: Queryable,
  ids: IdGenerator,
  entry: { sourceId: string; ref: string; code: string; message: string; version: string | null; runId: string },
): Promise<void> {
  await q.query(
    `INSERT INTO quarantine (id, source_id, source_ref, error_code, message, version, run_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (source_id, source_ref) DO UPDATE SET error_code = EXCLUDED.error_code, message = EXCLUDED.message,
       version = EXCLUDED.version, run_id = EXCLUDED.run_id, attempts = quarantine.attempts + 1, last_seen_at = now()`,
    [ids('qua'), entry.sourceId, entry.ref, entry.code, entry.message, entry.version, entry.runId],
  );
}

/** Removes the entries of `ref` and of everything inside it (archive members, attachments). */
export async function clearQuarantine(q: Queryable, sourceId: string, refs: readonly string[]): Promise<void> {
  if (refs.length === 0) return;
  await q.query(
    `DELETE FROM quarantine WHERE source_id = $1
       AND (source_ref = ANY($2::text[]) OR split_part(source_ref, '${childSeparator}', 1) = ANY($2::text[]))`,
    [sourceId, refs],
  );
}

type EntryRow = {
  id: string;
  source_id: string;
  source_name: string;
  source_ref: string;
  error_code: string;
  message: string;
  attempts: number;
  first_seen_at: Date;
  last_seen_at: Date;
  version: string | null;
};

function toEntry(row: EntryRow): QuarantineEntry {
  return {
    id: row.id,
    sourceId: row.source_id,
    sourceName: row.source_name,
    sourceRef: row.source_ref,
    code: row.error_code,
    message: row.message,
    attempts: row.attempts,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
    version: row.version,
  };
}

/** Quarantined files, newest failure first; optionally of one source (by id). */
export async function listQuarantine(q: Queryable, options: { sourceId?: string } = {}): Promise<QuarantineEntry[]> {
  const result = await q.query<EntryRow>(
    `SELECT q.id, q.source_id, s.name AS source_name, q.source_ref, q.error_code, q.message, q.attempts,
            q.first_seen_at, q.last_seen_at, q.version
     FROM quarantine q JOIN sources s ON s.id = q.source_id
     WHERE ($1::text IS NULL OR q.source_id = $1)
     ORDER BY q.last_seen_at DESC, q.source_ref`,
    [options.sourceId ?? null],
  );
  return result.rows.map(toEntry);
}

/**
 * Marks entries for another attempt at the next sync of their source (all of them, or by id) and returns
 * them. A member of an archive is re-attempted by processing its container again.
 */
export async function markForRetry(q: Queryable, options: { ids?: readonly string[] }): Promise<QuarantineEntry[]> {
  const entries = (await listQuarantine(q)).filter((entry) => !options.ids || options.ids.includes(entry.id));
  if (entries.length === 0) return [];
  const ids = entries.map((entry) => entry.id);
  await q.query('UPDATE quarantine SET version = NULL WHERE id = ANY($1::text[])', [ids]);
  // Containers of quarantined members: forget their fingerprint so the next sync processes them again.
  await q.query(
    `UPDATE documents d SET pipeline_fingerprint = NULL FROM quarantine q
     WHERE q.id = ANY($1::text[]) AND position('${childSeparator}' in q.source_ref) > 0
       AND d.source_id = q.source_id AND d.parent_id IS NULL AND d.source_ref = split_part(q.source_ref, '${childSeparator}', 1)`,
    [ids],
  );
  return entries;
}
