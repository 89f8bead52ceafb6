import type { Database } from '../store/index.ts';

/**
 * A view of `db` whose statements run with `search_path` set to `schema` (then `public`, for extension
 * types). Each statement runs in its own short transaction with `SET LOCAL`, so the parent's connections keep
 * their own search path; used to keep an evaluation collection (BEIR) in its own schema, migrated with the
 * same migrations, invisible to normal search. Closing it does nothing (the parent owns the pool).
 */
export function scopedDatabase(db: Database, schema: string): Database {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`Invalid schema name ${schema}`);
  const transaction: Database['transaction'] = (work) =>
    db.transaction(async (tx) => {
      await tx.query(`SET LOCAL search_path TO ${schema}, public`);
      return work(tx);
    });
  const scoped: Database = {
    get read() {
      return scoped;
    },
    mode: db.mode,
    schema,
    capabilities: db.capabilities,
    location: db.location,
    pool: db.pool,
    transaction,
    query: (text, params) => transaction((tx) => tx.query(text, params)),
    close: async () => {},
  };
  return scoped;
}
