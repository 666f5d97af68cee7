import { describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { authenticate } from '../../lib/auth/authenticate.js';
import {
  InvalidAccessTokenError, InvalidMfaTokenError, PasskeyEnrolmentError, PasskeyLimitError, PasskeySignInError, SignInLockedError, SignInRefusedError, StepUpRequiredError,
  UnknownPasskeyError, WrongSecondFactorError,
} from '../../lib/errors.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { enrolPasskey, passkeyCreationOptions, passkeyNotice } from '../../lib/passkey/enrol-passkey.js';
import { MAX_PASSKEYS } from '../../lib/passkey/limits.js';
import { listPasskeys, removePasskey } from '../../lib/passkey/own-passkeys.js';
import { passkeySignInOptions, signInWithPasskey } from '../../lib/passkey/passkey-sign-in.js';
import { challengeOf, CHALLENGE_TTL_MS, newChallenge } from '../../lib/passkey/webauthn.js';
import { composeAccountNotice } from '../../lib/record/notice-mails.js';
import { STEP_UP_MAX_AGE_SECONDS } from '../../lib/auth/step-up.js';
import { completeMfaSignIn, type MfaRequiredAnswer } from '../../lib/auth/mfa-sign-in.js';
import { signIn } from '../../lib/auth/sign-in.js';
import { ACR_AAL2 } from '../../lib/auth/assurance.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { CONTEXT, registeredPatient, signInSession } from '../support/signed-in.js';
import { createSoftwareAuthenticator, type Misbehaviour } from '../support/software-authenticator.js';

const ORIGIN = 'https://app.clinic.test';
const RP = { rpId: 'clinic.test', origin: ORIGIN, name: 'Clinic' };
const rejection = (promise: Promise<unknown>) => promise.then(() => expect.fail('resolved'), (e: unknown) => e);

function passkeyDeps() {
  const deps = createFakeDeps();
  return Object.assign(deps, { relyingParty: RP });
}
type Deps = ReturnType<typeof passkeyDeps>;

const callerOf = (deps: FakeDeps, accessToken: string) => authenticate({ authorization: `Bearer ${accessToken}` }, deps);

/** A verified, signed-in patient with one passkey on a software authenticator. */
async function enrolled(deps: Deps, options: { counting?: boolean } = {}) {
  const patient = await registeredPatient(deps);
  const caller = await callerOf(deps, patient.session!.access_token);
  const authenticator = createSoftwareAuthenticator(ORIGIN, options);
  const { passkey, response } = authenticator.create(await passkeyCreationOptions(caller, deps));
  const view = await enrolPasskey(caller, { response, name: 'Laptop' }, CONTEXT, deps);
  return { ...patient, caller, authenticator, passkey, view };
}

async function signInWith(deps: Deps, who: Awaited<ReturnType<typeof enrolled>>, bad?: Misbehaviour) {
  const options = await passkeySignInOptions(deps);
  return signInWithPasskey({ response: who.authenticator.get(who.passkey, options, bad) }, CONTEXT, deps);
}

/** POST /login with the right password of a patient who holds a second factor: the mfa_required answer, or the test fails. */
async function passwordStep(deps: Deps, who: { email: string; password: string }): Promise<MfaRequiredAnswer> {
  const answer = await signIn({ email: who.email, password: who.password }, CONTEXT, deps);
  if (!('mfa_required' in answer)) throw new Error('passwordStep: a session, not mfa_required');
  return answer;
}

/** The patient signed in with its passkey: an AAL2 caller, as a step-up asks once a second factor is held. */
const passkeyCaller = async (deps: Deps, who: Awaited<ReturnType<typeof enrolled>>) => callerOf(deps, (await signInWith(deps, who)).access_token);

const auditReasons = (deps: FakeDeps, patientId: string, action: string) =>
  deps.audit.eventsFor(patientId).then((events) => events.filter((e) => e.action === action).map((e) => `${e.outcome}:${e.reason ?? ''}`));

describe('enrolling a passkey', () => {
  it('asks for a discoverable, user-verified credential of this RP, bound to the patient id, not a name', async () => {
    const deps = passkeyDeps();
    const patient = await registeredPatient(deps);
    const options = await passkeyCreationOptions(await callerOf(deps, patient.session!.access_token), deps);
    expect(options.rp).toEqual({ id: 'clinic.test', name: 'Clinic' });
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'required' });
    expect(Buffer.from(options.user.id, 'base64url').toString()).toBe(patient.patientId);
    expect(options.user.displayName).not.toContain(patient.body.first_name);
  });

  it('stores the credential (id, public key, counter, transports, AAGUID, name) and mails and audits the addition', async () => {
    const deps = passkeyDeps();
    const { patientId, passkey, view } = await enrolled(deps);
    expect(view).toEqual({ id: passkey.credentialId, name: 'Laptop', created_at: deps.clock.now().toISOString(), last_used_at: null, transports: ['internal'], aaguid: '00000000-0000-0000-0000-000000000000' });
    expect(deps.passkeys.credentialOf(passkey.credentialId)).toMatchObject({ patientId, counter: 0, publicKey: expect.any(String) });
    await deliverDueMails(deps);
    expect(deps.mailer.notices).toEqual([{ to: expect.any(String), notice: 'passkey_added' }]);
    expect(await auditReasons(deps, patientId, 'passkey_add')).toEqual(['success:']);
  });

  it('a challenge is single-use: the same answer again is refused and stores nothing more', async () => {
    const deps = passkeyDeps();
    const patient = await registeredPatient(deps);
    const caller = await callerOf(deps, patient.session!.access_token);
    const authenticator = createSoftwareAuthenticator(ORIGIN);
    const { passkey, response } = authenticator.create(await passkeyCreationOptions(caller, deps));
    await enrolPasskey(caller, { response }, CONTEXT, deps);
    // Holding a passkey now, the patient steps up with it (AAL2) and sends the same answer again.
    const stepped = await passkeyCaller(deps, { ...patient, caller, authenticator, passkey, view: undefined as never });
    const replay = await rejection(enrolPasskey(stepped, { response }, CONTEXT, deps));
    expect(replay).toBeInstanceOf(PasskeyEnrolmentError);
    expect((replay as PasskeyEnrolmentError).reason).toBe('challenge');
    expect(await listPasskeys(caller, deps)).toHaveLength(1);
  });

  it('a challenge expires: answered after its 5 minutes it is refused, just before it is accepted', async () => {
    for (const [late, accepted] of [[CHALLENGE_TTL_MS, false], [CHALLENGE_TTL_MS - 1000, true]] as const) {
      const deps = passkeyDeps();
      const patient = await registeredPatient(deps);
      const caller = await callerOf(deps, patient.session!.access_token);
      const { response } = createSoftwareAuthenticator(ORIGIN).create(await passkeyCreationOptions(caller, deps));
      deps.clock.advance(late);
      const outcome = enrolPasskey(caller, { response }, CONTEXT, deps);
      if (accepted) await expect(outcome).resolves.toMatchObject({ name: 'Passkey' });
      else await expect(outcome).rejects.toMatchObject({ reason: 'challenge' });
    }
  });

  it('another patient\'s challenge does not enrol for the caller', async () => {
    const deps = passkeyDeps();
    const a = await registeredPatient(deps);
    const b = await registeredPatient(deps);
    const callerA = await callerOf(deps, a.session!.access_token);
    const callerB = await callerOf(deps, b.session!.access_token);
    const { response } = createSoftwareAuthenticator(ORIGIN).create(await passkeyCreationOptions(callerA, deps));
    await expect(enrolPasskey(callerB, { response }, CONTEXT, deps)).rejects.toMatchObject({ reason: 'challenge' });
    expect(await listPasskeys(callerB, deps)).toEqual([]);
  });

  it.each([
    ['another origin', { origin: 'https://phish.test' }],
    ['another RP id', { rpId: 'phish.test' }],
    ['no user verification', { unverified: true }],
  ] as const)('refuses an attestation with %s', async (_, bad: Misbehaviour) => {
    const deps = passkeyDeps();
    const patient = await registeredPatient(deps);
    const caller = await callerOf(deps, patient.session!.access_token);
    const { response } = createSoftwareAuthenticator(ORIGIN).create(await passkeyCreationOptions(caller, deps), bad);
    await expect(enrolPasskey(caller, { response }, CONTEXT, deps)).rejects.toMatchObject({ reason: 'invalid' });
    expect(await listPasskeys(caller, deps)).toEqual([]);
    expect(await auditReasons(deps, patient.patientId, 'passkey_add')).toEqual(['failure:invalid']);
  });

  it('needs a sign-in within the last 10 minutes (RFC 9470 step-up), to the second', async () => {
    const deps = passkeyDeps();
    const patient = await registeredPatient(deps);
    const caller = await callerOf(deps, patient.session!.access_token);
    deps.clock.advance(STEP_UP_MAX_AGE_SECONDS * 1000);
    await expect(passkeyCreationOptions(caller, deps)).resolves.toBeDefined();
    deps.clock.advance(1000);
    await expect(passkeyCreationOptions(caller, deps)).rejects.toBeInstanceOf(StepUpRequiredError);
  });

  it('with a passkey held, an AAL1 session adds or removes none; the password completed with the passkey (AAL2) does', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    // The session of the email's verification (a password: AAL1), still within the 10 minutes.
    const byPassword = who.caller;
    await expect(passkeyCreationOptions(byPassword, deps)).rejects.toMatchObject({ need: { acrValues: ACR_AAL2 } });
    await expect(removePasskey(byPassword, who.passkey.credentialId, CONTEXT, deps)).rejects.toBeInstanceOf(StepUpRequiredError);
    const step = await passwordStep(deps, who);
    const byBoth = await callerOf(deps, (await completeMfaSignIn({ mfa_token: step.mfa_token, response: who.authenticator.get(who.passkey, step.passkey_options!) }, CONTEXT, deps)).access_token);
    expect(byBoth.acr).toBe(ACR_AAL2);
    await expect(passkeyCreationOptions(byBoth, deps)).resolves.toBeDefined();
    await removePasskey(byBoth, who.passkey.credentialId, CONTEXT, deps);
  });
});

