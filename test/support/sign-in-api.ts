import { handler as login } from '../../functions/login/handler.js';
import { handler as logout } from '../../functions/logout/handler.js';
import { handler as me } from '../../functions/me/handler.js';
import { handler as meUpdate } from '../../functions/me-update/handler.js';
import { handler as meClose } from '../../functions/me-close/handler.js';
import { handler as meSessions } from '../../functions/me-sessions/handler.js';
import { handler as meSessionEnd } from '../../functions/me-session-end/handler.js';
import { handler as meSessionsRevokeOthers } from '../../functions/me-sessions-revoke-others/handler.js';
import { handler as meExport } from '../../functions/me-export/handler.js';
import { handler as outboxMailer } from '../../functions/outbox-mailer/handler.js';
import { handler as register } from '../../functions/register/handler.js';
import { handler as refresh } from '../../functions/token-refresh/handler.js';
import { handler as verify } from '../../functions/verify-email/handler.js';
import { API_PATHS } from '../../lib/http/routes.js';
import { awaitMails, tokenFrom } from './local-aws.js';
import { apiEvent, invoke, uniqueRegistration } from './requests.js';

/** The sign-in routes called through their real handlers (and DynamoDB Local), as API Gateway would. */
const json = { 'Content-Type': 'application/json' };
const bearer = (accessToken: string) => ({ Authorization: `Bearer ${accessToken}` });

export const api = {
  register: (body: unknown) => invoke(register, apiEvent(body)),
  verify: (token: string, password: string) => invoke(verify, apiEvent({ token, password }, { path: API_PATHS.verifyEmail })),
  login: (email: string, password: string, deviceToken?: string) =>
    invoke(login, apiEvent({ email, password, ...(deviceToken !== undefined && { device_token: deviceToken }) }, { path: API_PATHS.login })),
  refresh: (refreshToken: string) => invoke(refresh, apiEvent({ refresh_token: refreshToken }, { path: API_PATHS.tokenRefresh })),
  logout: (accessToken: string, refreshToken: string) =>
    invoke(logout, apiEvent({ refresh_token: refreshToken }, { path: API_PATHS.logout, headers: { ...json, ...bearer(accessToken) } })),
  me: (headers: Record<string, string>) => invoke(me, apiEvent(undefined, { method: 'GET', path: API_PATHS.me, headers })),
  meAs: (accessToken: string) => api.me(bearer(accessToken)),
  /** PATCH /me with a merge patch; headers add If-Match (and may replace the Content-Type). */
  meUpdate: (accessToken: string, patch: unknown, headers: Record<string, string> = {}) =>
    invoke(meUpdate, apiEvent(patch, { method: 'PATCH', path: API_PATHS.me, headers: { 'Content-Type': 'application/merge-patch+json', ...bearer(accessToken), ...headers } })),
  /** GET /me/export, with `?format=` when given. */
  meExport: (accessToken: string | undefined, query?: Record<string, string>) =>
    invoke(meExport, apiEvent(undefined, { method: 'GET', path: API_PATHS.meExport, headers: accessToken ? bearer(accessToken) : {}, ...(query && { query }) })),
  /** POST /me/close with the password. */
  meClose: (accessToken: string, password: string) =>
    invoke(meClose, apiEvent({ password }, { path: API_PATHS.meClose, headers: { ...json, ...bearer(accessToken) } })),
};

/** An event as API Gateway builds it for a client with this User-Agent (header and identity.userAgent alike). */
function fromAgent<E extends ReturnType<typeof apiEvent>>(event: E, userAgent: string): E {
  return {
    ...event,
    headers: { ...event.headers, 'User-Agent': userAgent },
    multiValueHeaders: { ...event.multiValueHeaders, 'User-Agent': [userAgent] },
    requestContext: { ...event.requestContext, identity: { ...event.requestContext.identity, userAgent } },
  };
}

/** The patient's sessions (issue 20), through their handlers. */
export const sessionsApi = {
  loginFrom: (userAgent: string, email: string, password: string) =>
    invoke(login, fromAgent(apiEvent({ email, password }, { path: API_PATHS.login }), userAgent)),
  list: (accessToken: string) => invoke(meSessions, apiEvent(undefined, { method: 'GET', path: API_PATHS.meSessions, headers: bearer(accessToken) })),
  /** DELETE /me/sessions/{id}: `pathParameters.id` as API Gateway hands it over. */
  end: (accessToken: string, id: string) => {
    const path = API_PATHS.meSession.replace('{id}', encodeURIComponent(id));
    const event = apiEvent(undefined, { method: 'DELETE', path, headers: bearer(accessToken) });
    return invoke(meSessionEnd, { ...event, resource: API_PATHS.meSession, pathParameters: { id } });
  },
  revokeOthers: (accessToken: string) =>
    invoke(meSessionsRevokeOthers, apiEvent(undefined, { method: 'POST', path: API_PATHS.meSessionsRevokeOthers, headers: bearer(accessToken) })),
};

/** The outbox mailer's sweep, as the schedule runs it: sends whatever is due (the stream usually has already). */
export const sweepOutbox = () => outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);

/** The newest verification link's token in the SES emulator for an address, once the outbox has nothing left to send. */
export async function newestToken(email: string): Promise<string> {
  const mails = await awaitMails(email);
  return tokenFrom(mails.at(-1)!);
}

/** Registered through the API and verified with the link from the mail. */
export async function verifiedPatient(overrides: Record<string, unknown> = {}) {
  const body = uniqueRegistration(overrides);
  const registered = await api.register(body);
  if (registered.statusCode !== 201) throw new Error(`register answered ${registered.statusCode}`);
  await sweepOutbox(); // the verification mail goes out now, whether or not this file runs the stream
  const verified = await api.verify(await newestToken(body.email), body.password);
  if (verified.statusCode !== 200) throw new Error(`verify answered ${verified.statusCode}`);
  return { body, patientId: registered.body.data.patient_id as string, session: verified.body.data };
}
