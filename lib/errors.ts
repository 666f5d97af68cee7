/**
 * Every failure the service knows about. `expose` says whether `message` may reach the client;
 * lib/http/error-mapper.ts is the one place that turns these into the response envelope.
 */
export type FieldErrors = Record<string, string[]>;

export abstract class AppError extends Error {
  abstract readonly statusCode: number;
  readonly expose: boolean = true;
}

export class ValidationError extends AppError {
  override readonly name = 'ValidationError';
  readonly statusCode = 422;
  constructor(readonly errors: FieldErrors) {
    super('Validation failed');
  }
}

export const EMAIL_TAKEN = 'Email is already registered';
export const PHONE_TAKEN = 'Phone number is already registered';

/** A registration that clashes with an existing email and/or phone: 422 in the spec's envelope. */
export class DuplicateRegistrationError extends ValidationError {
  constructor(readonly clashes: { email: boolean; phone: boolean }) {
    const errors: FieldErrors = {};
    if (clashes.email) errors.email = [EMAIL_TAKEN];
    if (clashes.phone) errors.phone_number = [PHONE_TAKEN];
    super(errors);
  }
}

export class BadRequestError extends AppError {
  override readonly name = 'BadRequestError';
  readonly statusCode = 400;
}

export class UnsupportedMediaTypeError extends AppError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly statusCode = 415;
  constructor(message = 'Content-Type must be application/json') {
    super(message);
  }
}

export class PayloadTooLargeError extends AppError {
  override readonly name = 'PayloadTooLargeError';
  readonly statusCode = 413;
  constructor(limitBytes: number) {
    super(`Request body must not exceed ${limitBytes / 1024} KiB`);
  }
}

export class NotFoundError extends AppError {
  override readonly name = 'NotFoundError';
  readonly statusCode = 404;
  constructor() {
    super('Not found');
  }
}

/**
 * No live session of the caller's has that id: 404 alike for an unknown, an ended and another
 * patient's session, so the answer tells nobody which session ids exist.
 */
export class UnknownSessionError extends AppError {
  override readonly name = 'UnknownSessionError';
  readonly statusCode = 404;
  constructor() {
    super('No such session');
  }
}

export class MethodNotAllowedError extends AppError {
  override readonly name = 'MethodNotAllowedError';
  readonly statusCode = 405;
  constructor(readonly allow: string[]) {
    super('Method not allowed');
  }
}

/** The verification token is unknown or malformed. */
export class InvalidTokenError extends AppError {
  override readonly name = 'InvalidTokenError';
  readonly statusCode = 400;
  constructor() {
    super('This verification link is invalid. Request a new verification email.');
  }
}

/**
 * The access token is missing its signature, expired, for another audience or otherwise not one we
 * issued. One message for every cause: telling them apart would help only someone forging tokens.
 */
export class InvalidAccessTokenError extends AppError {
  override readonly name = 'InvalidAccessTokenError';
  readonly statusCode = 401;
  /** jose's error code (e.g. ERR_JWT_EXPIRED), for logs; it never contains the token or its claims. */
  constructor(readonly reason: string) {
    super('Invalid or expired access token');
  }
}

const GONE_MESSAGES = {
  expired: 'This verification link has expired. Request a new verification email.',
  // A used token always verified its email (both happen in one transaction): say so, it is what the person wants to know.
  used: 'This verification link has already been used. Your email address is verified.',
  superseded: 'This verification link was replaced by a newer one. Use the link in the most recent email.',
  // Issue 19 item 2: a link's own password tries (LINK_PASSWORD_TRIES), instead of the account's lock.
  spent: 'This verification link was used with a wrong password too many times. Request a new verification email.',
} as const;

/** The verification token existed but can no longer be used. */
export class GoneTokenError extends AppError {
  override readonly name = 'GoneTokenError';
  readonly statusCode = 410;
  constructor(readonly reason: keyof typeof GONE_MESSAGES) {
    super(GONE_MESSAGES[reason]);
  }
}

/** A dependency (DynamoDB, KMS) failed in a way that retrying later may fix. */
export class ServiceUnavailableError extends AppError {
  override readonly name: string = 'ServiceUnavailableError';
  readonly statusCode = 503;
  readonly retryAfterSeconds: number = 5;
  constructor(readonly dependency: string) {
    super('The service is temporarily unavailable. Please retry shortly.');
  }
}

/**
 * The process's password-hashing pool is full (the local server; a Lambda instance hashes one request at
 * a time): refused before any work, so nothing was written. A hash takes well under a second: retry soon.
 */
