import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AccountNoticeMail, OutboxMail, PatientRecord, ResetTokenRecord, VerificationTokenRecord } from '../../lib/patient/ports.js';
import type { ContractStore } from './patient-repository.contract.js';
import { NEW_HASH, changedNotice, closedNotice } from './password-write-fixtures.js';

export interface AccountCloseContext {
  store: () => ContractStore;
  create: (patient?: PatientRecord) => Promise<{ patient: PatientRecord; token: VerificationTokenRecord; mail: OutboxMail }>;
  patientFixture: (overrides?: Partial<PatientRecord>) => PatientRecord;
}

const MINUTE = 60_000;
const digest = () => randomBytes(32).toString('hex');


/** POST /me/close's write (issue 20) and the reset that reopens a closed account, on every store. */
export function describeAccountCloseContract(ctx: AccountCloseContext): void {
  const repository = () => ctx.store().repository;
  const verified = async () => (await ctx.create(ctx.patientFixture({ email_verified: true }))).patient;
  const close = (patient: PatientRecord, overrides: { expectedHash?: string; notice?: AccountNoticeMail } = {}) =>
    repository().closeAccount({ patientId: patient.id, expectedHash: patient.password_hash, notice: closedNotice(patient), now: new Date(), ...overrides });
  const startFamily = async (patientId: string) => {
    const family = { familyId: randomUUID(), patientId };
    await ctx.store().sessions.startFamily({ ...family, tokenHash: digest(), now: new Date(), idleTtlMs: 60 * MINUTE, absoluteTtlMs: 120 * MINUTE });
    return family;
  };
  const live = (family: { familyId: string; patientId: string }) => ctx.store().sessions.isLive(family, new Date());
  const issueReset = async (patient: PatientRecord) => {
    const token: ResetTokenRecord = { tokenHash: digest(), patientId: patient.id, expiresAt: new Date(Date.now() + 30 * MINUTE), seed: randomUUID() };
    const mail = {
      kind: 'password_reset_email' as const, id: randomUUID(), patientId: patient.id, to: patient.email,
      resetUrl: `https://app.clinic.test/password/reset?token=${randomBytes(8).toString('hex')}`, createdAt: new Date().toISOString(),
    };
    expect(await repository().issueResetToken(token, mail)).toBe(true);
    return token;
  };
  const reset = (patient: PatientRecord, tokenHash: string) =>
    repository().resetPassword({ tokenHash, passwordHash: NEW_HASH, notice: changedNotice(patient), now: new Date() });

  describe('closeAccount', () => {
    it('deactivates the patient, ends every session of it (and no one else\'s), queues the notice; the record and its reservations stay', async () => {
      const patient = await verified();
      const neighbour = await verified();
      const families = [await startFamily(patient.id), await startFamily(patient.id)];
      const theirs = await startFamily(neighbour.id);
      const notice = closedNotice(patient);
      expect(await close(patient, { notice })).toBe(true);

      const stored = await ctx.store().readPatient(patient.id);
      expect(stored).toMatchObject({ is_active: false, email: patient.email, phone_number: patient.phone_number, encrypted: patient.encrypted });
      expect(await repository().getPatient(patient.id)).toMatchObject({ id: patient.id, is_active: false });
      expect(await repository().findCredentials(patient.email)).toMatchObject({ id: patient.id, is_active: false });
      expect(await repository().findTakenIdentifiers(patient.email, patient.phone_number)).toEqual({ email: true, phone: true });
      expect(await Promise.all(families.map(live))).toEqual([false, false]);
      expect(await live(theirs)).toBe(true);
      expect(await ctx.store().outbox.claim(notice.id, new Date(), 60_000))
        .toMatchObject({ kind: 'account_notice_email', notice: 'account_closed', to: patient.email, patientId: patient.id });
    });

    it('a closed account is not closed again: nothing written, no second notice', async () => {
      const patient = await verified();
      expect(await close(patient)).toBe(true);
      const again = closedNotice(patient);
      expect(await close(patient, { notice: again })).toBe(false);
      expect(await ctx.store().outboxAddress(again.id)).toBeUndefined();
    });

    it('over a hash that is no longer stored (a change or reset won) writes nothing and ends nothing', async () => {
      const patient = await verified();
      const family = await startFamily(patient.id);
      const notice = closedNotice(patient);
      expect(await close(patient, { expectedHash: 'not-the-stored-hash', notice })).toBe(false);
      expect((await ctx.store().readPatient(patient.id))!.is_active).toBe(true);
      expect(await live(family)).toBe(true);
      expect(await ctx.store().outboxAddress(notice.id)).toBeUndefined();
    });

    it('an unknown patient: false', async () => {
      expect(await close(ctx.patientFixture())).toBe(false);
    });

    it('a close racing a password change: exactly one lands, and the outcome is consistent', async () => {
      const patient = await verified();
      const [closed, changed] = await Promise.all([
        close(patient),
        repository().changePassword({ patientId: patient.id, expectedHash: patient.password_hash, passwordHash: NEW_HASH, notice: changedNotice(patient), now: new Date() }),
      ]);
      expect([closed, changed].filter(Boolean)).toHaveLength(1);
      const stored = await ctx.store().readPatient(patient.id);
      expect(stored).toMatchObject(closed ? { is_active: false, password_hash: patient.password_hash } : { is_active: true, password_hash: NEW_HASH });
    });

    it('two concurrent closes: exactly one lands, one notice', async () => {
      const patient = await verified();
      const notices = [closedNotice(patient), closedNotice(patient)];
      const outcomes = await Promise.all(notices.map((notice) => close(patient, { notice })));
      expect(outcomes.sort()).toEqual([false, true]);
      const queued = await Promise.all(notices.map((n) => ctx.store().outboxAddress(n.id)));
      expect(queued.filter(Boolean)).toHaveLength(1);
    });

    it('a password change after the close is refused', async () => {
      const patient = await verified();
      expect(await close(patient)).toBe(true);
      expect(await repository().changePassword({ patientId: patient.id, expectedHash: patient.password_hash, passwordHash: NEW_HASH, notice: changedNotice(patient), now: new Date() })).toBe(false);
    });
  });

  describe('reopening a closed account by a password reset', () => {
    it('a reset link asked for after the close reactivates the account with the new password', async () => {
      const patient = await verified();
      expect(await close(patient)).toBe(true);
      const token = await issueReset(patient);
      expect(await reset(patient, token.tokenHash)).toEqual({ outcome: 'reset', patientId: patient.id });
      expect(await ctx.store().readPatient(patient.id)).toMatchObject({ is_active: true, password_hash: NEW_HASH, email_verified: true });
      expect(await repository().findCredentials(patient.email)).toMatchObject({ is_active: true });
    });

    it('a link mailed before the close is ended by it (superseded), and reopens nothing', async () => {
      const patient = await verified();
      const before = await issueReset(patient);
      expect(await close(patient)).toBe(true);
      expect(await reset(patient, before.tokenHash)).toEqual({ outcome: 'superseded' });
      expect((await ctx.store().readPatient(patient.id))!.is_active).toBe(false);
    });
  });
}
