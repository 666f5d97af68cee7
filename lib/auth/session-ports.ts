/**
 * Storage ports for sign-in: refresh-token families and password attempts per throttled subject.
 *
 * Refresh tokens are 32 random bytes; only their SHA-256 digest (hex) reaches a store. A fast,
 * unkeyed digest is enough for values with 256 bits of entropy: nobody can guess a token from its
 * digest, so the slow password hashes are not needed here, and a lookup by digest stays one key read.
 */

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
}

export interface FamilyRef {
  patientId: string;
  familyId: string;
}

/**
 * What presenting a refresh token did, checked in this order:
 * - `unknown`: no such token (never issued, or removed long after its family ended);
 * - `reused`: the token was already rotated. The family is revoked in the same step, so its newest
 *   token stops working too (it may be in a thief's hands). Also the answer when the family had
 *   already ended: a rotated token presented again is always reported as reuse;
 * - `revoked`: the family's current token, but the family was revoked (logout, reuse, password reset);
 * - `expired`: the family's current token, but the family is past its idle or absolute end;
 * - `rotated`: the family's current token: it is now rotated and `newHash` is the current one.
 */
export type RotationResult =
  | ({ outcome: 'rotated'; expiresAt: Date } & FamilyRef)
  | ({ outcome: 'reused' } & FamilyRef)
  | { outcome: 'revoked' | 'expired' | 'unknown' };

/** Refresh-token families: single-use tokens, rotated on every use, revoked as a whole. */
export interface SessionStore {
  /**
   * Starts a family whose current token is `tokenHash`. Family ids and token hashes are new (random);
   * `patientId` names a registered patient (PostgreSQL enforces it with a foreign key).
   */
  startFamily(family: NewSessionFamily): Promise<void>;
  /**
   * Atomically swaps the presented token for `newHash` (see RotationResult). Concurrent rotations of
   * one token: exactly one gets `rotated`, every other one `reused`, and the family ends revoked.
   * That also ends a legitimate client's session when it sent the same refresh twice at once; the
   * store cannot tell that client from a thief racing it, so it takes the safe reading.
   */
  rotate(presentedHash: string, newHash: string, now: Date): Promise<RotationResult>;
  /** The family a token (current or rotated) belongs to, e.g. to check a logout's owner; undefined if unknown. */
  familyOf(tokenHash: string): Promise<FamilyRef | undefined>;
  /** Revokes one family; idempotent (the first revocation time stays); unknown families are ignored. */
  revokeFamily(familyId: string, now: Date): Promise<void>;
  /**
   * Revokes every family of the patient (password reset) or all but `exceptFamilyId` (password change).
   * A family started while this runs may survive it: callers change the password first, so no new
   * family starts with the old one.
   */
  revokeAllFor(patientId: string, now: Date, exceptFamilyId?: string): Promise<void>;
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
