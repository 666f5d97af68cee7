import { LIVE } from './patient-row.js';
import type { SqlSession } from './sql-executor.js';

/** Whose number is taken: the holder a registration's claim checked, or whoever holds it but the mover (a phone move). */
export type TakenFrom = { holderId: string } | { takerId: string };

/**
 * Possession of a number wins (issue 19 item 4), shared by a registration's claim and a phone move,
 * inside the taker's transaction: the number released (the partial UNIQUE index stops counting it)
 * only while its live holder still holds it unproven. The UPDATE takes the holder's row lock, so a
 * concurrent phone verification either lands first (nothing released: the taker's write then meets
 * the UNIQUE index) or finds it released; of two takers, the second finds it released. The released
 * holder's id and address (for its notice), or undefined.
 */
export async function releaseUnprovenPhone(tx: SqlSession, phone: string, now: Date, from: TakenFrom): Promise<{ id: string; email: string } | undefined> {
  const [match, id] = 'holderId' in from ? ['id = $2', from.holderId] : ['id <> $2', from.takerId];
  const { rows: [released] } = await tx.query<{ id: string; email: string }>(
    `UPDATE patients SET phone_number_released = true, updated_at = $3
      WHERE phone_number = $1 AND ${match} AND NOT phone_verified AND NOT phone_number_released AND ${LIVE} RETURNING id, email`,
    [phone, id, now.toISOString()],
  );
  return released;
}
