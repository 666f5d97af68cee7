import * as precompiled from '../validation/generated/validators.js';
import { createValidator } from '../validation/precompiled.js';
import { trimStrings } from './normalize.js';
import type { Clock } from './ports.js';
import type {
  ForgotPasswordRequest, LoginRequest, PasswordChangeRequest, PasswordResetRequest, PhoneVerifyRequest, RefreshTokenRequest, RegistrationRequest,
  ResendVerificationRequest, VerifyEmailRequest,
} from './registration-schema.js';
import { validationContext } from './validation-keywords.js';

/**
 * Compiled at build time from registration-schema.ts (ajv standalone, `npm run generate`), so a cold
 * start compiles nothing and the bundles carry no ajv compiler; shared by every invocation.
 * Marked pure so a bundle can drop the validators its function does not use (the custom keywords,
 * and with them the common-password list, still come along: the runtime registers all of them).
 */
const registration = /* @__PURE__ */ createValidator<RegistrationRequest>(precompiled.registrationRequest, (body) => trimStrings(body));
/** The age rule is judged on the caller's clock (the handler's deps), never the wall clock. */
export const validateRegistration = (body: unknown, clock: Clock): RegistrationRequest => registration(body, validationContext(clock));
export const validateVerifyEmail = /* @__PURE__ */ createValidator<VerifyEmailRequest>(precompiled.verifyEmailRequest, (body) => trimStrings(body));
export const validateResendVerification = /* @__PURE__ */ createValidator<ResendVerificationRequest>(precompiled.resendVerificationRequest, (body) => trimStrings(body));
export const validateLogin = /* @__PURE__ */ createValidator<LoginRequest>(precompiled.loginRequest, (body) => trimStrings(body));
export const validateRefreshToken = /* @__PURE__ */ createValidator<RefreshTokenRequest>(precompiled.refreshTokenRequest, (body) => trimStrings(body));
export const validatePhoneVerify = /* @__PURE__ */ createValidator<PhoneVerifyRequest>(precompiled.phoneVerifyRequest, (body) => trimStrings(body));
export const validateForgotPassword = /* @__PURE__ */ createValidator<ForgotPasswordRequest>(precompiled.forgotPasswordRequest, (body) => trimStrings(body));
/** Passwords are never trimmed (trimStrings leaves them alone); the token is. */
export const validatePasswordReset = /* @__PURE__ */ createValidator<PasswordResetRequest>(precompiled.passwordResetRequest, (body) => trimStrings(body));
export const validatePasswordChange = /* @__PURE__ */ createValidator<PasswordChangeRequest>(precompiled.passwordChangeRequest, (body) => trimStrings(body));
