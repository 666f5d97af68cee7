import { describe, expect, it, vi } from 'vitest';
import { logger } from '../../lib/logging/logger.js';
import { createAuditRecorder } from '../../lib/auth/audit-recorder.js';
import { issueDeviceToken } from '../../lib/auth/device-token.js';
import { attemptSubjects, createLoginAttempts } from '../../lib/auth/lockout-policy.js';
import type { SignInDeps } from '../../lib/auth/sign-in.js';
import { signInSession as signIn } from '../support/signed-in.js';
import { hashRefreshToken } from '../../lib/auth/refresh-token.js';
import { InvalidCredentialsError, SignInLockedError, SignInRefusedError } from '../../lib/errors.js';
import { createFakeDeps, fakeHash, type FakeDeps } from '../support/fakes/index.js';
import { CONTEXT, registeredPatient } from '../support/signed-in.js';

const failure = (promise: Promise<unknown>) => promise.then(() => expect.fail('signed in'), (e: unknown) => e);
const signInAs = (deps: FakeDeps, email: string, password: string, device_token?: string) =>
  signIn({ email, password, ...(device_token !== undefined && { device_token }) }, CONTEXT, deps);
const statusOf = (outcome: PromiseSettledResult<unknown>) => (outcome.status === 'fulfilled' ? 200 : (outcome.reason as { statusCode: number }).statusCode);

