import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AccountNoticeMail, OutboxMail, PasswordChangedMail, PatientRecord, VerificationTokenRecord } from '../../lib/patient/ports.js';
import type { EmailMoveRequest } from '../../lib/record/ports.js';
import type { ContractStore } from './patient-repository.contract.js';
import { NEW_HASH } from './password-write-fixtures.js';

export interface EmailMoveContext {
  store: () => ContractStore;
  create: (patient?: PatientRecord) => Promise<{ patient: PatientRecord; token: VerificationTokenRecord; mail: OutboxMail }>;
  patientFixture: (overrides?: Partial<PatientRecord>) => PatientRecord;
  uniqueEmail: () => string;
  uniquePhone: () => string;
}

const MINUTE = 60_000;
const digest = () => randomBytes(32).toString('hex');
const notice = (patient: PatientRecord, kind: AccountNoticeMail['notice'], now = new Date()): AccountNoticeMail => ({
  kind: 'account_notice_email', id: randomUUID(), patientId: patient.id, to: patient.email, notice: kind, createdAt: now.toISOString(),
});
const passwordChanged = (patient: PatientRecord): PasswordChangedMail => ({
  kind: 'password_changed_email', id: randomUUID(), patientId: patient.id, to: patient.email, firstName: patient.first_name, createdAt: new Date().toISOString(), sessionsEnded: 'all',
});

