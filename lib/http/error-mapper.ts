import type { MiddlewareObj } from '@middy/core';
import {
  AppError, HashingBusyError, IdempotencyInProgressError, InvalidAccessTokenError, MethodNotAllowedError, PreconditionFailedError, ServiceUnavailableError,
  StepUpRequiredError, TooManyRequestsError, ValidationError,
} from '../errors.js';
import { describeError, logger } from '../logging/logger.js';
import { errorResponse, type HttpResponse } from './response.js';

const JSON_PARSER = '@middy/http-json-body-parser';

/** middy's own HTTP errors (body parser, header checks): known status, message safe to show. */
function middyHttpError(error: unknown): { statusCode: number; message: string } | undefined {
  const e = error as { statusCode?: number; expose?: boolean; cause?: { package?: string } };
  if (typeof e?.statusCode !== 'number' || e.statusCode >= 500) return undefined;
  if (e.cause?.package === JSON_PARSER && e.statusCode === 415 && /malformed/i.test((error as Error).message)) {
    // middy 6 answers broken JSON with 415; it is a bad request, not a wrong media type.
    return { statusCode: 400, message: 'Request body is not valid JSON' };
  }
  if (e.cause?.package === JSON_PARSER) return { statusCode: 415, message: 'Content-Type must be application/json' };
  return { statusCode: e.statusCode, message: 'Bad request' };
}

/** `Bearer error="insufficient_user_authentication", …` with `max_age` and/or `acr_values` (RFC 9470 §3). */
function stepUpChallenge({ message, need }: StepUpRequiredError): string {
  return [
    'Bearer error="insufficient_user_authentication"',
    `error_description="${message}"`,
    ...(need.acrValues ? [`acr_values="${need.acrValues}"`] : []),
    ...(need.maxAgeSeconds !== undefined ? [`max_age=${need.maxAgeSeconds}`] : []),
  ].join(', ');
}

/** The one place a failure becomes a response. Unknown errors become a generic 500 with no detail. */
export function toErrorResponse(error: unknown): HttpResponse {
  if (error instanceof ValidationError) return errorResponse(422, error.message, { errors: error.errors });
  if (error instanceof ServiceUnavailableError || error instanceof TooManyRequestsError || error instanceof IdempotencyInProgressError) {
    return errorResponse(error.statusCode, error.message, {}, { 'Retry-After': String(error.retryAfterSeconds) });
  }
  // RFC 6750 §3: a 401 names the scheme it wants; `invalid_token` tells the client to sign in again.
  // No token at all gets the bare challenge (RFC 6750 §3.1: no error code when none was sent).
  if (error instanceof InvalidAccessTokenError) {
    return errorResponse(401, error.message, {}, { 'WWW-Authenticate': error.reason === 'missing' ? 'Bearer' : 'Bearer error="invalid_token"' });
  }
  // RFC 9470 §3: the token is fine but its sign-in is too old or too weak; the challenge says which.
  if (error instanceof StepUpRequiredError) return errorResponse(401, error.message, {}, { 'WWW-Authenticate': stepUpChallenge(error) });
  // The current version, so the client can re-read or re-apply without another round trip.
  if (error instanceof PreconditionFailedError) return errorResponse(412, error.message, {}, { ETag: error.etag });
  if (error instanceof MethodNotAllowedError) return errorResponse(405, error.message, {}, { Allow: error.allow.join(', ') });
  if (error instanceof AppError && error.expose) return errorResponse(error.statusCode, error.message);
  const known = middyHttpError(error);
  if (known) return errorResponse(known.statusCode, known.message);
  return errorResponse(500, 'Internal server error');
}

const FIELD_PATH = /^[a-z_]+(\.[a-z_]+|\.\d+)*$/;

/** Which fields failed, for operators; a name the client made up (it could be anything) is only counted. */
function refusedFields(error: unknown): string[] | undefined {
  if (!(error instanceof ValidationError)) return undefined;
  const names = Object.keys(error.errors);
  const known = names.filter((name) => FIELD_PATH.test(name) && name.length <= 40);
  return known.length === names.length ? known : [...known, `(${names.length - known.length} other)`];
}

export function errorMapper(): MiddlewareObj {
  return {
    onError: async (request) => {
      const response = toErrorResponse(request.error);
      // Field names and status only: the request body and error messages from libraries stay out of logs.
      // A full hashing pool is load shed on purpose, at the door, with nothing done: no error to page on.
      if (request.error instanceof HashingBusyError) logger.warn('request shed: hashing pool full', { statusCode: response.statusCode });
      else if (response.statusCode >= 500) logger.error('request failed', { statusCode: response.statusCode, ...describeError(request.error) });
      else logger.info('request refused', { statusCode: response.statusCode, errorName: (request.error as Error | undefined)?.name, fields: refusedFields(request.error) });
      request.response = response;
    },
  };
}
