import type { FamilyStart, LiveSession, RotationResult, SessionStore } from '../../auth/session-ports.js';
import { assuranceColumns, assuranceFromColumns } from '../sql/sign-in-assurance.js';
import { callPostgres } from './postgres-errors.js';
import type { SqlExecutor, SqlSession } from './sql-executor.js';

interface FamilyRow {
  family_id: string;
  patient_id: string;
  current_token_hash: string;
  idle_ms: string | number;
  expires_at: Date | string;
  absolute_expires_at: Date | string;
  revoked_at: Date | string | null;
  previous_token_hash: string | null;
  rotated_at: Date | string | null;
  amr: string | null;
  auth_time: Date | string | null;
  acr: string | null;
}

const ms = (value: Date | string) => new Date(value).getTime();

/** Revokes the patient's families but `keepFamilyId`, inside the caller's transaction (a password write). */
export async function endFamilies(tx: SqlSession, patientId: string, now: Date, keepFamilyId?: string): Promise<void> {
  await tx.query(
    `UPDATE session_families SET revoked_at = $2
     WHERE patient_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR id <> $3::uuid)`,
    [patientId, now.toISOString(), keepFamilyId ?? null],
  );
}

/**
 * Families as rows (see 005_sessions.sql, 015_refresh_reuse_interval.sql, 016_session_devices.sql,
 * 021_second_factors.sql). A rotation locks the
 * family row (SELECT … FOR UPDATE) before deciding, so concurrent rotations of one token run one
 * after the other: the first finds its token current and rotates; the others find it rotated and
 * either repeat that rotation (same successor, within the reuse interval) or revoke the family.
 * The patient's families are a query (by patient_id), not a stored list: nothing to prune.
 */
