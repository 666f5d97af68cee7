import { createValidator } from '../validation/ajv.js';
import { trimStrings } from './normalize.js';
import {
  registrationSchema,
  verifyEmailSchema,
  type RegistrationRequest,
  type VerifyEmailRequest,
} from './registration-schema.js';

/** Compiled once at module load and shared by every invocation. */
export const validateRegistration = createValidator<RegistrationRequest>(registrationSchema, (body) => trimStrings(body));
export const validateVerifyEmail = createValidator<VerifyEmailRequest>(verifyEmailSchema, (body) => trimStrings(body));
