import { ALL_API_ROUTES, type ApiFunctionName } from '../http/routes.js';
import type { LambdaHandler, LocalRoute } from './api-server.js';

/**
 * Each function's handler, imported only when called, after the environment is set: each reads its
 * configuration at module load like a Lambda cold start. Keyed by the route table's function names,
 * so a route without a handler does not compile.
 */
const HANDLERS: Record<ApiFunctionName, () => Promise<{ handler: LambdaHandler }>> = {
  register: () => import('../../functions/register/handler.js'),
  'verify-email': () => import('../../functions/verify-email/handler.js'),
  'verify-email-page': () => import('../../functions/verify-email-page/handler.js'),
  'resend-verification': () => import('../../functions/resend-verification/handler.js'),
  login: () => import('../../functions/login/handler.js'),
  'login-mfa': () => import('../../functions/login-mfa/handler.js'),
  'token-refresh': () => import('../../functions/token-refresh/handler.js'),
  logout: () => import('../../functions/logout/handler.js'),
  me: () => import('../../functions/me/handler.js'),
  'me-update': () => import('../../functions/me-update/handler.js'),
  'me-close': () => import('../../functions/me-close/handler.js'),
  'me-email': () => import('../../functions/me-email/handler.js'),
  'me-email-confirm': () => import('../../functions/me-email-confirm/handler.js'),
  'me-email-confirm-page': () => import('../../functions/me-email-confirm-page/handler.js'),
  'me-phone': () => import('../../functions/me-phone/handler.js'),
  'me-phone-verify': () => import('../../functions/me-phone-verify/handler.js'),
  'me-totp': () => import('../../functions/me-totp/handler.js'),
  'me-totp-confirm': () => import('../../functions/me-totp-confirm/handler.js'),
  'me-totp-remove': () => import('../../functions/me-totp-remove/handler.js'),
  'me-sessions': () => import('../../functions/me-sessions/handler.js'),
  'me-session-end': () => import('../../functions/me-session-end/handler.js'),
  'me-sessions-revoke-others': () => import('../../functions/me-sessions-revoke-others/handler.js'),
  'me-export': () => import('../../functions/me-export/handler.js'),
  'phone-verification': () => import('../../functions/phone-verification/handler.js'),
  'phone-verify': () => import('../../functions/phone-verify/handler.js'),
  'phone-claim': () => import('../../functions/phone-claim/handler.js'),
  'password-forgot': () => import('../../functions/password-forgot/handler.js'),
  'password-reset': () => import('../../functions/password-reset/handler.js'),
  'password-reset-page': () => import('../../functions/password-reset-page/handler.js'),
  'password-change': () => import('../../functions/password-change/handler.js'),
  'passkey-enrol-options': () => import('../../functions/passkey-enrol-options/handler.js'),
  'passkey-enrol': () => import('../../functions/passkey-enrol/handler.js'),
  'passkey-list': () => import('../../functions/passkey-list/handler.js'),
  'passkey-remove': () => import('../../functions/passkey-remove/handler.js'),
  'passkey-login-options': () => import('../../functions/passkey-login-options/handler.js'),
  'passkey-login': () => import('../../functions/passkey-login/handler.js'),
  'passkey-enrol-page': () => import('../../functions/passkey-enrol-page/handler.js'),
  'passkey-sign-in-page': () => import('../../functions/passkey-sign-in-page/handler.js'),
  health: () => import('../../functions/health/handler.js'),
  jwks: () => import('../../functions/jwks/handler.js'),
};

/** The API's routes as API Gateway serves them (lib/http/routes.ts), with their handlers. */
export async function loadRoutes(): Promise<LocalRoute[]> {
  return Promise.all(ALL_API_ROUTES.map(async (route) => ({ ...route, handler: (await HANDLERS[route.functionName]()).handler })));
}