describe('the cap on passkeys (MAX_PASSKEYS)', () => {
  /** Stores passkeys of the patient's straight through the store, up to `count` in all. */
  async function fillTo(deps: Deps, who: Awaited<ReturnType<typeof enrolled>>, count: number) {
    const patient = (await deps.repository.getPatient(who.patientId))!;
    for (let i = (await deps.passkeys.listFor(who.patientId)).length; i < count; i++) {
      const credential = { ...deps.passkeys.credentialOf(who.passkey.credentialId)!, id: `filler-${i}`, createdAt: deps.clock.now() };
      expect(await deps.passkeys.add(credential, passkeyNotice(patient, 'passkey_added', deps.clock.now()), MAX_PASSKEYS)).toBe('added');
    }
  }

  it('a patient at the limit is told before the ceremony (409)', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    await fillTo(deps, who, MAX_PASSKEYS);
    await expect(passkeyCreationOptions(await passkeyCaller(deps, who), deps)).rejects.toMatchObject({ statusCode: 409 });
  });

  it('an answer that arrives once the limit is reached is refused and audited; nothing is stored or mailed', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    await fillTo(deps, who, MAX_PASSKEYS - 1);
    const caller = await passkeyCaller(deps, who);
    const phone = createSoftwareAuthenticator(ORIGIN);
    const { response } = phone.create(await passkeyCreationOptions(caller, deps));
    await fillTo(deps, who, MAX_PASSKEYS);
    await deliverDueMails(deps);
    const mailed = deps.mailer.notices.length;
    await expect(enrolPasskey(caller, { response, name: 'Phone' }, CONTEXT, deps)).rejects.toBeInstanceOf(PasskeyLimitError);
    expect(await listPasskeys(caller, deps)).toHaveLength(MAX_PASSKEYS);
    await deliverDueMails(deps);
    expect(deps.mailer.notices).toHaveLength(mailed);
    expect((await auditReasons(deps, who.patientId, 'passkey_add')).at(-1)).toBe('failure:limit');
  });
});

