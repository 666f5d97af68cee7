import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OutboxMail, PasswordChangedMail, PasswordResetMail, PatientRecord, ResetTokenRecord, VerificationTokenRecord } from '../../lib/patient/ports.js';
import type { ContractStore } from './patient-repository.contract.js';
import { NEW_HASH } from './password-write-fixtures.js';

export interface PasswordResetContext {
  store: () => ContractStore;
  create: (patient?: PatientRecord) => Promise<{ patient: PatientRecord; token: VerificationTokenRecord; mail: OutboxMail }>;
  patientFixture: (overrides?: Partial<PatientRecord>) => PatientRecord;
}

const MINUTE = 60_000;
/** issueResetToken judges lapse by the store's own clock: the fixtures live in real time. */
const fromNow = (ms: number) => new Date(Date.now() + ms);
const digest = () => randomBytes(32).toString('hex');

function resetToken(patient: PatientRecord, expiresAt = fromNow(30 * MINUTE)): ResetTokenRecord {
  return { tokenHash: digest(), patientId: patient.id, expiresAt, seed: randomUUID() };
}
function resetMail(patient: PatientRecord): PasswordResetMail {
  return {
    kind: 'password_reset_email', id: randomUUID(), patientId: patient.id, to: patient.email,
    resetUrl: `https://app.clinic.test/password/reset?token=${randomBytes(8).toString('hex')}`, createdAt: new Date().toISOString(),
  };
}
function notice(patient: PatientRecord, sessionsEnded: PasswordChangedMail['sessionsEnded'] = 'all'): PasswordChangedMail {
  return { kind: 'password_changed_email', id: randomUUID(), patientId: patient.id, to: patient.email, firstName: patient.first_name, createdAt: new Date().toISOString(), sessionsEnded };
}