export class HashingBusyError extends ServiceUnavailableError {
  override readonly name = 'HashingBusyError';
  override readonly retryAfterSeconds = 1;
  constructor() {
    super('bcrypt pool');
  }
}

/** Too many requests for one key (e.g. verification mails for one address). */
export class TooManyRequestsError extends AppError {
  override readonly name: string = 'TooManyRequestsError';
  readonly statusCode = 429;
  constructor(readonly retryAfterSeconds: number, message = 'Too many requests. Please try again later.') {
    super(message);
  }
}

/** Consecutive failed sign-ins locked the account for a moment (lib/auth/lockout-policy.ts). */
export class SignInLockedError extends TooManyRequestsError {
  override readonly name = 'SignInLockedError';
  constructor(retryAfterSeconds: number) {
    super(retryAfterSeconds, 'Too many failed sign-in attempts. Please try again later.');
  }
}

/** Unknown email and wrong password are one answer: telling them apart would list our patients. */
export class InvalidCredentialsError extends AppError {
  override readonly name = 'InvalidCredentialsError';
  readonly statusCode = 401;
  constructor() {
    super('Invalid email or password');
  }
}

/** The password given with a verification link is not the account's (the link alone proves only the mailbox). */
export class WrongPasswordError extends AppError {
  override readonly name = 'WrongPasswordError';
  readonly statusCode = 401;
  constructor() {
    super('The password is not correct. Enter the password you registered with.');
  }
}

/** Every deactivated account is one its patient closed (POST /me/close); proving the mailbox reopens it. */
const INACTIVE_MESSAGE = 'This account is closed. To reopen it, use Forgot password: the link mailed to the account email address sets a new password and reopens it.';

/** The right password for an account that may not sign in (yet). The caller knows the password: this reveals nothing new. */
export class SignInRefusedError extends AppError {
  override readonly name = 'SignInRefusedError';
  readonly statusCode = 403;
  constructor(readonly reason: 'unverified' | 'inactive') {
    super(reason === 'unverified' ? 'Email address is not verified' : INACTIVE_MESSAGE);
  }
}

/** The refresh token is unknown, rotated, revoked or past its lifetime: the client must sign in again. */
export class InvalidRefreshTokenError extends AppError {
  override readonly name = 'InvalidRefreshTokenError';
  readonly statusCode = 401;
  constructor() {
    super('Invalid or expired refresh token');
  }
}

/** The Idempotency-Key header is malformed. */
export class InvalidIdempotencyKeyError extends AppError {
  override readonly name = 'InvalidIdempotencyKeyError';
  readonly statusCode = 400;
  constructor() {
    super('Idempotency-Key must be 1 to 128 characters: letters, digits, "-", "_", ".", ":"');
  }
}

/** The Idempotency-Key was already used with a different request body. */
export class IdempotencyKeyReusedError extends AppError {
  override readonly name = 'IdempotencyKeyReusedError';
  readonly statusCode = 422;
  constructor() {
    super('This Idempotency-Key was already used with a different request');
  }
}

/** A request with the same Idempotency-Key is still being processed. */
export class IdempotencyInProgressError extends AppError {
  override readonly name = 'IdempotencyInProgressError';
  readonly statusCode = 409;
  readonly retryAfterSeconds = 2;
  constructor() {
    super('A request with this Idempotency-Key is still in progress');
  }
}

/** A wrong phone verification code: 422, with how many tries the code has left. */
export class WrongPhoneCodeError extends ValidationError {
  constructor(readonly triesLeft: number) {
    super({
      code: [triesLeft > 0
        ? `The code is not correct. ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left.`
        : 'The code is not correct. No tries left: request a new code.'],
    });
  }
}

const CLAIM_CODE_MESSAGES = {
  expired: 'This code has expired. Request a new code.',
  exhausted: 'Too many wrong tries for this code. Request a new code.',
  none: 'There is no code to check for this phone number. Request a new code.',
} as const;

/**
 * A registration's phone claim code (issue 19 item 4) that does not prove the number: wrong (with
 * the tries left), expired, tried too often, or none (never sent, spent, or replaced). 422 on the
 * field, in the spec's envelope; nothing is written but the counted try.
 */
