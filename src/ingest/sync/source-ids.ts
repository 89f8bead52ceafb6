import type { Caller } from '../../core/index.ts';
import { readablePredicate } from '../../protect/index.ts';
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

/**
 * Names of the sources in `namesOrIds` (empty = every source) in which `reader` may read at least one document
 * now (protect's access predicate): what a capability card may name to this reader. A source they cannot read
 * anything in is left out, so its name does not leak.
 */
export async function readableSourceNames(
  db: Queryable,
  reader: Pick<Caller, 'principals' | 'seesEverything'>,
  namesOrIds: readonly string[],
): Promise<string[]> {
  const params: unknown[] = [namesOrIds.length === 0 ? null : [...namesOrIds]];
  const bind = (value: unknown) => `$${params.push(value)}`;
  const { rows } = await db.query<{ name: string }>(
    `SELECT s.name FROM sources s
     WHERE ($1::text[] IS NULL OR s.id = ANY($1::text[]) OR s.name = ANY($1::text[]))
       AND EXISTS (SELECT 1 FROM documents d WHERE d.source_id = s.id AND ${readablePredicate('d.principals', reader, bind)})
     ORDER BY s.name`,
    params,
  );
  return rows.map((row) => row.name);
}