/** POST /me/email and its link (issue 20): the pending move, the link's states and the atomic swap of reservations, on every store. */
export function describeEmailMoveContract(ctx: EmailMoveContext): void {
  const moves = () => ctx.store().contactMoves;
  const repository = () => ctx.store().repository;
  const verified = async (overrides: Partial<PatientRecord> = {}) => (await ctx.create(ctx.patientFixture({ email_verified: true, ...overrides }))).patient;
  const request = async (patient: PatientRecord, overrides: Partial<EmailMoveRequest> = {}) => {
    const now = overrides.now ?? new Date();
    const newEmail = overrides.newEmail ?? ctx.uniqueEmail();
    const write: EmailMoveRequest = {
      patientId: patient.id, newEmail, tokenHash: digest(), expiresAt: new Date(now.getTime() + 30 * MINUTE), now,
      link: { kind: 'email_move_email', id: randomUUID(), patientId: patient.id, to: newEmail, confirmUrl: `https://app.clinic.test/me/email/confirm?token=${randomBytes(8).toString('hex')}`, createdAt: now.toISOString() },
      notice: notice(patient, 'email_move_requested', now),
      ...overrides,
    };
    return { write, recorded: await moves().requestEmailMove(write) };
  };
  const confirm = (patient: PatientRecord, tokenHash: string, now = new Date()) =>
    moves().confirmEmailMove({ tokenHash, patientId: patient.id, expectedEmail: patient.email, notice: notice(patient, 'email_moved', now), now });
  const startFamily = async (patientId: string) => {
    const family = { familyId: randomUUID(), patientId };
    await ctx.store().sessions.startFamily({ ...family, tokenHash: digest(), now: new Date(), idleTtlMs: 60 * MINUTE, absoluteTtlMs: 120 * MINUTE });
    return family;
  };
  const live = (family: { familyId: string; patientId: string }) => ctx.store().sessions.isLive(family, new Date());

  describe('email moves', () => {
    it('a request records the link and queues both mails; the record itself is untouched', async () => {
      const patient = await verified();
      const { write, recorded } = await request(patient);
      expect(recorded).toBe(true);
      expect(await moves().emailMoveLink(write.tokenHash, new Date())).toEqual({ state: 'usable', patientId: patient.id });
      expect(await ctx.store().readPatient(patient.id)).toEqual(patient);
      expect(await ctx.store().outbox.claim(write.link.id, new Date(), 60_000))
        .toMatchObject({ kind: 'email_move_email', to: write.newEmail, patientId: patient.id, confirmUrl: write.link.confirmUrl });
      expect(await ctx.store().outbox.claim(write.notice.id, new Date(), 60_000)).toMatchObject({ kind: 'account_notice_email', notice: 'email_move_requested', to: patient.email });
    });

    it('a closed or unverified patient records nothing', async () => {
      for (const patient of [await verified({ is_active: false }), (await ctx.create(ctx.patientFixture({ email_verified: false }))).patient]) {
        const { write, recorded } = await request(patient);
        expect(recorded).toBe(false);
        expect(await moves().emailMoveLink(write.tokenHash, new Date())).toEqual({ state: 'unknown' });
        expect(await ctx.store().outbox.claim(write.link.id, new Date(), 60_000)).toBeUndefined();
      }
    });

    it('the move: the new address reserved and signing in, the old one free, still verified, a new version, other sessions ended, the old address told', async () => {
      const patient = await verified();
      const [asking, other] = [await startFamily(patient.id), await startFamily(patient.id)];
      const { write } = await request(patient, { keepSessionId: asking.familyId });
      const now = new Date(Date.now() + 1000);
      const told = notice(patient, 'email_moved', now);
      expect(await moves().confirmEmailMove({ tokenHash: write.tokenHash, patientId: patient.id, expectedEmail: patient.email, notice: told, now }))
        .toEqual({ outcome: 'moved', email: write.newEmail });
      expect(await ctx.store().readPatient(patient.id)).toEqual({ ...patient, email: write.newEmail, email_verified: true, updated_at: now.toISOString() });
      expect(await repository().findCredentials(write.newEmail)).toMatchObject({ id: patient.id });
      expect(await repository().findCredentials(patient.email)).toBeUndefined();
      expect(await repository().findTakenIdentifiers(patient.email, patient.phone_number)).toEqual({ email: false, phone: true });
      expect(await repository().findTakenIdentifiers(write.newEmail, '+10000000000')).toEqual({ email: true, phone: false });
      expect([await live(asking), await live(other)]).toEqual([true, false]);
      expect(await ctx.store().outbox.claim(told.id, now, 60_000)).toMatchObject({ kind: 'account_notice_email', notice: 'email_moved', to: patient.email });
      // The old address is free for a registration.
      await expect(ctx.create(ctx.patientFixture({ email: patient.email }))).resolves.toBeDefined();
    });

    it('single use, newest only, 30 minutes', async () => {
      const patient = await verified();
      const { write: older } = await request(patient);
      const { write: newer } = await request(patient);
      expect(await confirm(patient, older.tokenHash)).toEqual({ outcome: 'superseded' });
      expect(await confirm(patient, newer.tokenHash, new Date(newer.expiresAt.getTime()))).toEqual({ outcome: 'expired' });
      expect(await moves().emailMoveLink(newer.tokenHash, newer.expiresAt)).toEqual({ state: 'expired' });
      expect(await confirm(patient, newer.tokenHash)).toMatchObject({ outcome: 'moved' });
      const moved = { ...patient, email: newer.newEmail };
      expect(await confirm(moved, newer.tokenHash)).toEqual({ outcome: 'used' });
      expect(await moves().emailMoveLink(newer.tokenHash, new Date())).toEqual({ state: 'used' });
      expect(await moves().emailMoveLink(digest(), new Date())).toEqual({ state: 'unknown' });
    });

    it('an address registered meanwhile: taken, nothing written, the link still usable', async () => {
      const patient = await verified();
      const { write } = await request(patient);
      await verified({ email: write.newEmail });
      expect(await confirm(patient, write.tokenHash)).toEqual({ outcome: 'taken' });
      expect(await ctx.store().readPatient(patient.id)).toEqual(patient);
      expect(await repository().findCredentials(patient.email)).toMatchObject({ id: patient.id });
      expect(await moves().emailMoveLink(write.tokenHash, new Date())).toEqual({ state: 'usable', patientId: patient.id });
    });

    it('an address held only by a lapsed registration is taken over', async () => {
      const patient = await verified();
      const squatted = ctx.uniqueEmail();
      await ctx.create(ctx.patientFixture({ email: squatted, email_verified: false, lapses_at: new Date(Date.now() - 1000).toISOString() }));
      const { write } = await request(patient, { newEmail: squatted });
      expect(await confirm(patient, write.tokenHash)).toMatchObject({ outcome: 'moved' });
      expect(await repository().findCredentials(squatted)).toMatchObject({ id: patient.id });
    });

    it('another patient\'s link does not move this one', async () => {
      const [patient, other] = [await verified(), await verified()];
      const { write } = await request(patient);
      expect(await moves().confirmEmailMove({ tokenHash: write.tokenHash, patientId: other.id, expectedEmail: other.email, notice: notice(other, 'email_moved'), now: new Date() }))
        .toEqual({ outcome: 'unknown' });
      expect(await ctx.store().readPatient(other.id)).toEqual(other);
    });

    it('concurrent uses of one link: exactly one moves', async () => {
      const patient = await verified();
      const { write } = await request(patient);
      const outcomes = await Promise.all([confirm(patient, write.tokenHash), confirm(patient, write.tokenHash), confirm(patient, write.tokenHash)]);
      expect(outcomes.filter((o) => o.outcome === 'moved')).toHaveLength(1);
    });

    // The email_move_requested notice says "Forgot password ends every session and the pending change".
    const endings: [string, (patient: PatientRecord) => Promise<unknown>][] = [
      ['a password reset', async (patient) => {
        const token = { tokenHash: digest(), patientId: patient.id, expiresAt: new Date(Date.now() + 30 * MINUTE), seed: randomUUID() };
        const mail = { kind: 'password_reset_email' as const, id: randomUUID(), patientId: patient.id, to: patient.email, resetUrl: 'https://app.clinic.test/password/reset?token=x', createdAt: new Date().toISOString() };
        expect(await repository().issueResetToken(token, mail)).toBe(true);
        expect(await repository().resetPassword({ tokenHash: token.tokenHash, passwordHash: NEW_HASH, notice: passwordChanged(patient), now: new Date() })).toMatchObject({ outcome: 'reset' });
      }],
      ['a password change', async (patient) => {
        expect(await repository().changePassword({ patientId: patient.id, expectedHash: patient.password_hash, passwordHash: NEW_HASH, notice: passwordChanged(patient), now: new Date() })).toBe(true);
      }],
      ['a close', async (patient) => {
        expect(await repository().closeAccount({ patientId: patient.id, expectedHash: patient.password_hash, notice: notice(patient, 'account_closed'), now: new Date() })).toBe(true);
      }],
    ];
    it.each(endings)('%s ends a pending move: the link reads superseded, a confirm moves nothing', async (_name, end) => {
      const patient = await verified();
      const { write } = await request(patient);
      await end(patient);
      expect(await moves().emailMoveLink(write.tokenHash, new Date())).toEqual({ state: 'superseded' });
      expect(await confirm(patient, write.tokenHash)).toEqual({ outcome: 'superseded' });
      expect((await ctx.store().readPatient(patient.id))!.email).toBe(patient.email);
      expect(await repository().findCredentials(patient.email)).toMatchObject({ id: patient.id });
      expect(await repository().findTakenIdentifiers(write.newEmail, '+10000000000')).toEqual({ email: false, phone: false });
    });

    it('a move asked for after a password change works', async () => {
      const patient = await verified();
      await request(patient);
      expect(await repository().changePassword({ patientId: patient.id, expectedHash: patient.password_hash, passwordHash: NEW_HASH, notice: passwordChanged(patient), now: new Date() })).toBe(true);
      const { write } = await request(patient);
      expect(await confirm(patient, write.tokenHash)).toEqual({ outcome: 'moved', email: write.newEmail });
    });

    it('an email move and a phone move of one patient at once: both land, as one after the other would', async () => {
      for (let round = 0; round < 3; round++) {
        const patient = await verified();
        const { write } = await request(patient);
        const now = new Date();
        const newPhone = ctx.uniquePhone();
        const digest = `v1.${randomBytes(32).toString('hex')}`;
        await ctx.store().phoneCodes.issueCode(
          { patientId: patient.id, codeId: randomUUID(), digest, expiresAt: new Date(now.getTime() + 10 * MINUTE), createdAt: now, newPhone },
          { kind: 'phone_code_sms', id: randomUUID(), patientId: patient.id, to: newPhone, text: '123456 is your code', createdAt: now.toISOString() },
        );
        const phoneMove = ctx.store().phoneCodes.attemptMoveCode(patient.id, [digest], now, 5, {
          notice: notice(patient, 'phone_moved', now), takenOverNotice: (holder) => ({ ...notice(patient, 'phone_number_taken_over', now), patientId: holder.id, to: holder.email }),
        });
        const [emailMoved, phoneMoved] = await Promise.all([confirm(patient, write.tokenHash), phoneMove]);
        expect([emailMoved, phoneMoved]).toEqual([{ outcome: 'moved', email: write.newEmail }, { outcome: 'verified' }]);
        expect(await ctx.store().readPatient(patient.id)).toMatchObject({ email: write.newEmail, phone_number: newPhone });
        expect(await repository().findTakenIdentifiers(write.newEmail, newPhone)).toEqual({ email: true, phone: true });
        expect(await repository().findTakenIdentifiers(patient.email, patient.phone_number)).toEqual({ email: false, phone: false });
      }
    });

    it('two patients moving to one address at once: exactly one gets it', async () => {
      const [first, second] = [await verified(), await verified()];
      const address = ctx.uniqueEmail();
      const [{ write: a }, { write: b }] = [await request(first, { newEmail: address }), await request(second, { newEmail: address })];
      const outcomes = await Promise.all([confirm(first, a.tokenHash), confirm(second, b.tokenHash)]);
      expect(outcomes.map((o) => o.outcome).sort()).toEqual(['moved', 'taken']);
      const holder = await repository().findCredentials(address);
      expect([first.id, second.id]).toContain(holder?.id);
    });
  });
}