describe('challengeOf', () => {
  const answerNaming = (challenge: unknown) => ({ id: 'x', response: { clientDataJSON: Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge })).toString('base64url') } });

  it('reads a challenge of the shape this service issues', () => {
    const challenge = newChallenge();
    expect(challengeOf(answerNaming(challenge))).toBe(challenge);
  });

  it.each([['2,100 characters', 'A'.repeat(2100)], ['44 characters', 'A'.repeat(44)], ['not base64url', `${'A'.repeat(42)}+`], ['a number', 42]])('names none for %s: no store is asked for it', (_, challenge) => {
    expect(challengeOf(answerNaming(challenge))).toBeUndefined();
  });
});

describe('signing in with a passkey', () => {
  it('signs in with the passkey alone: session tokens for its patient, audited', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    const answer = await signInWith(deps, who);
    expect(answer).toMatchObject({ patient_id: who.patientId, token_type: 'Bearer' });
    expect(decodeJwt(answer.access_token)).toMatchObject({ sub: who.patientId, amr: ['hwk', 'user'], acr: ACR_AAL2, auth_time: deps.clock.now().getTime() / 1000 });
    expect(await callerOf(deps, answer.access_token)).toMatchObject({ patientId: who.patientId });
    expect(deps.passkeys.credentialOf(who.passkey.credentialId)).toMatchObject({ counter: 1, lastUsedAt: deps.clock.now() });
    expect(await auditReasons(deps, who.patientId, 'passkey_sign_in')).toEqual(['success:']);
  });

  it('a sign-in challenge is single-use: a replayed assertion is refused', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps, { counting: false });
    const response = who.authenticator.get(who.passkey, await passkeySignInOptions(deps));
    await signInWithPasskey({ response }, CONTEXT, deps);
    await expect(signInWithPasskey({ response }, CONTEXT, deps)).rejects.toMatchObject({ reason: 'challenge' });
  });

  it('a sign-in challenge expires after 5 minutes', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    const response = who.authenticator.get(who.passkey, await passkeySignInOptions(deps));
    deps.clock.advance(CHALLENGE_TTL_MS);
    await expect(signInWithPasskey({ response }, CONTEXT, deps)).rejects.toMatchObject({ reason: 'challenge' });
  });

  it('an enrolment challenge does not sign in', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    const enrolOptions = await passkeyCreationOptions(await passkeyCaller(deps, who), deps);
    const response = who.authenticator.get(who.passkey, { challenge: enrolOptions.challenge });
    await expect(signInWithPasskey({ response }, CONTEXT, deps)).rejects.toMatchObject({ reason: 'challenge' });
  });

  it('a counter that goes backwards (or stays) is refused and audited; the stored counter stays', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    await signInWith(deps, who);
    await signInWith(deps, who);
    for (const counter of [1, 2]) {
      const refused = await rejection(signInWith(deps, who, { counter }));
      expect(refused).toBeInstanceOf(PasskeySignInError);
      expect((refused as PasskeySignInError).reason).toBe('counter_not_forward');
    }
    expect(deps.passkeys.credentialOf(who.passkey.credentialId)!.counter).toBe(2);
    expect(await auditReasons(deps, who.patientId, 'passkey_sign_in')).toEqual(['success:', 'success:', 'failure:counter_not_forward', 'failure:counter_not_forward']);
  });

  it('of two assertions with the same counter sent at once, one signs in', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    const [o1, o2] = [await passkeySignInOptions(deps), await passkeySignInOptions(deps)];
    const first = who.authenticator.get(who.passkey, o1);
    const second = who.authenticator.get(who.passkey, o2, { counter: who.passkey.counter });
    const outcomes = await Promise.allSettled([signInWithPasskey({ response: first }, CONTEXT, deps), signInWithPasskey({ response: second }, CONTEXT, deps)]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('an authenticator without a counter (always 0) keeps signing in', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps, { counting: false });
    await signInWith(deps, who);
    await expect(signInWith(deps, who)).resolves.toMatchObject({ patient_id: who.patientId });
  });

  it.each([
    ['another origin', { origin: 'https://phish.test' }],
    ['another RP id', { rpId: 'phish.test' }],
    ['no user verification', { unverified: true }],
    ['a made-up challenge', { challenge: 'bm90LWlzc3VlZC1ieS11cw' }],
  ] as const)('refuses an assertion with %s', async (_, bad: Misbehaviour) => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    await expect(signInWith(deps, who, bad)).rejects.toBeInstanceOf(PasskeySignInError);
  });

  it('refuses a passkey that names another patient (user handle), and an unknown credential', async () => {
    const deps = passkeyDeps();
    const a = await enrolled(deps);
    const b = await enrolled(deps);
    // B's authenticator claims A's user handle for B's credential.
    await expect(signInWith(deps, b, {}).then(() => undefined)).resolves.toBeUndefined();
    const forged = { ...b.passkey, userHandle: a.passkey.userHandle };
    const response = b.authenticator.get(forged, await passkeySignInOptions(deps));
    await expect(signInWithPasskey({ response }, CONTEXT, deps)).rejects.toMatchObject({ reason: 'user_handle' });
    const unknown = { ...a.passkey, credentialId: 'dW5rbm93bi1jcmVkZW50aWFs' };
    await expect(signInWithPasskey({ response: a.authenticator.get(unknown, await passkeySignInOptions(deps)) }, CONTEXT, deps)).rejects.toMatchObject({ reason: 'unknown_passkey' });
  });

  it('refuses a closed account as POST /login does (403), after the passkey checked', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    const stored = (await deps.repository.getPatient(who.patientId))!;
    const notice = { kind: 'account_notice_email', id: 'n', patientId: who.patientId, to: stored.email, notice: 'account_closed', createdAt: '' } as const;
    expect(await deps.repository.closeAccount({ patientId: who.patientId, expectedHash: stored.password_hash, notice, now: deps.clock.now() })).toBe(true);
    await expect(signInWith(deps, who)).rejects.toBeInstanceOf(SignInRefusedError);
  });

  it('failures lock nothing: after many failed passkey tries the password still signs in', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    for (let i = 0; i < 12; i++) await expect(signInWith(deps, who, { origin: 'https://phish.test' })).rejects.toBeInstanceOf(PasskeySignInError);
    await expect(signInWith(deps, who)).resolves.toMatchObject({ patient_id: who.patientId });
    // Not locked: the password is right and asks for the second step (the passkey), as for any holder of one.
    await expect(signIn({ email: who.email, password: who.password }, CONTEXT, deps)).resolves.toMatchObject({ mfa_required: true, methods: ['passkey'] });
  });
});

