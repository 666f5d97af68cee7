import type { FailureCount, LoginFailureCounter } from '../../auth/session-ports.js';
import { callMysql } from './mysql-errors.js';
import type { MysqlExecutor, MysqlSession } from './mysql-executor.js';

type Row = { failures: number; last_failure_at: Date };
const toCount = (row: Row | undefined): FailureCount => (row ? { failures: row.failures, lastFailureAt: row.last_failure_at } : { failures: 0 });
const readRow = async (db: MysqlSession, patientId: string) =>
  (await db.query<Row>('SELECT failures, last_failure_at FROM login_failures WHERE patient_id = :patientId', { patientId }))[0];

/**
 * One row per patient, counted in an upsert that holds the row lock until COMMIT: concurrent failures
 * each count, and the SELECT after it reads this failure's own count (MySQL has no RETURNING). The
 * time is passed twice rather than through VALUES(), which MySQL 8.0.20 deprecates, or the row alias
 * that replaces it, which MariaDB does not know.
 */
export function createMysqlLoginFailureCounter(db: MysqlExecutor): LoginFailureCounter {
  return {
    read: async (patientId) => toCount(await callMysql(() => readRow(db, patientId))),
    recordFailure: (patientId, now, max) =>
      callMysql(() =>
        db.transaction(async (tx) => {
          await tx.run(
            `INSERT INTO login_failures (patient_id, failures, last_failure_at) VALUES (:patientId, 1, :now)
             ON DUPLICATE KEY UPDATE failures = LEAST(failures + 1, :max), last_failure_at = GREATEST(last_failure_at, :now)`,
            { patientId, now, max },
          );
          return toCount(await readRow(tx, patientId));
        }),
      ),
    async reset(patientId) {
      await callMysql(() => db.run('DELETE FROM login_failures WHERE patient_id = :patientId', { patientId }));
    },
  };
}
