import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { ACR_AAL2 } from '../../lib/auth/assurance.js';
import { loadConfig } from '../../lib/config.js';
import { API_PATHS } from '../../lib/http/routes.js';
import { mailsTo, tokenFrom } from './local-aws.js';
import { apiEvent, invoke, uniqueRegistration } from './requests.js';
import { createSoftwareAuthenticator } from './software-authenticator.js';

type Handler = (event: any, context: any) => Promise<any>;

/** The handlers a passkey flow goes through, imported by the caller after it chose the store (useStorage). */
export interface PasskeyFlowHandlers {
  register: Handler;
  verify: Handler;
  outboxMailer: Handler;
  enrolOptions: Handler;
  enrol: Handler;
  loginOptions: Handler;
  login: Handler;
  remove: Handler;
  /** POST /login and POST /login/mfa: the password, then the passkey as its second step. */
  passwordLogin: Handler;
  loginMfa: Handler;
}

const json = { 'Content-Type': 'application/json' };
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/**
 * Issue 21's passkey rules through the real handlers on a store other than DynamoDB (STORAGE=postgres
 * or mysql, as `npm start` runs them): enrol, sign in alone (AAL2), a challenge once, a counter that
 * goes back, the passkey as the password's second step, removal. test/integration/passkeys.test.ts runs the same and more on DynamoDB Local.
 */
export function describePasskeyFlow(store: string, handlers: () => Promise<PasskeyFlowHandlers>): void {
  describe(`passkeys through the handlers on ${store}`, () => {
    it('enrols, signs in with the passkey alone (AAL2), refuses a replay and a counter gone back, completes a password sign-in with it (AAL2, once), removes it', async () => {
      const h = await handlers();
      const sweep = () => h.outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, {});
      const body = uniqueRegistration();
      expect((await invoke(h.register, apiEvent(body))).statusCode).toBe(201);
      await sweep();
      const token = tokenFrom((await mailsTo(body.email as string)).at(-1)!);
      const session = (await invoke(h.verify, apiEvent({ token, password: body.password }, { path: API_PATHS.verifyEmail }))).body.data;

      const authenticator = createSoftwareAuthenticator(loadConfig(process.env).webauthnOrigin);
      const options = await invoke(h.enrolOptions, apiEvent(undefined, { path: API_PATHS.mePasskeysOptions, headers: bearer(session.access_token) }));
      expect(options.statusCode).toBe(200);
      const { passkey, response } = authenticator.create(options.body.data);
      const enrolled = await invoke(h.enrol, apiEvent({ response }, { path: API_PATHS.mePasskeys, headers: { ...json, ...bearer(session.access_token) } }));
      expect(enrolled.statusCode).toBe(201);

      const requestOptions = async () => (await invoke(h.loginOptions, apiEvent(undefined, { path: API_PATHS.loginPasskeyOptions, headers: {} }))).body.data;
      const login = (answer: unknown) => invoke(h.login, apiEvent({ response: answer }, { path: API_PATHS.loginPasskey }));
      const assertion = authenticator.get(passkey, await requestOptions());
      const signedIn = await login(assertion);
      expect(signedIn.statusCode).toBe(200);
      expect(decodeJwt(signedIn.body.data.access_token)).toMatchObject({ amr: ['hwk', 'user'], acr: ACR_AAL2 });
      expect((await login(assertion)).statusCode).toBe(401);
      expect((await login(authenticator.get(passkey, await requestOptions(), { counter: 1 }))).statusCode).toBe(401);
      expect((await login(authenticator.get(passkey, await requestOptions()))).statusCode).toBe(200);

      // The password of a passkey holder asks for it; the assertion over the mfa_token's options signs in (AAL2), once.
      const step = (await invoke(h.passwordLogin, apiEvent({ email: body.email, password: body.password }, { path: API_PATHS.login }))).body.data;
      expect(step).toMatchObject({ mfa_required: true, methods: ['passkey'] });
      const secondStep = (answer: unknown) => invoke(h.loginMfa, apiEvent({ mfa_token: step.mfa_token, response: answer }, { path: API_PATHS.loginMfa }));
      const own = authenticator.get(passkey, step.passkey_options);
      const both = await secondStep(own);
      expect(both.statusCode).toBe(200);
      expect(decodeJwt(both.body.data.access_token)).toMatchObject({ amr: ['pwd', 'hwk', 'user'], acr: ACR_AAL2 });
      expect((await secondStep(own)).statusCode).toBe(401);

      const remove = (accessToken: string) => {
        const event = apiEvent(undefined, { method: 'DELETE', path: API_PATHS.mePasskey.replace('{id}', passkey.credentialId), headers: bearer(accessToken) });
        return invoke(h.remove, { ...event, resource: API_PATHS.mePasskey, pathParameters: { id: passkey.credentialId } });
      };
      expect((await remove(signedIn.body.data.access_token)).statusCode).toBe(200);
      expect((await remove(signedIn.body.data.access_token)).statusCode).toBe(404);
      expect((await login(authenticator.get(passkey, await requestOptions()))).statusCode).toBe(401);
      await sweep();
      const subjects = (await mailsTo(body.email as string)).map((m) => m.subject);
      expect(subjects).toEqual(expect.arrayContaining(['A passkey was added to your account', 'A passkey was removed from your account']));
    });
  });
}