describe('signIn', () => {
  it('the right password of a verified account gets an access token for it and a stored refresh token', async () => {
    const deps = createFakeDeps();
    const { patientId, email, password } = await registeredPatient(deps);
    const tokens = await signInAs(deps, email, password);
    expect(tokens).toMatchObject({ patient_id: patientId, token_type: 'Bearer', expires_in: 900 });
    expect((await deps.tokens.verify(tokens.access_token, deps.clock.now())).patientId).toBe(patientId);
    expect(await deps.sessions.familyOf(hashRefreshToken(tokens.refresh_token))).toMatchObject({ patientId });
    expect((await deps.audit.eventsFor(patientId)).at(-1)).toMatchObject({ action: 'sign_in', outcome: 'success', requestId: CONTEXT.requestId });
  });

  it('after the compare, the session, the audit entry and the count\'s reset are written side by side, and all are done before the answer (issue 23 item 1)', async () => {
    const deps = createFakeDeps();
    const { patientId, email, password } = await registeredPatient(deps);
    const started: string[] = [];
    let release!: () => void;
    const resetHeld = new Promise<void>((resolve) => { release = resolve; });
    const { reserve } = deps.attempts;
    deps.attempts = {
      ...deps.attempts,
      reserve: async (...args: Parameters<typeof reserve>) => {
        const attempt = await reserve(...args);
        return attempt.locked ? attempt : { ...attempt, succeeded: async () => { started.push('reset'); await resetHeld; await attempt.succeeded(); } };
      },
    };
    const { startFamily } = deps.sessions;
    deps.sessions = { ...deps.sessions, startFamily: async (family) => { started.push('session'); return startFamily(family); } };
    let answered = false;
    const answer = signInAs(deps, email, password).then((tokens) => { answered = true; return tokens; });
    // The session is written while the reset is still under way, not after it.
    await expect.poll(() => started.includes('session') && started.includes('reset')).toBe(true);
    expect(answered).toBe(false);
    release();
    await expect(answer).resolves.toMatchObject({ patient_id: patientId });
    expect((await deps.audit.eventsFor(patientId)).at(-1)).toMatchObject({ action: 'sign_in', outcome: 'success' });
  });

  it('a session whose write fails is named in the trail as not started, after the success entry written alongside it', async () => {
    const deps = createFakeDeps();
    const { patientId, email, password } = await registeredPatient(deps);
    deps.sessions = { ...deps.sessions, startFamily: () => Promise.reject(new Error('store unavailable')) };
    const info = vi.spyOn(logger, 'info');
    await expect(signInAs(deps, email, password)).rejects.toThrow('store unavailable');
    const lines = info.mock.calls.slice();
    info.mockRestore();
    const events = (await deps.audit.eventsFor(patientId)).filter((event) => event.action === 'sign_in');
    const success = events.find((event) => event.outcome === 'success');
    expect(events.at(-1)).toMatchObject({ outcome: 'failure', reason: 'session_not_started', sessionId: success?.sessionId });
    // An outage, not a refused credential: the sign-in failure alarm does not count it.
    expect(lines.filter(([message, fields]) => message === 'sign-in' && (fields as { outcome?: string })?.outcome === 'failure')).toEqual([]);
  });

  it('the email is matched as registration normalized it', async () => {
    const deps = createFakeDeps();
    const { patientId, email, password } = await registeredPatient(deps);
    await expect(signInAs(deps, `  ${email.toUpperCase()} `, password)).resolves.toMatchObject({ patient_id: patientId });
  });

  it('unknown email and wrong password get the same error, and both run one bcrypt compare', async () => {
    const deps = createFakeDeps();
    const { email } = await registeredPatient(deps);
    const before = deps.hasher.compares.length;
    const unknown = await failure(signInAs(deps, 'nobody@example.com', 'Whatever123!'));
    expect(deps.hasher.compares.slice(before)).toEqual([deps.dummyHash]);
    const wrong = await failure(signInAs(deps, email, 'Whatever123!'));
    expect(deps.hasher.compares).toHaveLength(before + 2);
    expect(unknown).toBeInstanceOf(InvalidCredentialsError);
    expect(wrong).toBeInstanceOf(InvalidCredentialsError);
    expect((unknown as Error).message).toBe((wrong as Error).message);
    expect((unknown as Error).message).toBe('Invalid email or password');
  });

  it('an unknown email is audited without a patient, a wrong password with one', async () => {
    const deps = createFakeDeps();
    const { patientId, email } = await registeredPatient(deps);
    await failure(signInAs(deps, 'nobody@example.com', 'Whatever123!'));
    await failure(signInAs(deps, email, 'Whatever123!'));
    const events = deps.audit.all().filter((e) => e.action === 'sign_in');
    expect(events.map((e) => [e.patientId, e.reason])).toEqual([[undefined, 'unknown_email'], [patientId, 'wrong_password']]);
    expect(JSON.stringify(events)).not.toContain('nobody@example.com');
    expect(JSON.stringify(events)).not.toContain(CONTEXT.sourceIp);
  });

  it('the right password of an unverified account is refused with 403, a wrong one still with 401', async () => {
    const deps = createFakeDeps();
    const { email, password } = await registeredPatient(deps, { verified: false });
    const right = await failure(signInAs(deps, email, password));
    expect(right).toBeInstanceOf(SignInRefusedError);
    expect(right).toMatchObject({ statusCode: 403, message: 'Email address is not verified' });
    expect(await failure(signInAs(deps, email, 'Wrong-password-1'))).toBeInstanceOf(InvalidCredentialsError);
  });

  it('a deactivated account is refused with 403 and gets no session', async () => {
    const deps = createFakeDeps();
    const { patientId, email, password } = await registeredPatient(deps);
    deps.repository.setActive(patientId, false);
    expect(await failure(signInAs(deps, email, password))).toMatchObject({ statusCode: 403, reason: 'inactive' });
    expect((await deps.audit.eventsFor(patientId)).at(-1)).toMatchObject({ action: 'sign_in', outcome: 'failure', reason: 'inactive' });
  });

  it('from the 5th consecutive failure the account waits 1 s, then 2 s; bcrypt does not run while it is locked', async () => {
    const deps = createFakeDeps();
    const { email, password } = await registeredPatient(deps);
    for (let i = 0; i < 4; i++) expect(await failure(signInAs(deps, email, `wrong-${i}`))).toBeInstanceOf(InvalidCredentialsError);
    // The 5th failure is still answered as a failure; it starts the lock.
    expect(await failure(signInAs(deps, email, 'wrong-4'))).toBeInstanceOf(InvalidCredentialsError);
    const compares = deps.hasher.compares.length;
    const locked = await failure(signInAs(deps, email, password));
    expect(locked).toBeInstanceOf(SignInLockedError);
    expect(locked).toMatchObject({ statusCode: 429, retryAfterSeconds: 1 });
    expect(deps.hasher.compares).toHaveLength(compares);
    deps.clock.advance(1000);
    await failure(signInAs(deps, email, 'wrong-5'));
    expect(await failure(signInAs(deps, email, password))).toMatchObject({ retryAfterSeconds: 2 });
  });

  it('a success resets the count', async () => {
    const deps = createFakeDeps();
    const { patientId, email, password } = await registeredPatient(deps);
    for (let i = 0; i < 4; i++) await failure(signInAs(deps, email, `wrong-${i}`));
    await signInAs(deps, email, password);
    expect(await deps.storage.loginFailures.read(attemptSubjects.account(patientId))).toEqual({ failures: 0 });
    await failure(signInAs(deps, email, 'wrong-again'));
    await expect(signInAs(deps, email, password)).resolves.toBeDefined();
  });

  it('a hash of a lower cost is replaced after a successful sign-in, and not before', async () => {
    const deps = createFakeDeps();
    const { patientId, email, password } = await registeredPatient(deps);
    const weak = fakeHash(password, 10);
    await deps.repository.replacePasswordHash(patientId, deps.repository.readPatient(patientId)!.password_hash, weak, deps.clock.now());
    await failure(signInAs(deps, email, 'Wrong-password-1'));
    expect(deps.repository.readPatient(patientId)!.password_hash).toBe(weak);
    await signInAs(deps, email, password);
    expect(deps.repository.readPatient(patientId)!.password_hash).toBe(fakeHash(password));
    await expect(signInAs(deps, email, password)).resolves.toBeDefined();
  });

  it('a hash at the configured cost is left alone', async () => {
    const deps = createFakeDeps();
    const { email, password } = await registeredPatient(deps);
    const hashes = deps.hasher.calls;
    await signInAs(deps, email, password);
    expect(deps.hasher.calls).toBe(hashes);
  });

  it('12 guesses at once after the lock ends cost what 12 in a row cost: one is compared, 11 wait (issue 19 item 1)', async () => {
    const deps = createFakeDeps();
    const { email, password } = await registeredPatient(deps);
    for (let i = 0; i < 5; i++) await failure(signInAs(deps, email, `wrong-${i}`));
    deps.clock.advance(1000); // the 1-s lock ends
    const compares = deps.hasher.compares.length;
    const guesses = Array.from({ length: 12 }, (_, i) => (i === 11 ? password : `guess-${i}`));
    const outcomes = await Promise.allSettled(guesses.map((guess) => signInAs(deps, email, guess)));
    expect(deps.hasher.compares).toHaveLength(compares + 1);
    expect(outcomes.filter((o) => statusOf(o) === 429)).toHaveLength(11);
    // The one compared was the first reserved: a wrong guess here, so nobody signed in.
    expect(outcomes.map(statusOf)[0]).toBe(401);
  });
});

