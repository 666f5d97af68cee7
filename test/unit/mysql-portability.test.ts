import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The MySQL adapter runs its tests on MariaDB 10.11 but must run on MySQL 8.0 too, so its SQL keeps
 * to what both accept. MariaDB would take each of these; MySQL 8.0 refuses it (or, for VALUES(),
 * deprecates it). Read from the sources, since no MySQL 8.0 server can run here.
 */
const MARIADB_ONLY: [string, RegExp][] = [
  ['RETURNING (MariaDB 10.5+: INSERT/DELETE … RETURNING)', /\bRETURNING\b/i],
  ['sequences', /\b(CREATE SEQUENCE|NEXTVAL|NEXT VALUE FOR)\b/i],
  ['INSERT … ON CONFLICT (PostgreSQL)', /\bON CONFLICT\b/i],
  ['IS [NOT] DISTINCT FROM (MySQL: <=>)', /\bDISTINCT FROM\b/i],
  ['FOR UPDATE OF (MySQL 8.0 has it, MariaDB not: kept out so both run the same SQL)', /\bFOR UPDATE OF\b/i],
  ['VALUES() in ON DUPLICATE KEY UPDATE (deprecated in MySQL 8.0.20)', /ON DUPLICATE KEY UPDATE[^;`]*\bVALUES\s*\(/i],
  ['PostgreSQL casts', /::(int|text|uuid|timestamptz)\b/i],
  ['REGEXP_LIKE (MySQL only; REGEXP works on both)', /\bREGEXP_LIKE\b/i],
  ['tx_isolation / transaction_isolation (the variable is named differently: use SET SESSION TRANSACTION)', /\b(tx|transaction)_isolation\b/i],
  ['MariaDB-only column types', /\b(INET6|UUID)\s*(,|\)|NOT|NULL|PRIMARY)/],
];

const dir = 'lib/adapters/mysql';
const sources = [
  ...readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f)),
  ...readdirSync(join(dir, 'migrations')).map((f) => join(dir, 'migrations', f)),
];
/** Code and SQL without comments, which may name what they avoid. */
const code = (file: string) => readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)(\/\/|--).*$/gm, '');

describe('MySQL adapter SQL that MySQL 8.0 also accepts', () => {
  it('reads every adapter source and migration', () => {
    expect(sources).toEqual(expect.arrayContaining([join(dir, 'patient-repository.ts'), join(dir, 'migrations', '001_initial.sql')]));
  });

  it.each(MARIADB_ONLY)('uses no %s', (_name, pattern) => {
    expect(sources.filter((file) => pattern.test(code(file)))).toEqual([]);
  });
});
