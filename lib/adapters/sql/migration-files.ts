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

/** The error both runners raise for an applied migration whose file changed since. */
export const changedMigration = (version: string) => new Error(`migration ${version} was changed after it was applied`);
