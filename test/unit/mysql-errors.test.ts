import { describe, expect, it } from 'vitest';
import { isTransientMysqlError, violatedUniqueKey } from '../../lib/adapters/mysql/mysql-errors.js';

/** An error as mysql2 builds it from a server error packet. */
const serverError = (errno: number, sqlMessage: string) => Object.assign(new Error(sqlMessage), { errno, sqlMessage, code: 'ER_X' });

describe('MySQL duplicate-key errors (1062): which unique index', () => {
  it.each([
    ['MariaDB and MySQL ≤ 8.0.18 name the bare index', "Duplicate entry 'jane@x.test' for key 'patients_email_unique'", 'patients_email_unique'],
    ['MySQL ≥ 8.0.19 qualifies it with the table', "Duplicate entry '+12025550123' for key 'patients.patients_phone_number_unique'", 'patients_phone_number_unique'],
    ['a value with quotes and dots does not confuse it', "Duplicate entry 'o'brien.x@y.z' for key 'patients.patients_email_unique'", 'patients_email_unique'],
    ['the primary key', "Duplicate entry '7d6c…' for key 'PRIMARY'", 'PRIMARY'],
  ])('%s', (_case, message, key) => {
    expect(violatedUniqueKey(serverError(1062, message))).toBe(key);
  });

  it.each([
    ['another error number', serverError(1452, "Cannot add or update a child row: ... for key 'x'")],
    ['no error at all', undefined],
    ['a plain Error', new Error("for key 'patients_email_unique'")],
  ])('is undefined for %s', (_case, error) => {
    expect(violatedUniqueKey(error)).toBeUndefined();
  });
});

describe('MySQL transient errors (503, retry later)', () => {
  it.each([
    ['deadlock', serverError(1213, 'Deadlock found')],
    ['lock wait timeout', serverError(1205, 'Lock wait timeout exceeded')],
    ['too many connections', serverError(1040, 'Too many connections')],
    ['server shutting down', serverError(1053, 'Server shutdown in progress')],
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['connection lost', Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST' })],
  ])('%s is transient', (_case, error) => expect(isTransientMysqlError(error)).toBe(true));

  it.each([
    ['a duplicate key', serverError(1062, "Duplicate entry 'x' for key 'PRIMARY'")],
    ['a failed CHECK (MariaDB 4025, MySQL 3819)', serverError(4025, 'CONSTRAINT failed')],
    ['a syntax error', serverError(1064, 'You have an error in your SQL syntax')],
    ['access denied (a configuration error, not a passing one)', serverError(1045, 'Access denied')],
    ['not an Error', { errno: 1213 }],
  ])('%s is not', (_case, error) => expect(isTransientMysqlError(error)).toBe(false));
});
