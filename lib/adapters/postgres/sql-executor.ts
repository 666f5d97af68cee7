/**
 * The little the repository and the migration runner need from a PostgreSQL connection, so that one
 * adapter runs on a server through `pg` and embedded through PGlite.
 */
export interface SqlResult<Row> {
  rows: Row[];
}

export interface SqlSession {
  /** One statement with $1… parameters. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<SqlResult<Row>>;
  /** A script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlExecutor extends SqlSession {
  /** Runs work in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(work: (tx: SqlSession) => Promise<T>): Promise<T>;
  /**
   * LISTENs on a channel: each NOTIFY's payload goes to onMessage once its transaction commits.
   * Resolves to the way to stop listening. Best effort: what a listener misses, the caller's sweep finds.
   */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
