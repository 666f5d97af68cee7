import type { MiddlewareObj } from '@middy/core';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.js';

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
