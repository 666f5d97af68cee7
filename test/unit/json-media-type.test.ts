import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors.js';
import { jsonApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { apiEvent } from '../support/requests.js';

/** A validator that wants `refresh_token`, as logout's does. */
const validate = (body: unknown) => {
  if (!(body as { refresh_token?: string })?.refresh_token) throw new ValidationError({ refresh_token: ['Refresh token is required'] });
  return body as { refresh_token: string };
};
const handler = jsonApi(validate, async (event) => jsonResponse(200, { success: true, message: event.body.refresh_token }));
const context = { awsRequestId: 'media', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

/** Media types are case-insensitive (RFC 9110 §8.3.1); a POST without any body is not a media-type problem (issue 22 item 6). */
describe('the JSON chain and the Content-Type', () => {
  it.each(['APPLICATION/JSON', 'Application/Json; Charset=UTF-8', 'application/json'])('accepts %s', async (type) => {
    const response = await handler(apiEvent({ refresh_token: 'abc' }, { headers: { 'Content-Type': type } }), context);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).message).toBe('abc');
  });

  it('answers a POST with no body and no Content-Type with 422 naming the missing field, not 415', async () => {
    const response = await handler(apiEvent(undefined, { headers: {} }), context);
    expect(response.statusCode).toBe(422);
    expect(JSON.parse(response.body).errors).toEqual({ refresh_token: ['Refresh token is required'] });
  });

  it.each([
    ['a text body', 'hello', { 'Content-Type': 'text/plain' }],
    ['a body without Content-Type', '{"refresh_token":"abc"}', {}],
  ])('still refuses %s with 415', async (_what, body, headers) => {
    expect((await handler(apiEvent(body, { headers }), context)).statusCode).toBe(415);
  });
});
