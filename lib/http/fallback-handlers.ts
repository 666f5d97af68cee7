import middy from '@middy/core';
import { MethodNotAllowedError, NotFoundError } from '../errors.js';
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
