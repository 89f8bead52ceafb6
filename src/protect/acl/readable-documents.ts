import type { Caller } from '../../core/index.ts';
import type { Queryable } from '../../store/index.ts';

/**
 * THE access predicate, as SQL: rows of `column` (a `principals text[]` ACL — documents, chunks) that `reader`
 * may read. An empty ACL is readable by nobody (deny by default); `seesEverything` (the local operator, admins
 * acting as operators) reads everything. `bind` adds a parameter and returns its placeholder (`$n`). Search,
 * document listings and the views of recorded content (traces, evaluation rows) all use this one predicate.
 */
export function readablePredicate(
  column: string,
  reader: Pick<Caller, 'principals' | 'seesEverything'>,
  bind: (value: unknown) => string,
): string {
  if (reader.seesEverything) return 'true';
  return `${column} && ${bind([...reader.principals])}::text[]`;
}

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
  const params: unknown[] = [ids];
  const bind = (value: unknown) => `$${params.push(value)}`;
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM documents WHERE id = ANY($1::text[]) AND ${readablePredicate('principals', reader, bind)}`,
    params,
  );
  return new Set(rows.map((row) => row.id));
}

/** What views say in place of a title, snippet or text from a document the reader may no longer read. */
export const withheldNoLongerReadable = 'withheld: no longer readable';
