/**
 * In-memory fakes of every port, for unit tests of the use cases: they keep the ports' contracts
 * (test/unit/in-memory-storage.contract.test.ts runs the storage contract against them), so a use
 * case test fails for the use case's faults, in milliseconds and without Java.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createLocalEs256KeySource } from '../../../lib/adapters/local/local-es256-key-source.js';
import { createAccessTokens } from '../../../lib/auth/access-tokens.js';
import { createAuditRecorder, type AuditRecorder } from '../../../lib/auth/audit-recorder.js';
import { createLoginAttempts, type LoginAttempts } from '../../../lib/auth/lockout-policy.js';
import type { AccessTokens } from '../../../lib/auth/ports.js';
import type { IdentifierDigests } from '../../../lib/identifiers/ports.js';
import type { DeliverMailDeps } from '../../../lib/outbox/deliver-mail.js';
import type { Clock } from '../../../lib/patient/ports.js';
import type { RegisterPatientDeps } from '../../../lib/patient/register-patient.js';
import type { Storage } from '../../../lib/storage.js';
import { createInMemoryAuditTrail, type InMemoryAuditTrail } from './in-memory-audit-trail.js';
import { createInMemoryContactMoves } from './in-memory-contact-moves.js';
import { fakeHash } from './recording-hasher.js';
import { createFixedClock, type FixedClock } from './fixed-clock.js';
import { createInMemoryIdempotencyStore } from './in-memory-idempotency-store.js';
import { createInMemoryOutbox, type InMemoryOutbox } from './in-memory-outbox.js';
import { createInMemoryPatientRepository, type InMemoryPatientRepository } from './in-memory-patient-repository.js';
import { createInMemoryPhoneCodes, type InMemoryPhoneCodes } from './in-memory-phone-codes.js';
import { createInMemoryPasskeys, type InMemoryPasskeys } from './in-memory-passkeys.js';
import { createRecordingSmsSender, type RecordingSmsSender } from './recording-sms-sender.js';
import { createSecondFactors } from '../../../lib/auth/second-factors.js';
import type { RelyingParty } from '../../../lib/passkey/webauthn.js';
import type { SecondFactors } from '../../../lib/auth/second-factor-ports.js';
import { createInMemoryRateLimiter } from './in-memory-rate-limiter.js';
import { createInMemoryMfaChallenges, createInMemoryTotpStore, type InMemoryMfaChallenges } from './in-memory-second-factors.js';
import { createInMemoryLoginFailureCounter, createInMemorySessionStore } from './in-memory-sessions.js';
import { createRecordingCipher, type RecordingCipher } from './recording-cipher.js';
import { createRecordingHasher, type RecordingHasher } from './recording-hasher.js';
import { createRecordingMailer, type RecordingMailer } from './recording-mailer.js';
import { identifierKeyRingJson, testIdentifierDigests } from '../identifier-keys.js';
import type { SmsBudgets } from '../../../lib/phone/sms-budget.js';

export interface InMemoryStorage extends Storage {
  repository: InMemoryPatientRepository;
  outbox: InMemoryOutbox;
  audit: InMemoryAuditTrail;
  phoneCodes: InMemoryPhoneCodes;
  mfaChallenges: InMemoryMfaChallenges;
  passkeys: InMemoryPasskeys;
}

/** `clock` is the stores' own clock (where registrations lapse by), real time unless a test fixes it. */
export function createInMemoryStorage(clock?: Clock): InMemoryStorage {
  const outbox = createInMemoryOutbox();
  // A session starts only for an active patient still at the password checked (read at the write).
  const sessions = createInMemorySessionStore((id) => repository.readPatient(id));
  // The password writes end sessions in the repository's "transaction", as the real stores do.
  const repository = createInMemoryPatientRepository(outbox, clock, sessions);
  return {
    repository,
    phoneCodes: createInMemoryPhoneCodes(repository, outbox),
    contactMoves: createInMemoryContactMoves(repository, outbox),
    passkeys: createInMemoryPasskeys(outbox),
    outbox,
    registrations: createInMemoryIdempotencyStore(),
    rateLimiter: createInMemoryRateLimiter(),
    sessions,
    loginFailures: createInMemoryLoginFailureCounter(),
    audit: createInMemoryAuditTrail(),
    totp: createInMemoryTotpStore(outbox),
    mfaChallenges: createInMemoryMfaChallenges(),
  };
}