describe('a passkey as the second step of POST /login', () => {
  const second = (deps: Deps, mfaToken: string, response: ReturnType<Awaited<ReturnType<typeof enrolled>>['authenticator']['get']>) =>
    completeMfaSignIn({ mfa_token: mfaToken, response }, CONTEXT, deps);

  it('the password step lists the patient\'s passkeys once (the factor check\'s list makes the options)', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    const listFor = deps.passkeys.listFor.bind(deps.passkeys);
    let listed = 0;
    deps.passkeys.listFor = (patientId) => { listed++; return listFor(patientId); };
    const step = await passwordStep(deps, who);
    expect(step.passkey_options!.allowCredentials!.map((c) => c.id)).toEqual([who.passkey.credentialId]);
    expect(listed).toBe(1);
  });

  it('a passkey holder\'s password asks for it, with options for their own passkeys only; the assertion signs in at AAL2', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    await enrolled(deps); // another patient's passkey, never offered
    const step = await passwordStep(deps, who);
    expect(step.methods).toEqual(['passkey']);
    expect(step.passkey_options).toMatchObject({ rpId: 'clinic.test', userVerification: 'required' });
    expect(step.passkey_options!.allowCredentials!.map((c) => c.id)).toEqual([who.passkey.credentialId]);
    const tokens = await second(deps, step.mfa_token, who.authenticator.get(who.passkey, step.passkey_options!));
    expect(decodeJwt(tokens.access_token)).toMatchObject({ amr: ['pwd', 'hwk', 'user'], acr: ACR_AAL2 });
    expect(await auditReasons(deps, who.patientId, 'sign_in')).toContain('success:passkey');
  });

  it('names both factors when the patient holds an app too, and a code still completes it', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    const { beginTotpEnrolment, confirmTotpEnrolment } = await import('../../lib/auth/totp-enrolment.js');
    const { totpCodeAt, totpStepAt } = await import('../../lib/auth/totp.js');
    const byPasskey = await passkeyCaller(deps, who);
    const { secret } = await beginTotpEnrolment(byPasskey, CONTEXT, deps);
    await confirmTotpEnrolment(byPasskey, { code: totpCodeAt(secret, totpStepAt(deps.clock.now())) }, CONTEXT, deps);
    deps.clock.advance(30_000);
    const step = await passwordStep(deps, who);
    expect(step.methods).toEqual(['totp', 'passkey']);
    const tokens = await completeMfaSignIn({ mfa_token: step.mfa_token, code: totpCodeAt(secret, totpStepAt(deps.clock.now())) }, CONTEXT, deps);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ amr: ['pwd', 'otp'], acr: ACR_AAL2 });
  });

  it('the challenge is single-use: the same assertion again, with its token or with a newer sign-in\'s, is refused', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps, { counting: false }); // no counter to stop a replay: only the challenge does
    const step = await passwordStep(deps, who);
    const assertion = who.authenticator.get(who.passkey, step.passkey_options!);
    await second(deps, step.mfa_token, assertion);
    expect(await rejection(second(deps, step.mfa_token, assertion))).toBeInstanceOf(InvalidMfaTokenError);
    const again = await passwordStep(deps, who);
    const refused = await rejection(second(deps, again.mfa_token, assertion));
    expect(refused).toBeInstanceOf(WrongSecondFactorError);
    expect(await auditReasons(deps, who.patientId, 'sign_in')).toContain('failure:passkey_invalid_assertion');
    // The newer sign-in's own challenge still completes it.
    await expect(second(deps, again.mfa_token, who.authenticator.get(who.passkey, again.passkey_options!))).resolves.toHaveProperty('access_token');
  });

  it('another patient\'s passkey does not complete it (even signing the right challenge), and its counter stays', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    const other = await enrolled(deps);
    const step = await passwordStep(deps, who);
    const refused = await rejection(second(deps, step.mfa_token, other.authenticator.get(other.passkey, step.passkey_options!)));
    expect(refused).toBeInstanceOf(WrongSecondFactorError);
    expect(deps.passkeys.credentialOf(other.passkey.credentialId)!.counter).toBe(0);
    expect(await auditReasons(deps, who.patientId, 'sign_in')).toContain('failure:passkey_not_owner');
  });

  it('a counter that does not move forward is refused and audited; the stored counter stays', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    await signInWith(deps, who);
    await signInWith(deps, who);
    const step = await passwordStep(deps, who);
    expect(await rejection(second(deps, step.mfa_token, who.authenticator.get(who.passkey, step.passkey_options!, { counter: 2 })))).toBeInstanceOf(WrongSecondFactorError);
    expect(deps.passkeys.credentialOf(who.passkey.credentialId)!.counter).toBe(2);
    expect(await auditReasons(deps, who.patientId, 'sign_in')).toContain('failure:passkey_counter_not_forward');
  });

  it('a passkey is a second factor for every step-up: the password change wants AAL2 from a passkey holder', async () => {
    const { changePassword } = await import('../../lib/password/change-password.js');
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    const change = { current_password: who.password, password: 'An0ther-Passphrase!', confirm_password: 'An0ther-Passphrase!' };
    await expect(changePassword(who.caller, change, CONTEXT, deps)).rejects.toMatchObject({ need: { acrValues: ACR_AAL2 } });
    const step = await passwordStep(deps, who);
    const byBoth = await callerOf(deps, (await second(deps, step.mfa_token, who.authenticator.get(who.passkey, step.passkey_options!))).access_token);
    await expect(changePassword(byBoth, change, CONTEXT, deps)).resolves.toBeUndefined();
  });

  it('POST /login/mfa takes exactly one proof: a passkey\'s answer alone, not with a code', async () => {
    const { validateLoginMfa } = await import('../../lib/patient/generated/login-mfa.js');
    const { mfaSignInRequestOf } = await import('../../lib/auth/mfa-sign-in.js');
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    const step = await passwordStep(deps, who);
    const response = who.authenticator.get(who.passkey, step.passkey_options!);
    expect(mfaSignInRequestOf(validateLoginMfa({ mfa_token: step.mfa_token, response }))).toEqual({ mfa_token: step.mfa_token, response });
    expect(() => validateLoginMfa({ mfa_token: step.mfa_token, response, code: '123456' })).toThrow();
    expect(() => validateLoginMfa({ mfa_token: step.mfa_token, response: { ...response, type: 'password' } })).toThrow();
    expect(mfaSignInRequestOf(validateLoginMfa({ mfa_token: step.mfa_token, code: '123456' }))).toEqual({ mfa_token: step.mfa_token, code: '123456' });
  });

  it('wrong assertions count on the mfa_token\'s lock as wrong codes do: with the password step, five attempts lock the account for the password too', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    const step = await passwordStep(deps, who);
    const phished = () => who.authenticator.get(who.passkey, step.passkey_options!, { origin: 'https://phish.test' });
    // The right password is the first attempt of the sequence: only the second step's success clears it.
    for (let i = 0; i < 4; i++) expect(await rejection(second(deps, step.mfa_token, phished()))).toBeInstanceOf(WrongSecondFactorError);
    expect(await rejection(second(deps, step.mfa_token, who.authenticator.get(who.passkey, step.passkey_options!)))).toBeInstanceOf(SignInLockedError);
    expect(await rejection(signIn({ email: who.email, password: who.password }, CONTEXT, deps))).toBeInstanceOf(SignInLockedError);
  });
});

