import { unavailableOnTransient } from '../sql/unavailable.js';

/** What mysql2 puts on a failed statement: the server's error number and message, or a socket code. */
interface MysqlErrorFields {
  errno?: unknown;
  code?: unknown;
  sqlMessage?: unknown;
}

export const DUPLICATE_KEY = 1062;
const DEADLOCK = 1213;

/**
 * Server errors that say "try again later", not "your statement is wrong": lock wait timeout (1205),
 * deadlock (1213, after the transaction's own retries), too many connections (1040, 1203), server
 * shutdown (1053), connection killed (1927 MariaDB, 4031 MySQL 8: idle disconnect), read-only
 * during a failover (1290, 1836), lost connection reported by the server (2006, 2013).
 */
const TRANSIENT_ERRNO = new Set([1040, 1053, 1203, 1205, 1213, 1290, 1836, 1927, 2006, 2013, 4031]);
/** Socket errors and mysql2's own codes for a connection that could not be made or went away. */
const TRANSIENT_CODE = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR',
]);

export function isTransientMysqlError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { errno, code } = error as MysqlErrorFields;
  return (typeof errno === 'number' && TRANSIENT_ERRNO.has(errno)) || (typeof code === 'string' && TRANSIENT_CODE.has(code));
}

export const isDeadlock = (error: unknown) => (error as MysqlErrorFields | undefined)?.errno === DEADLOCK;

/**
 * The unique index a duplicate-key error (1062) hit, or undefined for any other error. PostgreSQL
 * puts the constraint name in a field; MySQL only names the key at the end of its message, as
 * `for key 'patients_email_unique'` (MariaDB, MySQL ≤ 8.0.18) or `for key 'patients.patients_email_unique'`
 * (MySQL ≥ 8.0.19, table-qualified). The message also quotes the duplicate value (an email): it is
 * read here and never logged.
 */
export function violatedUniqueKey(error: unknown): string | undefined {
  const { errno, sqlMessage } = (error ?? {}) as MysqlErrorFields;
  if (errno !== DUPLICATE_KEY || typeof sqlMessage !== 'string') return undefined;
  const key = /for key '([^']+)'$/.exec(sqlMessage)?.[1];
  return key?.slice(key.lastIndexOf('.') + 1);
}

/** Runs a database call and turns transient failures into a 503 for the client (as callPostgres does). */
export const callMysql = unavailableOnTransient('mysql', isTransientMysqlError);
