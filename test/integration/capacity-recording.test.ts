import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../lib/adapters/dynamodb/keys.js';
import { API_PATHS } from '../../lib/http/routes.js';
import { startStreamConsumer } from '../../lib/local/stream-consumer.js';
import { OUTBOX_STREAM_SOURCE } from '../../lib/outbox/stream-source.js';
import { RECORDING_FILE, type CapacityRecording, type OperationRun } from '../../lib/tools/capacity/recording.js';
import { closeCapture, describedTables, describeTable, lateCalls, openCapture, timed } from '../support/capacity-capture.js';
import { startFakeKms } from '../support/fake-kms.js';
import { awaitMails, awaitTexts, codeFrom, documentClient, outboxIdle, tokenFrom } from '../support/local-aws.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';

/**
 * The capacity model's input (issue 23 item 3): each user operation performed on its own, through
 * the real handlers with their AWS configuration (DynamoDB Local, the SES emulator, the SMS inbox, a
 * KMS stand-in on loopback as in kms-envelope.test.ts), and every call it made recorded with its
 * item sizes (test/support/capacity-capture.ts). A first user warms every function up (its runs are
 * kept apart: a cold start's calls, such as fetching a public key, are not per operation); three
 * more are recorded, each from its own source address, so a partition key that is the same for all
 * three is a shared one. The outbox mailer runs on the table's stream as in AWS; its calls are
 * recorded under the mail or text it sent. Writes .test-results/capacity/recording.json for
 * `npm run capacity`.
 */
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const kms = await startFakeKms(KEY_ARN);
const saved = { ...process.env };
Object.assign(process.env, {
  KMS_KEY_ID: KEY_ARN,
  IDENTIFIER_KEY_ID: 'arn:aws:kms:us-east-1:111122223333:key/feedbeef-12ab-34cd-56ef-1234567890ab',
  // One version, as every stage deploys (infra/config/stages.ts): the steady state. While a rotation
  // is under way, each older version adds a ConditionCheck per identifier to a registration (2 write units).
  IDENTIFIER_KEY_VERSIONS: 'v1',
  ACCESS_TOKEN_SIGNING_KEY_ID: 'arn:aws:kms:us-east-1:111122223333:key/5161a9e0-12ab-34cd-56ef-1234567890ab',
  AWS_ENDPOINT_URL_KMS: kms.endpoint,
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
});
delete process.env.IDENTIFIER_KEYS;

// Imported after the environment is set: each handler reads it at module load, like a cold start.
const handlers = {
  Register: (await import('../../functions/register/handler.js')).handler,
  VerifyEmail: (await import('../../functions/verify-email/handler.js')).handler,
  Login: (await import('../../functions/login/handler.js')).handler,
  TokenRefresh: (await import('../../functions/token-refresh/handler.js')).handler,
  Me: (await import('../../functions/me/handler.js')).handler,
  PhoneVerification: (await import('../../functions/phone-verification/handler.js')).handler,
  PhoneVerify: (await import('../../functions/phone-verify/handler.js')).handler,
  Logout: (await import('../../functions/logout/handler.js')).handler,
  PasswordForgot: (await import('../../functions/password-forgot/handler.js')).handler,
  PasswordReset: (await import('../../functions/password-reset/handler.js')).handler,
};
const { handler: outboxMailer } = await import('../../functions/outbox-mailer/handler.js');
type FunctionName = keyof typeof handlers;

