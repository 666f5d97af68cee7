import { describe, expect, it } from 'vitest';
import { signIn } from '../../lib/auth/sign-in.js';
import { hashRefreshToken } from '../../lib/auth/refresh-token.js';
import { InvalidCredentialsError, SignInLockedError, SignInRefusedError } from '../../lib/errors.js';
import { createFakeDeps, fakeHash, type FakeDeps } from '../support/fakes/index.js';
import { CONTEXT, registeredPatient } from '../support/signed-in.js';

const failure = (promise: Promise<unknown>) => promise.then(() => expect.fail('signed in'), (e: unknown) => e);
const signInAs = (deps: FakeDeps, email: string, password: string) => signIn({ email, password }, CONTEXT, deps);

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
    expect((await deps.storage.loginFailures.read(patientId)).failures).toBe(0);
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
});
