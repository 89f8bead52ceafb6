import type { Queryable } from '../../store/index.ts';

/**
 * The ids of the sources named (by name or id) in `namesOrIds`, for features that scope work to sources (a
 * use case's `sources`). Unknown entries match nothing: a misconfigured scope finds nothing, never everything.
 */
export async function sourceIdsOf(db: Queryable, namesOrIds: readonly string[]): Promise<string[]> {
  if (namesOrIds.length === 0) return [];
  const { rows } = await db.query<{ id: string }>('SELECT id FROM sources WHERE id = ANY($1) OR name = ANY($1)', [
    [...namesOrIds],
  ]);
  return rows.map((row) => row.id);
}
