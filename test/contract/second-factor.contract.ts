import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { MfaChallenge } from '../../lib/auth/totp-ports.js';
import type { AccountNotice, AccountNoticeMail, EncryptedFields, PatientRecord } from '../../lib/patient/ports.js';
import type { Storage } from '../../lib/storage.js';

export interface SecondFactorContext {
  store: () => Pick<Storage, 'totp' | 'mfaChallenges' | 'outbox'>;
  create: () => Promise<{ patient: PatientRecord }>;
}

const MINUTE = 60_000;
const digest = () => `v1.${randomBytes(32).toString('hex')}`;
const secret = (): EncryptedFields => ({ keyId: 'arn:aws:kms:us-east-1:111122223333:key/contract', wrappedKey: randomBytes(32).toString('base64'), ciphertexts: { totp_secret: randomBytes(40).toString('base64') } });
const noticeFor = (patient: PatientRecord, notice: AccountNotice): AccountNoticeMail =>
  ({ kind: 'account_notice_email', id: randomUUID(), patientId: patient.id, to: patient.email, notice, createdAt: new Date().toISOString() });

/** Authenticator apps, recovery codes and the mfa_token of a sign-in (issue 21): the same rules on every store. */
export function describeSecondFactorContract(ctx: SecondFactorContext): void {
  const totp = () => ctx.store().totp;
  const challenges = () => ctx.store().mfaChallenges;
  const now = new Date();

  async function active(codes = Array.from({ length: 10 }, digest)) {
    const { patient } = await ctx.create();
    const enrolmentId = randomUUID();
    const stored = secret();
    expect(await totp().begin(patient.id, enrolmentId, stored, now)).toBe(true);
    const notice = noticeFor(patient, 'authenticator_app_added');
    expect(await totp().activate({ patientId: patient.id, enrolmentId, step: 1000, recoveryCodeDigests: codes, notice, now })).toBe(true);
    return { patient, enrolmentId, stored, codes, notice };
  }

  describe('authenticator apps (TOTP)', () => {
    it('a begun secret is pending, stored as given; begun again it is replaced', async () => {
      const { patient } = await ctx.create();
      expect(await totp().read(patient.id)).toBeUndefined();
      const first = secret();
      const [one, two] = [randomUUID(), randomUUID()];
      expect(await totp().begin(patient.id, one, first, now)).toBe(true);
      expect(await totp().read(patient.id)).toEqual({ enrolmentId: one, active: false, secret: first, recoveryCodesLeft: 0 });
      const second = secret();
      expect(await totp().begin(patient.id, two, second, now)).toBe(true);
      expect(await totp().read(patient.id)).toEqual({ enrolmentId: two, active: false, secret: second, recoveryCodesLeft: 0 });
      // The replaced secret can no longer be confirmed.
      expect(await totp().activate({ patientId: patient.id, enrolmentId: one, step: 5, recoveryCodeDigests: [digest()], notice: noticeFor(patient, 'authenticator_app_added'), now })).toBe(false);
    });

    it('activation turns it on once, with its recovery codes and the notice queued; an active app is not replaced by a new begin', async () => {
      const { patient, enrolmentId, stored, notice } = await active();
      expect(await totp().read(patient.id)).toEqual({ enrolmentId, active: true, secret: stored, lastUsedStep: 1000, recoveryCodesLeft: 10 });
      expect(await ctx.store().outbox.claim(notice.id, new Date(), 60_000)).toMatchObject({ kind: 'account_notice_email', notice: 'authenticator_app_added', patientId: patient.id });
      expect(await totp().activate({ patientId: patient.id, enrolmentId, step: 1001, recoveryCodeDigests: [digest()], notice: noticeFor(patient, 'authenticator_app_added'), now })).toBe(false);
      expect(await totp().begin(patient.id, randomUUID(), secret(), now)).toBe(false);
      expect(await totp().read(patient.id)).toMatchObject({ enrolmentId, active: true, recoveryCodesLeft: 10 });
    });

    it('of 8 parallel activations of one pending secret exactly one lands, and one notice is queued', async () => {
      const { patient } = await ctx.create();
      const enrolmentId = randomUUID();
      await totp().begin(patient.id, enrolmentId, secret(), now);
      const notices = Array.from({ length: 8 }, () => noticeFor(patient, 'authenticator_app_added'));
      const results = await Promise.all(notices.map((notice, i) => totp().activate({ patientId: patient.id, enrolmentId, step: 100 + i, recoveryCodeDigests: [digest(), digest()], notice, now })));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await totp().read(patient.id))!.recoveryCodesLeft).toBe(2);
      const queued = await Promise.all(notices.map((n) => ctx.store().outbox.claim(n.id, new Date(), 60_000)));
      expect(queued.filter(Boolean)).toHaveLength(1);
    });

    it('a step is used once and only after the last used one; of parallel uses of one step exactly one succeeds', async () => {
      const { patient, enrolmentId } = await active();
      expect(await totp().useStep(patient.id, enrolmentId, 1000)).toBe(false); // the confirming step
      expect(await totp().useStep(patient.id, enrolmentId, 999)).toBe(false);
      expect(await totp().useStep(patient.id, enrolmentId, 1001)).toBe(true);
      expect(await totp().useStep(patient.id, enrolmentId, 1001)).toBe(false);
      const parallel = await Promise.all(Array.from({ length: 8 }, () => totp().useStep(patient.id, enrolmentId, 1002)));
      expect(parallel.filter(Boolean)).toHaveLength(1);
      expect((await totp().read(patient.id))!.lastUsedStep).toBe(1002);
      expect(await totp().useStep(patient.id, randomUUID(), 1003)).toBe(false); // another enrolment's
    });

    it('a pending secret accepts no step and no recovery code', async () => {
      const { patient } = await ctx.create();
      const enrolmentId = randomUUID();
      await totp().begin(patient.id, enrolmentId, secret(), now);
      expect(await totp().useStep(patient.id, enrolmentId, 5)).toBe(false);
      expect(await totp().useRecoveryCode(patient.id, [digest()])).toBe(false);
    });

    it('a recovery code is spent once (any of the presented digests may match); of parallel uses exactly one succeeds', async () => {
      const { patient, codes } = await active();
      expect(await totp().useRecoveryCode(patient.id, [digest(), codes[0]!])).toBe(true);
      expect(await totp().useRecoveryCode(patient.id, [codes[0]!])).toBe(false);
      expect(await totp().useRecoveryCode(patient.id, [digest()])).toBe(false);
      const parallel = await Promise.all(Array.from({ length: 8 }, () => totp().useRecoveryCode(patient.id, [codes[1]!])));
      expect(parallel.filter(Boolean)).toHaveLength(1);
      expect((await totp().read(patient.id))!.recoveryCodesLeft).toBe(8);
      // Another patient's code is not this patient's.
      const other = await active();
      expect(await totp().useRecoveryCode(patient.id, [other.codes[0]!])).toBe(false);
    });

    it('removal takes the app and its recovery codes, queues the notice, and happens once', async () => {
      const { patient, enrolmentId, codes } = await active();
      const notice = noticeFor(patient, 'authenticator_app_removed');
      expect(await totp().remove(patient.id, randomUUID(), notice)).toBe(false);
      expect(await totp().remove(patient.id, enrolmentId, notice)).toBe(true);
      expect(await totp().read(patient.id)).toBeUndefined();
      expect(await totp().useRecoveryCode(patient.id, [codes[2]!])).toBe(false);
      expect(await ctx.store().outbox.claim(notice.id, new Date(), 60_000)).toMatchObject({ notice: 'authenticator_app_removed' });
      expect(await totp().remove(patient.id, enrolmentId, noticeFor(patient, 'authenticator_app_removed'))).toBe(false);
      // A new enrolment starts from nothing: no step used, no codes.
      const again = randomUUID();
      expect(await totp().begin(patient.id, again, secret(), now)).toBe(true);
      expect(await totp().read(patient.id)).toMatchObject({ enrolmentId: again, active: false, recoveryCodesLeft: 0 });
      expect((await totp().read(patient.id))!.lastUsedStep).toBeUndefined();
    });
  });

  describe('mfa challenges (the second step of a sign-in)', () => {
    async function created(overrides: Partial<MfaChallenge> = {}) {
      const { patient } = await ctx.create();
      const challenge: MfaChallenge = {
        tokenHash: createHash('sha256').update(randomBytes(32)).digest('hex'), patientId: patient.id, subject: `account:${patient.id}`,
        passwordTag: createHash('sha256').update(patient.password_hash).digest('hex'), expiresAt: new Date(now.getTime() + 5 * MINUTE), ...overrides,
      };
      await challenges().create(challenge);
      return challenge;
    }

    it('reads back as created (device and trusted device optional) until it expires, to the millisecond', async () => {
      const plain = await created();
      expect(await challenges().read(plain.tokenHash, now)).toEqual(plain);
      const withDevice = await created({ deviceId: randomBytes(16).toString('hex'), device: 'Firefox 130 on Linux' });
      expect(await challenges().read(withDevice.tokenHash, now)).toEqual(withDevice);
      expect(await challenges().read(plain.tokenHash, new Date(plain.expiresAt.getTime() - 1))).toBeDefined();
      expect(await challenges().read(plain.tokenHash, plain.expiresAt)).toBeUndefined();
      expect(await challenges().spend(plain.tokenHash, plain.expiresAt)).toBe(false);
      expect(await challenges().read(createHash('sha256').update('unknown').digest('hex'), now)).toBeUndefined();
    });

    it('is spent once: of 8 parallel spends exactly one succeeds, and it no longer reads', async () => {
      const challenge = await created();
      const results = await Promise.all(Array.from({ length: 8 }, () => challenges().spend(challenge.tokenHash, now)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await challenges().read(challenge.tokenHash, now)).toBeUndefined();
      expect(await challenges().spend(challenge.tokenHash, now)).toBe(false);
    });
  });
}
