import type { MiddlewareObj } from '@middy/core';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors.js';

export const MAX_BODY_BYTES = 64 * 1024;
const JSON_MEDIA_TYPE = /^application\/(.+\+)?json\s*(;.*)?$/i;

interface HttpEvent {
  body?: string | null;
  isBase64Encoded?: boolean;
  headers?: Record<string, string | undefined>;
}

/** Runs before parsing: refuse oversized bodies and non-JSON content types before any work is done. */
export function bodyGuard(maxBytes = MAX_BODY_BYTES): MiddlewareObj<HttpEvent> {
  return {
    before: async ({ event }) => {
      const body = event.body ?? '';
      const bytes = event.isBase64Encoded ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body, 'utf8');
      if (bytes > maxBytes) throw new PayloadTooLargeError(maxBytes);
      const contentType = event.headers?.['content-type'] ?? '';
      if (!JSON_MEDIA_TYPE.test(contentType)) throw new UnsupportedMediaTypeError();
    },
  };
}

/** Deeper than any request we accept (the registration body is 3 levels deep). */
export const MAX_DEPTH = 6;

function depthExceeds(value: unknown, limit: number): boolean {
  // Iterative, so a hostile body cannot exhaust the stack.
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Runs after parsing, before validation: refuse absurd nesting before any schema work. */
export function depthGuard(limit = MAX_DEPTH): MiddlewareObj<{ body?: unknown }> {
  return {
    before: async ({ event }) => {
      if (depthExceeds(event.body, limit)) throw new ValidationError({ body: ['Request body is nested too deeply'] });
    },
  };
}
