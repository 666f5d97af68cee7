import type { AuditTrail } from './audit/ports.js';
import type { LoginFailureCounter, SessionStore } from './auth/session-ports.js';
import type { MfaChallengeStore, TotpStore } from './auth/totp-ports.js';
import type { IdempotencyStore } from './idempotency/ports.js';
import type { OutboxStore } from './outbox/ports.js';
import type { PasskeyStore } from './passkey/ports.js';
import type { PatientRepository } from './patient/ports.js';
import type { PhoneVerificationStore } from './phone/ports.js';
import type { RateLimiter } from './rate-limit/ports.js';
import type { ContactMoveStore } from './record/ports.js';

/** Everything that persists: one implementation per database, all behind ports. */
export interface Storage {
  repository: PatientRepository;
  outbox: OutboxStore;
  registrations: IdempotencyStore;
  rateLimiter: RateLimiter;
  sessions: SessionStore;
  loginFailures: LoginFailureCounter;
  audit: AuditTrail;
  phoneCodes: PhoneVerificationStore;
  contactMoves: ContactMoveStore;
  /** Authenticator apps and recovery codes (issue 21). */
  totp: TotpStore;
  /** The second step of a sign-in with a second factor. */
  mfaChallenges: MfaChallengeStore;
  /** Passkeys (WebAuthn credentials) and their single-use challenges. */
  passkeys: PasskeyStore;
}
