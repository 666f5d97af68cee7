import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Issue 12 item 16: in Lambda every line a function logs carries the invocation's request id and
 * whether it was a cold start (Powertools injectLambdaContext in each middy chain), and still no
 * patient data.
 */
// The Lambda runtime sets this; without it Powertools never reports a cold start. It is read when the
// logger is built, so everything that imports the logger is imported after it.
process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
// An operator may switch event logging on; the event carries the request body, so the chains refuse it.
process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
afterAll(() => {
  delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
  delete process.env.POWERTOOLS_LOGGER_LOG_EVENT;
});
const { CANARY, canaryOverrides, captureOutput } = await import('../support/capture-output.js');
const { handler: outboxMailer } = await import('../../functions/outbox-mailer/handler.js');
const { handler: register } = await import('../../functions/register/handler.js');
const { handler: verify } = await import('../../functions/verify-email/handler.js');
const { outboxItem } = await import('../../lib/adapters/dynamodb/outbox-store.js');
const { DEFAULT_OUTBOX_SHARDS } = await import('../../lib/adapters/dynamodb/keys.js');
const { documentClient } = await import('../support/local-aws.js');
const { apiEvent, uniqueRegistration } = await import('../support/requests.js');

const output = captureOutput();

/** A Lambda context as the runtime passes it. */
function context(functionName: string): Context {
  return {
    awsRequestId: randomUUID(),
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The JSON log lines captured since the last reset that name this request. */
function linesOf(requestId: string): Record<string, unknown>[] {
  return output.text().split('\n').filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.function_request_id === requestId);
}

describe('log lines carry the Lambda request id and cold start', () => {
  it('a JSON API function (register): cold_start true on the first invocation, false after, each line with its own request id, and no patient data', async () => {
    const first = context('Register');
    const registration = uniqueRegistration(canaryOverrides());
    expect((await register(apiEvent(registration), first)).statusCode).toBe(201);
    const second = context('Register');
    expect((await register(apiEvent({ ...registration, email: 'not-an-email' }), second)).statusCode).toBe(422);

    const firstLines = linesOf(first.awsRequestId);
    expect(firstLines.map((l) => l.message)).toContain('patient registered');
    for (const line of firstLines) expect(line).toMatchObject({ cold_start: true, function_name: 'Register', function_arn: first.invokedFunctionArn });
    const secondLines = linesOf(second.awsRequestId);
    expect(secondLines.map((l) => l.message)).toContain('request refused');
    for (const line of secondLines) expect(line).toMatchObject({ cold_start: false, function_name: 'Register' });

    expect([...firstLines, ...secondLines].map((l) => l.message)).not.toContain('Lambda invocation event');
    const text = output.text();
    for (const secret of [CANARY.lastName, CANARY.password, CANARY.medical, CANARY.provider, CANARY.policy, registration.email, registration.phone_number]) {
      expect(text).not.toContain(secret);
    }
  });

  it('a form post (verify-email without JavaScript) logs its refusal with its request id', async () => {
    const invocation = context('VerifyEmail');
    const form = apiEvent('token=not-a-token&password=SecurePassword123%21', {
      path: '/api/v1/patient/verify-email',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    const response = await verify(form as never, invocation);
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(linesOf(invocation.awsRequestId).map((l) => l.message)).toContain('request refused');
  });

  it('the outbox mailer logs the mail it delivered with its request id, never the address or name', async () => {
    const to = uniqueRegistration().email;
    const item = outboxItem({
      kind: 'verification_email', id: randomUUID(), patientId: randomUUID(), to,
      verifyUrl: 'https://app.clinic.test/verify-email?token=canary-token-1234', createdAt: new Date().toISOString(),
    }, DEFAULT_OUTBOX_SHARDS);
    await documentClient.send(new PutCommand({ TableName: process.env.TABLE_NAME, Item: item }));
    const invocation = context('OutboxMailer');
    const stream = { Records: [{ eventName: 'INSERT', dynamodb: { SequenceNumber: '1', StreamViewType: 'KEYS_ONLY', Keys: { pk: { S: item.pk }, sk: { S: item.sk } } } }] };

    expect(await outboxMailer(stream as never, invocation)).toEqual({ batchItemFailures: [] });

    const lines = linesOf(invocation.awsRequestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ outboxId: expect.any(String), kind: 'verification_email', function_name: 'OutboxMailer', cold_start: expect.any(Boolean) });
    for (const secret of [to, CANARY.lastName, 'canary-token-1234']) expect(output.text()).not.toContain(secret);
  });
});
