import { describe, expect, it } from 'vitest';
import { authenticate } from '../../lib/auth/authenticate.js';
import { endOtherSessions, endSession, listSessions } from '../../lib/auth/own-sessions.js';
import { refreshSession } from '../../lib/auth/refresh-session.js';
import { signInSession as signIn } from '../support/signed-in.js';
import { InvalidAccessTokenError, InvalidRefreshTokenError, UnknownSessionError } from '../../lib/errors.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { registerPatient } from '../../lib/patient/register-patient.js';
import type { RegistrationRequest } from '../../lib/patient/registration-schema.js';
import { verifyEmail } from '../../lib/patient/verify-email.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { uniqueRegistration } from '../support/requests.js';
import { CONTEXT, registeredPatient } from '../support/signed-in.js';

const LAPTOP = { ...CONTEXT, device: 'Chrome 120 on macOS' };
const PHONE = { ...CONTEXT, device: 'Safari 17 on iOS' };
const MINUTE = 60_000;

const rejection = (promise: Promise<unknown>) => promise.then(() => expect.fail('resolved'), (e: unknown) => e);
const callerOf = (deps: FakeDeps, accessToken: string) => authenticate({ authorization: `Bearer ${accessToken}` }, deps);

/** A verified patient signed in twice: on a laptop, then a minute later on a phone. */
async function signedInTwice(deps: FakeDeps) {
  const { patientId, email, password } = await registeredPatient(deps);
  deps.clock.advance(MINUTE);
  const laptop = await signIn({ email, password }, LAPTOP, deps);
  deps.clock.advance(MINUTE);
  const phone = await signIn({ email, password }, PHONE, deps);
  return { patientId, email, password, laptop, phone, laptopCaller: await callerOf(deps, laptop.access_token), phoneCaller: await callerOf(deps, phone.access_token) };
}

describe('listSessions', () => {
  it('lists the caller\'s live sessions, most recently used first, with device, times and the current one flagged', async () => {
    const deps = createFakeDeps();
    const { laptopCaller, phoneCaller } = await signedInTwice(deps);
    const list = await listSessions(laptopCaller, deps);
    // The session verification started (no user agent) is live too.
    expect(list).toHaveLength(3);
    expect(list[0]).toEqual({ id: phoneCaller.sessionId, device: 'Safari 17 on iOS', created_at: expect.any(String), last_used_at: list[0]!.created_at, current: false });
    expect(list[1]).toMatchObject({ id: laptopCaller.sessionId, device: 'Chrome 120 on macOS', current: true });
    expect(list[2]).toMatchObject({ device: null, current: false });
    expect(list.filter((s) => s.current)).toHaveLength(1);
  });

  it('a refresh moves the session\'s last use, and with it the session to the top', async () => {
    const deps = createFakeDeps();
    const { laptop, laptopCaller } = await signedInTwice(deps);
    deps.clock.advance(MINUTE);
    await refreshSession(laptop.refresh_token, CONTEXT, deps);
    const [top] = await listSessions(laptopCaller, deps);
    expect(top).toMatchObject({ id: laptopCaller.sessionId, last_used_at: deps.clock.now().toISOString() });
    expect(top!.created_at).not.toBe(top!.last_used_at);
  });

  it('shows no other patient\'s sessions', async () => {
    const deps = createFakeDeps();
    const { laptopCaller } = await signedInTwice(deps);
    const stranger = await registeredPatient(deps);
    const strangerCaller = await callerOf(deps, stranger.session!.access_token);
    const ids = (await listSessions(strangerCaller, deps)).map((s) => s.id);
    expect(ids).toEqual([strangerCaller.sessionId]);
    expect(ids).not.toContain(laptopCaller.sessionId);
  });

  it('email verification, which signs in, records the device too', async () => {
    const deps = createFakeDeps();
    const body = uniqueRegistration() as RegistrationRequest;
    await registerPatient(body, deps);
    await deliverDueMails(deps);
    const token = new URL(deps.mailer.sent.at(-1)!.verifyUrl).searchParams.get('token')!;
    const session = await verifyEmail({ token, password: body.password }, PHONE, deps);
    expect(await listSessions(await callerOf(deps, session.access_token), deps)).toEqual([expect.objectContaining({ device: 'Safari 17 on iOS', current: true })]);
  });
});

