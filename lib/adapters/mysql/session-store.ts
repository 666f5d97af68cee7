import type { FamilyStart, LiveSession, RotationResult, SessionStore } from '../../auth/session-ports.js';
import { assuranceColumns, assuranceFromColumns } from '../sql/sign-in-assurance.js';
import { callMysql } from './mysql-errors.js';
import type { MysqlExecutor, MysqlSession } from './mysql-executor.js';

interface FamilyRow {
  family_id: string;
  patient_id: string;
  current_token_hash: string;
  idle_ms: number | string;
  expires_at: Date;
  absolute_expires_at: Date;
  revoked_at: Date | null;
  previous_token_hash: string | null;
  rotated_at: Date | null;
  amr: string | null;
  auth_time: Date | null;
  acr: string | null;
}

const REVOKE = 'UPDATE session_families SET revoked_at = :now WHERE id = :familyId AND revoked_at IS NULL';

/** Revokes the patient's families but `keepFamilyId`, inside the caller's transaction (a password write). */
export async function endFamilies(tx: MysqlSession, patientId: string, now: Date, keepFamilyId?: string): Promise<void> {
  await tx.run(
    'UPDATE session_families SET revoked_at = :now WHERE patient_id = :patientId AND revoked_at IS NULL AND (:except IS NULL OR id <> :except)',
    { patientId, now, except: keepFamilyId ?? null },
  );
}

/**
 * Families as rows (as in PostgreSQL's 005_sessions.sql, 015_refresh_reuse_interval.sql, 016_session_devices.sql
 * and 021_second_factors.sql). A rotation locks the presented token's row and its family's (SELECT … FOR UPDATE on the join:
 * MariaDB has no FOR UPDATE OF), so concurrent rotations of one token run one after the other: the
 * first finds its token current and rotates; the others find it rotated and either repeat that
 * rotation (same successor, within the reuse interval) or revoke the family.
 */
