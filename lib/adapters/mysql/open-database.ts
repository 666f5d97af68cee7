import type { OpenedPostgres } from '../postgres/open-database.js';
import { migrateOrClose } from '../sql/migration-files.js';
import { redactUrl } from '../sql/redact-url.js';
import { migrate } from './migrate.js';
import { createMysqlExecutor } from './mysql-executor.js';
import { createMysqlStorage } from './storage.js';

/** Every port, where the data lives (for the banner) and how to close it: as for PostgreSQL, without
 * its outbox notifications (MySQL has no LISTEN/NOTIFY; the local runner polls instead). */
export type OpenedMysql = Omit<OpenedPostgres, 'onOutboxInsert'>;

export const MYSQL_NEEDS_URL =
  'STORAGE=mysql needs DATABASE_URL=mysql://user:password@host:3306/database: there is no embedded MySQL ' +
  '(PostgreSQL has PGlite). For a database without a server, use STORAGE=postgres without DATABASE_URL.';

/**
 * The local runner's MySQL (or MariaDB) server at databaseUrl, migrated before it is returned.
 * Imported dynamically by lib/local/local-stack.ts only, so the driver reaches no Lambda bundle.
 */
export async function openMysql({ databaseUrl }: { databaseUrl?: string }): Promise<OpenedMysql> {
  if (!databaseUrl) throw new Error(MYSQL_NEEDS_URL);
  if (!/^mysql:\/\//.test(databaseUrl)) throw new Error(`STORAGE=mysql needs a mysql:// DATABASE_URL, not ${redactUrl(databaseUrl)}`);
  if (new URL(databaseUrl).pathname.length <= 1) {
    throw new Error(`DATABASE_URL names no database: ${redactUrl(databaseUrl)} (mysql://user:password@host:3306/<database>)`);
  }
  const db = createMysqlExecutor(databaseUrl);
  const description = await migrateOrClose(db, () => migrate(db), redactUrl(databaseUrl)).catch((error: unknown) => {
    throw connectionProblem(error, redactUrl(databaseUrl)) ?? error;
  });
  return { storage: createMysqlStorage(db), description, close: () => db.close() };
}

/** What the driver's codes mean to someone starting the server, naming the variable to fix (never the password). */
const CONNECTION_PROBLEMS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'nothing listens there: start the server (README: "MySQL (MariaDB)") or point DATABASE_URL at a running one',
  ENOTFOUND: 'the host name does not resolve: check the host in DATABASE_URL',
  EAI_AGAIN: 'the host name does not resolve: check the host in DATABASE_URL',
  ETIMEDOUT: 'no answer in time: check the host and port in DATABASE_URL, and the server',
  EHOSTUNREACH: 'the host cannot be reached: check the host in DATABASE_URL',
  ER_ACCESS_DENIED_ERROR: 'the server refused the user and password: check them in DATABASE_URL',
  ER_BAD_DB_ERROR: 'the database does not exist: create it (CREATE DATABASE …) or fix its name in DATABASE_URL',
  ER_DBACCESS_DENIED_ERROR: 'the user may not use that database: grant it, or fix DATABASE_URL',
};

function connectionProblem(error: unknown, where: string): Error | undefined {
  const code = (error as { code?: string } | undefined)?.code;
  const meaning = code && CONNECTION_PROBLEMS[code];
  return meaning ? new Error(`cannot use the MySQL server at ${where} (${code}): ${meaning}`, { cause: error }) : undefined;
}
