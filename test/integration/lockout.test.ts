import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler as change } from '../../functions/password-change/handler.js';
import { handler as forgot } from '../../functions/password-forgot/handler.js';
import { handler as reset } from '../../functions/password-reset/handler.js';
import { keys } from '../../lib/adapters/dynamodb/keys.js';
import { attemptSubjects } from '../../lib/auth/lockout-policy.js';
import { API_PATHS } from '../../lib/http/routes.js';
import { auditTrailOf } from '../support/audit-trail.js';
import { documentClient, mailsTo, tokenFrom } from '../support/local-aws.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';
import { api, newestToken, sweepOutbox, verifiedPatient } from '../support/sign-in-api.js';

/**
 * The attack of issue 19 items 1 and 2, replayed through the real handlers on DynamoDB Local. Time
 * is not waited for: the test moves the stored lock's end, into the past as time would, or (on a
 * loaded machine five bcrypt rounds outlast the 1-s first lock) a minute ahead, as a later lock would.
 */
const BCRYPT_HEAVY = 120_000;
const NEW_PASSWORD = 'Brand-N3w-Secret!';

async function moveLockEnd(subject: string, fromNowMs: number): Promise<void> {
  await documentClient.send(new UpdateCommand({
    TableName: process.env.TABLE_NAME,
    Key: keys.loginAttempts(subject),
    UpdateExpression: 'SET locked_until = :until',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':until': new Date(Date.now() + fromNowMs).toISOString() },
  }));
}
const endLock = (subject: string) => moveLockEnd(subject, -1000);
const holdLock = (subject: string) => moveLockEnd(subject, 60_000);

const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});
const burst = async (email: string, tries = 5) => {
  for (let i = 0; i < tries; i++) expect((await api.login(email, `Stranger-${i}-guess`)).statusCode).toBe(401);
};

describe('the lock holds against parallel guesses (issue 19 item 1)', () => {
  it('5 failures, then 12 guesses at once with the right one among them: none is evaluated while locked', async () => {
    const { body, patientId } = await verifiedPatient();
    await burst(body.email);
    await holdLock(attemptSubjects.account(patientId));
    const guesses = Array.from({ length: 12 }, (_, i) => (i === 6 ? body.password : `Parallel-${i}-guess`));
    const whileLocked = await Promise.all(guesses.map((guess) => api.login(body.email, guess)));
    expect(tally(whileLocked.map((r) => r.statusCode))).toEqual({ 429: 12 });

    // The lock ends: of 12 at once exactly one is evaluated (as the next in a row would be), the 6th
    // failure locks again before any other reaches bcrypt.
    await endLock(attemptSubjects.account(patientId));
    const afterLock = await Promise.all(guesses.map((guess) => api.login(body.email, guess)));
    const statuses = tally(afterLock.map((r) => r.statusCode));
    expect(statuses[429]).toBe(11);
    expect((statuses[401] ?? 0) + (statuses[200] ?? 0)).toBe(1);
    const evaluated = (await auditTrailOf(patientId)).filter((e) => e.action === 'sign_in' && e.reason !== 'locked');
    expect(evaluated).toHaveLength(5 + 1);
  }, BCRYPT_HEAVY);
});

describe('the owner is never locked out by a stranger (issue 19 item 2)', () => {
  it('the repro: a burst, then one wrong try each time the lock ends, keeps untrusted clients out but never the owner\'s device', async () => {
    const { body, patientId } = await verifiedPatient();
    const signedIn = await api.login(body.email, body.password);
    const deviceToken = signedIn.body.data.device_token as string;
    await burst(body.email);
    await holdLock(attemptSubjects.account(patientId));
    for (let round = 0; round < 3; round++) {
      expect((await api.login(body.email, body.password)).statusCode).toBe(429);
      const owner = await api.login(body.email, body.password, deviceToken);
      expect(owner.statusCode).toBe(200);
      expect(owner.body.data.device_token).toBe(deviceToken);
      await endLock(attemptSubjects.account(patientId));
      expect((await api.login(body.email, `Stranger-again-${round}`)).statusCode).toBe(401);
      await holdLock(attemptSubjects.account(patientId)); // the lock that failure started, outlasting this round
    }
  }, BCRYPT_HEAVY);

  it('a device token that guesses wrongly too often is locked itself, the account is not', async () => {
    const { body } = await verifiedPatient();
    const deviceToken = (await api.login(body.email, body.password)).body.data.device_token as string;
    for (let i = 0; i < 5; i++) expect((await api.login(body.email, `Typo-${i}-password`, deviceToken)).statusCode).toBe(401);
    expect((await api.login(body.email, body.password, deviceToken)).statusCode).toBe(429);
    expect((await api.login(body.email, body.password)).statusCode).toBe(200);
  }, BCRYPT_HEAVY);

  it('the verification link works whatever the account lock', async () => {
    const body = uniqueRegistration();
    const registered = await api.register(body);
    expect(registered.statusCode).toBe(201);
    await sweepOutbox();
    await burst(body.email);
    await holdLock(attemptSubjects.account(registered.body.data.patient_id));
    expect((await api.login(body.email, body.password)).statusCode).toBe(429);
    expect((await api.verify(await newestToken(body.email), body.password)).statusCode).toBe(200);
  }, BCRYPT_HEAVY);

  it('the reset link works whatever the account lock, and ends it', async () => {
    const { body, patientId } = await verifiedPatient();
    await burst(body.email);
    await holdLock(attemptSubjects.account(patientId));
    expect((await api.login(body.email, body.password)).statusCode).toBe(429);
    expect((await invoke(forgot, apiEvent({ email: body.email }, { path: API_PATHS.passwordForgot }))).statusCode).toBe(200);
    await sweepOutbox();
    const token = tokenFrom((await mailsTo(body.email)).filter((m) => m.subject === 'Reset your password').at(-1)!);
    const done = await invoke(reset, apiEvent({ token, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD }, { path: API_PATHS.passwordReset }));
    expect(done.statusCode).toBe(200);
    expect((await api.login(body.email, NEW_PASSWORD)).statusCode).toBe(200);
  }, BCRYPT_HEAVY);

  it('a signed-in owner changes the password whatever the account lock', async () => {
    const { body, session, patientId } = await verifiedPatient();
    await burst(body.email);
    await holdLock(attemptSubjects.account(patientId));
    expect((await api.login(body.email, body.password)).statusCode).toBe(429);
    const changed = await invoke(change, apiEvent(
      { current_password: body.password, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD },
      { path: API_PATHS.passwordChange, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${session.access_token}` } },
    ));
    expect(changed.statusCode).toBe(200);
  }, BCRYPT_HEAVY);
});
