import type { FailureCount, LoginFailureCounter } from '../../auth/session-ports.js';
import { callPostgres } from './postgres-errors.js';
import type { SqlExecutor } from './sql-executor.js';

type Row = { failures: number; last_failure_at: Date | string };
const toCount = (row: Row | undefined): FailureCount =>
  row ? { failures: row.failures, lastFailureAt: new Date(row.last_failure_at) } : { failures: 0 };

/** One row per patient, counted in a single upsert (row lock): concurrent failures each count. */
export function createPostgresLoginFailureCounter(db: SqlExecutor): LoginFailureCounter {
  return {
    async read(patientId) {
      const { rows } = await callPostgres(() => db.query<Row>('SELECT failures, last_failure_at FROM login_failures WHERE patient_id = $1', [patientId]));
      return toCount(rows[0]);
    },
    async recordFailure(patientId, now, max) {
      const { rows } = await callPostgres(() =>
        db.query<Row>(
          `INSERT INTO login_failures AS l (patient_id, failures, last_failure_at) VALUES ($1, 1, $2)
           ON CONFLICT (patient_id) DO UPDATE SET failures = LEAST(l.failures + 1, $3), last_failure_at = GREATEST(l.last_failure_at, $2)
           RETURNING failures, last_failure_at`,
          [patientId, now.toISOString(), max],
        ));
      return toCount(rows[0]);
    },
    async reset(patientId) {
      await callPostgres(() => db.query('DELETE FROM login_failures WHERE patient_id = $1', [patientId]));
    },
  };
}