/** The outbox mailer's invocations still running (the stream consumer starts them). */
const mailerRuns = new Set<Promise<unknown>>();
/** Marker items' partition keys → what to call when the stream delivers them. */
const markers = new Map<string, () => void>();
let markerCount = 0;
let stream: { stop(): Promise<void> } | undefined;
beforeAll(async () => {
  stream = await startStreamConsumer({
    endpoint: process.env.DYNAMODB_ENDPOINT!,
    tableName: process.env.TABLE_NAME!,
    source: OUTBOX_STREAM_SOURCE,
    handler: (event) => {
      // The test's own markers (see outboxSettled) stop here; every other record goes to the mailer.
      const records = event.Records.filter((r) => !markers.has(String(r.dynamodb?.Keys?.pk?.S)));
      const run = records.length === 0 ? Promise.resolve({ batchItemFailures: [] }) : timed('OutboxMailer', () => outboxMailer({ Records: records }));
      mailerRuns.add(run);
      for (const r of event.Records) markers.get(String(r.dynamodb?.Keys?.pk?.S))?.();
      return run.finally(() => mailerRuns.delete(run));
    },
  });
  // The model also needs the tables' key schemas and indexes, described even before a call names them.
  await Promise.all([describeTable(process.env.TABLE_NAME!), describeTable(process.env.AUDIT_TABLE_NAME!)]);
});
afterAll(async () => {
  await stream?.stop();
  for (const name of ['KMS_KEY_ID', 'ACCESS_TOKEN_SIGNING_KEY_ID', 'IDENTIFIER_KEY_ID', 'IDENTIFIER_KEY_VERSIONS', 'IDENTIFIER_KEYS', 'AWS_ENDPOINT_URL_KMS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  await kms.stop();
});

const recording: CapacityRecording = { recordedAt: new Date().toISOString(), tables: {}, operations: {} };

/** Whether a performance is recorded: as a warm run, as the warm-up's (cold) one, or not at all. */
type Kept = 'warm' | 'cold';

function keep(as: Kept, operation: string, description: string, run: OperationRun): void {
  if (as === 'cold') (recording.coldStarts ??= {})[operation] = run;
  else (recording.operations[operation] ??= { description, runs: [] }).runs.push(run);
}

/** Until nothing in the outbox is due or being sent, and the mailer's last invocation has returned. */
/**
 * Until nothing in the outbox is due or being sent, the stream has delivered every record written
 * so far (a marker item written now has come through: a shard's records arrive in order, so a
 * second delivery of a sent mail's record, whose claim fails, counts in this window too), and the
 * mailer's last invocation has returned (the mark-sent write comes after the send).
 */
async function outboxSettled(): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await outboxIdle())) {
    if (Date.now() > deadline) throw new Error('the outbox did not settle in 30 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const marker = keys.outbox(`capacity-marker-${markerCount++}`);
  const delivered = new Promise<void>((resolve) => markers.set(marker.pk, resolve));
  await documentClient.send(new PutCommand({ TableName: process.env.TABLE_NAME, Item: marker }));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([delivered, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the stream did not deliver the marker in 30 s')), 30_000)))]);
  clearTimeout(timer);
  await Promise.all([...mailerRuns]);
}

/**
 * Performs one operation, recording it if asked: the API function's calls go to `operation`; the
 * outbox mailer's (once the outbox has settled) to a mail or text operation of its own.
 */
async function perform(record: Kept, operation: string, description: string, fn: FunctionName, event: APIGatewayProxyEvent) {
  openCapture();
  try {
    const response = await timed(fn, () => invoke(handlers[fn], event));
    await outboxSettled();
    return response;
  } finally {
    const run = closeCapture();
    const split = (f: string): OperationRun => ({ calls: run.calls.filter((c) => c.fn === f), durationMs: run.durationMs[f] === undefined ? {} : { [f]: run.durationMs[f]! } });
    keep(record, operation, description, split(fn));
    const outbox = split('OutboxMailer');
    if (outbox.calls.length > 0) {
      const kind = outbox.calls.some((c) => c.service === 'sms') ? 'text' : 'mail';
      keep(record, `outbox ${kind} (after ${operation})`, `the outbox mailer, on the stream, sends the ${kind} ${operation} wrote`, outbox);
    }
  }
}

/** An API Gateway event from a source address of this user's own (rate limits are per address). */
function from(address: string, body: unknown, options: Parameters<typeof apiEvent>[1] = {}): APIGatewayProxyEvent {
  const event = apiEvent(body, options);
  event.requestContext.identity.sourceIp = address;
  return event;
}

const bearer = (token: string) => ({ 'Content-Type': 'application/json', Authorization: `Bearer ${token}` });

/** One user through every operation: register → mail → verify → login (a wrong password too) → refresh → me → phone code → text → phone verify → logout → forgot → mail → reset. */
async function journey(user: number, record: Kept): Promise<void> {
  const ip = `198.51.100.${10 + user}`;
  const body = uniqueRegistration();
  const json = { 'Content-Type': 'application/json' };

  const registered = await perform(record, 'register', 'POST /register: a new patient', 'Register', from(ip, body));
  expect(registered.statusCode).toBe(201);
  const verifyToken = tokenFrom((await awaitMails(body.email, 1)).at(-1)!);
  const verified = await perform(record, 'verify', 'POST /verify-email: the link from the mail, with the password', 'VerifyEmail',
    from(ip, { token: verifyToken, password: body.password }, { path: API_PATHS.verifyEmail }));
  expect(verified.statusCode).toBe(200);

  const login = await perform(record, 'login', 'POST /login: right password', 'Login', from(ip, { email: body.email, password: body.password }, { path: API_PATHS.login }));
  expect(login.statusCode).toBe(200);
  const wrong = await perform(record, 'login (wrong password)', 'POST /login: wrong password, 401', 'Login', from(ip, { email: body.email, password: 'Not-the-password-1!' }, { path: API_PATHS.login }));
  expect(wrong.statusCode).toBe(401);

  const refreshed = await perform(record, 'refresh', 'POST /token/refresh', 'TokenRefresh', from(ip, { refresh_token: login.body.data.refresh_token }, { path: API_PATHS.tokenRefresh }));
  expect(refreshed.statusCode).toBe(200);
  const session = refreshed.body.data;

  const me = await perform(record, 'me', 'GET /me: the own record, decrypted', 'Me', from(ip, undefined, { method: 'GET', path: API_PATHS.me, headers: bearer(session.access_token) }));
  expect(me.statusCode).toBe(200);

  const texted = await perform(record, 'phone code', 'POST /phone/verification: a code by text', 'PhoneVerification',
    from(ip, undefined, { path: API_PATHS.phoneVerification, headers: bearer(session.access_token) }));
  expect(texted.statusCode).toBe(202);
  const code = codeFrom((await awaitTexts(body.phone_number, 1)).at(-1)!);
  const phoneVerified = await perform(record, 'phone verify', 'POST /phone/verify: the code', 'PhoneVerify', from(ip, { code }, { path: API_PATHS.phoneVerify, headers: bearer(session.access_token) }));
  expect(phoneVerified.statusCode).toBe(200);

  const out = await perform(record, 'logout', 'POST /logout', 'Logout', from(ip, { refresh_token: session.refresh_token }, { path: API_PATHS.logout, headers: bearer(session.access_token) }));
  expect(out.statusCode).toBe(200);

  const forgot = await perform(record, 'forgot', 'POST /password/forgot: a registered address', 'PasswordForgot', from(ip, { email: body.email }, { path: API_PATHS.passwordForgot, headers: json }));
  expect(forgot.statusCode).toBe(200);
  const resetToken = tokenFrom((await awaitMails(body.email, 2)).at(-1)!);
  const password = 'N3w-Passphrase!x';
  const reset = await perform(record, 'reset', 'POST /password/reset: the link from the mail, a new password', 'PasswordReset',
    from(ip, { token: resetToken, password, confirm_password: password }, { path: API_PATHS.passwordReset }));
  expect(reset.statusCode).toBe(200);
}

describe('capacity recording', () => {
  it('records each operation on its own, three users after a warm-up (kept as the cold starts), with the sizes of what it wrote and read', async () => {
    await journey(0, 'cold');
    for (const user of [1, 2, 3]) await journey(user, 'warm');
    recording.tables = await describedTables();
    expect(lateCalls()).toBe(0);
    expect(Object.keys(recording.coldStarts ?? {})).toEqual(expect.arrayContaining(Object.keys(recording.operations)));

    expect(Object.keys(recording.operations)).toEqual(expect.arrayContaining(['register', 'verify', 'login', 'refresh', 'me', 'forgot', 'reset', 'phone code', 'outbox mail (after register)', 'outbox text (after phone code)']));
    for (const [name, { runs }] of Object.entries(recording.operations)) {
      expect(runs, name).toHaveLength(3);
      for (const run of runs) {
        expect(run.calls.length, name).toBeGreaterThan(0);
        expect(Object.values(run.durationMs)[0], name).toBeGreaterThan(0);
      }
    }
    // Sizes were read back: a registration writes items of a known, non-zero size.
    const registerWrites = recording.operations.register!.runs[0]!.calls.flatMap((c) => (c.service === 'dynamodb' ? c.writes : []));
    expect(registerWrites.length).toBeGreaterThan(0);
    expect(registerWrites.filter((w) => w.kind === 'Put').every((w) => (w.afterBytes ?? 0) > 0)).toBe(true);

    mkdirSync(path.dirname(RECORDING_FILE), { recursive: true });
    writeFileSync(RECORDING_FILE, `${JSON.stringify(recording, null, 1)}\n`);
  }, 300_000);
});
