import { createHash } from 'node:crypto';
import type { ChallengePurpose, PasskeyAddition, PasskeyCredential, PasskeyStore } from '../../passkey/ports.js';
import { callMysql, violatedUniqueKey } from './mysql-errors.js';
import type { MysqlExecutor } from './mysql-executor.js';
import { insertOutboxMail } from './outbox-row.js';

interface PasskeyRow {
  credential_id: string;
  patient_id: string;
  public_key: string;
  counter: string | number;
  transports: string[] | string;
  aaguid: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

const COLUMNS = 'credential_id, patient_id, public_key, counter, transports, aaguid, name, created_at, last_used_at';
/** The primary key (migration 013): an id may be longer than an InnoDB key holds. */
const digestOf = (credentialId: string) => createHash('sha256').update(credentialId).digest('base64url');

function fromRow(row: PasskeyRow): PasskeyCredential {
  return {
    id: row.credential_id,
    patientId: row.patient_id,
    publicKey: row.public_key,
    counter: Number(row.counter),
    // MariaDB's JSON is LONGTEXT: it arrives as text.
    transports: typeof row.transports === 'string' ? JSON.parse(row.transports) : row.transports,
    aaguid: row.aaguid,
    name: row.name,
    createdAt: new Date(row.created_at),
    ...(row.last_used_at && { lastUsedAt: new Date(row.last_used_at) }),
  };
}

/** Passkeys on MySQL/MariaDB (migration 013), as on PostgreSQL; MySQL has no RETURNING, so a spend reads under a row lock. */
export function createMysqlPasskeyStore(db: MysqlExecutor): PasskeyStore {
  return {
    saveChallenge: (challenge) =>
      callMysql(async () => {
        // Sign-in options are asked for without an account: expired ones go as new ones come.
        await db.run('DELETE FROM passkey_challenges WHERE expires_at < :before', { before: new Date(Date.now() - 3600_000) });
        await db.run('INSERT INTO passkey_challenges (challenge, purpose, patient_id, expires_at) VALUES (:challenge, :purpose, :patientId, :expiresAt)', {
          challenge: challenge.challenge, purpose: challenge.purpose, patientId: challenge.patientId ?? null, expiresAt: challenge.expiresAt,
        });
      }),

    takeChallenge: (challenge) =>
      callMysql(() =>
        db.transaction(async (tx) => {
          const [row] = await tx.query<{ purpose: ChallengePurpose; patient_id: string | null; expires_at: Date }>(
            'SELECT purpose, patient_id, expires_at FROM passkey_challenges WHERE challenge = :challenge FOR UPDATE',
            { challenge },
          );
          if (!row) return undefined;
          // Under the row lock: of two takers one deletes it; the other then reads no row.
          if ((await tx.run('DELETE FROM passkey_challenges WHERE challenge = :challenge', { challenge })) === 0) return undefined;
          return { challenge, purpose: row.purpose, ...(row.patient_id && { patientId: row.patient_id }), expiresAt: new Date(row.expires_at) };
        })),

    add: (credential, notice, limit) =>
      callMysql(async (): Promise<PasskeyAddition> => {
        try {
          return await db.transaction(async (tx): Promise<PasskeyAddition> => {
            // The patient's row lock orders parallel additions, so the count below is the one that holds.
            await tx.query('SELECT id FROM patients WHERE id = :patientId FOR UPDATE', { patientId: credential.patientId });
            const [count] = await tx.query<{ n: number }>('SELECT COUNT(*) AS n FROM passkeys WHERE patient_id = :patientId', { patientId: credential.patientId });
            if (Number(count!.n) >= limit) {
              return (await tx.query('SELECT 1 FROM passkeys WHERE credential_digest = :digest', { digest: digestOf(credential.id) })).length > 0 ? 'duplicate' : 'full';
            }
            await tx.run(
              `INSERT INTO passkeys (credential_digest, credential_id, patient_id, public_key, counter, transports, aaguid, name, created_at)
               VALUES (:digest, :id, :patientId, :publicKey, :counter, :transports, :aaguid, :name, :createdAt)`,
              { ...credential, digest: digestOf(credential.id), transports: JSON.stringify(credential.transports) },
            );
            await insertOutboxMail(tx, notice);
            return 'added';
          });
        } catch (error) {
          if (violatedUniqueKey(error) === 'PRIMARY') return 'duplicate';
          throw error;
        }
      }),

    find: (credentialId) =>
      callMysql(async () => {
        const [row] = await db.query<PasskeyRow>(`SELECT ${COLUMNS} FROM passkeys WHERE credential_digest = :digest`, { digest: digestOf(credentialId) });
        return row ? fromRow(row) : undefined;
      }),

    listFor: (patientId) =>
      callMysql(async () => (await db.query<PasskeyRow>(`SELECT ${COLUMNS} FROM passkeys WHERE patient_id = :patientId ORDER BY created_at, credential_id`, { patientId })).map(fromRow)),

    remove: (patientId, credentialId, notice) =>
      callMysql(() =>
        db.transaction(async (tx) => {
          if ((await tx.run('DELETE FROM passkeys WHERE credential_digest = :digest AND patient_id = :patientId', { digest: digestOf(credentialId), patientId })) === 0) return false;
          await insertOutboxMail(tx, notice);
          return true;
        })),

    advanceCounter: ({ id: credentialId, patientId }, next, usedAt) =>
      callMysql(async () => {
        const digest = digestOf(credentialId);
        // Forward only; an authenticator that keeps no counter reports 0 every time (WebAuthn §6.1.1).
        const moved = await db.run(
          `UPDATE passkeys SET counter = :next, last_used_at = :usedAt
           WHERE credential_digest = :digest AND patient_id = :patientId AND (counter < :next OR (counter = 0 AND :next = 0))`,
          { digest, patientId, next, usedAt },
        );
        if (moved > 0) return 'advanced';
        const known = await db.query('SELECT 1 FROM passkeys WHERE credential_digest = :digest AND patient_id = :patientId', { digest, patientId });
        return known.length > 0 ? 'not_forward' : 'unknown';
      }),
  };
}
