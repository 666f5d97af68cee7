import type { AccountNoticeMail, EncryptedFields } from '../patient/ports.js';

/**
 * A patient's authenticator app (TOTP, RFC 6238): the secret only envelope-encrypted (as the record's
 * medical data), pending until a first code confirmed it. `enrolmentId` names one secret, so a
 * confirmation can only turn on the secret whose code it checked, never a newer one begun meanwhile.
 */
export interface TotpFactor {
  enrolmentId: string;
  active: boolean;
  secret: EncryptedFields;
  /** The newest time step (unix seconds / 30) whose code was accepted: no code at or before it works again. */
  lastUsedStep?: number;
  /** Recovery codes not used yet (active factors only). */
  recoveryCodesLeft: number;
}

export interface TotpActivation {
  patientId: string;
  enrolmentId: string;
  /** The step of the code that confirmed it: the first one used. */
  step: number;
  /** Keyed digests of the 10 recovery codes (identifier keys, kind 'recovery-code'). */
  recoveryCodeDigests: string[];
  /** `account_notice_email` "second factor added", queued in the same step. */
  notice: AccountNoticeMail;
  now: Date;
}

/**
 * Authenticator apps and their recovery codes. Every rule that must hold under parallel requests is
 * decided by the store in a conditional write (DynamoDB condition, SQL row lock), never by a read
 * before it: a step is used once, a recovery code is spent once, a pending secret is confirmed once.
 */
export interface TotpStore {
  read(patientId: string): Promise<TotpFactor | undefined>;
  /**
   * Stores a new pending secret, replacing a pending one (an enrolment begun again); false, and
   * nothing written, while the patient has an active factor (it must be removed first).
   */
  begin(patientId: string, enrolmentId: string, secret: EncryptedFields, now: Date): Promise<boolean>;
  /**
   * Pending → active with its recovery codes and the notice, only if `enrolmentId` is still the
   * pending one; false otherwise (confirmed already, replaced, removed).
   */
  activate(activation: TotpActivation): Promise<boolean>;
  /**
   * Marks `step` used: true only if the factor `enrolmentId` is active and `step` is after its last
   * used step. A replay (the same code again, or an older one) gets false.
   */
  useStep(patientId: string, enrolmentId: string, step: number): Promise<boolean>;
  /**
   * Spends one recovery code of an active factor: true only for the call that removed it (any of
   * `digests` may match: a key rotation); a used or unknown code gets false.
   */
  useRecoveryCode(patientId: string, digests: string[]): Promise<boolean>;
  /** Removes the factor `enrolmentId` and its recovery codes, with the notice; false if it was not there. */
  remove(patientId: string, enrolmentId: string, notice: AccountNoticeMail): Promise<boolean>;
}

/**
 * The sign-in half that waits for a second factor: the password was right, a factor is enrolled.
 * Only the token's SHA-256 is stored (32 random bytes, so an unkeyed digest is enough, as for refresh
 * tokens). It lives MFA_TOKEN_TTL and is spent once, by the store's conditional write.
 */
export interface MfaChallenge {
  tokenHash: string;
  patientId: string;
  /** The lock the password was checked under (lockout-policy.ts): wrong codes count on it too. */
  subject: string;
  /** The trusted device the client presented, so a finished sign-in keeps its device id. */
  deviceId?: string;
  /** The summarised user agent, for the session the sign-in starts. */
  device?: string;
  /**
   * SHA-256 (hex) of the password hash the password matched: a password reset or change before the
   * second step makes the challenge worthless (the sign-in it began was with the old password).
   */
  passwordTag: string;
  expiresAt: Date;
}

export interface MfaChallengeStore {
  create(challenge: MfaChallenge): Promise<void>;
  /** The challenge if it is neither spent nor expired at `now`. */
  read(tokenHash: string, now: Date): Promise<MfaChallenge | undefined>;
  /** Spends it: true for exactly one caller, and only while it is unspent and unexpired at `now`. */
  spend(tokenHash: string, now: Date): Promise<boolean>;
}
