import type { Caller } from '../../core/index.ts';
import type { Queryable } from '../../store/index.ts';

/**
 * "May this reader read these documents *now*?" — for views that show content recorded earlier (traces,
 * evaluation rows, production candidates). Access is decided by the documents' principals as they are
 * today, so a document an ACL change took away from someone disappears from their old traces as well.
 * Decided in SQL with the same predicate as search (`principals && reader.principals`); `seesEverything`
 * (the local operator) reads everything.
 */
export async function readableDocumentIds(
  db: Queryable,
  reader: Pick<Caller, 'principals' | 'seesEverything'>,
  documentIds: readonly string[],
): Promise<Set<string>> {
  const ids = [...new Set(documentIds)];
  if (ids.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM documents WHERE id = ANY($1::text[]) AND ($2::boolean OR principals && $3::text[])',
    [ids, reader.seesEverything, [...reader.principals]],
  );
  return new Set(rows.map((row) => row.id));
}

/** What views say in place of a title, snippet or text from a document the reader may no longer read. */
export const withheldNoLongerReadable = 'withheld: no longer readable';
