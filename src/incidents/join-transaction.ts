import type { Database, Queryable } from '../store/index.ts';

/**
 * A Database whose `query` and `transaction` run in the open transaction `tx`: lets a write or read function
 * that takes a Database and opens its own transaction (the governed label move, `getChange`) join the
 * caller's, so the whole action commits or rolls back at once (and, on the embedded store's single
 * connection, does not wait for the transaction it runs in).
 */
export function joinTransaction(db: Database, tx: Queryable): Database {
  return Object.create(db, {
    query: { value: (text: string, params?: readonly unknown[]) => tx.query(text, params) },
    transaction: { value: <T>(work: (inner: Queryable) => Promise<T>) => work(tx) },
  }) as Database;
}
