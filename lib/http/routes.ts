/**
 * The API's routes: the one table the CDK API (infra/stacks/stateless-stack.ts) and the local server
 * (lib/local) are both built from, so a route, its function or its timeout cannot differ between what is
 * deployed and what is run and tested locally. No imports: infra loads it without CDK reaching the
 * Lambda bundles, and without the handlers reaching the CDK app.
 */
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Folder under functions/ holding the route's handler (`functions/<name>/handler.ts`). */
export type ApiFunctionName =
  | 'register'
  | 'verify-email'
  | 'verify-email-page'
  | 'resend-verification'
  | 'login'
  | 'login-mfa'
  | 'token-refresh'
  | 'logout'
  | 'me'
  | 'me-update'
  | 'me-close'
  | 'me-email'
  | 'me-email-confirm'
  | 'me-email-confirm-page'
  | 'me-phone'
  | 'me-phone-verify'
  | 'me-totp'
  | 'me-totp-confirm'
  | 'me-totp-remove'
  | 'me-sessions'
  | 'me-session-end'
  | 'me-sessions-revoke-others'
  | 'me-export'
  | 'password-forgot'
  | 'password-reset'
  | 'password-reset-page'
  | 'password-change'
  | 'phone-verification'
  | 'phone-verify'
  | 'phone-claim'
  | 'passkey-enrol-options'
  | 'passkey-enrol'
  | 'passkey-list'
  | 'passkey-remove'
  | 'passkey-login-options'
  | 'passkey-login'
  | 'passkey-enrol-page'
  | 'passkey-sign-in-page'
  | 'health'
  | 'jwks';

export interface ApiRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly functionName: ApiFunctionName;
  /**
   * The Lambda timeout. Longer than one SDK call's worst case (attempts × request timeout + retry
   * back-off, lib/adapters/aws-clients.ts), so a hung call ends in the SDK's own error → 503; shorter
   * than API Gateway's 29 s integration timeout, so the function's own answer — at worst the 503 that
   * lib/http/json-api.ts gives just before the deadline — always reaches the client. A template
   * test checks both bounds.
   */
  readonly timeoutSeconds: number;
}

export const API_PATHS = {
  register: '/api/v1/patient/register',
  verifyEmail: '/api/v1/patient/verify-email',
  resendVerification: '/api/v1/patient/resend-verification',
  login: '/api/v1/patient/login',
  loginMfa: '/api/v1/patient/login/mfa',
  tokenRefresh: '/api/v1/patient/token/refresh',
  logout: '/api/v1/patient/logout',
  me: '/api/v1/patient/me',
  meClose: '/api/v1/patient/me/close',
  meEmail: '/api/v1/patient/me/email',
  meEmailConfirm: '/api/v1/patient/me/email/confirm',
  mePhone: '/api/v1/patient/me/phone',
  mePhoneVerify: '/api/v1/patient/me/phone/verify',
  meTotp: '/api/v1/patient/me/totp',
  meTotpConfirm: '/api/v1/patient/me/totp/confirm',
  meSessions: '/api/v1/patient/me/sessions',
  // `{id}` is one path segment, handed to the function as `pathParameters.id` (API Gateway's syntax;
  // lib/local/api-server.ts matches it the same way, a literal path such as revoke-others first).
  meSession: '/api/v1/patient/me/sessions/{id}',
  meSessionsRevokeOthers: '/api/v1/patient/me/sessions/revoke-others',
  meExport: '/api/v1/patient/me/export',
  passwordForgot: '/api/v1/patient/password/forgot',
  passwordReset: '/api/v1/patient/password/reset',
  passwordChange: '/api/v1/patient/password/change',
  phoneVerification: '/api/v1/patient/phone/verification',
  phoneVerify: '/api/v1/patient/phone/verify',
  phoneClaim: '/api/v1/patient/phone-claim',
  // Passkeys (issue 21).
  mePasskeys: '/api/v1/patient/me/passkeys',
  mePasskeysOptions: '/api/v1/patient/me/passkeys/options',
  mePasskey: '/api/v1/patient/me/passkeys/{id}',
  loginPasskey: '/api/v1/patient/login/passkey',
  loginPasskeyOptions: '/api/v1/patient/login/passkey/options',
  passkeyEnrolPage: '/api/v1/patient/passkeys/enrol',
  passkeySignInPage: '/api/v1/patient/passkeys/sign-in',
  health: '/api/v1/health',
  // Where RFC 8414 / OpenID Connect discovery put it, so verifiers find it without configuration.
  jwks: '/.well-known/jwks.json',
} as const;

