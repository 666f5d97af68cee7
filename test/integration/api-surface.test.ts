import type { AddressInfo } from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPEC_EXAMPLE } from '../support/requests.js';
import { awaitMails, awaitTexts, codeFrom, tokenFrom } from '../support/local-aws.js';
import { useOutboxStream } from '../support/outbox-stream.js';
import { phoneApi } from '../support/phone-api.js';
import { totpCodeAt, totpStepAt } from '../../lib/auth/totp.js';
import { createSoftwareAuthenticator } from '../support/software-authenticator.js';
import { loadConfig } from '../../lib/config.js';

/**
 * What a front end sees of the local server (npm start): the OpenAPI document it serves, every
 * example in it sent to the running handlers, CORS and the health check. The handlers read
 * CORS_ALLOWED_ORIGINS when they load, so it is set before they are imported.
 */
process.env.CORS_ALLOWED_ORIGINS = 'http://localhost:*';
const { createApiServer } = await import('../../lib/local/api-server.js');
const { loadRoutes } = await import('../../lib/local/routes.js');

useOutboxStream(); // mails and texts leave through the outbox, as under npm start

type Json = Record<string, any>;
let base: string;
const server = createApiServer(await loadRoutes());
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('GET /api/v1/health', () => {
  it('answers 200 with a fixed status, the envelope and no-store', async () => {
    const response = await fetch(`${base}/api/v1/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.json()).toEqual({ success: true, message: 'OK', data: { status: 'ok' } });
  });
});

describe('CORS on the local server', () => {
  const preflight = (path: string, origin: string) =>
    fetch(`${base}${path}`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } });

  it('answers the preflight of an allowed origin with the path\'s methods', async () => {
    const response = await preflight('/api/v1/patient/verify-email', 'http://localhost:5173');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(response.headers.get('access-control-allow-methods')).toBe('POST, GET, OPTIONS');
    expect(response.headers.get('access-control-allow-headers')).toBe('Content-Type, Authorization, Idempotency-Key, If-Match');
    expect(response.headers.get('vary')).toBe('Origin');
  });

  it('answers a refused origin\'s preflight without Access-Control-Allow-Origin (the browser blocks the call)', async () => {
    const response = await preflight('/api/v1/patient/login', 'https://evil.example');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-methods')).toBeNull();
  });

  it.each([
    ['an allowed origin', 'http://localhost:3001', 'http://localhost:3001'],
    ['a refused origin', 'http://localhost.evil.example', null],
  ])('puts the header on the handlers\' own answers, success and refusal, for %s', async (_name, origin, expected) => {
    const ok = await fetch(`${base}/api/v1/health`, { headers: { Origin: origin } });
    const refused = await fetch(`${base}/api/v1/patient/login`, { method: 'POST', headers: { Origin: origin, 'Content-Type': 'application/json' }, body: '{}' });
    expect(refused.status).toBe(422);
    for (const response of [ok, refused]) {
      expect(response.headers.get('access-control-allow-origin')).toBe(expected);
      expect(response.headers.get('vary')).toBe('Origin');
    }
  });
});

describe('GET /api/v1/openapi.json: every example gets its documented answer', () => {
  let doc: Json;
  let check: (schemaRef: string, value: unknown) => string[];
  const ran = new Set<string>();
  const state: Json = {};

  beforeAll(async () => {
    const response = await fetch(`${base}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    doc = (await response.json()) as Json;
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    for (const [name, schema] of Object.entries(doc.components.schemas as Json)) ajv.addSchema(schema, `#/components/schemas/${name}`);
    check = (schemaRef, value) => {
      const validate = ajv.getSchema(schemaRef)!;
      return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    };
  });

  const operation = (id: string) => {
    for (const [path, methods] of Object.entries(doc.paths as Json)) {
      for (const [method, op] of Object.entries(methods as Json)) if ((op as Json).operationId === id) return { path, method, op: op as Json };
    }
    throw new Error(`no operation ${id}`);
  };

  /** The response example named `example` under any status: that status is the documented answer. */
  const documented = (op: Json, example: string) => {
    for (const [status, response] of Object.entries(op.responses as Json)) {
      const json = (response as Json).content?.['application/json'];
      if (json?.examples?.[example]) return { status: Number(status), schemaRef: json.schema.$ref as string, value: json.examples[example].value };
    }
    throw new Error(`no response example ${example}`);
  };

  /**
   * Sends the operation's request example `example` (tokens replaced with live ones) and checks the
   * answer: the documented status, a body valid against the documented schema, the documented message.
   */
  async function run(id: string, example: string, { replace = {}, bearer, headers = {}, params = {}, query }: { replace?: Json; bearer?: string; headers?: Record<string, string>; params?: Record<string, string>; query?: Record<string, string> } = {}): Promise<Json> {
    const { path: template, method, op } = operation(id);
    // A templated path (`/me/sessions/{id}`) gets the test's values for its parameters; a query its parameters.
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? '')) + (query ? `?${new URLSearchParams(query)}` : '');
    // A response example without a request example of its name (no token sent) goes with the first body.
    const examples = op.requestBody?.content['application/json'].examples;
    const requestExample = examples?.[example] ?? (examples && Object.values(examples)[0]);
    const body = requestExample ? { ...requestExample.value, ...replace } : undefined;
    const response = await fetch(`${base}${path}`, {
      method: method.toUpperCase(),
      headers: { ...(body && { 'Content-Type': 'application/json' }), ...(bearer && { Authorization: `Bearer ${bearer}` }), ...headers },
      ...(body && { body: JSON.stringify(body) }),
    });
    const answer = await response.json() as Json;
    const expected = documented(op, example);
    expect(response.status, `${id} ${example}: ${JSON.stringify(answer)}`).toBe(expected.status);
    expect(check(expected.schemaRef, answer), `${id} ${example}`).toEqual([]);
    expect(answer.message, `${id} ${example}`).toBe(expected.value.message);
    if (expected.value.errors) {
      for (const [field, messages] of Object.entries(expected.value.errors as Record<string, string[]>)) {
        expect(answer.errors[field], `${id} ${example} ${field}`).toEqual(expect.arrayContaining(messages));
      }
    }
    ran.add(`${id} ${example}`);
    return answer;
  }

  const verifyBase = process.env.VERIFY_URL_BASE!;
  const email = SPEC_EXAMPLE.email;
  const newestLinkToken = async (verification: boolean) =>
    tokenFrom((await awaitMails(email)).filter((m) => m.body.text.includes(verifyBase) === verification).at(-1)!);
  const login = async (password: string) => (await (await fetch(`${base}/api/v1/patient/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }),
  })).json() as Json).data;

  it('register: the spec\'s example request registers; the invalid one is refused field by field', async () => {
    await run('register', 'spec');
    await run('register', 'invalid');
  });

  it('verify-email: an unknown token, the mailed link, the same link again; then resend', async () => {
    await run('verifyEmail', 'unknown');
    state.verifyToken = await newestLinkToken(true);
    await run('verifyEmail', 'link', { replace: { token: state.verifyToken } });
    await run('verifyEmail', 'used', { replace: { token: state.verifyToken } });
    await run('resendVerification', 'address');
  });

  it('login, me, and the phone', async () => {
    state.session = (await run('login', 'credentials')).data;
    await run('login', 'known-device', { replace: { device_token: state.session.device_token } });
    await run('login', 'wrong-password');
    await run('me', 'signed-in', { bearer: state.session.access_token });
    await run('me', 'no-token');
    const read = await fetch(`${base}/api/v1/patient/me`, { headers: { Authorization: `Bearer ${state.session.access_token}` } });
    const etag = read.headers.get('etag')!;
    await run('meUpdate', 'no-token', { headers: { 'If-Match': etag } });
    await run('meUpdate', 'no-if-match', { bearer: state.session.access_token });
    await run('meUpdate', 'invalid', { bearer: state.session.access_token, headers: { 'If-Match': etag } });
    await run('meUpdate', 'correction', { bearer: state.session.access_token, headers: { 'If-Match': etag } });
    await run('meUpdate', 'stale', { bearer: state.session.access_token, headers: { 'If-Match': etag } });
    await run('phoneVerification', 'no-token');
    await run('phoneVerification', 'signed-in', { bearer: state.session.access_token });
    await phoneApi.sweep();
    const code = codeFrom((await awaitTexts(SPEC_EXAMPLE.phone_number)).at(-1)!);
    await run('phoneVerify', 'no-token', { replace: { code } });
    await run('phoneVerify', 'code', { replace: { code }, bearer: state.session.access_token });
    // The spec's number is proven now: the same 202, and no code goes out (issue 19 item 4).
    await run('phoneClaim', 'number');
  });

  it('sessions: list them, end another, end the others', async () => {
    const bearer = state.session.access_token;
    await run('meSessions', 'no-token');
    await run('meSessions', 'signed-in', { bearer });
    const other = await login(SPEC_EXAMPLE.password);
    const listed = await (await fetch(`${base}/api/v1/patient/me/sessions`, { headers: { Authorization: `Bearer ${other.access_token}` } })).json() as Json;
    const otherId = (listed.data.sessions as Json[]).find((s) => s.current)!.id as string;
    await run('meSessionEnd', 'no-token', { params: { id: otherId } });
    await run('meSessionEnd', 'other', { bearer, params: { id: otherId } });
    await run('meSessionEnd', 'unknown', { bearer, params: { id: otherId } }); // ended already
    await run('meSessionsRevokeOthers', 'no-token');
    await run('meSessionsRevokeOthers', 'signed-in', { bearer });
  });

  it('the export: JSON, an unknown format, no token; the FHIR form\'s media type', async () => {
    const bearer = state.session.access_token;
    await run('meExport', 'signed-in', { bearer });
    await run('meExport', 'unknown-format', { bearer, query: { format: 'xml' } });
    await run('meExport', 'no-token');
    const fhir = await fetch(`${base}/api/v1/patient/me/export?format=fhir`, { headers: { Authorization: `Bearer ${bearer}` } });
    expect(fhir.status).toBe(200);
    expect(fhir.headers.get('content-type')).toBe('application/fhir+json; charset=utf-8');
    expect(fhir.headers.get('cache-control')).toBe('no-store');
    expect(((await fhir.json()) as Json).resourceType).toBe('Bundle');
  });

  it('passkeys: options, add (and the same answer again), list, sign in with it (and again), remove', async () => {
    const session = await login(SPEC_EXAMPLE.password);
    const bearer = session.access_token;
    await run('passkeyEnrolOptions', 'no-token');
    const options = await run('passkeyEnrolOptions', 'signed-in', { bearer });
    // A WebAuthn answer signs a live challenge: a software authenticator's answer replaces the example's placeholder.
    const authenticator = createSoftwareAuthenticator(loadConfig(process.env).webauthnOrigin);
    const { passkey, response } = authenticator.create(options.data);
    await run('passkeyEnrol', 'no-token', { replace: { response } });
    await run('passkeyEnrol', 'enrol', { replace: { response }, bearer });
    await run('passkeyList', 'no-token');
    await run('passkeyList', 'signed-in', { bearer });
    await run('passkeyLoginOptions', 'options');
    const requestOptions = (await (await fetch(`${base}/api/v1/patient/login/passkey/options`, { method: 'POST' })).json() as Json).data;
    const assertion = authenticator.get(passkey, requestOptions);
    const signedIn = await run('passkeyLogin', 'assertion', { replace: { response: assertion } });
    await run('passkeyLogin', 'replayed', { replace: { response: assertion } });
    // Holding a passkey, the password asks for it (issue 21): the options come with mfa_required, and
    // POST /login/mfa takes the answer; a passkey that is not the patient's (made, never added) is refused.
    const stepOne = (await run('login', 'mfa-passkey', { replace: { password: SPEC_EXAMPLE.password } })).data;
    const { passkey: stranger } = authenticator.create(options.data);
    await run('loginMfa', 'other-passkey', { replace: { mfa_token: stepOne.mfa_token, response: authenticator.get(stranger, stepOne.passkey_options) } });
    await run('loginMfa', 'passkey', { replace: { mfa_token: stepOne.mfa_token, response: authenticator.get(passkey, stepOne.passkey_options) } });
    // Holding a passkey, the patient's factor changes need an AAL2 sign-in: the passkey's own.
    await run('passkeyEnrol', 'replayed', { replace: { response }, bearer: signedIn.data.access_token });
    await run('passkeyRemove', 'no-token', { params: { id: passkey.credentialId } });
    await run('passkeyRemove', 'password-only', { bearer, params: { id: passkey.credentialId } });
    await run('passkeyRemove', 'removed', { bearer: signedIn.data.access_token, params: { id: passkey.credentialId } });
    await run('passkeyRemove', 'unknown', { bearer: signedIn.data.access_token, params: { id: passkey.credentialId } });
  });

  it('forgot, reset with the mailed link, change (signed in with the new password)', async () => {
    await run('passwordForgot', 'address');
    await phoneApi.sweep();
    await run('passwordReset', 'link', { replace: { token: await newestLinkToken(false) } });
    const { op } = operation('passwordReset');
    const session = await login(op.requestBody.content['application/json'].examples.link.value.password);
    await run('passwordChange', 'change', { bearer: session.access_token });
  });

  it('refresh, refresh again, the first refresh token again, logout, health, the published keys', async () => {
    const { op } = operation('passwordChange');
    const session = await login(op.requestBody.content['application/json'].examples.change.value.password);
    const refreshed = await run('tokenRefresh', 'refresh', { replace: { refresh_token: session.refresh_token } });
    // Within 10 s the same token would be a retry and get the same answer; once its successor is
    // used too, presenting it again is reuse.
    await run('tokenRefresh', 'refresh', { replace: { refresh_token: refreshed.data.refresh_token } });
    await run('tokenRefresh', 'reused', { replace: { refresh_token: session.refresh_token } });
    const last = await login(op.requestBody.content['application/json'].examples.change.value.password);
    await run('logout', 'logout', { replace: { refresh_token: last.refresh_token }, bearer: last.access_token });
    await run('health', 'up');
    await run('jwks', 'keys');
  });

  it('an authenticator app: set it up, confirm it, sign in with it (two steps), remove it (issue 21)', async () => {
    const { op } = operation('passwordChange');
    const password = op.requestBody.content['application/json'].examples.change.value.password;
    const aal1 = await login(password);
    await run('meTotp', 'no-token');
    const { data: enrolment } = await run('meTotp', 'signed-in', { bearer: aal1.access_token });
    const step = totpStepAt(new Date());
    await run('meTotpConfirm', 'wrong-code', { bearer: aal1.access_token, replace: { code: totpCodeAt(enrolment.secret, step + 5) } });
    const { data: { recovery_codes: recoveryCodes } } = await run('meTotpConfirm', 'code', { bearer: aal1.access_token, replace: { code: totpCodeAt(enrolment.secret, step) } });
    await run('meTotpConfirm', 'already-on', { bearer: aal1.access_token, replace: { code: totpCodeAt(enrolment.secret, step + 1) } });
    const { data: challenge } = await run('login', 'mfa-required', { replace: { password } });
    // The next step's code (one step of drift): the confirming step is used.
    await run('loginMfa', 'code', { replace: { mfa_token: challenge.mfa_token, code: totpCodeAt(enrolment.secret, step + 1) } });
    await run('loginMfa', 'used-token', { replace: { mfa_token: challenge.mfa_token, code: totpCodeAt(enrolment.secret, step + 1) } });
    const second = (await (await fetch(`${base}/api/v1/patient/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }) })).json() as Json).data;
    const aal2 = (await (await fetch(`${base}/api/v1/patient/login/mfa`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ mfa_token: second.mfa_token, recovery_code: recoveryCodes[0] }),
    })).json() as Json).data;
    const stepUp = await fetch(`${base}/api/v1/patient/me/totp`, {
      method: 'DELETE', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${aal1.access_token}` }, body: JSON.stringify({ recovery_code: recoveryCodes[1] }),
    });
    expect(stepUp.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_user_authentication", error_description="[^"]+", acr_values="[^"]+", max_age=600$/);
    await run('meTotpRemove', 'step-up', { bearer: aal1.access_token, replace: { recovery_code: recoveryCodes[1] } });
    await run('meTotpRemove', 'recovery-code', { bearer: aal2.access_token, replace: { recovery_code: recoveryCodes[1] } });
  });

  it('an email move asked for, the phone moved; close (after logout, last: it ends the account the earlier steps used), then its sign-in is refused with how to reopen', async () => {
    const { op } = operation('meClose');
    const password = op.requestBody.content['application/json'].examples.close.value.password;
    const session = await login(password);
    // A move asked for (and never confirmed: the close below signs in with the spec's address).
    await run('meEmail', 'wrong-password', { bearer: session.access_token });
    await run('meEmail', 'move', { bearer: session.access_token });
    await run('meEmailConfirm', 'unknown', { bearer: session.access_token });
    // The phone moved to the example's number with the code texted to it.
    await run('mePhone', 'wrong-password', { bearer: session.access_token });
    await run('mePhone', 'move', { bearer: session.access_token });
    await phoneApi.sweep();
    const moveCode = codeFrom((await awaitTexts('+12025550147')).at(-1)!);
    await run('mePhoneVerify', 'no-token', { replace: { code: moveCode } });
    await run('mePhoneVerify', 'code', { replace: { code: moveCode }, bearer: session.access_token });
    await run('meClose', 'wrong-password', { bearer: session.access_token });
    await run('meClose', 'close', { bearer: session.access_token });
    await run('login', 'closed', { replace: { password } });
  });

  it('ran every example in the document', () => {
    const all = new Set<string>();
    for (const methods of Object.values(doc.paths as Json)) {
      for (const op of Object.values(methods as Json) as Json[]) {
        for (const name of Object.keys(op.requestBody?.content['application/json'].examples ?? {})) all.add(`${op.operationId} ${name}`);
        for (const response of Object.values(op.responses as Json) as Json[]) {
          for (const name of Object.keys(response.content?.['application/json']?.examples ?? {})) all.add(`${op.operationId} ${name}`);
        }
      }
    }
    expect([...ran].sort()).toEqual([...all].sort());
  });
});
