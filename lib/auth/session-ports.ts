/**
 * Storage ports for sign-in: refresh-token families and password attempts per throttled subject.
 *
 * Refresh tokens are 32 random bytes; only their SHA-256 digest (hex) reaches a store. A fast,
 * unkeyed digest is enough for values with 256 bits of entropy: nobody can guess a token from its
 * digest, so the slow password hashes are not needed here, and a lookup by digest stays one key read.
 */
import type { SignInAssurance } from './assurance.js';

export interface NewSessionFamily {
  familyId: string;
  patientId: string;
  /** SHA-256 (hex) of the family's first refresh token. */
  tokenHash: string;
  now: Date;
  /** Sliding lifetime: each rotation extends the family to min(now + idleTtlMs, absolute end). */
  idleTtlMs: number;
  /** Fixed lifetime from the start: no rotation extends the family past now + absoluteTtlMs. */
  absoluteTtlMs: number;
  /**
   * What signed in, as the patient's session list shows it ("Chrome 120 on macOS", at most
   * DEVICE_SUMMARY_MAX_LENGTH characters): a summary parsed from the user agent, never the header itself.
   */
  device?: string;
  /**
   * How the family was signed in (amr, auth_time, acr), kept for its whole life: every refresh issues
   * tokens with these, since a refresh is not a sign-in (issue 21).
   */
  assurance?: SignInAssurance;
  /**
   * The password the caller just checked: the password hash it compared against (issue 19 item 3).
   * The family is written only while it is still the patient's current `password_hash`, decided by
   * the store in the write, so a sign-in that overlaps a reset or change (bcrypt runs for a while)
   * cannot leave a session the password write did not see. Absent for a passkey sign-in: the passkey
   * is the credential, and a reset does not end passkeys.
   */
  credential?: { passwordHash: string };
}

/**
 * What startFamily did: `started`, or `refused` (nothing written) because the patient is gone or
 * closed (`is_active` false), or, when a credential was given, its password hash is no longer the
 * current one. A refusal is an answer, not an error: the use case answers as for a wrong credential.
 */
export type FamilyStart = 'started' | 'refused';

/** The longest device summary a store keeps (the SQL columns are this wide). */
export const DEVICE_SUMMARY_MAX_LENGTH = 100;

/** A live family as its patient's session list shows it. */
export interface LiveSession {
  familyId: string;
  createdAt: Date;
  /** The sign-in, or the newest rotation (refresh) since. */
  lastUsedAt: Date;
  device?: string;
}

export interface FamilyRef {
  patientId: string;
  familyId: string;
}

/**
 * What presenting a refresh token did, checked in this order:
 * - `unknown`: no such token (never issued, or removed long after its family ended);
 * - `rotated`: the family's current token: it is now rotated and `newHash` is the current one. Also
 *   the answer (`repeated: true`, nothing written) when the token was rotated less than the reuse
 *   interval ago into this very `newHash` and that successor is still current: a retry of a refresh
 *   whose answer was lost, or two tabs refreshing at once (successors are derived from their parent,
 *   so a retry offers the same one);
 * - `reused`: the token was already rotated (and is no repeat as above). The family is revoked in the
 *   same step, so its newest token stops working too (it may be in a thief's hands). Also the answer
 *   when the family had already ended: a rotated token presented again is always reported as reuse;
 * - `revoked`: the family's current token, but the family was revoked (logout, reuse, password reset);
 * - `expired`: the family's current token, but the family is past its idle or absolute end.
 */
export type RotationResult =
  /** `assurance`: as the family was started with; absent for a family started before issue 21. */
  | ({ outcome: 'rotated'; expiresAt: Date; repeated?: true; assurance?: SignInAssurance } & FamilyRef)
  | ({ outcome: 'reused' } & FamilyRef)
  | { outcome: 'revoked' | 'expired' | 'unknown' };

/**
 * Refresh-token families: single-use tokens, rotated on every use, revoked as a whole. Ending every
 * family of a patient is part of the password writes (PatientRepository.resetPassword and
 * changePassword) and of closing the account, in their transaction; and a family is started only
 * while the patient is active and still holds the password the sign-in checked (startFamily), so
 * no password change or close can leave a session alive, not even one whose sign-in was in flight.
 */
