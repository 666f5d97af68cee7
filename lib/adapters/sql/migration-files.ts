import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

const MIGRATION_FILE = /^\d{3}_[a-z0-9_]+\.sql$/;

export interface Migration {
  version: string;
  sql: string;
  checksum: string;
}

/** The NNN_name.sql files of a migrations folder, in order, each with the SHA-256 that pins its text once applied. */
export function readMigrations(dir: string): Migration[] {
  return readdirSync(dir)
    .filter((name) => MIGRATION_FILE.test(name))
    .sort()
    .map((name) => {
      const sql = readFileSync(`${dir}/${name}`, 'utf8');
      return { version: name.replace(/\.sql$/, ''), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * The migrations not applied yet, in file order, given what schema_migrations holds. Refuses when an
 * applied migration's file has changed since, because the database would no longer match the repo.
 */
export function pendingMigrations(migrations: Migration[], applied: { version: string; checksum: string }[]): Migration[] {
  const checksums = new Map(applied.map((r) => [r.version, r.checksum]));
  return migrations.filter((migration) => {
    const checksum = checksums.get(migration.version);
    if (checksum !== undefined && checksum !== migration.checksum) throw new Error(`migration ${migration.version} was changed after it was applied`);
    return checksum === undefined;
  });
}

/** Runs the migrations and adds what it applied to the start banner; closes the database if they fail. */
export async function migrateOrClose(
  db: { close(): Promise<void> }, migrate: () => Promise<string[]>, description: string,
): Promise<string> {
  try {
    const applied = await migrate();
    return applied.length > 0 ? `${description}, migrated: ${applied.join(', ')}` : description;
  } catch (error) {
    await db.close();
    throw error;
  }
}
