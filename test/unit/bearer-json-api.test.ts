import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { InvalidAccessTokenError, ValidationError } from '../../lib/errors.js';
import { bearerJsonApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { apiEvent } from '../support/requests.js';

/** A token check that knows one token; a validator that refuses every body without `code`. */
const authenticateCaller = async (headers: Record<string, string | undefined> | undefined) => {
  if (headers?.authorization !== 'Bearer good') throw new InvalidAccessTokenError('missing');
  return { patientId: 'p-1' };
};
const validate = (body: unknown) => {
  if (!(body as { code?: string })?.code) throw new ValidationError({ code: ['Code is required'] });
  return body as { code: string };
};
const handler = bearerJsonApi(authenticateCaller, validate, async (event, caller) => jsonResponse(200, { success: true, data: { caller: caller.patientId, code: event.body.code } }));
const context = { awsRequestId: 'bearer', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
const invoke = (body: unknown, headers: Record<string, string>) => handler(apiEvent(body, { headers }), context);

describe('Bearer JSON routes check the token before the body', () => {
  it.each([
    ['an invalid body', {}, { 'Content-Type': 'application/json' }],
    ['a body that is not JSON', 'not json', { 'Content-Type': 'application/json' }],
    ['a body of another type', 'code=1', { 'Content-Type': 'application/x-www-form-urlencoded' }],
    ['a wrong token and an invalid body', {}, { 'Content-Type': 'application/json', Authorization: 'Bearer bad' }],
  ])('%s without a valid token: 401 with WWW-Authenticate, not a body error', async (_what, body, headers) => {
    const response = await invoke(body, headers);
    expect(response.statusCode).toBe(401);
    expect(response.headers['WWW-Authenticate']).toMatch(/^Bearer/);
    expect(JSON.parse(response.body).errors).toBeUndefined();
  });

  it('with a valid token the body is validated as before (422), and a valid body reaches the handler with the caller', async () => {
    const headers = { 'Content-Type': 'application/json', Authorization: 'Bearer good' };
    expect((await invoke({}, headers)).statusCode).toBe(422);
    const ok = await invoke({ code: '123456' }, headers);
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body).data).toEqual({ caller: 'p-1', code: '123456' });
  });
});
