import type { PhoneCodeAttempt, PhoneCodeRecord, PhoneMoveAttempt, PhoneVerificationStore } from '../../../lib/phone/ports.js';
import type { InMemoryOutbox } from './in-memory-outbox.js';
import type { InMemoryPatientRepository } from './in-memory-patient-repository.js';

/** Expiry has whole-second resolution in the real stores: expired from the start of expiresAt's second. */
const second = (d: Date) => Math.floor(d.getTime() / 1000);

export interface InMemoryPhoneCodes extends PhoneVerificationStore {
  /** The patient's current code as stored (digest and counters), for assertions. */
  codeOf(patientId: string): (PhoneCodeRecord & { failures: number }) | undefined;
}

/**
 * Phone codes in memory, by the PhoneVerificationStore contract: each method runs without an await
 * in between, so a try is atomic the way the real stores' conditional writes are.
 */
export function createInMemoryPhoneCodes(repository: InMemoryPatientRepository, outbox: InMemoryOutbox): InMemoryPhoneCodes {
  const codes = new Map<string, PhoneCodeRecord & { failures: number }>();
  return {
    codeOf: (patientId) => structuredClone(codes.get(patientId)),
    async issueCode(code, sms) {
      codes.set(code.patientId, { ...structuredClone(code), failures: 0 });
      outbox.add(sms);
    },
    async issueClaim(claim, sms) {
      repository.claims.set(claim.claimKey, { ...structuredClone(claim), failures: 0 });
      outbox.add(sms);
    },
    async attemptClaim(claimKey, digests, now, maxWrongTries) {
      const claim = repository.claims.get(claimKey);
      if (!claim) return { outcome: 'none' };
      if (second(claim.expiresAt) <= second(now)) return { outcome: 'expired' };
      if (claim.failures >= maxWrongTries) return { outcome: 'exhausted' };
      if (digests.includes(claim.digest)) return { outcome: 'valid', codeId: claim.codeId };
      claim.failures++;
      return { outcome: 'wrong', triesLeft: maxWrongTries - claim.failures };
    },
    async attemptCode(patientId, digests, now, maxWrongTries) {
      return attempt(patientId, digests, now, maxWrongTries);
    },
    async attemptMoveCode(patientId, digests, now, maxWrongTries, move) {
      return attempt(patientId, digests, now, maxWrongTries, move);
    },
  };

  /** One try, atomic (no await): a move code only with `move` (the move route), a verification code only without. */
  function attempt(patientId: string, digests: readonly string[], now: Date, maxWrongTries: number, move?: PhoneMoveAttempt): PhoneCodeAttempt {
    const code = codes.get(patientId);
    if (!code || (code.newPhone !== undefined) !== (move !== undefined)) return { outcome: 'none' };
    if (second(code.expiresAt) <= second(now)) return { outcome: 'expired' };
    if (code.failures >= maxWrongTries) return { outcome: 'exhausted' };
    if (digests.includes(code.digest)) {
      if (code.newPhone !== undefined && move) {
        const moved = repository.movePhone(patientId, code.newPhone, now);
        if (moved.outcome !== 'moved') return { outcome: moved.outcome === 'taken' ? 'taken' : 'none' };
        codes.delete(patientId);
        outbox.add(move.notice);
        if (!moved.takenFrom) return { outcome: 'verified' };
        outbox.add(move.takenOverNotice(moved.takenFrom));
        return { outcome: 'verified', takenFrom: moved.takenFrom.id };
      }
      codes.delete(patientId);
      return repository.markPhoneVerified(patientId, now) ? { outcome: 'verified' } : { outcome: 'none' };
    }
    code.failures++;
    return { outcome: 'wrong', triesLeft: maxWrongTries - code.failures };
  }
}