export interface SessionStore {
  /**
   * Starts a family whose current token is `tokenHash`. Family ids and token hashes are new (random);
   * `patientId` names a registered patient (PostgreSQL enforces it with a foreign key). The patient's
   * index of families keeps only live ones: ended ones are pruned here.
   *
   * Conditional on the patient, in the same atomic write (FamilyStart): the patient must exist and be
   * active, and with `credential` its `password_hash` must equal `credential.passwordHash`. The SQL
   * stores read the patient row FOR SHARE in the inserting transaction (so a reset holding the row
   * waits it out, or is waited for, and its revocation sees this family); DynamoDB adds a
   * ConditionCheck on the patient item to the family's transaction, and moves the version of the
   * patient's index of families, on which every write that ends them all is conditioned: a family
   * committed between such a write's read and its commit refuses that write, which reads again.
   */
  startFamily(family: NewSessionFamily): Promise<FamilyStart>;
  /**
   * Atomically swaps the presented token for `newHash` (see RotationResult); a rotation that writes
   * also records `now` as the family's last use. Concurrent rotations of
   * one token into one `newHash` within `reuseIntervalMs`: all get `rotated`, and one writes. A
   * different `newHash`, or the interval passed: exactly one rotates, the others are `reused` and the
   * family ends revoked.
   */
  rotate(presentedHash: string, newHash: string, now: Date, reuseIntervalMs: number): Promise<RotationResult>;
  /** The family a token (current or rotated) belongs to, e.g. to check a logout's owner; undefined if unknown. */
  familyOf(tokenHash: string): Promise<FamilyRef | undefined>;
  /**
   * Whether the family is the patient's and neither revoked nor past its end at `now`: what every
   * Bearer request asks of its access token's `sid`. One strongly consistent point read, so a
   * revocation that has returned is seen by the next request.
   */
  isLive(family: FamilyRef, now: Date): Promise<boolean>;
  /** Revokes one family; idempotent (the first revocation time stays); unknown families are ignored. */
  revokeFamily(family: FamilyRef, now: Date): Promise<void>;
  /**
   * The patient's families that are live at `now` (neither revoked nor past their end), in no
   * particular order. Read through the patient's own index or rows: never a scan of every family.
   */
  listLive(patientId: string, now: Date): Promise<LiveSession[]>;
  /**
   * Ends the family only if it is the patient's and live at `now`, decided by the store in the
   * write itself (not by a read before it): true if this call ended it, false for another
   * patient's, an unknown, an ended or an expired family (nothing written then).
   */
  endOwn(family: FamilyRef, now: Date): Promise<boolean>;
  /** Revokes every family of the patient but `keepFamilyId` (a sign-out everywhere else). */
  endOthers(patientId: string, keepFamilyId: string, now: Date): Promise<void>;
}

/** What a throttled subject (an account, a device, a mailed link, a session) has counted so far. */
export interface AttemptState {
  /** Attempts counted since the last success, never more than the schedule's maxCounted. */
  failures: number;
  /** Until when further attempts are refused; undefined when nothing was counted. */
  lockedUntil?: Date;
}

/**
 * How long a count locks its subject (lib/auth/lockout-policy.ts holds the schedules). The store only
 * applies it: lockSeconds(maxCounted) must be above 0, so that a reservation at the cap still changes
 * what the next one sees.
 */
export interface LockSchedule {
  maxCounted: number;
  lockSeconds(failures: number): number;
}

export type Reservation = { reserved: true; failures: number } | { reserved: false; lockedUntil: Date };

/**
 * Password attempts per subject, reserved before the password is compared: the store decides, in one
 * atomic step, whether the subject is locked at `now` and, if not, counts the attempt as a failure and
 * locks the subject until now + schedule.lockSeconds(the new count). N concurrent reservations get
 * the answers N sequential ones would. A success clears the count (reset); a wrong password needs no
 * second write, it was counted already. Subjects are opaque strings (lockout-policy.ts names them).
 */
export interface LoginFailureCounter {
  read(subject: string): Promise<AttemptState>;
  reserve(subject: string, now: Date, schedule: LockSchedule): Promise<Reservation>;
  /**
   * A reserved attempt turned out wrong: its lock runs until `until` (from the answer, not from the
   * reservation: bcrypt took a while). Only ever moves a lock's end later, and does nothing once the
   * count was reset (a success meanwhile clears it for good).
   */
  extendLock(subject: string, until: Date): Promise<void>;
  /** A success: the count starts again from 0 and any lock ends. */
  reset(subject: string): Promise<void>;
}