export function createPostgresSessionStore(db: SqlExecutor): SessionStore {
  const revokeFamily = async (familyId: string, now: Date) => {
    await callPostgres(() =>
      db.query('UPDATE session_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [familyId, now.toISOString()]));
  };

  return {
    async startFamily({ familyId, patientId, tokenHash, now, idleTtlMs, absoluteTtlMs, device, assurance, credential }) {
      const absoluteEnd = now.getTime() + absoluteTtlMs;
      const expiresAt = Math.min(now.getTime() + idleTtlMs, absoluteEnd);
      const iso = (t: number) => new Date(t).toISOString();
      const signIn = assuranceColumns(assurance);
      return callPostgres(() =>
        db.transaction(async (tx): Promise<FamilyStart> => {
          // The patient row held FOR SHARE until commit: a reset, change or close holding it FOR UPDATE
          // is waited for (then its new hash or is_active is what this reads), and one that comes after
          // waits for this insert, so the sessions it ends include this one.
          const { rows } = await tx.query(
            `SELECT 1 FROM patients WHERE id = $1 AND is_active${credential ? ' AND password_hash = $2' : ''} FOR SHARE`,
            credential ? [patientId, credential.passwordHash] : [patientId],
          );
          if (rows.length === 0) return 'refused';
          await tx.query(
            `INSERT INTO session_families (id, patient_id, current_token_hash, idle_ms, expires_at, absolute_expires_at, created_at, last_used_at, device, amr, auth_time, acr)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11)`,
            [familyId, patientId, tokenHash, idleTtlMs, iso(expiresAt), iso(absoluteEnd), now.toISOString(), device ?? null, signIn.amr, signIn.auth_time && new Date(signIn.auth_time).toISOString(), signIn.acr],
          );
          await tx.query('INSERT INTO refresh_tokens (token_hash, family_id, issued_at) VALUES ($1, $2, $3)', [tokenHash, familyId, now.toISOString()]);
          return 'started';
        }),
      );
    },

    async rotate(presentedHash, newHash, now, reuseIntervalMs): Promise<RotationResult> {
      return callPostgres(() =>
        db.transaction(async (tx): Promise<RotationResult> => {
          const { rows } = await tx.query<FamilyRow>(
            `SELECT f.id AS family_id, f.patient_id, f.current_token_hash, f.idle_ms, f.expires_at, f.absolute_expires_at, f.revoked_at,
                    f.previous_token_hash, f.rotated_at, f.amr, f.auth_time, f.acr
             FROM refresh_tokens t JOIN session_families f ON f.id = t.family_id
             WHERE t.token_hash = $1 FOR UPDATE OF f`,
            [presentedHash],
          );
          const family = rows[0];
          if (!family) return { outcome: 'unknown' };
          const ref = { patientId: family.patient_id, familyId: family.family_id };
          const repeat = family.current_token_hash === newHash && family.previous_token_hash === presentedHash &&
            family.rotated_at !== null && now.getTime() - ms(family.rotated_at) < reuseIntervalMs;
          if (family.current_token_hash !== presentedHash && !repeat) {
            await tx.query('UPDATE session_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [ref.familyId, now.toISOString()]);
            return { outcome: 'reused', ...ref };
          }
          if (family.revoked_at !== null) return { outcome: 'revoked' };
          if (now.getTime() >= ms(family.expires_at)) return { outcome: 'expired' };
          const assurance = assuranceFromColumns(family);
          if (repeat) return { outcome: 'rotated', ...ref, expiresAt: new Date(ms(family.expires_at)), repeated: true, ...(assurance && { assurance }) };
          const expiresAt = new Date(Math.min(now.getTime() + Number(family.idle_ms), ms(family.absolute_expires_at)));
          await tx.query(
            'UPDATE session_families SET current_token_hash = $2, expires_at = $3, previous_token_hash = $4, rotated_at = $5, last_used_at = $5 WHERE id = $1',
            [ref.familyId, newHash, expiresAt.toISOString(), presentedHash, now.toISOString()],
          );
          await tx.query('INSERT INTO refresh_tokens (token_hash, family_id, issued_at) VALUES ($1, $2, $3)', [newHash, ref.familyId, now.toISOString()]);
          return { outcome: 'rotated', ...ref, expiresAt, ...(assurance && { assurance }) };
        }),
      );
    },

    async familyOf(tokenHash) {
      const { rows } = await callPostgres(() =>
        db.query<{ family_id: string; patient_id: string }>(
          'SELECT f.id AS family_id, f.patient_id FROM refresh_tokens t JOIN session_families f ON f.id = t.family_id WHERE t.token_hash = $1',
          [tokenHash],
        ));
      return rows[0] && { familyId: rows[0].family_id, patientId: rows[0].patient_id };
    },

    async isLive({ familyId, patientId }, now) {
      const { rows } = await callPostgres(() =>
        db.query<{ live: boolean }>(
          'SELECT revoked_at IS NULL AND expires_at > $3 AS live FROM session_families WHERE id = $1 AND patient_id = $2',
          [familyId, patientId, now.toISOString()],
        ));
      return rows[0]?.live === true;
    },

    revokeFamily: ({ familyId }, now) => revokeFamily(familyId, now),

    async listLive(patientId, now): Promise<LiveSession[]> {
      const { rows } = await callPostgres(() =>
        db.query<{ id: string; created_at: Date | string; last_used_at: Date | string | null; device: string | null }>(
          `SELECT id, created_at, last_used_at, device FROM session_families
           WHERE patient_id = $1 AND revoked_at IS NULL AND expires_at > $2`,
          [patientId, now.toISOString()],
        ));
      return rows.map((row) => ({
        familyId: row.id,
        createdAt: new Date(row.created_at),
        lastUsedAt: new Date(row.last_used_at ?? row.created_at),
        ...(row.device !== null && { device: row.device }),
      }));
    },

    async endOwn({ familyId, patientId }, now) {
      // The ownership and liveness checks are the UPDATE's own WHERE: nothing between a read and the write.
      const { rows } = await callPostgres(() =>
        db.query(
          `UPDATE session_families SET revoked_at = $3
           WHERE id = $1 AND patient_id = $2 AND revoked_at IS NULL AND expires_at > $3 RETURNING id`,
          [familyId, patientId, now.toISOString()],
        ));
      return rows.length === 1;
    },

    async endOthers(patientId, keepFamilyId, now) {
      await callPostgres(() => endFamilies(db, patientId, now, keepFamilyId));
    },
  };
}
