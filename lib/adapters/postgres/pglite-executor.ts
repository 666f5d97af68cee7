import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { SqlExecutor, SqlSession } from './sql-executor.js';

const session = (db: PGlite | Transaction): SqlSession => ({
  query: async <Row>(sql: string, params: unknown[] = []) => ({ rows: (await db.query<Row>(sql, params)).rows }),
  exec: async (sql) => {
    await db.exec(sql);
  },
});

/**
 * Embedded PGlite (PostgreSQL compiled to WebAssembly). It has a single connection, so its
 * transaction() runs transactions one after another: correct, but without real concurrency.
 */
export function createPgliteExecutor(db: PGlite): SqlExecutor {
  return {
    ...session(db),
    transaction: (work) => db.transaction((tx) => work(session(tx))),
    listen: async (channel, onMessage) => {
      const unlisten = await db.listen(channel, onMessage);
      return () => unlisten();
    },
    close: () => db.close(),
  };
}
