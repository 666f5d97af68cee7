import { describe, expect, it, vi } from 'vitest';
import { CHARSET_NOT_UTF8, NOT_UTF8 } from '../../lib/http/body-guard.js';
import { jsonApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { apiEvent, invoke } from '../support/requests.js';

/** The shared chain with a pass-through validator: what reaches the handler is what the guard decoded. */
const received: unknown[] = [];
const echo = jsonApi((body) => body, async ({ body }) => {
  received.push(body);
  return jsonResponse(200, { success: true, body });
});

const json = (charset?: string) => ({ 'Content-Type': charset === undefined ? 'application/json' : `application/json; charset=${charset}` });
const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('body guard: the body is UTF-8, decoded strictly', () => {
  it.each([
    ['\\xff\\xfe in a name (a UTF-16 byte order mark)', bytes('{"first_name":"', [0xff, 0xfe], '"}')],
    ['a lone continuation byte', bytes('{"first_name":"Ren', [0x80], '"}')],
    ['a truncated 2-byte sequence at the end', bytes('{"first_name":"Ren"}', [0xc3])],
    ['an overlong encoding of "/"', bytes('{"first_name":"', [0xc0, 0xaf], '"}')],
    ['a UTF-16 surrogate encoded as UTF-8 (CESU-8)', bytes('{"first_name":"', [0xed, 0xa0, 0x80], '"}')],
    ['a whole body in UTF-16LE with its byte order mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"first_name":"Jane"}', 'utf16le')])],
  ])('%s → 400, and the handler never runs', async (_name, body) => {
    received.length = 0;
    const response = await invoke(echo, apiEvent(body, { headers: json() }));
    expect(response.statusCode).toBe(400);
    expect(response.body).toEqual({ success: false, message: NOT_UTF8 });
    expect(response.headers['Content-Type']).toBe('application/json; charset=utf-8');
    expect(received).toEqual([]);
  });

  it('passes multi-byte UTF-8 through unchanged (accents, CJK, emoji)', async () => {
    const name = 'Renée 王 🙂';
    const response = await invoke(echo, apiEvent(bytes(JSON.stringify({ first_name: name })), { headers: json() }));
    expect(response.statusCode).toBe(200);
    expect(response.body.body).toEqual({ first_name: name });
  });

  it.each([
    ['as base64 bytes', (text: string) => apiEvent(bytes([0xef, 0xbb, 0xbf], text), { headers: json() })],
    ['as an already decoded string', (text: string) => ({ ...apiEvent(undefined, { headers: json() }), body: `\uFEFF${text}`, isBase64Encoded: false })],
  ])('drops a leading UTF-8 byte order mark (RFC 8259 lets a parser ignore it) %s', async (_name, event) => {
    const response = await invoke(echo, event('{"first_name":"Jane"}'));
    expect(response.statusCode).toBe(200);
    expect(response.body.body).toEqual({ first_name: 'Jane' });
  });

  it('decodes only once: base64 text that is itself valid base64 is not decoded again by the JSON parser', async () => {
    const response = await invoke(echo, apiEvent('"eyJhIjoxfQ=="', { headers: json() }));
    expect(response.body.body).toBe('eyJhIjoxfQ==');
  });

  it('treats a missing body (null in a REST API event) as no JSON at all → 400', async () => {
    const response = await invoke(echo, apiEvent(undefined, { headers: json() }));
    expect(response.statusCode).toBe(400);
    expect(response.body).toEqual({ success: false, message: 'Request body is not valid JSON' });
  });
});

describe('body guard: a declared charset must be UTF-8', () => {
  it.each(['utf-8', 'UTF-8', 'Utf-8', '"utf-8"', 'utf8', ' utf-8'])('charset=%s is accepted', async (charset) => {
    const response = await invoke(echo, apiEvent({ a: 'é' }, { headers: json(charset) }));
    expect(response.statusCode).toBe(200);
    expect(response.body.body).toEqual({ a: 'é' });
  });

  it('accepts a charset among other parameters', async () => {
    const response = await invoke(echo, apiEvent({ a: 1 }, { headers: { 'content-type': 'application/json; version=1; CHARSET="UTF-8"' } }));
    expect(response.statusCode).toBe(200);
  });

  it.each(['utf-16', 'UTF-16LE', 'iso-8859-1', '"iso-8859-1"', 'windows-1252', 'us-ascii', ''])('charset=%s → 415', async (charset) => {
    received.length = 0;
    // Bytes that happen to be valid UTF-8 too: the declared charset alone decides.
    const response = await invoke(echo, apiEvent({ a: 1 }, { headers: json(charset) }));
    expect(response.statusCode).toBe(415);
    expect(response.body).toEqual({ success: false, message: CHARSET_NOT_UTF8 });
    expect(received).toEqual([]);
  });

  it('still answers a non-JSON type with the media-type message', async () => {
    const response = await invoke(echo, apiEvent('a=1', { headers: { 'content-type': 'text/plain; charset=iso-8859-1' } }));
    expect(response.statusCode).toBe(415);
    expect(response.body.message).toBe('Content-Type must be application/json');
  });
});

describe('body guard: size is checked before any decoding', () => {
  // 64 KiB + 1 byte has the same base64 length as 64 KiB: it is decoded, then refused on its exact size.
  it.each([
    ['exactly 64 KiB', 200, 'decoded', 64 * 1024],
    ['one byte over', 413, 'decoded', 64 * 1024 + 1],
    ['10 MB (API Gateway\'s own limit)', 413, 'never decoded', 10 * 1024 * 1024],
  ] as const)('a base64 body of %s: %i, %s', async (_case, status, decoding, size) => {
    const event = apiEvent(Buffer.from(JSON.stringify({ pad: 'a'.repeat(size - 10) })), { headers: json() });
    const decodes = vi.spyOn(Buffer, 'from');
    try {
      const response = await invoke(echo, event);
      const base64Decodes = decodes.mock.calls.filter((args) => (args as unknown[])[1] === 'base64');
      expect(response.statusCode).toBe(status);
      expect(base64Decodes.length > 0 ? 'decoded' : 'never decoded').toBe(decoding);
    } finally {
      decodes.mockRestore();
    }
  });
});
