import { describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { handler as enrolOptions } from '../../functions/passkey-enrol-options/handler.js';
import { handler as enrol } from '../../functions/passkey-enrol/handler.js';
import { handler as list } from '../../functions/passkey-list/handler.js';
import { handler as remove } from '../../functions/passkey-remove/handler.js';
import { handler as loginOptions } from '../../functions/passkey-login-options/handler.js';
import { handler as login } from '../../functions/passkey-login/handler.js';
import { handler as loginMfa } from '../../functions/login-mfa/handler.js';
import { ACR_AAL2 } from '../../lib/auth/assurance.js';
import { MAX_PASSKEYS } from '../../lib/passkey/limits.js';
import { loadConfig } from '../../lib/config.js';
import { API_PATHS } from '../../lib/http/routes.js';
import { auditTrailOf } from '../support/audit-trail.js';
import { mailsTo } from '../support/local-aws.js';
import { apiEvent, invoke } from '../support/requests.js';
import { api, sweepOutbox, verifiedPatient } from '../support/sign-in-api.js';
import { createSoftwareAuthenticator, type Misbehaviour } from '../support/software-authenticator.js';
import { captureOutput } from '../support/capture-output.js';

/**
 * Issue 21, passkeys, through the real handlers on DynamoDB Local (the other stores keep the same
 * storage contract, test/contract/passkey-storage.contract.ts): each rule of the use cases again
 * against a real store, with a software authenticator (node:crypto P-256) answering.
 */
const json = { 'Content-Type': 'application/json' };
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const ORIGIN = loadConfig(process.env).webauthnOrigin;
/** Everything the handlers log at DEBUG, for the last test: ids and outcomes only. */
const output = captureOutput();

const passkeysApi = {
  enrolOptions: (token: string) => invoke(enrolOptions, apiEvent(undefined, { path: API_PATHS.mePasskeysOptions, headers: bearer(token) })),
  enrol: (token: string, body: unknown) => invoke(enrol, apiEvent(body, { path: API_PATHS.mePasskeys, headers: { ...json, ...bearer(token) } })),
  list: (token: string) => invoke(list, apiEvent(undefined, { method: 'GET', path: API_PATHS.mePasskeys, headers: bearer(token) })),
  remove: (token: string, id: string) => {
    const event = apiEvent(undefined, { method: 'DELETE', path: API_PATHS.mePasskey.replace('{id}', id), headers: bearer(token) });
    return invoke(remove, { ...event, resource: API_PATHS.mePasskey, pathParameters: { id } });
  },
  loginOptions: () => invoke(loginOptions, apiEvent(undefined, { path: API_PATHS.loginPasskeyOptions, headers: {} })),
  login: (response: unknown) => invoke(login, apiEvent({ response }, { path: API_PATHS.loginPasskey })),
};

/** A verified patient who added a passkey after the verification's sign-in (fresh: the step-up passes). */
async function withPasskey() {
  const patient = await verifiedPatient();
  const authenticator = createSoftwareAuthenticator(ORIGIN);
  const options = await passkeysApi.enrolOptions(patient.session.access_token);
  expect(options.statusCode).toBe(200);
  const { passkey, response } = authenticator.create(options.body.data);
  const added = await passkeysApi.enrol(patient.session.access_token, { response, name: 'Laptop' });
  expect(added.statusCode).toBe(201);
  const signIn = async (bad?: Misbehaviour) =>
    passkeysApi.login(authenticator.get(passkey, (await passkeysApi.loginOptions()).body.data, bad));
  return { ...patient, authenticator, passkey, response, signIn };
}

/** The handler of POST /login/mfa: the mfa_token and the passkey's assertion. */
const secondStep = (mfaToken: string, response: unknown) => invoke(loginMfa, apiEvent({ mfa_token: mfaToken, response }, { path: API_PATHS.loginMfa }));

/** POST /login with the right password of a passkey holder: the mfa_required data. */
async function passwordStep(who: { body: Record<string, any> }) {
  const answer = await api.login(who.body.email, who.body.password);
  expect(answer.statusCode).toBe(200);
  expect(answer.body.data).toMatchObject({ mfa_required: true, methods: ['passkey'] });
  return answer.body.data as { mfa_token: string; passkey_options: { challenge: string; allowCredentials: { id: string }[] } };
}

describe('passkeys on DynamoDB Local (issue 21)', () => {
  it('adds a passkey (201, listed, mailed, audited) and signs in with it alone: amr hwk + user, AAL2', async () => {
    const who = await withPasskey();
    const listed = await passkeysApi.list(who.session.access_token);
    expect(listed.body.data.passkeys).toEqual([expect.objectContaining({ id: who.passkey.credentialId, name: 'Laptop', last_used_at: null })]);
    const signedIn = await who.signIn();
    expect(signedIn.statusCode).toBe(200);
    expect(decodeJwt(signedIn.body.data.access_token)).toMatchObject({ sub: who.patientId, amr: ['hwk', 'user'], acr: ACR_AAL2 });
    expect((await api.meAs(signedIn.body.data.access_token)).statusCode).toBe(200);
    await sweepOutbox();
    expect((await mailsTo(who.body.email)).map((m) => m.subject)).toContain('A passkey was added to your account');
    const actions = (await auditTrailOf(who.patientId)).filter((e) => e.action.startsWith('passkey_')).map((e) => `${e.action}:${e.outcome}`);
    expect(actions).toEqual(['passkey_add:success', 'passkey_sign_in:success']);
  });

  it('a challenge works once: the same enrolment answer and the same assertion again are refused', async () => {
    const who = await withPasskey();
    const stepped = (await who.signIn()).body.data.access_token as string;
    expect((await passkeysApi.enrol(stepped, { response: who.response })).statusCode).toBe(400);
    const assertion = who.authenticator.get(who.passkey, (await passkeysApi.loginOptions()).body.data);
    expect((await passkeysApi.login(assertion)).statusCode).toBe(200);
    const replay = await passkeysApi.login(assertion);
    expect(replay.statusCode).toBe(401);
    expect(replay.body.message).toBe('The passkey was not accepted. Try again, or sign in with your password.');
  });

  it('a counter that goes backwards is refused and audited; of two assertions with one counter sent at once, one signs in', async () => {
    const who = await withPasskey();
    expect((await who.signIn()).statusCode).toBe(200);
    expect((await who.signIn()).statusCode).toBe(200);
    expect((await who.signIn({ counter: 1 })).statusCode).toBe(401);
    const reasons = (await auditTrailOf(who.patientId)).filter((e) => e.action === 'passkey_sign_in' && e.outcome === 'failure').map((e) => e.reason);
    expect(reasons).toEqual(['counter_not_forward']);
    const [o1, o2] = [(await passkeysApi.loginOptions()).body.data, (await passkeysApi.loginOptions()).body.data];
    const first = who.authenticator.get(who.passkey, o1);
    const twin = who.authenticator.get(who.passkey, o2, { counter: who.passkey.counter });
    const answers = await Promise.all([passkeysApi.login(first), passkeysApi.login(twin)]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 401]);
  });

  it('refuses an assertion for another origin or RP id, or without user verification; none of it locks the password sign-in', async () => {
    const who = await withPasskey();
    for (const bad of [{ origin: 'https://phish.example' }, { rpId: 'phish.example' }, { unverified: true }] as Misbehaviour[]) {
      for (let i = 0; i < 4; i++) expect((await who.signIn(bad)).statusCode).toBe(401);
    }
    expect((await who.signIn()).statusCode).toBe(200);
    // Not locked: the right password answers the second step's challenge (a passkey holder's), not a 429.
    const password = await api.login(who.body.email, who.body.password);
    expect(password.statusCode).toBe(200);
    expect(password.body.data).toMatchObject({ mfa_required: true, methods: ['passkey'] });
  });

  it('removing: not another patient\'s (404); with the patient\'s AAL2 sign-in it goes, the other sessions end, it signs in no more', async () => {
    const a = await withPasskey();
    const b = await withPasskey();
    const bStepped = (await b.signIn()).body.data.access_token as string;
    expect((await passkeysApi.remove(bStepped, a.passkey.credentialId)).statusCode).toBe(404);
    // A password-only session (the verification's, still recent) is not enough once a passkey is held (RFC 9470 step-up to AAL2).
    const byPassword = a.session.access_token;
    const refused = await passkeysApi.remove(byPassword, a.passkey.credentialId);
    expect(refused.statusCode).toBe(401);
    expect(String(refused.headers?.['WWW-Authenticate'])).toContain('insufficient_user_authentication');
    const aStepped = (await a.signIn()).body.data.access_token as string;
    const removed = await passkeysApi.remove(aStepped, a.passkey.credentialId);
    expect(removed.statusCode).toBe(200);
    expect((await api.meAs(byPassword)).statusCode).toBe(401);
    expect((await api.meAs(aStepped)).statusCode).toBe(200);
    expect((await a.signIn()).statusCode).toBe(401);
    expect((await passkeysApi.list(bStepped)).body.data.passkeys).toHaveLength(1);
    await sweepOutbox();
    expect((await mailsTo(a.body.email)).map((m) => m.subject)).toContain('A passkey was removed from your account');
  });

  it('a challenge of a shape never issued (2,100 characters: over a DynamoDB key\'s limit) is a 401, never a 5xx (review finding)', async () => {
    const who = await withPasskey();
    const assertion = who.authenticator.get(who.passkey, (await passkeysApi.loginOptions()).body.data) as { response: { clientDataJSON: string } };
    const clientData = JSON.parse(Buffer.from(assertion.response.clientDataJSON, 'base64url').toString('utf8'));
    const forged = { ...assertion, response: { ...assertion.response, clientDataJSON: Buffer.from(JSON.stringify({ ...clientData, challenge: 'A'.repeat(2100) })).toString('base64url') } };
    const answer = await passkeysApi.login(forged);
    expect(answer.statusCode).toBe(401);
    expect(answer.body.success).toBe(false);
  });

  it('holds at most MAX_PASSKEYS: the next options are a 409 in the error envelope; a removal makes room', async () => {
    const who = await withPasskey();
    const stepped = (await who.signIn()).body.data.access_token as string;
    const authenticators = [];
    for (let i = 1; i < MAX_PASSKEYS; i++) {
      const authenticator = createSoftwareAuthenticator(ORIGIN);
      const { passkey, response } = authenticator.create((await passkeysApi.enrolOptions(stepped)).body.data);
      expect((await passkeysApi.enrol(stepped, { response, name: `Device ${i}` })).statusCode).toBe(201);
      authenticators.push(passkey);
    }
    const full = await passkeysApi.enrolOptions(stepped);
    expect(full.statusCode).toBe(409);
    expect(full.body).toEqual({ success: false, message: expect.stringContaining(`${MAX_PASSKEYS} passkeys`) });
    expect((await passkeysApi.remove(stepped, authenticators[0]!.credentialId)).statusCode).toBe(200);
    expect((await passkeysApi.enrolOptions(stepped)).statusCode).toBe(200);
  });

  it('a passkey as the second step of POST /login: its own passkeys offered, AAL2 with pwd + hwk + user; once, not another\'s, counter forward', async () => {
    output.reset();
    const who = await withPasskey();
    const other = await withPasskey();
    expect((await who.signIn()).statusCode).toBe(200); // the stored counter at 1
    const step = await passwordStep(who);
    expect(step.passkey_options.allowCredentials.map((c) => c.id)).toEqual([who.passkey.credentialId]);
    // Another patient's passkey, even over this sign-in's challenge, and one whose counter went back: refused, counted.
    const notOwn = await secondStep(step.mfa_token, other.authenticator.get(other.passkey, step.passkey_options));
    expect(notOwn.statusCode).toBe(401);
    expect((await secondStep(step.mfa_token, who.authenticator.get(who.passkey, step.passkey_options, { counter: 1 }))).statusCode).toBe(401);
    const assertion = who.authenticator.get(who.passkey, step.passkey_options);
    const signedIn = await secondStep(step.mfa_token, assertion);
    expect(signedIn.statusCode).toBe(200);
    expect(decodeJwt(signedIn.body.data.access_token)).toMatchObject({ sub: who.patientId, amr: ['pwd', 'hwk', 'user'], acr: ACR_AAL2 });
    // Once: the same assertion again, with its token (spent) or a newer sign-in's (another challenge).
    expect((await secondStep(step.mfa_token, assertion)).statusCode).toBe(401);
    expect((await secondStep((await passwordStep(who)).mfa_token, assertion)).statusCode).toBe(401);
    const reasons = (await auditTrailOf(who.patientId)).filter((e) => e.action === 'sign_in' && e.outcome === 'failure').map((e) => e.reason);
    // (The spent token's refusal names nobody: a token the store no longer knows tells no patient.)
    expect(reasons).toEqual(['passkey_not_owner', 'passkey_counter_not_forward', 'passkey_invalid_assertion']);
    // The AAL2 session passes the step-up of a passkey change.
    expect((await passkeysApi.enrolOptions(signedIn.body.data.access_token)).statusCode).toBe(200);
    // Nothing of the second step is logged: not the mfa_token, its challenge, the assertion or the tokens.
    const logged = output.text();
    expect(logged).toContain('"reason":"passkey_not_owner"');
    for (const secret of [step.mfa_token, step.passkey_options.challenge, assertion.response.signature, assertion.response.clientDataJSON, signedIn.body.data.access_token, signedIn.body.data.refresh_token]) {
      expect(logged).not.toContain(secret);
    }
  });

  it('logs no token, challenge, key, signature or address of any of it, at DEBUG, refusals included', async () => {
    output.reset();
    const who = await withPasskey();
    const options = (await passkeysApi.loginOptions()).body.data;
    const assertion = who.authenticator.get(who.passkey, options);
    const session = (await passkeysApi.login(assertion)).body.data;
    await passkeysApi.login(assertion); // replayed: refused
    await who.signIn({ origin: 'https://phish.example' });
    const logged = output.text();
    expect(logged).toContain('"reason":"passkey_challenge"');
    const secrets = [
      session.access_token, session.refresh_token, who.session.access_token, options.challenge, assertion.response.signature,
      assertion.response.clientDataJSON, who.response.response.attestationObject, who.body.email,
    ];
    for (const secret of secrets) expect(logged).not.toContain(secret);
  });
});
