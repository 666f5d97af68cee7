import type { AttemptState, LoginFailureCounter } from '../../auth/session-ports.js';
import { callMysql } from './mysql-errors.js';
import type { MysqlExecutor } from './mysql-executor.js';

type Row = { failures: number; locked_until: Date };
const toState = (row: Row | undefined): AttemptState => (row && row.failures > 0 ? { failures: row.failures, lockedUntil: row.locked_until } : { failures: 0 });

/**
 * One row per throttled subject (migration 002). A reservation makes sure the row exists (an upsert
 * that changes nothing when it does), then locks it (SELECT … FOR UPDATE) until COMMIT: concurrent
 * reservations of one subject queue on the row, and each reads the count and lock the one before it left.
 */
export function createMysqlLoginFailureCounter(db: MysqlExecutor): LoginFailureCounter {
  return {
    read: async (subject) =>
      toState((await callMysql(() => db.query<Row>('SELECT failures, locked_until FROM login_attempts WHERE subject = :subject', { subject })))[0]),
    reserve: (subject, now, schedule) =>
      callMysql(() =>
        db.transaction(async (tx) => {
          await tx.run('INSERT INTO login_attempts (subject, failures, locked_until) VALUES (:subject, 0, :epoch) ON DUPLICATE KEY UPDATE subject = subject', {
            subject,
            epoch: new Date(0),
          });
          const [row] = await tx.query<Row>('SELECT failures, locked_until FROM login_attempts WHERE subject = :subject FOR UPDATE', { subject });
          if (row!.locked_until > now) return { reserved: false as const, lockedUntil: row!.locked_until };
          const failures = Math.min(row!.failures + 1, schedule.maxCounted);
          const until = new Date(now.getTime() + schedule.lockSeconds(failures) * 1000);
          await tx.run('UPDATE login_attempts SET failures = :failures, locked_until = :until WHERE subject = :subject', { subject, failures, until });
          return { reserved: true as const, failures };
        }),
      ),
    async extendLock(subject, until) {
      await callMysql(() => db.run('UPDATE login_attempts SET locked_until = :until WHERE subject = :subject AND locked_until < :until', { subject, until }));
    },
    async reset(subject) {
      await callMysql(() => db.run('DELETE FROM login_attempts WHERE subject = :subject', { subject }));
    },
  };
}
