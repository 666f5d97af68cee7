import { fileURLToPath } from 'node:url';
import { pendingMigrations, readMigrations as readMigrationFiles, type Migration } from '../sql/migration-files.js';
import type { SqlExecutor } from './sql-executor.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** Any fixed number: concurrent starters queue on this lock instead of racing to create tables. */
const MIGRATION_LOCK = 7_340_021;

export type { Migration };
export const readMigrations = (dir = MIGRATIONS_DIR): Migration[] => readMigrationFiles(dir);

/**
 * Applies the migrations not applied yet, in file order, all in one transaction (PostgreSQL DDL is
 * transactional: a failing migration leaves the schema as it was). Refuses to run when an applied
 * migration's file has changed since, because the database would no longer match the repo.
 */
export async function migrate(db: SqlExecutor, migrations = readMigrations()): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await tx.query<{ version: string; checksum: string }>('SELECT version, checksum FROM schema_migrations');
    const pending = pendingMigrations(migrations, rows);
    for (const migration of pending) {
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)', [migration.version, migration.checksum]);
    }
    return pending.map((m) => m.version);
  });
}
