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
  const description = await migrateOrClose(db, () => migrate(db), redactUrl(databaseUrl));
  return { storage: createMysqlStorage(db), description, close: () => db.close() };
}