/** Reset tokens and the reset transaction (issue 11), on every store. */
export function describePasswordResetContract(ctx: PasswordResetContext): void {
  const issued = async (overrides: Partial<PatientRecord> = {}) => {
    const { patient } = await ctx.create(ctx.patientFixture(overrides));
    const token = resetToken(patient);
    expect(await ctx.store().repository.issueResetToken(token, resetMail(patient))).toBe(true);
    return { patient, token };
  };
  const reset = (patient: PatientRecord, tokenHash: string, now = new Date()) =>
    ctx.store().repository.resetPassword({ tokenHash, passwordHash: NEW_HASH, notice: notice(patient), now });

  describe('password reset tokens', () => {
    it('an issued token names its patient; its mail is queued with its address', async () => {
      const { patient } = await ctx.create();
      const token = resetToken(patient);
      const mail = resetMail(patient);
      expect(await ctx.store().repository.issueResetToken(token, mail)).toBe(true);
      expect(await ctx.store().repository.findResetToken(token.tokenHash)).toEqual({ patientId: patient.id });
      expect(await ctx.store().outboxAddress(mail.id)).toBe(patient.email);
      const claimed = await ctx.store().outbox.claim(mail.id, new Date(), 60_000);
      expect(claimed).toMatchObject({ kind: 'password_reset_email', patientId: patient.id, resetUrl: mail.resetUrl });
    });

    it('the patient keeps its newest reset link\'s digest, seed and expiry (to send it again) until it is used', async () => {
      const { patient, token } = await issued();
      const linkOf = async () => (await ctx.store().repository.findPatientByEmail(patient.email))?.reset_link;
      expect(await linkOf()).toEqual({ tokenHash: token.tokenHash, seed: token.seed, expiresAt: token.expiresAt });
      const newer = resetToken(patient);
      expect(await ctx.store().repository.issueResetToken(newer, resetMail(patient))).toBe(true);
      expect(await linkOf()).toEqual({ tokenHash: newer.tokenHash, seed: newer.seed, expiresAt: newer.expiresAt });
      expect((await reset(patient, newer.tokenHash)).outcome).toBe('reset');
      expect(await linkOf()).toBeUndefined();
    });

    it('a live reset link\'s mail can be queued again on its own', async () => {
      const { patient } = await issued();
      const again = resetMail(patient);
      await ctx.store().outbox.enqueue(again);
      expect(await ctx.store().outbox.claim(again.id, new Date(), 60_000)).toMatchObject({ kind: 'password_reset_email', resetUrl: again.resetUrl });
    });

    it('no token is issued for a patient that does not exist', async () => {
      const ghost = ctx.patientFixture();
      expect(await ctx.store().repository.issueResetToken(resetToken(ghost), resetMail(ghost))).toBe(false);
    });

    it('an unknown token is unknown', async () => {
      await ctx.create();
      expect(await ctx.store().repository.findResetToken(digest())).toBeUndefined();
      expect(await ctx.store().repository.resetPassword({ tokenHash: digest(), passwordHash: NEW_HASH, notice: notice(ctx.patientFixture()), now: new Date() })).toEqual({ outcome: 'unknown' });
    });

    it('reset: the new hash, the email verified, the lapse lifted, the notice queued', async () => {
      const { patient, token } = await issued({ lapses_at: fromNow(24 * 60 * MINUTE).toISOString() });
      const mail = notice(patient);
      expect(await ctx.store().repository.resetPassword({ tokenHash: token.tokenHash, passwordHash: NEW_HASH, notice: mail, now: new Date() }))
        .toMatchObject({ outcome: 'reset', patientId: patient.id });
      const stored = await ctx.store().readPatient(patient.id);
      expect(stored).toMatchObject({ password_hash: NEW_HASH, email_verified: true });
      expect(stored!.lapses_at ?? undefined).toBeUndefined();
      expect(await ctx.store().outboxAddress(mail.id)).toBe(patient.email);
      expect(await ctx.store().outbox.claim(mail.id, new Date(), 60_000)).toMatchObject({ kind: 'password_changed_email', patientId: patient.id, sessionsEnded: 'all' });
    });

    // Issue 20, taken-back accounts: the fixture is a never-verified registration with every field.
    it('a never-verified registration is taken back: patient data, contact and the unproven number go, the review is asked for', async () => {
      const { patient, token } = await issued({ lapses_at: fromNow(24 * 60 * MINUTE).toISOString() });
      const result = await reset(patient, token.tokenHash);
      expect(result).toEqual({
        outcome: 'reset', patientId: patient.id,
        takenBack: { deleted: expect.arrayContaining(['medical_history', 'insurance_info', 'emergency_contact']), phoneReleased: true },
      });
      const stored = (await ctx.store().readPatient(patient.id))!;
      expect(stored).toMatchObject({ email_verified: true, profile_review_required: true, phone_number_released: true, first_name: patient.first_name });
      expect(stored.encrypted).toBeUndefined();
      expect(stored.emergency_contact).toBeUndefined();
      // The number is free: its owner registers it without any claim.
      expect(await ctx.store().repository.findTakenIdentifiers('nobody@contract.test', patient.phone_number)).toEqual({ email: false, phone: false });
      const owner = ctx.patientFixture({ phone_number: patient.phone_number });
      await ctx.create(owner);
      expect(await ctx.store().repository.findPhoneHolder(patient.phone_number)).toMatchObject({ id: owner.id });
    });

    it('a taken-back account keeps a number proven by SMS', async () => {
      const { patient, token } = await issued({ phone_verified: true });
      expect(await reset(patient, token.tokenHash)).toMatchObject({ takenBack: { phoneReleased: false } });
      const stored = (await ctx.store().readPatient(patient.id))!;
      expect(stored.phone_number_released).toBeFalsy();
      expect(await ctx.store().repository.findPhoneHolder(patient.phone_number)).toMatchObject({ id: patient.id, phone_verified: true });
    });

    it('a verified account\'s reset takes nothing back', async () => {
      const { patient, token } = await issued({ email_verified: true });
      expect(await reset(patient, token.tokenHash)).toEqual({ outcome: 'reset', patientId: patient.id });
      const stored = (await ctx.store().readPatient(patient.id))!;
      expect(stored.encrypted).toEqual(patient.encrypted);
      expect(stored.emergency_contact).toEqual(patient.emergency_contact);
      expect(stored.profile_review_required).toBeFalsy();
      expect(stored.phone_number_released).toBeFalsy();
    });

    it('the review flag clears only with a profile write that confirms it', async () => {
      const { patient, token } = await issued();
      await reset(patient, token.tokenHash);
      const read = async () => (await ctx.store().readPatient(patient.id))!;
      const before = await read();
      const profile = { first_name: 'Owner', last_name: before.last_name, date_of_birth: before.date_of_birth, gender: before.gender, address: before.address, emergency_contact: null };
      const next = (at: string) => new Date(Date.parse(at) + 1000).toISOString();
      expect(await ctx.store().repository.updateProfile({ patientId: patient.id, expectedUpdatedAt: before.updated_at, updatedAt: next(before.updated_at), profile })).toBe(true);
      const partly = await read();
      expect(partly.profile_review_required).toBe(true);
      expect(await ctx.store().repository.updateProfile({
        patientId: patient.id, expectedUpdatedAt: partly.updated_at, updatedAt: next(partly.updated_at), profile, reviewConfirmed: true,
      })).toBe(true);
      expect((await read()).profile_review_required).toBeFalsy();
    });

    it('used once: the second reset is "used" and writes nothing', async () => {
      const { patient, token } = await issued();
      expect((await reset(patient, token.tokenHash)).outcome).toBe('reset');
      const second = notice(patient);
      expect(await ctx.store().repository.resetPassword({ tokenHash: token.tokenHash, passwordHash: 'other', notice: second, now: new Date() })).toEqual({ outcome: 'used' });
      expect((await ctx.store().readPatient(patient.id))!.password_hash).toBe(NEW_HASH);
      expect(await ctx.store().outboxAddress(second.id)).toBeUndefined();
    });

    it('expired from its expiry second on, and writes nothing', async () => {
      const { patient, token } = await issued();
      expect(await reset(patient, token.tokenHash, new Date(token.expiresAt.getTime() + 1000))).toEqual({ outcome: 'expired' });
      expect((await ctx.store().readPatient(patient.id))!.email_verified).toBe(false);
    });

    it('a newer token supersedes the older', async () => {
      const { patient, token: older } = await issued();
      const newer = resetToken(patient);
      expect(await ctx.store().repository.issueResetToken(newer, resetMail(patient))).toBe(true);
      expect(await reset(patient, older.tokenHash)).toEqual({ outcome: 'superseded' });
      expect((await reset(patient, newer.tokenHash)).outcome).toBe('reset');
    });

    it('a forgot-password request is queued on its own and forgets its address once handled', async () => {
      const request = { kind: 'password_reset_request' as const, id: randomUUID(), to: ctx.patientFixture().email, createdAt: new Date().toISOString() };
      await ctx.store().outbox.enqueue(request);
      expect(await ctx.store().outboxAddress(request.id)).toBe(request.to);
      const claimed = await ctx.store().outbox.claim(request.id, new Date(), 60_000);
      expect(claimed).toMatchObject({ kind: 'password_reset_request', to: request.to });
      await ctx.store().outbox.markSent(claimed!, new Date());
      expect(await ctx.store().outboxAddress(request.id)).toBeUndefined();
    });

    it('a "password changed" notice can be queued on its own (after a change)', async () => {
      const { patient } = await ctx.create();
      const mail = notice(patient, 'others');
      await ctx.store().outbox.enqueue(mail);
      expect(await ctx.store().outbox.claim(mail.id, new Date(), 60_000))
        .toMatchObject({ kind: 'password_changed_email', patientId: patient.id, to: patient.email, firstName: patient.first_name, createdAt: mail.createdAt, sessionsEnded: 'others' });
    });

    it('two concurrent resets with one token: exactly one wins', async () => {
      const { patient, token } = await issued();
      const outcomes = await Promise.all([reset(patient, token.tokenHash), reset(patient, token.tokenHash)]);
      expect(outcomes.map((o) => o.outcome).sort()).toEqual(['reset', 'used']);
    });
  });

  /** A session family of `patientId` started now (real time: the password writes take real `now`s here). */
  const startFamily = async (patientId: string) => {
    const family = { familyId: randomUUID(), patientId };
    await ctx.store().sessions.startFamily({ ...family, tokenHash: digest(), now: new Date(), idleTtlMs: 60 * MINUTE, absoluteTtlMs: 120 * MINUTE });
    return family;
  };
  const live = (family: { familyId: string; patientId: string }) => ctx.store().sessions.isLive(family, new Date());
  const change = (patient: PatientRecord, overrides: { expectedHash?: string; keepSessionId?: string; passwordHash?: string } = {}) =>
    ctx.store().repository.changePassword({
      patientId: patient.id, expectedHash: patient.password_hash, passwordHash: NEW_HASH, notice: notice(patient), now: new Date(), ...overrides,
    });

  describe('password writes end sessions and links in their own transaction (issue 19 items 5 and 8)', () => {
    it('a reset ends every session of the patient, and no one else\'s', async () => {
      const { patient, token } = await issued();
      const neighbour = (await ctx.create()).patient;
      const families = [await startFamily(patient.id), await startFamily(patient.id)];
      const theirs = await startFamily(neighbour.id);
      expect((await reset(patient, token.tokenHash)).outcome).toBe('reset');
      expect(await Promise.all(families.map(live))).toEqual([false, false]);
      expect(await live(theirs)).toBe(true);
    });

    it('a reset that is refused (used, superseded) ends no session', async () => {
      const { patient, token } = await issued();
      await reset(patient, token.tokenHash);
      const family = await startFamily(patient.id);
      expect((await reset(patient, token.tokenHash)).outcome).toBe('used');
      expect(await live(family)).toBe(true);
    });

    it('a change writes the new hash over the expected one, ends every other session, keeps the caller\'s, queues the notice', async () => {
      const { patient } = await ctx.create();
      const [kept, ended] = [await startFamily(patient.id), await startFamily(patient.id)];
      const mail = notice(patient);
      expect(await change(patient, { keepSessionId: kept.familyId })).toBe(true);
      expect((await ctx.store().readPatient(patient.id))!.password_hash).toBe(NEW_HASH);
      expect([await live(kept), await live(ended)]).toEqual([true, false]);
      expect(await ctx.store().repository.changePassword({ patientId: patient.id, expectedHash: NEW_HASH, passwordHash: 'next', notice: mail, now: new Date() })).toBe(true);
      expect(await live(kept)).toBe(false);
      expect(await ctx.store().outbox.claim(mail.id, new Date(), 60_000)).toMatchObject({ kind: 'password_changed_email', patientId: patient.id });
    });

    it('a change over a hash that is no longer stored writes nothing and ends nothing', async () => {
      const { patient } = await ctx.create();
      const family = await startFamily(patient.id);
      expect(await change(patient, { expectedHash: 'not-the-stored-hash' })).toBe(false);
      expect((await ctx.store().readPatient(patient.id))!.password_hash).toBe(patient.password_hash);
      expect(await live(family)).toBe(true);
    });

    it('a deactivated patient\'s password does not change', async () => {
      const { patient } = await ctx.create(ctx.patientFixture({ is_active: false, email_verified: true }));
      expect(await change(patient)).toBe(false);
      expect((await ctx.store().readPatient(patient.id))!.password_hash).toBe(patient.password_hash);
    });

    it('a change ends every outstanding reset link: one mailed before it cannot undo it', async () => {
      const { patient, token } = await issued();
      expect(await change(patient)).toBe(true);
      expect(await reset(patient, token.tokenHash)).toEqual({ outcome: 'superseded' });
      expect((await ctx.store().readPatient(patient.id))!.password_hash).toBe(NEW_HASH);
      const newer = resetToken(patient);
      expect(await ctx.store().repository.issueResetToken(newer, resetMail(patient))).toBe(true);
      expect((await reset(patient, newer.tokenHash)).outcome).toBe('reset');
    });
  });
}