export class PhoneClaimCodeError extends ValidationError {
  constructor(readonly reason: 'wrong' | keyof typeof CLAIM_CODE_MESSAGES, triesLeft = 0) {
    super({
      phone_claim_code: [reason === 'wrong'
        ? `The code is not correct. ${triesLeft > 0 ? `${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left.` : 'No tries left: request a new code.'}`
        : CLAIM_CODE_MESSAGES[reason]],
    });
  }
}

const GONE_CODE_MESSAGES = {
  expired: 'This code has expired. Request a new code.',
  exhausted: 'Too many wrong tries for this code. Request a new code.',
  none: 'There is no code to check. Request a new code.',
} as const;

/** No phone code can be checked any more: expired, tried too often, or none issued (or used, or replaced). */
export class GonePhoneCodeError extends AppError {
  override readonly name = 'GonePhoneCodeError';
  readonly statusCode = 410;
  constructor(readonly reason: 'expired' | 'exhausted' | 'none') {
    super(GONE_CODE_MESSAGES[reason]);
  }
}

/**
 * A text budget (lib/phone/sms-budget.ts) is spent for the day: nothing is sent. Which one is said in
 * the message (the service's or the destination country's), never the number.
 */
export class SmsBudgetExhaustedError extends TooManyRequestsError {
  override readonly name = 'SmsBudgetExhaustedError';
  constructor(readonly budget: 'service' | 'country', retryAfterSeconds: number) {
    super(retryAfterSeconds, budget === 'country'
      ? 'We cannot send more text messages to this country today. Please try again later.'
      : 'We cannot send more text messages today. Please try again later.');
  }
}

/** The number was taken over by its proven owner (issue 19 item 4): nothing to send a code to. */
export class PhoneNumberReleasedError extends AppError {
  override readonly name = 'PhoneNumberReleasedError';
  readonly statusCode = 409;
  constructor() {
    super('This account has no phone number to verify: add a new number in your account');
  }
}

/** The phone number is verified already: no code is sent (an SMS costs money and bothers the patient). */
export class PhoneAlreadyVerifiedError extends AppError {
  override readonly name = 'PhoneAlreadyVerifiedError';
  readonly statusCode = 409;
  constructor() {
    super('The phone number is already verified');
  }
}

/** The reset token is unknown (never issued, or its registration lapsed). */
export class InvalidResetTokenError extends AppError {
  override readonly name = 'InvalidResetTokenError';
  readonly statusCode = 400;
  constructor() {
    super('This password reset link is invalid. Request a new password reset email.');
  }
}

const GONE_RESET_MESSAGES = {
  expired: 'This password reset link has expired. Request a new password reset email.',
  used: 'This password reset link has already been used. Sign in with your new password, or request a new link.',
  superseded: 'This password reset link was replaced by a newer one. Use the link in the most recent email.',
} as const;

/** The reset token existed but can no longer be used. */
export class GoneResetTokenError extends AppError {
  override readonly name = 'GoneResetTokenError';
  readonly statusCode = 410;
  constructor(readonly reason: 'expired' | 'used' | 'superseded') {
    super(GONE_RESET_MESSAGES[reason]);
  }
}

/** A password change whose current password is wrong (it counts toward the account's lock). */
export class WrongCurrentPasswordError extends AppError {
  override readonly name = 'WrongCurrentPasswordError';
  readonly statusCode = 401;
  constructor() {
    super('The current password is not correct.');
  }
}

/** A write to the record without `If-Match` (RFC 6585 §3): the client must say which version it corrects. */
export class PreconditionRequiredError extends AppError {
  override readonly name = 'PreconditionRequiredError';
  readonly statusCode = 428;
  constructor() {
    super('If-Match is required: send the ETag of the record you read (GET /api/v1/patient/me)');
  }
}

/** The record changed since the client read it (RFC 9110 §13.1.1): nothing was written; `etag` is the current version. */
export class PreconditionFailedError extends AppError {
  override readonly name = 'PreconditionFailedError';
  readonly statusCode = 412;
  constructor(readonly etag: string) {
    super('The record has changed since you read it: read it again and re-apply your change');
  }
}

/** An email-move link that is unknown (never issued, mangled, or another account's). */
export class InvalidEmailMoveLinkError extends AppError {
  override readonly name = 'InvalidEmailMoveLinkError';
  readonly statusCode = 400;
  constructor() {
    super('This email change link is invalid. Sign in and ask for the change again.');
  }
}

const GONE_EMAIL_MOVE_MESSAGES = {
  expired: 'This email change link has expired. Sign in and ask for the change again.',
  used: 'This email change link has already been used. Sign in with your new email address.',
  // Also a move ended by a password reset, change or close: said without telling which.
  superseded: 'This email change link was replaced by a newer one or cancelled. Use the link in the most recent email, or sign in and ask for the change again.',
  spent: 'This email change link was used with a wrong password too many times. Sign in and ask for the change again.',
} as const;

/** The email-move link existed but can no longer be used. */
export class GoneEmailMoveLinkError extends AppError {
  override readonly name = 'GoneEmailMoveLinkError';
  readonly statusCode = 410;
  constructor(readonly reason: keyof typeof GONE_EMAIL_MOVE_MESSAGES) {
    super(GONE_EMAIL_MOVE_MESSAGES[reason]);
  }
}

/** A move to the address or number the patient already has: nothing to move. */
export class SameContactError extends ValidationError {
  constructor(field: 'email' | 'phone_number') {
    super({ [field]: [field === 'email' ? 'This is already your email address' : 'This is already your phone number'] });
  }
}

const PASSKEY_ENROL_MESSAGES = {
  challenge: 'This passkey request has expired or was already used. Start adding the passkey again.',
  invalid: 'The passkey could not be verified. Start adding the passkey again.',
  duplicate: 'This passkey is already registered.',
} as const;

/** A passkey's registration answer that cannot be stored: a spent or stale challenge, a bad attestation, a known credential. */
export class PasskeyEnrolmentError extends AppError {
  override readonly name = 'PasskeyEnrolmentError';
  readonly statusCode = 400;
  constructor(readonly reason: keyof typeof PASSKEY_ENROL_MESSAGES) {
    super(PASSKEY_ENROL_MESSAGES[reason]);
  }
}

/** A passkey beyond the most one account holds (MAX_PASSKEYS, lib/passkey/limits.ts). */
export class PasskeyLimitError extends AppError {
  override readonly name = 'PasskeyLimitError';
  readonly statusCode = 409;
  constructor(readonly limit: number) {
    super(`This account has ${limit} passkeys, the most it can hold. Remove one before adding another.`);
  }
}

/**
 * A passkey sign-in that failed, for whatever reason (unknown credential, spent challenge, bad
 * signature, counter gone backwards): one answer, as for a wrong password. The reason is audited.
 */
export class PasskeySignInError extends AppError {
  override readonly name = 'PasskeySignInError';
  readonly statusCode = 401;
  constructor(readonly reason: string) {
    super('The passkey was not accepted. Try again, or sign in with your password.');
  }
}

/** No passkey of the caller's has that id: 404 alike for an unknown and another patient's. */
export class UnknownPasskeyError extends AppError {
  override readonly name = 'UnknownPasskeyError';
  readonly statusCode = 404;
  constructor() {
    super('No such passkey');
  }
}

/**
 * RFC 9470: the token is valid but its sign-in is too old (`maxAgeSeconds`) or not strong enough
 * (`acrValues`) for what was asked. The client signs in again (with its second factor) and retries.
 */
export class StepUpRequiredError extends AppError {
  override readonly name = 'StepUpRequiredError';
  readonly statusCode = 401;
  constructor(readonly need: { maxAgeSeconds?: number; acrValues?: string }) {
    super(need.acrValues
      ? `Sign in again with your second factor${need.maxAgeSeconds ? ` (within the last ${need.maxAgeSeconds / 60} minutes)` : ''} to do this`
      : `Sign in again (within the last ${need.maxAgeSeconds! / 60} minutes) to do this`);
  }
}

/** The authenticator app is not in the state the request needs (already set up, or nothing to confirm or remove). */
export class TotpStateError extends AppError {
  override readonly name = 'TotpStateError';
  readonly statusCode = 409;
  constructor(readonly state: 'active' | 'none_pending' | 'none_active') {
    super({
      active: 'An authenticator app is already set up. Remove it first to set up another.',
      none_pending: 'No authenticator app is waiting to be confirmed. Start again with POST /api/v1/patient/me/totp.',
      none_active: 'No authenticator app is set up on this account.',
    }[state]);
  }
}

/** A wrong, reused or expired authenticator code or recovery code (it counts toward the same lock as a wrong password). */
export class WrongSecondFactorError extends AppError {
  override readonly name = 'WrongSecondFactorError';
  readonly statusCode = 401;
  constructor(proof: 'code' | 'passkey' = 'code') {
    super(proof === 'passkey'
      ? 'The passkey was not accepted. Try again with one of your own passkeys, or enter a code from your authenticator app or an unused recovery code.'
      : 'The code is not correct, or it was used already. Enter the current code from your authenticator app, or an unused recovery code.');
  }
}

/** The mfa_token of a sign-in is unknown, spent or older than 5 minutes: sign in with the password again. */
export class InvalidMfaTokenError extends AppError {
  override readonly name = 'InvalidMfaTokenError';
  readonly statusCode = 401;
  constructor() {
    super('This sign-in has expired or was completed already. Sign in with your email and password again.');
  }
}