export function createMysqlSessionStore(db: MysqlExecutor): SessionStore {
  return {
    async startFamily({ familyId, patientId, tokenHash, now, idleTtlMs, absoluteTtlMs, device, assurance, credential }) {
      const absoluteEnd = new Date(now.getTime() + absoluteTtlMs);
      const expiresAt = new Date(Math.min(now.getTime() + idleTtlMs, absoluteEnd.getTime()));
      return callMysql(() =>
        db.transaction(async (tx): Promise<FamilyStart> => {
          // A locking read (the newest committed row, not the snapshot), held until commit: a reset,
          // change or close holding the row FOR UPDATE is waited for and its new hash or is_active read;
          // one that comes after waits for this insert, so the sessions it ends include this one.
          const [patient] = await tx.query<{ found: number }>(
            `SELECT 1 AS found FROM patients WHERE id = :patientId AND is_active${credential ? ' AND password_hash = :matched' : ''} LOCK IN SHARE MODE`,
            credential ? { patientId, matched: credential.passwordHash } : { patientId },
          );
          if (!patient) return 'refused';
          await tx.run(
            `INSERT INTO session_families (id, patient_id, current_token_hash, idle_ms, expires_at, absolute_expires_at, created_at, last_used_at, device, amr, auth_time, acr)
             VALUES (:familyId, :patientId, :tokenHash, :idleTtlMs, :expiresAt, :absoluteEnd, :now, :now, :device, :amr, :auth_time, :acr)`,
            { familyId, patientId, tokenHash, idleTtlMs, expiresAt, absoluteEnd, now, device: device ?? null, ...assuranceColumns(assurance) },
          );
          await tx.run('INSERT INTO refresh_tokens (token_hash, family_id, issued_at) VALUES (:tokenHash, :familyId, :now)', { tokenHash, familyId, now });
          return 'started';
        }),
      );
    },

    rotate: (presentedHash, newHash, now, reuseIntervalMs): Promise<RotationResult> =>
      callMysql(() =>
        db.transaction(async (tx): Promise<RotationResult> => {
          const [family] = await tx.query<FamilyRow>(
            `SELECT f.id AS family_id, f.patient_id, f.current_token_hash, f.idle_ms, f.expires_at, f.absolute_expires_at, f.revoked_at,
                    f.previous_token_hash, f.rotated_at, f.amr, f.auth_time, f.acr
             FROM refresh_tokens t JOIN session_families f ON f.id = t.family_id
             WHERE t.token_hash = :presentedHash FOR UPDATE`,
            { presentedHash },
          );
          if (!family) return { outcome: 'unknown' };
          const ref = { patientId: family.patient_id, familyId: family.family_id };
          const repeat = family.current_token_hash === newHash && family.previous_token_hash === presentedHash &&
            family.rotated_at !== null && now.getTime() - family.rotated_at.getTime() < reuseIntervalMs;
          if (family.current_token_hash !== presentedHash && !repeat) {
            await tx.run(REVOKE, { familyId: ref.familyId, now });
            return { outcome: 'reused', ...ref };
          }
          if (family.revoked_at !== null) return { outcome: 'revoked' };
          if (now.getTime() >= family.expires_at.getTime()) return { outcome: 'expired' };
          const assurance = assuranceFromColumns(family);
          if (repeat) return { outcome: 'rotated', ...ref, expiresAt: family.expires_at, repeated: true, ...(assurance && { assurance }) };
          const expiresAt = new Date(Math.min(now.getTime() + Number(family.idle_ms), family.absolute_expires_at.getTime()));
          await tx.run(
            'UPDATE session_families SET current_token_hash = :newHash, expires_at = :expiresAt, previous_token_hash = :presentedHash, rotated_at = :now, last_used_at = :now WHERE id = :familyId',
            { ...ref, newHash, expiresAt, presentedHash, now },
          );
          await tx.run('INSERT INTO refresh_tokens (token_hash, family_id, issued_at) VALUES (:newHash, :familyId, :now)', { ...ref, newHash, now });
          return { outcome: 'rotated', ...ref, expiresAt, ...(assurance && { assurance }) };
        }),
      ),

    async familyOf(tokenHash) {
      const [row] = await callMysql(() =>
        db.query<{ family_id: string; patient_id: string }>(
          'SELECT f.id AS family_id, f.patient_id FROM refresh_tokens t JOIN session_families f ON f.id = t.family_id WHERE t.token_hash = :tokenHash',
          { tokenHash },
        ));
      return row && { familyId: row.family_id, patientId: row.patient_id };
    },

    async isLive({ familyId, patientId }, now) {
      const [row] = await callMysql(() =>
        db.query<{ live: number | string }>(
          'SELECT (revoked_at IS NULL AND expires_at > :now) AS live FROM session_families WHERE id = :familyId AND patient_id = :patientId',
          { familyId, patientId, now },
        ));
      return Number(row?.live) === 1;
    },

    async revokeFamily({ familyId }, now) {
      await callMysql(() => db.run(REVOKE, { familyId, now }));
    },

    async listLive(patientId, now): Promise<LiveSession[]> {
      const rows = await callMysql(() =>
        db.query<{ id: string; created_at: Date; last_used_at: Date | null; device: string | null }>(
          'SELECT id, created_at, last_used_at, device FROM session_families WHERE patient_id = :patientId AND revoked_at IS NULL AND expires_at > :now',
          { patientId, now },
        ));
      return rows.map((row) => ({
        familyId: row.id,
        createdAt: row.created_at,
        lastUsedAt: row.last_used_at ?? row.created_at,
        ...(row.device !== null && { device: row.device }),
      }));
    },

    async endOwn({ familyId, patientId }, now) {
      // The ownership and liveness checks are the UPDATE's own WHERE: nothing between a read and the write.
      const changed = await callMysql(() =>
        db.run(
          'UPDATE session_families SET revoked_at = :now WHERE id = :familyId AND patient_id = :patientId AND revoked_at IS NULL AND expires_at > :now',
          { familyId, patientId, now },
        ));
      return changed === 1;
    },

    async endOthers(patientId, keepFamilyId, now) {
      await callMysql(() => endFamilies(db, patientId, now, keepFamilyId));
    },
  };
}
