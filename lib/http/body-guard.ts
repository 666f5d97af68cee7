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
      // A REST API sends a missing body as null; the parser would read that as the JSON text `null`.
      event.body = body;
    },
  };
}

/** Deeper than any request we accept (the registration body is 3 levels deep). */
export const MAX_DEPTH = 6;

export const BAD_TEXT = 'Must not contain control characters or invalid Unicode';
// Control characters other than tab and line breaks: no field has a use for them, and some stores refuse them (NUL).
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/**
 * The first problem of shape in a parsed body, walked iteratively so a hostile body cannot exhaust
 * the stack: nesting beyond the limit, or a string that is not well-formed Unicode (a lone surrogate
 * cannot even be sent by mail) or carries control characters.
 */
function shapeProblem(body: unknown, limit: number): Record<string, string[]> | undefined {
  const stack: Array<[unknown, number, string]> = [[body, 0, '']];
  while (stack.length > 0) {
    const [node, depth, path] = stack.pop()!;
    if (typeof node === 'string') {
      if (!node.isWellFormed() || CONTROL.test(node)) return Object.fromEntries([[path || 'body', [BAD_TEXT]]]);
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    if (depth >= limit) return { body: ['Request body is nested too deeply'] };
    for (const [key, child] of Object.entries(node)) stack.push([child, depth + 1, path ? `${path}.${key}` : key]);
  }
  return undefined;
}

/** Runs after parsing, before validation: refuse absurd nesting and unusable text before any schema work. */
export function shapeGuard(limit = MAX_DEPTH): MiddlewareObj<{ body?: unknown }> {
  return {
    before: async ({ event }) => {
      const problem = shapeProblem(event.body, limit);
      if (problem) throw new ValidationError(problem);
    },
  };
}