describe('endSession', () => {
  it('ends another of the caller\'s sessions: its access token is refused at once, its refresh token too; the caller\'s works on', async () => {
    const deps = createFakeDeps();
    const { laptop, phone, laptopCaller, phoneCaller } = await signedInTwice(deps);
    await endSession(laptopCaller, phoneCaller.sessionId!, CONTEXT, deps);
    expect(await rejection(callerOf(deps, phone.access_token))).toBeInstanceOf(InvalidAccessTokenError);
    expect(await rejection(refreshSession(phone.refresh_token, CONTEXT, deps))).toBeInstanceOf(InvalidRefreshTokenError);
    await expect(callerOf(deps, laptop.access_token)).resolves.toMatchObject({ sessionId: laptopCaller.sessionId });
    expect((await listSessions(laptopCaller, deps)).map((s) => s.id)).not.toContain(phoneCaller.sessionId);
  });

  it('another patient\'s session is 404 (not 403), and it stays live', async () => {
    const deps = createFakeDeps();
    const { phone, phoneCaller } = await signedInTwice(deps);
    const stranger = await registeredPatient(deps);
    const strangerCaller = await callerOf(deps, stranger.session!.access_token);
    expect(await rejection(endSession(strangerCaller, phoneCaller.sessionId!, CONTEXT, deps))).toBeInstanceOf(UnknownSessionError);
    await expect(callerOf(deps, phone.access_token)).resolves.toBeDefined();
    const failures = (await deps.audit.eventsFor(stranger.patientId)).filter((e) => e.action === 'session_end');
    expect(failures).toEqual([expect.objectContaining({ outcome: 'failure', reason: 'unknown_session' })]);
  });

  it.each([['an unknown id', '7d0c5a3e-2b1f-4c8e-9a6d-1f2e3d4c5b6a'], ['no UUID at all', 'not-a-session'], ['an empty id', '']])('%s is 404', async (_case, id) => {
    const deps = createFakeDeps();
    const { laptopCaller } = await signedInTwice(deps);
    expect(await rejection(endSession(laptopCaller, id, CONTEXT, deps))).toBeInstanceOf(UnknownSessionError);
  });

  it('an id that is no UUID reaches no store (PostgreSQL would refuse it as uuid input)', async () => {
    const deps = createFakeDeps();
    const { laptopCaller } = await signedInTwice(deps);
    const asked: unknown[] = [];
    const sessions = { ...deps.sessions, endOwn: async (...args: unknown[]) => {
      asked.push(args);
      return false;
    } };
    expect(await rejection(endSession(laptopCaller, "x' OR 1=1", CONTEXT, { ...deps, sessions }))).toBeInstanceOf(UnknownSessionError);
    expect(asked).toEqual([]);
  });

  it('a session already ended is 404 the second time', async () => {
    const deps = createFakeDeps();
    const { laptopCaller, phoneCaller } = await signedInTwice(deps);
    await endSession(laptopCaller, phoneCaller.sessionId!, CONTEXT, deps);
    expect(await rejection(endSession(laptopCaller, phoneCaller.sessionId!, CONTEXT, deps))).toBeInstanceOf(UnknownSessionError);
  });

  it('the caller may end its own current session: a sign-out', async () => {
    const deps = createFakeDeps();
    const { patientId, laptop, laptopCaller } = await signedInTwice(deps);
    await endSession(laptopCaller, laptopCaller.sessionId!, CONTEXT, deps);
    expect(await rejection(callerOf(deps, laptop.access_token))).toBeInstanceOf(InvalidAccessTokenError);
    const ended = (await deps.audit.eventsFor(patientId)).filter((e) => e.action === 'session_end');
    expect(ended).toEqual([expect.objectContaining({ outcome: 'success', reason: 'current', sessionId: laptopCaller.sessionId })]);
  });

  it('the audit event names the session, never the device', async () => {
    const deps = createFakeDeps();
    const { patientId, laptopCaller, phoneCaller } = await signedInTwice(deps);
    await endSession(laptopCaller, phoneCaller.sessionId!, CONTEXT, deps);
    const events = await deps.audit.eventsFor(patientId);
    expect(events.filter((e) => e.action === 'session_end')).toEqual([expect.objectContaining({ outcome: 'success', sessionId: phoneCaller.sessionId })]);
    expect(JSON.stringify(events)).not.toContain('Safari');
  });
});

describe('endOtherSessions', () => {
  it('ends every session of the caller but its own, and no other patient\'s', async () => {
    const deps = createFakeDeps();
    const { laptop, phone, laptopCaller } = await signedInTwice(deps);
    const stranger = await registeredPatient(deps);
    await endOtherSessions(laptopCaller, CONTEXT, deps);
    expect((await listSessions(laptopCaller, deps)).map((s) => s.id)).toEqual([laptopCaller.sessionId]);
    expect(await rejection(callerOf(deps, phone.access_token))).toBeInstanceOf(InvalidAccessTokenError);
    await expect(refreshSession(laptop.refresh_token, CONTEXT, deps)).resolves.toBeDefined();
    await expect(callerOf(deps, stranger.session!.access_token)).resolves.toBeDefined();
  });
});
