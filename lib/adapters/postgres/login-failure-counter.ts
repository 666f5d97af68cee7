import type { AttemptState, LoginFailureCounter } from '../../auth/session-ports.js';
import { callPostgres } from './postgres-errors.js';
import type { SqlExecutor } from './sql-executor.js';

type Row = { failures: number; locked_until: Date | string };
const toState = (row: Row | undefined): AttemptState =>
  row && row.failures > 0 ? { failures: row.failures, lockedUntil: new Date(row.locked_until) } : { failures: 0 };

/**
 * One row per throttled subject (migration 011). A reservation makes sure the row exists, then locks
 * it (SELECT … FOR UPDATE) for the rest of its transaction: concurrent reservations of one subject
 * queue on the row, and each reads the count and lock the one before it left.
 */
export function createPostgresLoginFailureCounter(db: SqlExecutor): LoginFailureCounter {
  return {
    async read(subject) {
      const { rows } = await callPostgres(() => db.query<Row>('SELECT failures, locked_until FROM login_attempts WHERE subject = $1', [subject]));
      return toState(rows[0]);
    },
    reserve: (subject, now, schedule) =>
      callPostgres(() =>
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO login_attempts (subject, failures, locked_until) VALUES ($1, 0, $2) ON CONFLICT (subject) DO NOTHING', [subject, new Date(0).toISOString()]);
          const { rows: [row] } = await tx.query<Row>('SELECT failures, locked_until FROM login_attempts WHERE subject = $1 FOR UPDATE', [subject]);
          const lockedUntil = new Date(row!.locked_until);
          if (lockedUntil > now) return { reserved: false as const, lockedUntil };
          const failures = Math.min(row!.failures + 1, schedule.maxCounted);
          const until = new Date(now.getTime() + schedule.lockSeconds(failures) * 1000);
          await tx.query('UPDATE login_attempts SET failures = $2, locked_until = $3 WHERE subject = $1', [subject, failures, until.toISOString()]);
          return { reserved: true as const, failures };
        })),
    async extendLock(subject, until) {
      await callPostgres(() => db.query('UPDATE login_attempts SET locked_until = $2 WHERE subject = $1 AND locked_until < $2', [subject, until.toISOString()]));
    },
    async reset(subject) {
      await callPostgres(() => db.query('DELETE FROM login_attempts WHERE subject = $1', [subject]));
    },
  };
}
