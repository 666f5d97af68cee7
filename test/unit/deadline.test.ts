import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { DEADLINE_MARGIN_MS, jsonApi } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { apiEvent } from '../support/requests.js';

/**
 * A dependency that never answers (DynamoDB or SES hanging past every SDK retry): the function must
 * answer 503 + Retry-After itself before Lambda ends the invocation, or API Gateway answers with its
 * bare 5xx. The "Lambda" here is a race against the deadline, so no clock is asserted on.
 */
const never = new Promise<never>(() => undefined);
const hangingHandler = jsonApi((body) => body as { email: string }, async () => {
  await never;
  return jsonResponse(200, { success: true });
});

function invokeLikeLambda(remainingMs: number) {
  const deadline = Date.now() + remainingMs;
  const context = { awsRequestId: 'deadline', getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) } as unknown as Context;
  const cutOff = new Promise<'timed out'>((resolve) => setTimeout(() => resolve('timed out'), remainingMs));
  return Promise.race([hangingHandler(apiEvent({ email: 'a@example.com' }), context), cutOff]);
}

describe('a request that would outlive the Lambda deadline', () => {
  it('is answered 503 with Retry-After in the service envelope, before Lambda cuts it off', async () => {
    const response = await invokeLikeLambda(DEADLINE_MARGIN_MS + 300);
    expect(response).not.toBe('timed out');
    if (response === 'timed out') return;
    expect(response.statusCode).toBe(503);
    expect(response.headers['Retry-After']).toBe('5');
    expect(response.headers['Content-Type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(response.body)).toEqual({ success: false, message: 'The service is temporarily unavailable. Please retry shortly.' });
  });
});
