import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type {
  LinkKind, OutboxMail, PasswordChangedMail, PasswordResetMail, PatientRecord, ResetTokenRecord, VerificationTokenRecord,
} from '../../lib/patient/ports.js';
import type { ContractStore } from './patient-repository.contract.js';

export interface LinkStateContext {
  store: () => ContractStore;
  create: (patient?: PatientRecord, token?: VerificationTokenRecord, mail?: OutboxMail) => Promise<{ patient: PatientRecord; token: VerificationTokenRecord; mail: OutboxMail }>;
  patientFixture: (overrides?: Partial<PatientRecord>) => PatientRecord;
  mailFor: (patient: PatientRecord, createdAt?: Date) => OutboxMail;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Issuing and resending judge lapse by the store's own clock: these fixtures live in real time. */
const fromNow = (ms: number) => new Date(Date.now() + ms);
const digest = () => randomBytes(32).toString('hex');

/**
 * linkState (issue 22 item 7): what a link's page says on opening, on every store. Each state as
 * consuming would find it, and reading it spends nothing: a usable link read (twice) still works.
 */
export function describeLinkStateContract(ctx: LinkStateContext): void {
  const repository = () => ctx.store().repository;
  const token = (patient: PatientRecord, expiresAt = fromNow(DAY)): ResetTokenRecord => ({ tokenHash: digest(), patientId: patient.id, expiresAt, seed: randomUUID() });
  const resetMail = (patient: PatientRecord): PasswordResetMail => ({
    kind: 'password_reset_email', id: randomUUID(), patientId: patient.id, to: patient.email,
    resetUrl: 'https://app.clinic.test/password/reset?token=x', createdAt: new Date().toISOString(),
  });
  const notice = (patient: PatientRecord): PasswordChangedMail => ({
    kind: 'password_changed_email', id: randomUUID(), patientId: patient.id, to: patient.email, firstName: patient.first_name, createdAt: new Date().toISOString(), sessionsEnded: 'all',
  });

  /** Each kind's way to hand out a link (optionally a second, newer one) and to use it. */
  const kinds: Record<LinkKind, {
    issue(patient: PatientRecord, expiresAt?: Date): Promise<string>;
    replace(patient: PatientRecord, older: string): Promise<string>;
    use(patient: PatientRecord, tokenHash: string, now?: Date): Promise<string>;
  }> = {
    verification: {
      async issue(patient, expiresAt) {
        const first = token(patient, expiresAt);
        await ctx.create(patient, first);
        return first.tokenHash;
      },
      async replace(patient, older) {
        const newer = token(patient);
        const contact = {
          id: patient.id, first_name: patient.first_name, email: patient.email, phone_number: patient.phone_number,
          registration_key: undefined, registration_fingerprint: undefined, email_verified: false, verification_token_hash: older,
        };
        expect(await repository().replaceVerificationToken(contact, newer, ctx.mailFor(patient, new Date()))).toBe(true);
        return newer.tokenHash;
      },
      use: async (_patient, tokenHash, now = new Date()) => (await repository().consumeVerificationToken(tokenHash, now)).outcome,
    },
    reset: {
      async issue(patient, expiresAt) {
        await ctx.create(patient);
        const first = token(patient, expiresAt);
        expect(await repository().issueResetToken(first, resetMail(patient))).toBe(true);
        return first.tokenHash;
      },
      async replace(patient) {
        const newer = token(patient);
        expect(await repository().issueResetToken(newer, resetMail(patient))).toBe(true);
        return newer.tokenHash;
      },
      use: async (patient, tokenHash, now = new Date()) =>
        (await repository().resetPassword({ tokenHash, passwordHash: '$2b$12$linkstatelinkstatelinkuJ6bHpu0WjKlVq1Ff0cPh8O3AxYzZ9Ae', notice: notice(patient), now })).outcome,
    },
  };

  describe.each(['verification', 'reset'] as const)('link state: a %s link', (kind) => {
    const { issue, replace, use } = kinds[kind];
    const state = (tokenHash: string, now = new Date()) => repository().linkState(kind, tokenHash, now);

    it('usable, and reading it (twice) spends nothing: the use afterwards still works', async () => {
      const patient = ctx.patientFixture({ lapses_at: fromNow(7 * DAY).toISOString() });
      const tokenHash = await issue(patient);
      const before = await ctx.store().readPatient(patient.id);
      expect(await state(tokenHash)).toBe('usable');
      expect(await state(tokenHash)).toBe('usable');
      expect(await ctx.store().readPatient(patient.id)).toEqual(before);
      expect(before).toMatchObject({ email_verified: false, lapses_at: patient.lapses_at });
      expect(await use(patient, tokenHash)).toBe(kind === 'verification' ? 'verified' : 'reset');
    });

    it('used once used, and still used after it would have expired', async () => {
      const patient = ctx.patientFixture();
      const tokenHash = await issue(patient);
      await use(patient, tokenHash);
      expect(await state(tokenHash)).toBe('used');
      expect(await state(tokenHash, fromNow(2 * DAY))).toBe('used');
    });

    it('superseded by a newer link, which is usable', async () => {
      const patient = ctx.patientFixture();
      const older = await issue(patient);
      const newer = await replace(patient, older);
      expect(await state(older)).toBe('superseded');
      expect(await state(newer)).toBe('usable');
      expect(await use(patient, older)).toBe('superseded');
    });

    // Whole-second expiry, as consuming judges it: expired from the start of expiresAt's second.
    it.each([
      ['one second before expiry', 'usable', -1000, 0],
      ['exactly at expiry', 'expired', 0, 0],
      ['earlier within the second of a sub-second expiry', 'expired', -400, 500],
    ] as const)('%s: %s, as a use would find it', async (_case, expected, offsetMs, expiryMs) => {
      const patient = ctx.patientFixture();
      const expiresAt = new Date(Math.floor(fromNow(DAY).getTime() / 1000) * 1000 + expiryMs);
      const tokenHash = await issue(patient, expiresAt);
      const now = new Date(expiresAt.getTime() + offsetMs);
      expect(await state(tokenHash, now)).toBe(expected);
      expect(await use(patient, tokenHash, now)).toBe(expected === 'usable' ? (kind === 'verification' ? 'verified' : 'reset') : 'expired');
    });

    it('unknown: a digest never stored, and a lapsed registration\'s link (judged by `now`)', async () => {
      expect(await state(digest())).toBe('unknown');
      const lapse = fromNow(7 * DAY);
      const patient = ctx.patientFixture({ lapses_at: lapse.toISOString() });
      const tokenHash = await issue(patient, fromNow(8 * DAY));
      expect(await state(tokenHash, new Date(lapse.getTime() - 1000))).toBe('usable');
      expect(await state(tokenHash, lapse)).toBe('unknown');
      expect(await use(patient, tokenHash, lapse)).toBe('unknown');
    });
  });
}
