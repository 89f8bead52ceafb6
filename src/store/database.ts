import type pg from 'pg';

/**
 * The data-access port: one code path over the `pg` client for both the embedded store (PGlite, through
 * `@electric-sql/pglite/node-postgres`) and server PostgreSQL. Features write plain SQL against it.
 */

export type Row = Record<string, unknown>;

export interface QueryResult<R extends Row = Row> {
  readonly rows: R[];
  readonly rowCount: number;
}

/** Anything that runs SQL: the database itself or an open transaction. */
export interface Queryable {
  query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

export type StoreMode = 'embedded' | 'server';

/** What this PostgreSQL can do; detected when the store opens. */
export interface StoreCapabilities {
  /** `pg_textsearch` BM25 index access method (PGlite; self-hosted PostgreSQL 17+ with the extension). */
  readonly pgTextSearch: boolean;
  /** pgvector (required). */
  readonly vector: boolean;
  readonly vectorVersion: string | undefined;
  /** e.g. "18.6" */
  readonly serverVersion: string;
}

export interface Database extends Queryable {
  readonly mode: StoreMode;
  /** Schema the platform's tables live in (`public` unless isolated, e.g. per test). */
  readonly schema: string;
  readonly capabilities: StoreCapabilities;
  /** Where the data lives, safe to print: the data directory or the URL without its password. */
  readonly location: string;
  /**
   * Runs `work` in one transaction on one connection; commits when it resolves, rolls back when it throws.
   * Inside, use only `tx` — on the embedded store there is a single connection, so using the database
   * object itself would wait for the transaction forever.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Where read-only queries that tolerate replication lag go (search, reports): the read replica of
   * `databaseReadUrl` when configured, otherwise this database itself. Never write through it.
   */
  readonly read: Database;
  /** The underlying pool, for libraries that need a `pg`-compatible handle (pg-boss). */
  readonly pool: pg.Pool;
  close(): Promise<void>;
}
