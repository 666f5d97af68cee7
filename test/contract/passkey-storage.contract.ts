import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PasskeyCredential } from '../../lib/passkey/ports.js';
import type { AccountNoticeMail, OutboxMail, PatientRecord, VerificationTokenRecord } from '../../lib/patient/ports.js';
import type { ContractStore } from './patient-repository.contract.js';

export interface PasskeyStorageContext {
  store: () => ContractStore;
  create: (patient?: PatientRecord) => Promise<{ patient: PatientRecord; token: VerificationTokenRecord; mail: OutboxMail }>;
}

const MINUTE = 60_000;
const START = new Date('2025-06-01T12:00:00.000Z');
const at = (offsetMs: number) => new Date(START.getTime() + offsetMs);
const newChallenge = () => randomBytes(32).toString('base64url');
const LIMIT = 10;

const notice = (patient: PatientRecord, kind: 'passkey_added' | 'passkey_removed'): AccountNoticeMail => ({
  kind: 'account_notice_email', id: randomUUID(), patientId: patient.id, to: patient.email, notice: kind, createdAt: START.toISOString(),
});

function credentialFor(patient: PatientRecord, overrides: Partial<PasskeyCredential> = {}): PasskeyCredential {
  return {
    id: randomBytes(16).toString('base64url'),
    patientId: patient.id,
    publicKey: randomBytes(77).toString('base64url'),
    counter: 0,
    transports: ['internal', 'hybrid'],
    aaguid: '00000000-0000-0000-0000-000000000000',
    name: 'Laptop',
    createdAt: START,
    ...overrides,
  };
}

