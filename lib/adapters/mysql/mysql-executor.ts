import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { isDeadlock } from './mysql-errors.js';

/** Named parameters (`:name`, each usable several times) or positional ones (`?`). */
export type Params = Record<string, unknown> | unknown[];

export interface MysqlSession {
  /** A SELECT: its rows. */
  query<Row = Record<string, any>>(sql: string, params?: Params): Promise<Row[]>;
  /**
   * An INSERT, UPDATE or DELETE: how many rows it matched. MySQL has no RETURNING (MariaDB's is its
   * own), so the count is what tells a conditional write that it won.
   */
  run(sql: string, params?: Params): Promise<number>;
}

export interface MysqlExecutor extends MysqlSession {
  /**
   * Runs work in one transaction on one pooled connection: COMMIT when it resolves, ROLLBACK when it
   * throws. InnoDB may pick the transaction as a deadlock victim (1213) and roll all of it back; the
   * manual's advice is to run it again, which happens here up to DEADLOCK_ATTEMPTS times.
   */
  transaction<T>(work: (tx: MysqlSession) => Promise<T>): Promise<T>;
  /** Runs work on one pooled connection outside a transaction, each statement committing on its own. */
  connection<T>(work: (session: MysqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Set on every pooled connection before its first statement. DATETIME has no zone: the adapter writes
 * UTC (mysql2 `timezone: 'Z'`), and NOW() must read UTC too, whatever the server's default zone.
 * READ COMMITTED is PostgreSQL's default: no gap locks, and each statement sees what was committed
 * before it (InnoDB's default REPEATABLE READ would take gap locks and deadlock concurrent
 * registrations far more often). sql_mode is fixed to modes both MariaDB 10.11 and MySQL 8.0 know,
 * so a server's own default (MySQL's differs) cannot change what a statement does.
 */
const SESSION_SETUP = [
  "SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY'",
  'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
];
const DEADLOCK_ATTEMPTS = 5;

/** TINYINT(1) is MySQL's BOOLEAN: read it as a boolean, as pg reads boolean columns. */
const typeCast: mysql.TypeCast = (field, next) => {
  if (field.type === 'TINY' && field.length === 1) {
    const value = field.string();
    return value === null ? null : value === '1';
  }
  return next();
};

const NAMED = /:([A-Za-z][A-Za-z0-9_]*)/g;
function checked(sql: string, params: Params): mysql.QueryValues {
  if (!Array.isArray(params)) {
    for (const [, name] of sql.matchAll(NAMED)) if (!(name! in params)) throw new Error(`no value for :${name}`);
  }
  return params as mysql.QueryValues;
}

/** A MySQL or MariaDB server through a mysql2 connection pool. */
export function createMysqlExecutor(url: string, options: mysql.PoolOptions = {}): MysqlExecutor {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit: 10,
    connectTimeout: 5_000,
    // Dates go out and come back as UTC; `?`/`:name` are filled in by the client (no prepared statements).
    timezone: 'Z',
    namedPlaceholders: true,
    typeCast,
    // Affected rows = rows matched, not rows changed: an UPDATE that writes the values already there still counts.
    flags: ['FOUND_ROWS'],
    ...options,
  });
  // The promise wrapper changes per checkout; the underlying connection does not.
  const prepared = new WeakSet<object>();

  async function checkout(): Promise<mysql.PoolConnection> {
    const connection = await pool.getConnection();
    if (prepared.has(connection.connection)) return connection;
    try {
      for (const statement of SESSION_SETUP) await connection.query(statement, []);
      prepared.add(connection.connection);
      return connection;
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }

  const session = (connection: mysql.PoolConnection): MysqlSession => ({
    // A :name missing from the parameters would be sent as NULL: refuse it as the programming error it is.
    // [] rather than undefined: mysql2 would otherwise scan the SQL for :names.
    query: async <Row>(sql: string, params: Params = []) => (await connection.query(sql, checked(sql, params)))[0] as Row[],
    run: async (sql, params = []) => ((await connection.query<mysql.ResultSetHeader>(sql, checked(sql, params)))[0]).affectedRows,
  });

  async function onConnection<T>(use: (s: MysqlSession) => Promise<T>): Promise<T> {
    const connection = await checkout();
    try {
      return await use(session(connection));
    } finally {
      connection.release();
    }
  }

  return {
    query: (sql, params) => onConnection((s) => s.query(sql, params)),
    run: (sql, params) => onConnection((s) => s.run(sql, params)),
    connection: onConnection,
    async transaction(work) {
      for (let attempt = 1; ; attempt++) {
        const connection = await checkout();
        let broken = false;
        try {
          await connection.beginTransaction();
          const result = await work(session(connection));
          await connection.commit();
          return result;
        } catch (error) {
          await connection.rollback().catch(() => (broken = true));
          if (!isDeadlock(error) || attempt >= DEADLOCK_ATTEMPTS) throw error;
        } finally {
          // A connection that could not even roll back is discarded rather than returned to the pool.
          if (broken) connection.destroy();
          else connection.release();
        }
        await sleep(attempt * 5 + Math.random() * 10);
      }
    },
    close: () => pool.end(),
  };
}