export const API_ROUTES = {
  // Hashes with bcrypt (~0.5 s at 1,024 MB) and makes the most calls (pre-check, KMS, transaction, SES).
  register: { method: 'POST', path: API_PATHS.register, functionName: 'register', timeoutSeconds: 15 },
  verifyEmail: { method: 'POST', path: API_PATHS.verifyEmail, functionName: 'verify-email', timeoutSeconds: 12 },
  verifyEmailPage: { method: 'GET', path: API_PATHS.verifyEmail, functionName: 'verify-email-page', timeoutSeconds: 12 },
  resendVerification: { method: 'POST', path: API_PATHS.resendVerification, functionName: 'resend-verification', timeoutSeconds: 12 },
  // Compares with bcrypt (~0.5 s), and may re-hash after it, so the register function's budget.
  login: { method: 'POST', path: API_PATHS.login, functionName: 'login', timeoutSeconds: 15 },
  // The second step of a sign-in (issue 21): a decrypt (the TOTP secret), conditional writes, a signature.
  loginMfa: { method: 'POST', path: API_PATHS.loginMfa, functionName: 'login-mfa', timeoutSeconds: 12 },
  tokenRefresh: { method: 'POST', path: API_PATHS.tokenRefresh, functionName: 'token-refresh', timeoutSeconds: 12 },
  logout: { method: 'POST', path: API_PATHS.logout, functionName: 'logout', timeoutSeconds: 12 },
  me: { method: 'GET', path: API_PATHS.me, functionName: 'me', timeoutSeconds: 12 },
  // Reads, decrypts, may re-encrypt (a data key from KMS) and writes once.
  meUpdate: { method: 'PATCH', path: API_PATHS.me, functionName: 'me-update', timeoutSeconds: 12 },
  // A compare with bcrypt, then one transaction (the password change's budget).
  meClose: { method: 'POST', path: API_PATHS.meClose, functionName: 'me-close', timeoutSeconds: 15 },
  // Moving the email (issue 20): a compare with bcrypt, then one transaction (or one outbox item).
  meEmail: { method: 'POST', path: API_PATHS.meEmail, functionName: 'me-email', timeoutSeconds: 15 },
  // The link's use: Bearer (JSON) or the page's form (a compare with bcrypt), then one transaction.
  meEmailConfirm: { method: 'POST', path: API_PATHS.meEmailConfirm, functionName: 'me-email-confirm', timeoutSeconds: 15 },
  meEmailConfirmPage: { method: 'GET', path: API_PATHS.meEmailConfirm, functionName: 'me-email-confirm-page', timeoutSeconds: 12 },
  // Moving the phone: a compare with bcrypt, the code's limits and one transaction; then the code's one transaction.
  mePhone: { method: 'POST', path: API_PATHS.mePhone, functionName: 'me-phone', timeoutSeconds: 15 },
  mePhoneVerify: { method: 'POST', path: API_PATHS.mePhoneVerify, functionName: 'me-phone-verify', timeoutSeconds: 12 },
  // The authenticator app (issue 21): a data key (begin) or a decrypt (confirm, remove), then one conditional write.
  meTotp: { method: 'POST', path: API_PATHS.meTotp, functionName: 'me-totp', timeoutSeconds: 12 },
  meTotpConfirm: { method: 'POST', path: API_PATHS.meTotpConfirm, functionName: 'me-totp-confirm', timeoutSeconds: 12 },
  meTotpRemove: { method: 'DELETE', path: API_PATHS.meTotp, functionName: 'me-totp-remove', timeoutSeconds: 12 },
  // The patient's sessions (issue 20): a Get and a BatchGet; one conditional transaction; one transaction.
  meSessions: { method: 'GET', path: API_PATHS.meSessions, functionName: 'me-sessions', timeoutSeconds: 12 },
  meSessionEnd: { method: 'DELETE', path: API_PATHS.meSession, functionName: 'me-session-end', timeoutSeconds: 12 },
  meSessionsRevokeOthers: { method: 'POST', path: API_PATHS.meSessionsRevokeOthers, functionName: 'me-sessions-revoke-others', timeoutSeconds: 12 },
  // The right of access (issue 20): GET /me's reads and decryption, the session list, one Query of the
  // patient's audit partition (paged), one audit write.
  meExport: { method: 'GET', path: API_PATHS.meExport, functionName: 'me-export', timeoutSeconds: 12 },
  // Only counts and queues: the outbox looks the address up and mails (issue 11).
  passwordForgot: { method: 'POST', path: API_PATHS.passwordForgot, functionName: 'password-forgot', timeoutSeconds: 12 },
  // Hash the new password with bcrypt: the register function's budget.
  passwordReset: { method: 'POST', path: API_PATHS.passwordReset, functionName: 'password-reset', timeoutSeconds: 15 },
  passwordResetPage: { method: 'GET', path: API_PATHS.passwordReset, functionName: 'password-reset-page', timeoutSeconds: 12 },
  // A compare and a hash.
  passwordChange: { method: 'POST', path: API_PATHS.passwordChange, functionName: 'password-change', timeoutSeconds: 15 },
  phoneVerification: { method: 'POST', path: API_PATHS.phoneVerification, functionName: 'phone-verification', timeoutSeconds: 12 },
  phoneVerify: { method: 'POST', path: API_PATHS.phoneVerify, functionName: 'phone-verify', timeoutSeconds: 12 },
  // Only counts and queues: the outbox looks the number up and texts a claim code (issue 19 item 4).
  phoneClaim: { method: 'POST', path: API_PATHS.phoneClaim, functionName: 'phone-claim', timeoutSeconds: 12 },
  // Passkeys (issue 21): one or two reads and one conditional write each, and a signature check in memory.
  passkeyEnrolOptions: { method: 'POST', path: API_PATHS.mePasskeysOptions, functionName: 'passkey-enrol-options', timeoutSeconds: 12 },
  passkeyEnrol: { method: 'POST', path: API_PATHS.mePasskeys, functionName: 'passkey-enrol', timeoutSeconds: 12 },
  passkeyList: { method: 'GET', path: API_PATHS.mePasskeys, functionName: 'passkey-list', timeoutSeconds: 12 },
  passkeyRemove: { method: 'DELETE', path: API_PATHS.mePasskey, functionName: 'passkey-remove', timeoutSeconds: 12 },
  passkeyLoginOptions: { method: 'POST', path: API_PATHS.loginPasskeyOptions, functionName: 'passkey-login-options', timeoutSeconds: 12 },
  passkeyLogin: { method: 'POST', path: API_PATHS.loginPasskey, functionName: 'passkey-login', timeoutSeconds: 12 },
  // The two passkey pages: static HTML and its script, no data, no AWS call.
  passkeyEnrolPage: { method: 'GET', path: API_PATHS.passkeyEnrolPage, functionName: 'passkey-enrol-page', timeoutSeconds: 12 },
  passkeySignInPage: { method: 'GET', path: API_PATHS.passkeySignInPage, functionName: 'passkey-sign-in-page', timeoutSeconds: 12 },
  // For load balancers and `npm start`'s readiness: no data, no AWS call (functions/health/handler.ts).
  health: { method: 'GET', path: API_PATHS.health, functionName: 'health', timeoutSeconds: 12 },
  // The access tokens' public keys, from the environment: no AWS call (functions/jwks/handler.ts).
  jwks: { method: 'GET', path: API_PATHS.jwks, functionName: 'jwks', timeoutSeconds: 12 },
} as const satisfies Record<string, ApiRoute>;

export const ALL_API_ROUTES: readonly ApiRoute[] = Object.values(API_ROUTES);
