import middy from '@middy/core';
import { MethodNotAllowedError, NotFoundError, PayloadTooLargeError } from '../errors.js';
import { MAX_BODY_BYTES } from './body-guard.js';
import { errorMapper } from './error-mapper.js';
import type { HttpResponse } from './response.js';
import { securityHeaders } from './security-headers.js';

/** Answers for requests no function serves, through the same error mapper and headers. */
function failWith(error: () => Error) {
  return middy<unknown, HttpResponse>()
    .use(securityHeaders())
    .use(errorMapper())
    .handler(async () => {
      throw error();
    });
}

export const notFound = failWith(() => new NotFoundError());
export const methodNotAllowed = (allow: string[]) => failWith(() => new MethodNotAllowedError(allow));
/** A body over the limit, refused by the local server before it is read to the end (API Gateway: over 10 MB). */
export const payloadTooLarge = failWith(() => new PayloadTooLargeError(MAX_BODY_BYTES));
