import type { MysqlSession } from './mysql-executor.js';
import { LIVE } from './patient-row.js';

/** Whose number is taken: the holder a registration's claim checked, or whoever holds it but the mover (a phone move). */
export type TakenFrom = { holderId: string } | { takerId: string };

/**
 * Possession of a number wins (issue 19 item 4), as PostgreSQL's phone-takeover.ts: inside the
 * taker's transaction the number released (its generated `phone_number_held` turns NULL, out of the
 * UNIQUE key) only while its live holder still holds it unproven. MySQL has no UPDATE … RETURNING:
 * the holder's row is locked (SELECT … FOR UPDATE) under the same conditions, then updated by id.
 */
export async function releaseUnprovenPhone(tx: MysqlSession, phone: string, now: Date, from: TakenFrom): Promise<{ id: string; email: string } | undefined> {
  const [match, id] = 'holderId' in from ? ['id = :id', from.holderId] : ['id <> :id', from.takerId];
  const [holder] = await tx.query<{ id: string; email: string }>(
    `SELECT id, email FROM patients WHERE phone_number = :phone AND ${match} AND NOT phone_verified AND NOT phone_number_released AND ${LIVE} FOR UPDATE`,
    { phone, id },
  );
  if (!holder) return undefined;
  await tx.run('UPDATE patients SET phone_number_released = TRUE, updated_at = :at WHERE id = :id', { id: holder.id, at: now });
  return { id: holder.id, email: holder.email };
}
