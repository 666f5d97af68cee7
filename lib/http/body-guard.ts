import type { MiddlewareObj } from '@middy/core';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors.js';

export const MAX_BODY_BYTES = 64 * 1024;
export const JSON_MEDIA_TYPE = /^application\/(.+\+)?json\s*(;.*)?$/i;
/** What an HTML form without JavaScript posts (the verification page). */
export const FORM_MEDIA_TYPE = /^application\/x-www-form-urlencoded\s*(;.*)?$/i;
const CHARSET_PARAMETER = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i;
/** The labels the WHATWG Encoding Standard gives UTF-8 that a client plausibly sends. */
const UTF8_LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8']);

export const NOT_UTF8 = 'Request body is not valid UTF-8';
export const CHARSET_NOT_UTF8 = 'Content-Type charset must be utf-8';

/**
 * Strict: a byte sequence that is not UTF-8 throws instead of becoming U+FFFD, so `\xff\xfe` in a
 * name is refused rather than stored as "��". A leading UTF-8 byte order mark is dropped (the
 * decoder's default): RFC 8259 lets a JSON parser ignore it, and some Windows clients still send one.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true });
const BOM = '\uFEFF';

interface HttpEvent {
  body?: string | null;
  isBase64Encoded?: boolean;
  headers?: Record<string, string | undefined>;
}

/** The charset parameter of a Content-Type, unquoted, if one is declared. */
function declaredCharset(contentType: string): string | undefined {
  const match = CHARSET_PARAMETER.exec(contentType);
  return match ? (match[1] ?? match[2] ?? '') : undefined;
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new BadRequestError(NOT_UTF8);
  }
}

/**
 * Runs before parsing: refuse oversized bodies, non-JSON content types and charsets other than
 * UTF-8, and turn the body's bytes into text strictly. API Gateway hands over the raw bytes as base64
 * (the REST API treats every media type as binary, infra/constructs/patient-api.ts); the decoded text
 * replaces them, so the JSON parser after this does not decode again — leniently.
 */
export function bodyGuard(maxBytes = MAX_BODY_BYTES, mediaType = JSON_MEDIA_TYPE): MiddlewareObj<HttpEvent> {
  return {
    before: async ({ event }) => {
      const body = event.body ?? '';
      // Base64 text longer than the encoding of maxBytes cannot decode to maxBytes or less: refuse it
      // before decoding up to API Gateway's 10 MB.
      if (event.isBase64Encoded && body.length > Math.ceil(maxBytes / 3) * 4) throw new PayloadTooLargeError(maxBytes);
      const bytes = event.isBase64Encoded ? Buffer.from(body, 'base64') : undefined;
      if ((bytes?.length ?? Buffer.byteLength(body, 'utf8')) > maxBytes) throw new PayloadTooLargeError(maxBytes);
      const contentType = event.headers?.['content-type'] ?? '';
      // No body and no Content-Type (curl -X POST, a fetch without body): an empty object, so the
      // validator names what is missing (422) instead of a 415 about a media type nobody sent.
      if (contentType === '' && body === '' && mediaType === JSON_MEDIA_TYPE) {
        event.body = '{}';
        event.isBase64Encoded = false;
        return;
      }
      if (!mediaType.test(contentType)) throw new UnsupportedMediaTypeError();
      const charset = declaredCharset(contentType);
      if (charset !== undefined && !UTF8_LABELS.has(charset.trim().toLowerCase())) throw new UnsupportedMediaTypeError(CHARSET_NOT_UTF8);
      // A REST API sends a missing body as null; the parser would read that as the JSON text `null`.
      event.body = bytes ? decodeUtf8(bytes) : body.startsWith(BOM) ? body.slice(1) : body;
      event.isBase64Encoded = false;
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
