/**
 * How a session was signed in, as access tokens state it (issue 21): `amr` (RFC 8176 method
 * references), `auth_time` (the sign-in, not the newest refresh) and `acr` (the NIST SP 800-63B
 * authenticator assurance level it reached).
 *
 * Decided (the issue leaves the values open):
 * - `amr`: `pwd` for the password; `otp` for an authenticator-app code and equally for a recovery
 *   code (both are one-time secrets that NIST calls look-up or OTP authenticators); `hwk` + `user`
 *   for a passkey (a hardware- or platform-bound key, with the user verified on the device); `pwd`,
 *   `hwk`, `user` for a password whose second step was a passkey.
 * - `acr`: login.gov's NIST URIs, so a relying party outside this service reads them without a
 *   glossary: AAL2 when two factors (`pwd` and `otp`) or a passkey (`hwk`) were used, AAL1 otherwise.
 */
export const ACR_AAL1 = 'http://idmanagement.gov/ns/assurance/aal/1';
export const ACR_AAL2 = 'http://idmanagement.gov/ns/assurance/aal/2';
export type Acr = typeof ACR_AAL1 | typeof ACR_AAL2;

/** RFC 8176 values this service issues. */
export const AMR = { password: 'pwd', oneTimeCode: 'otp', hardwareKey: 'hwk', userPresence: 'user' } as const;

/** What signed a session in: what AccessTokens.issue takes and a session family keeps. */
export interface SignInMethods {
  amr: string[];
  /** The sign-in itself; a refresh keeps it. */
  authTime: Date;
}

/** The methods with the level they reached (what a session family stores and a verified token carries). */
export interface SignInAssurance extends SignInMethods {
  acr: Acr;
}

export const PASSWORD_SIGN_IN = [AMR.password];
export const TWO_FACTOR_SIGN_IN = [AMR.password, AMR.oneTimeCode];
export const PASSKEY_SIGN_IN = [AMR.hardwareKey, AMR.userPresence];
/** The password, then a passkey as the second step of POST /login (POST /login/mfa with an assertion). */
export const PASSWORD_AND_PASSKEY_SIGN_IN = [AMR.password, AMR.hardwareKey, AMR.userPresence];

/** AAL2 for a passkey or a password with a one-time code; AAL1 for anything less. */
export function acrOf(amr: readonly string[]): Acr {
  if (amr.includes(AMR.hardwareKey)) return ACR_AAL2;
  return amr.includes(AMR.password) && amr.includes(AMR.oneTimeCode) ? ACR_AAL2 : ACR_AAL1;
}

export function assuranceOf(methods: SignInMethods): SignInAssurance {
  return { amr: [...methods.amr], authTime: methods.authTime, acr: acrOf(methods.amr) };
}
