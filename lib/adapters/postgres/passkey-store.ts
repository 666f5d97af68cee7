import type { ChallengePurpose, PasskeyAddition, PasskeyCredential, PasskeyStore } from '../../passkey/ports.js';
import { insertOutboxMail } from './outbox-row.js';
import { callPostgres } from './postgres-errors.js';
import type { SqlExecutor } from './sql-executor.js';

interface PasskeyRow {
  credential_id: string;
  patient_id: string;
  public_key: string;
  counter: string | number;
  transports: string[] | string;
  aaguid: string;
  name: string;
  created_at: Date | string;
  last_used_at: Date | string | null;
}

const COLUMNS = 'credential_id, patient_id, public_key, counter, transports, aaguid, name, created_at, last_used_at';

export function fromPasskeyRow(row: PasskeyRow): PasskeyCredential {
  return {
    id: row.credential_id,
    patientId: row.patient_id,
    publicKey: row.public_key,
    // bigint arrives as text from node-postgres.
    counter: Number(row.counter),
    transports: typeof row.transports === 'string' ? JSON.parse(row.transports) : row.transports,
    aaguid: row.aaguid,
    name: row.name,
    createdAt: new Date(row.created_at),
    ...(row.last_used_at && { lastUsedAt: new Date(row.last_used_at) }),
  };
}

/** Passkeys on PostgreSQL (migration 022): each rule one statement, so the row decides it. */
export function createPostgresPasskeyStore(db: SqlExecutor): PasskeyStore {
  return {
    saveChallenge: (challenge) =>
      callPostgres(async () => {
        // Sign-in options are asked for without an account: expired ones go as new ones come.
        await db.query('DELETE FROM passkey_challenges WHERE expires_at < $1', [new Date(Date.now() - 3600_000).toISOString()]);
        await db.query('INSERT INTO passkey_challenges (challenge, purpose, patient_id, expires_at) VALUES ($1, $2, $3, $4)', [
          challenge.challenge, challenge.purpose, challenge.patientId ?? null, challenge.expiresAt.toISOString(),
        ]);
      }),

    takeChallenge: (challenge) =>
      callPostgres(async () => {
        const { rows: [row] } = await db.query<{ purpose: ChallengePurpose; patient_id: string | null; expires_at: Date | string }>(
          'DELETE FROM passkey_challenges WHERE challenge = $1 RETURNING purpose, patient_id, expires_at',
          [challenge],
        );
        if (!row) return undefined;
        return { challenge, purpose: row.purpose, ...(row.patient_id && { patientId: row.patient_id }), expiresAt: new Date(row.expires_at) };
      }),

    add: (credential, notice, limit) =>
      callPostgres(() =>
        db.transaction(async (tx): Promise<PasskeyAddition> => {
          // The patient's row lock orders parallel additions, so the count below is the one that holds.
          await tx.query('SELECT 1 FROM patients WHERE id = $1 FOR UPDATE', [credential.patientId]);
          const { rows: [count] } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM passkeys WHERE patient_id = $1', [credential.patientId]);
          if (count!.n >= limit) return (await tx.query('SELECT 1 FROM passkeys WHERE credential_id = $1', [credential.id])).rows.length > 0 ? 'duplicate' : 'full';
          const { rows } = await tx.query(
            `INSERT INTO passkeys (credential_id, patient_id, public_key, counter, transports, aaguid, name, created_at)
             VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8) ON CONFLICT (credential_id) DO NOTHING RETURNING credential_id`,
            [credential.id, credential.patientId, credential.publicKey, credential.counter, JSON.stringify(credential.transports), credential.aaguid, credential.name, credential.createdAt.toISOString()],
          );
          if (rows.length === 0) return 'duplicate';
          await insertOutboxMail(tx, notice);
          return 'added';
        })),

    find: (credentialId) =>
      callPostgres(async () => {
        const { rows: [row] } = await db.query<PasskeyRow>(`SELECT ${COLUMNS} FROM passkeys WHERE credential_id = $1`, [credentialId]);
        return row ? fromPasskeyRow(row) : undefined;
      }),

    listFor: (patientId) =>
      callPostgres(async () => {
        const { rows } = await db.query<PasskeyRow>(`SELECT ${COLUMNS} FROM passkeys WHERE patient_id = $1 ORDER BY created_at, credential_id`, [patientId]);
        return rows.map(fromPasskeyRow);
      }),

    remove: (patientId, credentialId, notice) =>
      callPostgres(() =>
        db.transaction(async (tx) => {
          const { rows } = await tx.query('DELETE FROM passkeys WHERE credential_id = $1 AND patient_id = $2 RETURNING credential_id', [credentialId, patientId]);
          if (rows.length === 0) return false;
          await insertOutboxMail(tx, notice);
          return true;
        })),

    advanceCounter: ({ id: credentialId, patientId }, next, usedAt) =>
      callPostgres(async () => {
        const { rows } = await db.query(
          // Forward only; an authenticator that keeps no counter reports 0 every time (WebAuthn §6.1.1).
          `UPDATE passkeys SET counter = $2, last_used_at = $3
           WHERE credential_id = $1 AND patient_id = $4 AND (counter < $2 OR (counter = 0 AND $2 = 0)) RETURNING credential_id`,
          [credentialId, next, usedAt.toISOString(), patientId],
        );
        if (rows.length > 0) return 'advanced';
        const { rows: known } = await db.query('SELECT 1 FROM passkeys WHERE credential_id = $1 AND patient_id = $2', [credentialId, patientId]);
        return known.length > 0 ? 'not_forward' : 'unknown';
      }),
  };
}