describe('signIn from a known device (issue 19 item 2)', () => {
  /** A stranger's burst of wrong passwords, locking the account for untrusted clients. */
  const burst = async (deps: FakeDeps, email: string) => {
    for (let i = 0; i < 5; i++) await failure(signInAs(deps, email, `stranger-${i}`));
  };

  it('a successful sign-in returns a device token beside the spec\'s fields; the same device keeps it', async () => {
    const deps = createFakeDeps();
    const { email, password } = await registeredPatient(deps);
    const first = await signInAs(deps, email, password);
    expect(Object.keys(first).sort()).toEqual(['access_token', 'device_token', 'expires_in', 'patient_id', 'refresh_token', 'token_type']);
    expect(first.device_token).toMatch(/^[0-9a-f]{32}\.v1\.[0-9a-f]{64}$/);
    expect((await signInAs(deps, email, password, first.device_token)).device_token).toBe(first.device_token);
    // Another client gets another device.
    expect((await signInAs(deps, email, password)).device_token).not.toBe(first.device_token);
  });

  it('the repro: a burst of wrong passwords, then one more each time the lock ends, never keeps the owner\'s device out', async () => {
    const deps = createFakeDeps();
    const { email, password } = await registeredPatient(deps);
    const { device_token } = await signInAs(deps, email, password);
    await burst(deps, email);
    for (let round = 0; round < 12; round++) {
      expect(await failure(signInAs(deps, email, password))).toBeInstanceOf(SignInLockedError); // an untrusted client waits…
      await expect(signInAs(deps, email, password, device_token)).resolves.toMatchObject({ device_token }); // …the owner's device does not
      const { retryAfterSeconds } = (await failure(signInAs(deps, email, 'stranger-again'))) as SignInLockedError;
      deps.clock.advance(retryAfterSeconds * 1000);
      expect(await failure(signInAs(deps, email, `stranger-${round}`))).toBeInstanceOf(InvalidCredentialsError); // one more as the lock ends
    }
  });

  it('a sign-in that re-hashes the password hands out a device token bound to the new hash', async () => {
    const deps = createFakeDeps();
    const { patientId, email, password } = await registeredPatient(deps);
    await deps.repository.replacePasswordHash(patientId, deps.repository.readPatient(patientId)!.password_hash, fakeHash(password, 10), deps.clock.now());
    const { device_token } = await signInAs(deps, email, password);
    expect(deps.repository.readPatient(patientId)!.password_hash).toBe(fakeHash(password));
    await burst(deps, email);
    await expect(signInAs(deps, email, password, device_token)).resolves.toMatchObject({ patient_id: patientId, device_token });
  });

  it('a device that guesses wrongly too often is locked itself, not the account', async () => {
    const deps = createFakeDeps();
    const { patientId, email, password } = await registeredPatient(deps);
    const { device_token } = await signInAs(deps, email, password);
    for (let i = 0; i < 5; i++) expect(await failure(signInAs(deps, email, `typo-${i}`, device_token))).toBeInstanceOf(InvalidCredentialsError);
    expect(await failure(signInAs(deps, email, password, device_token))).toMatchObject({ statusCode: 429, retryAfterSeconds: 1 });
    expect(await deps.storage.loginFailures.read(attemptSubjects.account(patientId))).toEqual({ failures: 0 });
    await expect(signInAs(deps, email, password)).resolves.toMatchObject({ patient_id: patientId });
  });

  it.each([
    ['tampered with', async (_deps: FakeDeps, token: string) => `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`],
    ['made for another patient', async (deps: FakeDeps) => {
      const other = await registeredPatient(deps);
      return (await signInAs(deps, other.email, other.password)).device_token;
    }],
    ['issued before the password changed', async (deps: FakeDeps, token: string, patientId: string) => {
      const stored = deps.repository.readPatient(patientId)!.password_hash;
      await deps.repository.replacePasswordHash(patientId, stored, `${stored}-changed`, deps.clock.now());
      return issueDeviceToken({ id: patientId, password_hash: stored }, deps.identifiers, token.slice(0, 32));
    }],
    ['not a device token at all', async () => 'not-a-device-token'],
  ] as const)('a device token %s is an untrusted client: the account lock applies', async (_case, make) => {
    const deps = createFakeDeps();
    const { patientId, email, password } = await registeredPatient(deps);
    const { device_token } = await signInAs(deps, email, password);
    const presented = await make(deps, device_token, patientId);
    await burst(deps, email);
    expect(await failure(signInAs(deps, email, password, presented))).toBeInstanceOf(SignInLockedError);
  });

  it('an unknown email locks like a known one, so a 429 does not tell whether it is registered', async () => {
    const deps = createFakeDeps();
    for (let i = 0; i < 5; i++) expect(await failure(signInAs(deps, 'nobody@example.com', `guess-${i}`))).toBeInstanceOf(InvalidCredentialsError);
    expect(await failure(signInAs(deps, 'nobody@example.com', 'guess-5'))).toMatchObject({ statusCode: 429, retryAfterSeconds: 1 });
    expect(await failure(signInAs(deps, 'Somebody.Else@example.com', 'guess'))).toBeInstanceOf(InvalidCredentialsError);
  });
});

