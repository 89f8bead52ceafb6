import type { Queryable } from '../../store/index.ts';
import { type AuditEntry, type AuditRow, fromRow } from './audit-log.ts';

/**
 * Audit entries about given targets, newest first: the read behind a use case's change log (entries on
 * `use_case:NAME`, `prompt:NAME`, `model:NAME`, `source:ID` …). `targetPrefixes` matches every target that
 * starts with one of them (`source:` = every source, for a use case that searches all sources).
 */
export async function listAuditForTargets(
  db: Queryable,
  selection: { readonly targets?: readonly string[]; readonly targetPrefixes?: readonly string[]; readonly limit?: number },
): Promise<AuditEntry[]> {
  const targets = [...new Set(selection.targets ?? [])];
  const prefixes = [...new Set(selection.targetPrefixes ?? [])].map((p) => `${p.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (targets.length === 0 && prefixes.length === 0) return [];
  const limit = Math.min(Math.max(selection.limit ?? 500, 1), 2000);
  const { rows } = await db.query<AuditRow>(
    `SELECT * FROM audit_log WHERE target = ANY($1::text[]) OR target LIKE ANY($2::text[])
     ORDER BY seq DESC LIMIT $3`,
    [targets, prefixes, limit],
  );
  return rows.map(fromRow);
}
