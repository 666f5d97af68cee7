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
  constructor() {
    super('Content-Type must be application/json');
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

/** The verification token existed but can no longer be used. */
export class GoneTokenError extends AppError {
  override readonly name = 'GoneTokenError';
  readonly statusCode = 410;
  constructor(reason: 'expired' | 'used') {
    super(
      reason === 'expired'
        ? 'This verification link has expired. Request a new verification email.'
        : 'This verification link has already been used.',
    );
  }
}

/** A dependency (DynamoDB, KMS) failed in a way that retrying later may fix. */
export class ServiceUnavailableError extends AppError {
  override readonly name = 'ServiceUnavailableError';
  readonly statusCode = 503;
  readonly retryAfterSeconds = 5;
  constructor(readonly dependency: string) {
    super('The service is temporarily unavailable. Please retry shortly.');
  }
}