export const VERIFY_URL_BASE = 'https://app.clinic.test/verify-email';
export const RESET_URL_BASE = 'https://app.clinic.test/password/reset';
export const EMAIL_MOVE_URL_BASE = 'https://app.clinic.test/me/email/confirm';
/** The default UNVERIFIED_LAPSE_DAYS. */
export const REGISTRATION_LAPSE_MS = 7 * 24 * 3600_000;

/** Everything the use cases take, faked, with the fakes typed for assertions. */
export interface FakeDeps extends RegisterPatientDeps, DeliverMailDeps {
  resetUrlBase: string;
  storage: InMemoryStorage;
  repository: InMemoryPatientRepository;
  outbox: InMemoryOutbox;
  cipher: RecordingCipher;
  hasher: RecordingHasher;
  mailer: RecordingMailer;
  clock: FixedClock;
  rateLimiter: Storage['rateLimiter'];
  /** Real HMAC digests under a fresh key ring: cheap, and nothing to fake. */
  identifiers: IdentifierDigests;
  sessions: Storage['sessions'];
  attempts: LoginAttempts;
  /** Real ES256 tokens under a fresh P-256 key: the signing is what the tests must be able to trust. */
  tokens: AccessTokens;
  auditor: AuditRecorder;
  audit: InMemoryAuditTrail;
  dummyHash: string;
  phoneCodes: InMemoryPhoneCodes;
  contactMoves: Storage['contactMoves'];
  /** Where move links point (GET /me/email/confirm). */
  emailMoveUrlBase: string;
  sms: RecordingSmsSender;
  /** The local defaults (lib/config.ts); a test lowers them to reach a budget. */
  smsBudgets: SmsBudgets;
  totp: Storage['totp'];
  mfaChallenges: InMemoryMfaChallenges;
  secondFactors: SecondFactors;
  passkeys: InMemoryPasskeys;
  /** The local runner's relying party; the passkey tests put their own origin in its place. */
  relyingParty: RelyingParty;
  serviceName: string;
}

export const TEST_TOKEN_ISSUER = 'https://patient-api.test/';
export const TEST_TOKEN_AUDIENCE = 'patient-api-test';

export function createTestAccessTokens(): AccessTokens {
  const signingKey = createLocalEs256KeySource(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  return createAccessTokens({ signingKey, issuer: TEST_TOKEN_ISSUER, audience: TEST_TOKEN_AUDIENCE });
}

export function createFakeDeps(): FakeDeps {
  const clock = createFixedClock();
  const storage = createInMemoryStorage(clock);
  const identifiers = testIdentifierDigests(identifierKeyRingJson());
  return {
    storage,
    repository: storage.repository,
    outbox: storage.outbox,
    rateLimiter: storage.rateLimiter,
    identifiers,
    cipher: createRecordingCipher(),
    hasher: createRecordingHasher(),
    mailer: createRecordingMailer(),
    clock,
    verifyUrlBase: VERIFY_URL_BASE,
    resetUrlBase: RESET_URL_BASE,
    sessions: storage.sessions,
    attempts: createLoginAttempts(storage.loginFailures),
    tokens: createTestAccessTokens(),
    auditor: createAuditRecorder(storage.audit, identifiers, clock),
    audit: storage.audit,
    // The fake hasher's format at its cost, of a value no test types.
    dummyHash: fakeHash(`dummy-${randomUUID()}`),
    registrationLapseMs: REGISTRATION_LAPSE_MS,
    phoneCodes: storage.phoneCodes,
    contactMoves: storage.contactMoves,
    emailMoveUrlBase: EMAIL_MOVE_URL_BASE,
    sms: createRecordingSmsSender(),
    smsBudgets: { daily: 1000, countryDaily: 200, countries: {} },
    totp: storage.totp,
    mfaChallenges: storage.mfaChallenges,
    secondFactors: createSecondFactors(storage),
    passkeys: storage.passkeys,
    relyingParty: { rpId: 'localhost', origin: 'http://localhost:3000', name: 'Clinic Portal' },
    serviceName: 'Clinic Portal',
  };
}

export { createInMemoryAuditTrail, createInMemoryLoginFailureCounter, createInMemorySessionStore };
export { createFixedClock, createInMemoryIdempotencyStore, createInMemoryOutbox, createInMemoryPatientRepository, createInMemoryRateLimiter };
export { createRecordingCipher, createRecordingHasher, createRecordingMailer };
export { createInMemoryPhoneCodes, createRecordingSmsSender, createInMemoryPasskeys };
export { fakeHash } from './recording-hasher.js';
export { FAKE_KEY_ID } from './recording-cipher.js';
