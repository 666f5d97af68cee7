import { describe, expect, it } from 'vitest';
import { toErrorResponse } from '../../lib/http/error-mapper.js';
import { DuplicateRegistrationError, GoneTokenError, IdempotencyInProgressError, InvalidAccessTokenError, InvalidCredentialsError, InvalidRefreshTokenError, InvalidTokenError, ServiceUnavailableError, SignInLockedError, SignInRefusedError, TooManyRequestsError, WrongPasswordError } from '../../lib/errors.js';

const body = (error: unknown) => JSON.parse(toErrorResponse(error).body);

describe('toErrorResponse', () => {
  it('turns an unknown error into a generic 500 without its message or stack', () => {
    const response = toErrorResponse(new Error('ECONNRESET at 10.0.0.7 with jane@example.com'));
    expect(response.statusCode).toBe(500);
    expect(response.body).toBe('{"success":false,"message":"Internal server error"}');
  });

  it('answers 503 with Retry-After when a dependency is down', () => {
    const response = toErrorResponse(new ServiceUnavailableError('dynamodb'));
    expect(response.statusCode).toBe(503);
    expect(response.headers['Retry-After']).toBe('5');
    expect(body(new ServiceUnavailableError('kms')).message).not.toContain('kms');
  });

  it('names both clashes of a duplicate in the validation envelope', () => {
    expect(body(new DuplicateRegistrationError({ email: true, phone: true }))).toEqual({
      success: false,
      message: 'Validation failed',
      errors: { email: ['Email is already registered'], phone_number: ['Phone number is already registered'] },
    });
  });

  it.each([
    [new InvalidTokenError(), 400],
    [new GoneTokenError('expired'), 410],
    [new GoneTokenError('used'), 410],
  ])('%s → %i', (error, status) => {
    expect(toErrorResponse(error).statusCode).toBe(status);
  });

  it('answers a refused access token with 401, a fixed message and the Bearer challenge (RFC 6750)', () => {
    const response = toErrorResponse(new InvalidAccessTokenError('ERR_JWT_EXPIRED'));
    expect(response.statusCode).toBe(401);
    expect(response.headers['WWW-Authenticate']).toBe('Bearer error="invalid_token"');
    expect(JSON.parse(response.body)).toEqual({ success: false, message: 'Invalid or expired access token' });
  });

  it('a request without any token gets the bare Bearer challenge (RFC 6750 §3.1)', () => {
    const response = toErrorResponse(new InvalidAccessTokenError('missing'));
    expect(response.statusCode).toBe(401);
    expect(response.headers['WWW-Authenticate']).toBe('Bearer');
  });

  it.each([
    [new SignInLockedError(4), 429, 'Too many failed sign-in attempts. Please try again later.'],
    [new InvalidCredentialsError(), 401, 'Invalid email or password'],
    [new SignInRefusedError('unverified'), 403, 'Email address is not verified'],
    [new SignInRefusedError('inactive'), 403, 'This account is closed. To reopen it, use Forgot password: the link mailed to the account email address sets a new password and reopens it.'],
    [new InvalidRefreshTokenError(), 401, 'Invalid or expired refresh token'],
    [new WrongPasswordError(), 401, 'The password is not correct. Enter the password you registered with.'],
  ])('%s → %i in the envelope', (error, status, message) => {
    const response = toErrorResponse(error);
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body)).toEqual({ success: false, message });
    if (status === 429) expect(response.headers['Retry-After']).toBe('4');
  });

  it('never answers a middy 5xx-looking client error with detail', () => {
    const response = toErrorResponse(Object.assign(new Error('secret detail'), { statusCode: 502 }));
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret');
  });
});

describe('answers that tell the client when to come back', () => {
  it.each([
    [new TooManyRequestsError(1800), 429, '1800'],
    [new IdempotencyInProgressError(), 409, '2'],
    [new ServiceUnavailableError('kms'), 503, '5'],
  ])('%s → %i with Retry-After', (error, status, retryAfter) => {
    const response = toErrorResponse(error);
    expect(response.statusCode).toBe(status);
    expect(response.headers['Retry-After']).toBe(retryAfter);
  });
});
