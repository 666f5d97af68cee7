import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NewSessionFamily } from '../../lib/auth/session-ports.js';
import type { OutboxMail, PatientRecord, ResetTokenRecord, VerificationTokenRecord } from '../../lib/patient/ports.js';
import type { ContractStore } from './patient-repository.contract.js';
import { NEW_HASH, changedNotice, closedNotice } from './password-write-fixtures.js';

export interface SessionCredentialContext {
  store: () => ContractStore;
  create: (patient?: PatientRecord) => Promise<{ patient: PatientRecord; token: VerificationTokenRecord; mail: OutboxMail }>;
  patientFixture: (overrides?: Partial<PatientRecord>) => PatientRecord;
}

const MINUTE = 60_000;
const digest = () => randomBytes(32).toString('hex');


/**
 * A session starts only under the credential that was checked (issue 19 item 3): startFamily is
 * conditioned, in the store's own write, on the patient being active and, with a credential, still at
 * the password hash the sign-in compared against. So a sign-in whose bcrypt straddles a reset, a
 * change or a close gets no session the password write did not end. On every store.
 */
export function describeSessionCredentialContract(ctx: SessionCredentialContext): void {
  const sessions = () => ctx.store().sessions;
  const repository = () => ctx.store().repository;
  const verified = async (overrides: Partial<PatientRecord> = {}) => (await ctx.create(ctx.patientFixture({ email_verified: true, ...overrides }))).patient;
  const family = (patientId: string, passwordHash?: string): NewSessionFamily => ({
    familyId: randomUUID(), patientId, tokenHash: digest(), now: new Date(), idleTtlMs: 60 * MINUTE, absoluteTtlMs: 120 * MINUTE,
    ...(passwordHash !== undefined && { credential: { passwordHash } }),
  });
  /** Nothing of the family was written: not live, not listed, its token unknown. */
  const nothingWritten = async (started: NewSessionFamily) => {
    expect(await sessions().isLive(started, new Date())).toBe(false);
    expect((await sessions().listLive(started.patientId, new Date())).map((s) => s.familyId)).not.toContain(started.familyId);
    expect(await sessions().familyOf(started.tokenHash)).toBeUndefined();
  };
  const reset = async (patient: PatientRecord) => {
    const token: ResetTokenRecord = { tokenHash: digest(), patientId: patient.id, expiresAt: new Date(Date.now() + 30 * MINUTE), seed: randomUUID() };
    const mail = {
      kind: 'password_reset_email' as const, id: randomUUID(), patientId: patient.id, to: patient.email,
      resetUrl: `https://app.clinic.test/password/reset?token=${randomBytes(8).toString('hex')}`, createdAt: new Date().toISOString(),
    };
    expect(await repository().issueResetToken(token, mail)).toBe(true);
    expect((await repository().resetPassword({ tokenHash: token.tokenHash, passwordHash: NEW_HASH, notice: changedNotice(patient), now: new Date() })).outcome).toBe('reset');
  };

  describe('a session starts only under the credential that was checked (issue 19 item 3)', () => {
    it('with the patient\'s current password hash, the family starts and is live', async () => {
      const patient = await verified();
      const started = family(patient.id, patient.password_hash);
      expect(await sessions().startFamily(started)).toBe('started');
      expect(await sessions().isLive(started, new Date())).toBe(true);
    });

    it('with a hash that is no longer the patient\'s, it is refused and nothing is written', async () => {
      const patient = await verified();
      const stale = family(patient.id, '$2b$12$stalestalestalestalestuJ6bHpu0WjKlVq1Ff0cPh8O3AxYzZ9Ae');
      expect(await sessions().startFamily(stale)).toBe('refused');
      await nothingWritten(stale);
    });

    it('for a closed (inactive) patient it is refused, with or without a credential, and nothing is written', async () => {
      const patient = await verified({ is_active: false });
      const withPassword = family(patient.id, patient.password_hash);
      const withPasskey = family(patient.id);
      expect(await sessions().startFamily(withPassword)).toBe('refused');
      expect(await sessions().startFamily(withPasskey)).toBe('refused');
      await nothingWritten(withPassword);
      await nothingWritten(withPasskey);
    });

    it('without a credential (a passkey sign-in) an active patient\'s family starts whatever the password', async () => {
      const patient = await verified();
      const started = family(patient.id);
      expect(await sessions().startFamily(started)).toBe('started');
      expect(await sessions().isLive(started, new Date())).toBe(true);
    });

    it('for no such patient it is refused', async () => {
      const ghost = family(randomUUID(), 'any');
      expect(await sessions().startFamily(ghost)).toBe('refused');
      await nothingWritten(ghost);
    });

    it('a reset committed while a sign-in holds the old hash: that sign-in\'s family is refused; one under the new hash starts', async () => {
      const patient = await verified();
      const checked = (await repository().findCredentials(patient.email))!.password_hash; // what the sign-in compared against
      await reset(patient); // commits while bcrypt runs
      const late = family(patient.id, checked);
      expect(await sessions().startFamily(late)).toBe('refused');
      await nothingWritten(late);
      expect(await sessions().startFamily(family(patient.id, NEW_HASH))).toBe('started');
    });

    it('a change committed while a sign-in holds the old hash: that sign-in\'s family is refused', async () => {
      const patient = await verified();
      const checked = (await repository().findCredentials(patient.email))!.password_hash;
      expect(await repository().changePassword({ patientId: patient.id, expectedHash: checked, passwordHash: NEW_HASH, notice: changedNotice(patient), now: new Date() })).toBe(true);
      const late = family(patient.id, checked);
      expect(await sessions().startFamily(late)).toBe('refused');
      await nothingWritten(late);
    });

    it('a close committed while a sign-in holds the hash: that sign-in\'s family is refused, and so is a passkey\'s', async () => {
      const patient = await verified();
      const checked = (await repository().findCredentials(patient.email))!.password_hash;
      expect(await repository().closeAccount({ patientId: patient.id, expectedHash: checked, notice: closedNotice(patient), now: new Date() })).toBe(true);
      const late = family(patient.id, checked);
      const passkey = family(patient.id);
      expect(await sessions().startFamily(late)).toBe('refused');
      expect(await sessions().startFamily(passkey)).toBe('refused');
      await nothingWritten(late);
      await nothingWritten(passkey);
    });
  });
}