describe('signIn store work (issue 19 item 18)', () => {
  /** Every call to a store port, in order, by port and method. */
  function counting<T extends object>(target: T, port: string, calls: string[]): T {
    return new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(`${port}.${String(property)}`);
          return value.apply(object, args);
        };
      },
    });
  }
  function countedDeps(deps: FakeDeps, calls: string[]): SignInDeps {
    return {
      ...deps,
      repository: counting(deps.repository, 'repository', calls),
      sessions: counting(deps.sessions, 'sessions', calls),
      attempts: createLoginAttempts(counting(deps.storage.loginFailures, 'loginFailures', calls)),
      auditor: createAuditRecorder(counting(deps.audit, 'audit', calls), deps.identifiers, deps.clock),
    };
  }

  it('a known email\'s wrong password makes the same store calls as an unknown email\'s', async () => {
    const deps = createFakeDeps();
    const { email } = await registeredPatient(deps);
    const known: string[] = [];
    const unknown: string[] = [];
    await failure(signIn({ email, password: 'Wrong-password-1' }, CONTEXT, countedDeps(deps, known)));
    await failure(signIn({ email: 'nobody@example.com', password: 'Wrong-password-1' }, CONTEXT, countedDeps(deps, unknown)));
    expect(known).toEqual(['repository.findCredentials', 'loginFailures.reserve', 'audit.record']);
    expect(unknown).toEqual(known);
  });

  it('and the same at the locking failure, which also moves its lock', async () => {
    const deps = createFakeDeps();
    const { email } = await registeredPatient(deps);
    for (let i = 0; i < 4; i++) {
      await failure(signInAs(deps, email, `wrong-${i}`));
      await failure(signInAs(deps, 'nobody@example.com', `wrong-${i}`));
    }
    const known: string[] = [];
    const unknown: string[] = [];
    await failure(signIn({ email, password: 'Wrong-password-5' }, CONTEXT, countedDeps(deps, known)));
    await failure(signIn({ email: 'nobody@example.com', password: 'Wrong-password-5' }, CONTEXT, countedDeps(deps, unknown)));
    expect(known).toEqual(['repository.findCredentials', 'loginFailures.reserve', 'loginFailures.extendLock', 'audit.record']);
    expect(unknown).toEqual(known);
  });

  it('so does a locked one', async () => {
    const deps = createFakeDeps();
    const { email } = await registeredPatient(deps);
    for (let i = 0; i < 5; i++) {
      await failure(signInAs(deps, email, `wrong-${i}`));
      await failure(signInAs(deps, 'nobody@example.com', `wrong-${i}`));
    }
    const known: string[] = [];
    const unknown: string[] = [];
    expect(await failure(signIn({ email, password: 'x' }, CONTEXT, countedDeps(deps, known)))).toBeInstanceOf(SignInLockedError);
    expect(await failure(signIn({ email: 'nobody@example.com', password: 'x' }, CONTEXT, countedDeps(deps, unknown)))).toBeInstanceOf(SignInLockedError);
    expect(unknown).toEqual(known);
  });
});