/** Passkeys and their challenges (issue 21), on every store. */
export function describePasskeyStorageContract(ctx: PasskeyStorageContext): void {
  const passkeys = () => ctx.store().passkeys;
  const patient = async () => (await ctx.create()).patient;
  const enrolled = async (overrides: Partial<PasskeyCredential> = {}) => {
    const owner = await patient();
    const credential = credentialFor(owner, overrides);
    expect(await passkeys().add(credential, notice(owner, 'passkey_added'), LIMIT)).toBe('added');
    return { owner, credential };
  };

  describe('passkey challenges', () => {
    it('a saved challenge is answered once, with its purpose, patient and expiry; then it is gone', async () => {
      const owner = await patient();
      const challenge = newChallenge();
      await passkeys().saveChallenge({ challenge, purpose: 'enrol', patientId: owner.id, expiresAt: at(5 * MINUTE) });
      expect(await passkeys().takeChallenge(challenge)).toEqual({ challenge, purpose: 'enrol', patientId: owner.id, expiresAt: at(5 * MINUTE) });
      expect(await passkeys().takeChallenge(challenge)).toBeUndefined();
    });

    it('a sign-in challenge names no patient; an unknown one is undefined', async () => {
      const challenge = newChallenge();
      await passkeys().saveChallenge({ challenge, purpose: 'sign_in', expiresAt: at(5 * MINUTE) });
      expect(await passkeys().takeChallenge(challenge)).toEqual({ challenge, purpose: 'sign_in', expiresAt: at(5 * MINUTE) });
      expect(await passkeys().takeChallenge(newChallenge())).toBeUndefined();
    });

    it('of eight takers of one challenge at once, exactly one gets it', async () => {
      const challenge = newChallenge();
      await passkeys().saveChallenge({ challenge, purpose: 'sign_in', expiresAt: new Date(Date.now() + 5 * MINUTE) });
      const taken = await Promise.all(Array.from({ length: 8 }, () => passkeys().takeChallenge(challenge)));
      expect(taken.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('passkey credentials', () => {
    it('stores a credential with every field and queues its notice; finds it by id', async () => {
      const { owner, credential } = await enrolled({ counter: 7 });
      expect(await passkeys().find(credential.id)).toEqual(credential);
      expect(await passkeys().listFor(owner.id)).toEqual([credential]);
      expect(await passkeys().find(randomBytes(16).toString('base64url'))).toBeUndefined();
    });

    it('the add queues the notice in the same write', async () => {
      const owner = await patient();
      const mail = notice(owner, 'passkey_added');
      await passkeys().add(credentialFor(owner), mail, LIMIT);
      expect(await ctx.store().outbox.claim(mail.id, new Date(), 60_000)).toMatchObject({ kind: 'account_notice_email', notice: 'passkey_added', patientId: owner.id });
    });

    it('a credential id names one passkey: adding it again, for anyone, is refused and queues nothing', async () => {
      const { credential } = await enrolled();
      const other = await patient();
      const mail = notice(other, 'passkey_added');
      expect(await passkeys().add(credentialFor(other, { id: credential.id }), mail, LIMIT)).toBe('duplicate');
      expect(await passkeys().find(credential.id)).toMatchObject({ patientId: credential.patientId });
      expect(await passkeys().listFor(other.id)).toEqual([]);
      expect(await ctx.store().outbox.claim(mail.id, new Date(), 60_000)).toBeUndefined();
    });

    it('a credential id is case-sensitive (base64url): ids differing in case are two passkeys', async () => {
      const { owner, credential } = await enrolled({ id: `Ab${randomBytes(16).toString('base64url')}` });
      const twin = credentialFor(owner, { id: `aB${credential.id.slice(2)}` });
      expect(await passkeys().add(twin, notice(owner, 'passkey_added'), LIMIT)).toBe('added');
      expect((await passkeys().find(twin.id))?.id).toBe(twin.id);
    });

    it('lists the patient\'s own, oldest first, and no other patient\'s', async () => {
      const { owner, credential: first } = await enrolled();
      const second = credentialFor(owner, { createdAt: at(MINUTE), name: 'Phone' });
      await passkeys().add(second, notice(owner, 'passkey_added'), LIMIT);
      await enrolled();
      expect((await passkeys().listFor(owner.id)).map((c) => c.id)).toEqual([first.id, second.id]);
    });

    it('removes only the patient\'s own, with its notice; another patient\'s id is refused and stays', async () => {
      const { owner, credential } = await enrolled();
      const stranger = await patient();
      expect(await passkeys().remove(stranger.id, credential.id, notice(stranger, 'passkey_removed'))).toBe(false);
      expect(await passkeys().find(credential.id)).toBeDefined();
      const mail = notice(owner, 'passkey_removed');
      expect(await passkeys().remove(owner.id, credential.id, mail)).toBe(true);
      expect(await passkeys().find(credential.id)).toBeUndefined();
      expect(await passkeys().listFor(owner.id)).toEqual([]);
      expect(await ctx.store().outbox.claim(mail.id, new Date(), 60_000)).toMatchObject({ notice: 'passkey_removed' });
      expect(await passkeys().remove(owner.id, credential.id, notice(owner, 'passkey_removed'))).toBe(false);
      // Removed, its id is free again (the same authenticator may enrol it anew).
      expect(await passkeys().add(credential, notice(owner, 'passkey_added'), LIMIT)).toBe('added');
    });
  });

  describe('the cap on passkeys per patient', () => {
    it('holds the limit: the next is refused as full and queues nothing; a removal frees a place', async () => {
      const owner = await patient();
      const added = [];
      for (let i = 0; i < 3; i++) {
        const credential = credentialFor(owner, { createdAt: at(i * MINUTE) });
        expect(await passkeys().add(credential, notice(owner, 'passkey_added'), 3)).toBe('added');
        added.push(credential);
      }
      const mail = notice(owner, 'passkey_added');
      const extra = credentialFor(owner);
      expect(await passkeys().add(extra, mail, 3)).toBe('full');
      expect(await passkeys().find(extra.id)).toBeUndefined();
      expect(await ctx.store().outbox.claim(mail.id, new Date(), 60_000)).toBeUndefined();
      // Another patient's count is their own.
      expect(await passkeys().add(credentialFor(await patient()), notice(owner, 'passkey_added'), 3)).toBe('added');
      expect(await passkeys().remove(owner.id, added[0]!.id, notice(owner, 'passkey_removed'))).toBe(true);
      expect(await passkeys().add(extra, notice(owner, 'passkey_added'), 3)).toBe('added');
      expect(await passkeys().listFor(owner.id)).toHaveLength(3);
    });

    it('eight additions at once with two places left: exactly two are stored', async () => {
      const owner = await patient();
      for (let i = 0; i < 2; i++) await passkeys().add(credentialFor(owner), notice(owner, 'passkey_added'), 4);
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => passkeys().add(credentialFor(owner), notice(owner, 'passkey_added'), 4)));
      expect(outcomes.filter((o) => o === 'added')).toHaveLength(2);
      expect(outcomes.filter((o) => o === 'full')).toHaveLength(6);
      expect(await passkeys().listFor(owner.id)).toHaveLength(4);
    });
  });

  describe('the signature counter', () => {
    it('moves forward only, and records the use', async () => {
      const { credential } = await enrolled({ counter: 5 });
      expect(await passkeys().advanceCounter(credential, 5, at(MINUTE))).toBe('not_forward');
      expect(await passkeys().advanceCounter(credential, 4, at(MINUTE))).toBe('not_forward');
      expect(await passkeys().find(credential.id)).toMatchObject({ counter: 5 });
      expect(await passkeys().advanceCounter(credential, 6, at(2 * MINUTE))).toBe('advanced');
      expect(await passkeys().find(credential.id)).toMatchObject({ counter: 6, lastUsedAt: at(2 * MINUTE) });
      // Named with another patient, the credential is not found: its counter stays.
      expect(await passkeys().advanceCounter({ ...credential, patientId: (await patient()).id }, 7, at(3 * MINUTE))).toBe('unknown');
      expect(await passkeys().find(credential.id)).toMatchObject({ counter: 6 });
      expect(await passkeys().advanceCounter(credential, 2 ** 32 - 1, at(3 * MINUTE))).toBe('advanced');
      expect(await passkeys().advanceCounter({ ...credential, id: randomBytes(16).toString('base64url') }, 1, at(MINUTE))).toBe('unknown');
    });

    it('an authenticator that keeps no counter (0, and 0 again) passes; once it counted, 0 is refused', async () => {
      const { credential } = await enrolled();
      expect(await passkeys().advanceCounter(credential, 0, at(MINUTE))).toBe('advanced');
      expect(await passkeys().advanceCounter(credential, 0, at(2 * MINUTE))).toBe('advanced');
      expect(await passkeys().advanceCounter(credential, 1, at(3 * MINUTE))).toBe('advanced');
      expect(await passkeys().advanceCounter(credential, 0, at(4 * MINUTE))).toBe('not_forward');
    });

    it('of eight assertions with the same counter at once, exactly one advances it', async () => {
      const { credential } = await enrolled({ counter: 1 });
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => passkeys().advanceCounter(credential, 2, at(MINUTE))));
      expect(outcomes.filter((o) => o === 'advanced')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'not_forward')).toHaveLength(7);
    });
  });
}
