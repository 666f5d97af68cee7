import { fileURLToPath } from 'node:url';
import { pendingMigrations, readMigrations as readMigrationFiles, type Migration } from '../sql/migration-files.js';
import type { MysqlExecutor, MysqlSession } from './mysql-executor.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** A named server lock (GET_LOCK): concurrent starters queue on it instead of racing to create tables. */
const MIGRATION_LOCK = 'patient_registration_migrations';
const LOCK_WAIT_SECONDS = 60;

export const readMigrations = (dir = MIGRATIONS_DIR): Migration[] => readMigrationFiles(dir);

/**
 * The statements of a migration file. The driver runs one statement per call (multipleStatements
 * stays off: a query can never smuggle a second one in), so the file is split at each `;` that ends
 * a line; `--` comment lines are dropped. Migration files keep semicolons out of string literals.
 */
export function statementsOf(sql: string): string[] {
  const code = sql.split('\n').filter((line) => !line.trimStart().startsWith('--')).join('\n');
  return code.split(/;[ \t]*(?:\n|$)/).map((s) => s.trim()).filter(Boolean);
}

/**
 * Applies the migrations not applied yet, in file order, under a named lock. Refuses to run when an
 * applied migration's file has changed since. Unlike PostgreSQL, MySQL commits every DDL statement
 * on its own: a migration failing halfway leaves the statements before it applied and is not
 * recorded, so it must be repaired by hand before the next start (the error says which).
 */
export async function migrate(db: MysqlExecutor, migrations = readMigrations()): Promise<string[]> {
  // GET_LOCK belongs to a connection: hold one for the whole run (no transaction: DDL would commit it).
  return db.connection(async (tx) => {
    const [lock] = await tx.query<{ locked: number | null }>('SELECT GET_LOCK(?, ?) AS locked', [MIGRATION_LOCK, LOCK_WAIT_SECONDS]);
    if (Number(lock?.locked) !== 1) throw new Error(`another process held the migration lock for ${LOCK_WAIT_SECONDS} s`);
    try {
      return await applyPending(tx, migrations);
    } finally {
      await tx.query('SELECT RELEASE_LOCK(?)', [MIGRATION_LOCK]);
    }
  });
}

async function applyPending(tx: MysqlSession, migrations: Migration[]): Promise<string[]> {
  await tx.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version VARCHAR(255) NOT NULL PRIMARY KEY, checksum CHAR(64) NOT NULL, applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
  ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin`);
  const rows = await tx.query<{ version: string; checksum: string }>('SELECT version, checksum FROM schema_migrations');
  const pending = pendingMigrations(migrations, rows);
  for (const migration of pending) {
    for (const statement of statementsOf(migration.sql)) {
      try {
        await tx.run(statement);
      } catch (error) {
        throw new Error(`migration ${migration.version} failed at "${statement.slice(0, 60)}…": ${(error as Error).message}`, { cause: error });
      }
    }
    await tx.run('INSERT INTO schema_migrations (version, checksum) VALUES (?, ?)', [migration.version, migration.checksum]);
  }
  return pending.map((m) => m.version);
}