describe('the patient\'s passkeys', () => {
  it('lists only the caller\'s own', async () => {
    const deps = passkeyDeps();
    const a = await enrolled(deps);
    const b = await enrolled(deps);
    expect((await listPasskeys(a.caller, deps)).map((p) => p.id)).toEqual([a.passkey.credentialId]);
    expect((await listPasskeys(b.caller, deps)).map((p) => p.id)).toEqual([b.passkey.credentialId]);
  });

  it('removing one ends the other sessions, keeps the caller\'s, mails and audits; it no longer signs in', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    const other = who.session!; // the password session verification started
    const steppedSession = await signInWith(deps, who);
    const stepped = await callerOf(deps, steppedSession.access_token);
    await removePasskey(stepped, who.passkey.credentialId, CONTEXT, deps);
    expect(await listPasskeys(stepped, deps)).toEqual([]);
    await expect(callerOf(deps, other.access_token)).rejects.toBeInstanceOf(InvalidAccessTokenError);
    await expect(callerOf(deps, steppedSession.access_token)).resolves.toMatchObject({ patientId: who.patientId });
    await deliverDueMails(deps);
    expect(deps.mailer.notices.map((n) => n.notice)).toEqual(['passkey_added', 'passkey_removed']);
    expect(await auditReasons(deps, who.patientId, 'passkey_remove')).toEqual(['success:']);
    await expect(signInWith(deps, who)).rejects.toMatchObject({ reason: 'unknown_passkey' });
  });

  it('a removal that fails after the sessions ended leaves none of them alive, and the retry completes it', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    const other = who.session!;
    const stepped = await callerOf(deps, (await signInWith(deps, who)).access_token);
    const remove = deps.passkeys.remove.bind(deps.passkeys);
    deps.passkeys.remove = () => Promise.reject(new Error('store unavailable'));
    await expect(removePasskey(stepped, who.passkey.credentialId, CONTEXT, deps)).rejects.toThrow('store unavailable');
    // The promise "the other sessions end" holds even though the request failed.
    await expect(callerOf(deps, other.access_token)).rejects.toBeInstanceOf(InvalidAccessTokenError);
    expect(await listPasskeys(stepped, deps)).toHaveLength(1);
    deps.passkeys.remove = remove;
    await removePasskey(stepped, who.passkey.credentialId, CONTEXT, deps);
    expect(await listPasskeys(stepped, deps)).toEqual([]);
  });

  it('an unknown id ends no session', async () => {
    const deps = passkeyDeps();
    const who = await enrolled(deps);
    const other = who.session!;
    const stepped = await callerOf(deps, (await signInWith(deps, who)).access_token);
    await expect(removePasskey(stepped, 'no-such-credential', CONTEXT, deps)).rejects.toBeInstanceOf(UnknownPasskeyError);
    await expect(callerOf(deps, other.access_token)).resolves.toMatchObject({ patientId: who.patientId });
  });

  it('another patient\'s passkey is a 404 and stays', async () => {
    const deps = passkeyDeps();
    const a = await enrolled(deps);
    const b = await enrolled(deps);
    await expect(removePasskey(await passkeyCaller(deps, b), a.passkey.credentialId, CONTEXT, deps)).rejects.toBeInstanceOf(UnknownPasskeyError);
    expect(await listPasskeys(a.caller, deps)).toHaveLength(1);
  });
});

describe('the factor notices', () => {
  it.each([
    // A factor someone else added cannot be undone by the patient alone: the mail says so (security review finding 3).
    ['passkey_added', 'A passkey was added to your account', 'a new password does not remove it: contact the clinic at once'],
    ['authenticator_app_added', 'An authenticator app was added to your account', 'a new password does not remove it: contact the clinic at once'],
    ['passkey_removed', 'A passkey was removed from your account', 'signed out'],
  ] as const)('%s: says what happened and what to do if it was not the patient; no link, no patient data', (notice, subject, says) => {
    const mail = composeAccountNotice(notice, 'Clinic Test');
    expect(mail.subject).toBe(subject);
    expect(mail.text).toContain(says);
    expect(mail.text).toContain('If this was not you');
    expect(mail.html).not.toMatch(/href=/);
  });
});
