/**
 * The API's OpenAPI 3.1 document, built from the request schemas the validators are generated from
 * (lib/patient/registration-schema.ts) and the route table (lib/http/routes.ts): no second copy of
 * a rule. ajv's dialect becomes JSON Schema 2020-12 (`nullable` → a `"null"` type); the custom
 * keywords (rules JSON Schema cannot state) stay as `x-<keyword>` extensions with a description
 * made from the keyword's own settings.
 *
 * Built when `npm start` starts (lib/local/api-server.ts serves it at GET /api/v1/openapi.json), not
 * committed: a file would be one more thing to regenerate and a staleness test to keep. The examples
 * here are run against the handlers by test/integration/openapi.test.ts.
 */
import packageJson from '../../package.json' with { type: 'json' };
import { ACCESS_TOKEN_TTL_SECONDS } from '../auth/access-tokens.js';
import {
  forgotPasswordSchema, loginSchema, passwordChangeSchema, passwordResetSchema, phoneVerifySchema, refreshTokenSchema, registrationSchema,
  resendVerificationSchema, verifyEmailSchema, PASSWORD_MAX_BYTES,
} from '../patient/registration-schema.js';
import { passwordProblems } from '../patient/keywords/password.js';
import { VALIDATION_KEYWORDS } from '../patient/validation-keywords.js';
import { CORS_ALLOW_HEADERS } from './cors.js';
import { HEALTHY } from './health.js';
import { API_ROUTES, type ApiRoute } from './routes.js';

export const OPENAPI_PATH = '/api/v1/openapi.json';

type Json = Record<string, any>;
type RouteKey = keyof typeof API_ROUTES;

/** What each custom keyword means, in words, from its own schema value (lib/patient/validation-keywords.ts). */
export const KEYWORD_DOCS: Readonly<Record<string, (value: any) => string>> = {
  e164Phone: () => 'An international phone number such as +14155552671; spaces, dashes and brackets are ignored, and it is stored in E.164.',
  personName: () => 'Letters, spaces, apostrophes, hyphens and periods only, with at least one letter, all of one script (Unicode UTS #39 Highly Restrictive: no Latin mixed with Cyrillic look-alikes); stored NFKC-normalized (fullwidth letters become plain ones).',
  passwordPolicy: () =>
    `${passwordProblems('').join('; ')}; at most ${PASSWORD_MAX_BYTES} bytes in UTF-8; not a common password.`,
  sameAs: (field: string) => `Must equal \`${field}\`.`,
  differsFrom: (field: string) => `Must differ from \`${field}\` (422 otherwise: nothing is changed or mailed).`,
  age: ({ min, max }: { min: number; max: number }) => `A date in the past: at least ${min} and at most ${max} years before today (UTC).`,
  postalCode: () => 'A postal code valid for `country` (US when omitted: 12345 or 12345-6789).',
  countryCode: () => 'An ISO 3166-1 alpha-2 country code such as US (the default).',
  emailLocalPart: (max: number) => `At most ${max} characters before the @.`,
  emailDomainLabel: (max: number) => `Each part of the domain at most ${max} characters.`,
};

const CUSTOM_KEYWORDS = new Set(VALIDATION_KEYWORDS.map((k) => k.keyword));
const kebab = (name: string) => name.replace(/[A-Z0-9]+/g, (m) => `-${m.toLowerCase()}`);

/** One request schema (ajv dialect) as an OpenAPI 3.1 Schema Object. */
export function toOpenApiSchema(schema: Json): Json {
  const out: Json = {};
  const notes: string[] = [];
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$id' || key === 'nullable') continue;
    if (CUSTOM_KEYWORDS.has(key)) {
      out[`x-${kebab(key)}`] = value;
      const doc = KEYWORD_DOCS[key];
      if (!doc) throw new Error(`custom keyword ${key} has no description in KEYWORD_DOCS`);
      notes.push(doc(value));
    } else if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as Json).map(([name, s]) => [name, toOpenApiSchema(s as Json)]));
    } else if (key === 'items') {
      out.items = toOpenApiSchema(value as Json);
    } else {
      out[key] = value;
    }
  }
  // ajv's `nullable: true` lets null through as well.
  if (schema.nullable === true) out.type = [schema.type, 'null'];
  if (notes.length > 0) out.description = notes.join(' ');
  return out;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const registration = toOpenApiSchema(registrationSchema as Json);
const { password: _password, confirm_password: _confirm, ...storedFields } = registration.properties as Json;

const REQUEST_SCHEMAS = {
  RegistrationRequest: registrationSchema,
  VerifyEmailRequest: verifyEmailSchema,
  ResendVerificationRequest: resendVerificationSchema,
  LoginRequest: loginSchema,
  RefreshTokenRequest: refreshTokenSchema,
  ForgotPasswordRequest: forgotPasswordSchema,
  PasswordResetRequest: passwordResetSchema,
  PasswordChangeRequest: passwordChangeSchema,
  PhoneVerifyRequest: phoneVerifySchema,
} as const;
type RequestSchemaName = keyof typeof REQUEST_SCHEMAS;

const success = (data?: Json): Json => ({
  type: 'object',
  additionalProperties: false,
  required: ['success', 'message', ...(data ? ['data'] : [])],
  properties: { success: { const: true }, message: { type: 'string' }, ...(data && { data }) },
});

const RESPONSE_SCHEMAS: Json = {
  Message: success(),
  Registered: success({
    type: 'object',
    additionalProperties: false,
    required: ['patient_id', 'email', 'phone_number', 'email_verified', 'phone_verified'],
    properties: {
      patient_id: { type: 'string', format: 'uuid' },
      email: storedFields.email,
      phone_number: { ...storedFields.phone_number, description: 'E.164, as stored.' },
      email_verified: { const: false },
      phone_verified: { const: false },
    },
  }),
  Session: success({
    type: 'object',
    additionalProperties: false,
    required: ['patient_id', 'access_token', 'token_type', 'expires_in', 'refresh_token'],
    properties: {
      patient_id: { type: 'string', format: 'uuid' },
      access_token: { type: 'string', description: `An ES256 JWT for \`Authorization: Bearer …\`, valid ${ACCESS_TOKEN_TTL_SECONDS / 60} minutes.` },
      token_type: { const: 'Bearer' },
      expires_in: { type: 'integer', description: 'Seconds until the access token expires.' },
      refresh_token: { ...refreshTokenSchema.properties.refresh_token, description: 'Single use: POST it to /token/refresh for a new pair.' },
    },
  }),
  PatientRecord: success({
    type: 'object',
    additionalProperties: false,
    required: ['id', ...(registrationSchema.required as readonly string[]).filter((f) => f !== 'password' && f !== 'confirm_password'),
      'email_verified', 'phone_verified', 'is_active', 'created_at', 'updated_at'],
    // The registration's own fields as stored (without the passwords), and what the server keeps.
    properties: {
      id: { type: 'string', format: 'uuid' },
      ...storedFields,
      email_verified: { type: 'boolean' },
      phone_verified: { type: 'boolean' },
      is_active: { type: 'boolean' },
      created_at: { type: 'string', format: 'date-time' },
      updated_at: { type: 'string', format: 'date-time' },
    },
  }),
  PhoneVerified: success({ type: 'object', additionalProperties: false, required: ['phone_verified'], properties: { phone_verified: { const: true } } }),
  Health: success({ type: 'object', additionalProperties: false, required: ['status'], properties: { status: { const: HEALTHY.data.status } } }),
  Error: {
    type: 'object',
    additionalProperties: false,
    required: ['success', 'message'],
    properties: { success: { const: false }, message: { type: 'string', description: 'Safe to show to the person.' } },
  },
  ValidationError: {
    type: 'object',
    additionalProperties: false,
    required: ['success', 'message', 'errors'],
    properties: {
      success: { const: false },
      message: { const: 'Validation failed' },
      errors: {
        type: 'object',
        description: 'Messages per field; nested fields by dotted path (`address.zip`, `medical_history.0`).',
        additionalProperties: { type: 'array', items: { type: 'string' }, minItems: 1 },
      },
    },
  },
};

// ——— examples: every one is sent to the running handlers by test/integration/openapi.test.ts ———

/** The spec's example request (shared/spec), as written there. */
export const SPEC_REGISTRATION_EXAMPLE = {
  first_name: 'Jane',
  last_name: 'Smith',
  email: 'jane.smith@email.com',
  phone_number: '+1234567890',
  password: 'SecurePassword123!',
  confirm_password: 'SecurePassword123!',
  date_of_birth: '1990-05-15',
  gender: 'female',
  address: { street: '456 Main Street', city: 'Boston', state: 'MA', zip: '02101' },
  emergency_contact: { name: 'John Smith', phone: '+1234567891', relationship: 'spouse' },
  insurance_info: { provider: 'Blue Cross', policy_number: 'BC123456789' },
} as const;

/** Placeholders of the right shape; the test puts the real token (from the mail, the SMS, a sign-in) in their place. */
export const EXAMPLE_TOKEN = 'kq3X9vYp2LrT8sWmN4bC7dFgH1jK5zQ0aE6uI-o_RtS';
export const EXAMPLE_PATIENT_ID = '3f2b8c1e-9d4a-4e7b-8a61-2c5d9e0f1a7b';
const EXAMPLE_ACCESS_TOKEN = 'eyJhbGciOiJFUzI1NiIsImtpZCI6InYxIn0.eyJzdWIiOiIzZjJiOGMxZSJ9.c2lnbmF0dXJl';
const SESSION_EXAMPLE = {
  success: true,
  message: 'Login successful',
  data: { patient_id: EXAMPLE_PATIENT_ID, access_token: EXAMPLE_ACCESS_TOKEN, token_type: 'Bearer', expires_in: ACCESS_TOKEN_TTL_SECONDS, refresh_token: EXAMPLE_TOKEN },
};
const { password: _p, confirm_password: _c, ...storedExample } = SPEC_REGISTRATION_EXAMPLE;
const NEW_PASSWORD = 'Another-Secure-Pass-42';

interface Example { summary: string; value: unknown }
interface ResponseDoc { description: string; schema?: string; headers?: Json; examples?: Record<string, Example>; html?: boolean }
interface OperationDoc {
  summary: string;
  description?: string;
  bearer?: boolean;
  request?: { schema: RequestSchemaName; examples: Record<string, Example> };
  parameters?: Json[];
  responses: Record<number, ResponseDoc>;
}

const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } } };
const WWW_AUTHENTICATE = { 'WWW-Authenticate': { description: '`Bearer`, or `Bearer error="invalid_token"` for a bad token.', schema: { type: 'string' } } };
const error = (description: string, examples?: Record<string, Example>): ResponseDoc => ({ description, schema: 'Error', ...(examples && { examples }) });
const message = (summary: string, text: string): Record<string, Example> => ({ [summary]: { summary, value: { success: false, message: text } } });

/** What the shared JSON chain (lib/http/json-api.ts) answers for any body it cannot take. */
const BODY_ERRORS: Record<number, ResponseDoc> = {
  400: error('The body is not JSON, not UTF-8, or nested too deep.'),
  413: error('The body is larger than 64 KiB.'),
  415: error('Content-Type is not application/json (charset utf-8 only).'),
  422: { description: 'The body does not match the request schema: every problem, per field.', schema: 'ValidationError' },
};
const UNAVAILABLE: Record<number, ResponseDoc> = {
  503: { ...error('A dependency (DynamoDB, KMS, SES) failed or the request ran out of time; retry after Retry-After.'), headers: RETRY_AFTER },
};
const BEARER_ERRORS: Record<number, ResponseDoc> = {
  401: { ...error('The access token is missing, expired or not ours.', message('no-token', 'Invalid or expired access token')), headers: WWW_AUTHENTICATE },
  403: error('The account is deactivated.'),
};
const TOKEN_QUERY = { name: 'token', in: 'query', required: true, description: 'The token from the mailed link.', schema: { ...verifyEmailSchema.properties.token } };
const htmlPage = (description: string): ResponseDoc => ({ description, html: true });

/** Resend and forgot: an address in, the same answer whether or not it is registered, a per-address limit. */
function mailByAddress(summary: string, schema: RequestSchemaName, queued: string, answer: string): OperationDoc {
  return {
    summary,
    description: 'The same answer whether or not the address is registered; 3 per address per hour.',
    request: { schema, examples: { address: { summary: 'An address', value: { email: SPEC_REGISTRATION_EXAMPLE.email } } } },
    responses: {
      200: { description: queued, schema: 'Message', examples: { address: { summary: 'Queued', value: { success: true, message: answer } } } },
      ...BODY_ERRORS,
      429: { ...error('Too many requests for this address.'), headers: RETRY_AFTER },
      ...UNAVAILABLE,
    },
  };
}

export const OPERATIONS: Readonly<Record<RouteKey, OperationDoc>> = {
  register: {
    summary: 'Register a patient',
    description: 'Mails a verification link. With an `Idempotency-Key`, a retry of the same body answers the first answer again.',
    parameters: [{
      name: 'Idempotency-Key', in: 'header', required: false,
      description: '1 to 128 characters: letters, digits, "-", "_", ".", ":".', schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' },
    }],
    request: {
      schema: 'RegistrationRequest',
      examples: {
        spec: { summary: 'The specification\'s example', value: SPEC_REGISTRATION_EXAMPLE },
        invalid: {
          summary: 'Too young, weak password, malformed email',
          value: { ...SPEC_REGISTRATION_EXAMPLE, email: 'jane.smith@', password: 'short', confirm_password: 'short', date_of_birth: '2020-01-01' },
        },
      },
    },
    responses: {
      201: {
        description: 'Registered; the verification email is sent (or queued, when SES is briefly unavailable).',
        schema: 'Registered',
        examples: {
          spec: {
            summary: 'Registered',
            value: {
              success: true,
              message: 'Patient registered successfully. Verification email sent.',
              data: { patient_id: EXAMPLE_PATIENT_ID, email: 'jane.smith@email.com', phone_number: '+1234567890', email_verified: false, phone_verified: false },
            },
          },
        },
      },
      ...BODY_ERRORS,
      400: error('The body is not JSON or not UTF-8, or the Idempotency-Key is malformed.'),
      409: { ...error('A request with this Idempotency-Key is still in progress.'), headers: RETRY_AFTER },
      422: {
        description: 'The body does not match the schema, or the email or phone number is already registered.',
        schema: 'ValidationError',
        examples: {
          invalid: {
            summary: 'Validation failed',
            value: {
              success: false,
              message: 'Validation failed',
              errors: {
                email: ['Must be a valid email address'],
                password: ['Password must contain at least 8 characters'],
                date_of_birth: ['Must be at least 13 years old'],
              },
            },
          },
        },
      },
      ...UNAVAILABLE,
    },
  },
  verifyEmailPage: {
    summary: 'The page behind the verification link',
    description: 'Opening it changes nothing; its form posts the password (works without JavaScript).',
    parameters: [TOKEN_QUERY],
    responses: { 200: htmlPage('The confirmation page.') },
  },
  verifyEmail: {
    summary: 'Confirm the email with the link\'s token and the password, and sign in',
    description: 'The page\'s form may also post `application/x-www-form-urlencoded` (token in the query): the answer is then the page, with the same status.',
    request: {
      schema: 'VerifyEmailRequest',
      examples: {
        link: { summary: 'The token from the mail and the registration\'s password', value: { token: EXAMPLE_TOKEN, password: 'SecurePassword123!' } },
        used: { summary: 'The same link a second time', value: { token: EXAMPLE_TOKEN, password: 'SecurePassword123!' } },
        unknown: { summary: 'A token that was never issued', value: { token: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', password: 'SecurePassword123!' } },
      },
    },
    responses: {
      200: { description: 'Verified and signed in.', schema: 'Session', examples: { link: { summary: 'Verified', value: { ...SESSION_EXAMPLE, message: 'Email verified successfully.' } } } },
      ...BODY_ERRORS,
      400: error('Unknown token (or a body that is not JSON).', message('unknown', 'This verification link is invalid. Request a new verification email.')),
      401: error('The password is not the account\'s; it counts toward the sign-in lock.'),
      403: error('The account is deactivated.'),
      410: error('The link expired, was used, or was replaced by a newer one.', message('used', 'This verification link has already been used. Your email address is verified.')),
      429: { ...error('Too many failed passwords: locked for a while.'), headers: RETRY_AFTER },
      ...UNAVAILABLE,
    },
  },
  resendVerification: mailByAddress('Mail a new verification link', 'ResendVerificationRequest', 'Queued (if an unverified account exists).',
    'If an unverified account exists for this email, a new verification email is on its way.'),
  login: {
    summary: 'Sign in',
    request: {
      schema: 'LoginRequest',
      examples: {
        credentials: { summary: 'Email and password', value: { email: 'jane.smith@email.com', password: 'SecurePassword123!' } },
        'wrong-password': { summary: 'A wrong password', value: { email: 'jane.smith@email.com', password: 'NotThePassword1!' } },
      },
    },
    responses: {
      200: { description: 'Signed in.', schema: 'Session', examples: { credentials: { summary: 'Signed in', value: SESSION_EXAMPLE } } },
      ...BODY_ERRORS,
      401: error('Unknown email or wrong password (one answer for both).', message('wrong-password', 'Invalid email or password')),
      403: error('The email is not verified yet, or the account is deactivated.'),
      429: { ...error('Too many failed sign-ins: locked for a while.'), headers: RETRY_AFTER },
      ...UNAVAILABLE,
    },
  },
  tokenRefresh: {
    summary: 'Trade the refresh token for a new pair',
    description: 'Each refresh token works once; presenting a used one again ends the whole session family.',
    request: {
      schema: 'RefreshTokenRequest',
      examples: {
        refresh: { summary: 'The refresh token from the last sign-in or refresh', value: { refresh_token: EXAMPLE_TOKEN } },
        reused: { summary: 'A refresh token already used', value: { refresh_token: EXAMPLE_TOKEN } },
      },
    },
    responses: {
      200: { description: 'A new access and refresh token.', schema: 'Session', examples: { refresh: { summary: 'Refreshed', value: { ...SESSION_EXAMPLE, message: 'Token refreshed' } } } },
      ...BODY_ERRORS,
      401: error('Unknown, used, revoked or expired refresh token: sign in again.', message('reused', 'Invalid or expired refresh token')),
      ...UNAVAILABLE,
    },
  },
  me: {
    summary: 'The signed-in patient\'s own record',
    bearer: true,
    responses: {
      200: {
        description: 'The record as stored, decrypted, without the password hash.',
        schema: 'PatientRecord',
        examples: {
          'signed-in': {
            summary: 'The record',
            value: {
              success: true,
              message: 'Patient record',
              data: {
                id: EXAMPLE_PATIENT_ID, ...storedExample, email_verified: true, phone_verified: false, is_active: true,
                created_at: '2026-01-05T09:30:00.000Z', updated_at: '2026-01-05T09:31:12.000Z',
              },
            },
          },
        },
      },
      ...BEARER_ERRORS,
      ...UNAVAILABLE,
    },
  },
  phoneVerification: {
    summary: 'Text a verification code to the phone number on record',
    description: 'No body: the code goes to the stored number, never one from the request. 3 codes per patient per hour.',
    bearer: true,
    responses: {
      202: {
        description: 'The code is stored and its SMS queued.',
        schema: 'Message',
        examples: { 'signed-in': { summary: 'Queued', value: { success: true, message: 'A verification code is on its way to your phone. It is valid for 10 minutes.' } } },
      },
      ...BEARER_ERRORS,
      409: error('The phone number is already verified.'),
      429: { ...error('Too many codes for this patient.'), headers: RETRY_AFTER },
      ...UNAVAILABLE,
    },
  },
  phoneVerify: {
    summary: 'Confirm the phone number with the code from the SMS',
    bearer: true,
    request: { schema: 'PhoneVerifyRequest', examples: { code: { summary: 'The six digits from the SMS', value: { code: '042917' } } } },
    responses: {
      200: { description: 'Verified.', schema: 'PhoneVerified', examples: { code: { summary: 'Verified', value: { success: true, message: 'Phone number verified', data: { phone_verified: true } } } } },
      ...BODY_ERRORS,
      422: { description: 'Not six digits, or a wrong code (with the tries left).', schema: 'ValidationError' },
      ...BEARER_ERRORS,
      410: error('The code expired, was tried too often, or none was issued: request a new one.'),
      ...UNAVAILABLE,
    },
  },
  passwordForgot: mailByAddress('Mail a password reset link', 'ForgotPasswordRequest', 'Queued (if an account exists).',
    'If an account exists for this email, a password reset email is on its way.'),
  passwordResetPage: {
    summary: 'The page behind the reset link',
    description: 'Opening it changes nothing; its form posts the new password (works without JavaScript).',
    parameters: [TOKEN_QUERY],
    responses: { 200: htmlPage('The new-password form.') },
  },
  passwordReset: {
    summary: 'Set a new password with the reset link\'s token',
    description: 'Signs every session out and verifies the email (the mailbox is proven). The page\'s form may post `application/x-www-form-urlencoded` too.',
    request: {
      schema: 'PasswordResetRequest',
      examples: { link: { summary: 'The token from the mail and a new password', value: { token: EXAMPLE_TOKEN, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD } } },
    },
    responses: {
      200: { description: 'Changed.', schema: 'Message', examples: { link: { summary: 'Changed', value: { success: true, message: 'Your password has been changed. You can now sign in with it.' } } } },
      ...BODY_ERRORS,
      400: error('Unknown token (or a body that is not JSON).'),
      410: error('The link expired, was used, or was replaced by a newer one.'),
      ...UNAVAILABLE,
    },
  },
  passwordChange: {
    summary: 'Change the password (signed in)',
    description: 'Signs the other sessions out and mails a notice. A new password equal to the current one is refused (422).',
    bearer: true,
    request: {
      schema: 'PasswordChangeRequest',
      examples: { change: { summary: 'The current and a new password', value: { current_password: NEW_PASSWORD, password: 'Third-Secure-Pass-77', confirm_password: 'Third-Secure-Pass-77' } } },
    },
    responses: {
      200: { description: 'Changed.', schema: 'Message', examples: { change: { summary: 'Changed', value: { success: true, message: 'Your password has been changed. Your other sessions were signed out.' } } } },
      ...BODY_ERRORS,
      401: { ...error('The access token is bad, or the current password is wrong (it counts toward the lock).'), headers: WWW_AUTHENTICATE },
      429: { ...error('Too many wrong passwords: locked for a while.'), headers: RETRY_AFTER },
      ...UNAVAILABLE,
    },
  },
  logout: {
    summary: 'Sign out: end the refresh token\'s session family',
    description: '200 whether or not the refresh token is still valid (idempotent).',
    bearer: true,
    request: { schema: 'RefreshTokenRequest', examples: { logout: { summary: 'The current refresh token', value: { refresh_token: EXAMPLE_TOKEN } } } },
    responses: {
      200: { description: 'Signed out.', schema: 'Message', examples: { logout: { summary: 'Signed out', value: { success: true, message: 'Logout successful' } } } },
      ...BODY_ERRORS,
      401: { ...error('The access token is missing, expired or not ours.'), headers: WWW_AUTHENTICATE },
      ...UNAVAILABLE,
    },
  },
  health: {
    summary: 'Health check',
    description: 'For load balancers and uptime checks: no data, no dependency touched.',
    responses: { 200: { description: 'Up.', schema: 'Health', examples: { up: { summary: 'Up', value: HEALTHY } } } },
  },
};

function operation(key: RouteKey, route: ApiRoute): Json {
  const doc = OPERATIONS[key];
  const responses = Object.fromEntries(Object.entries(doc.responses).map(([status, r]) => [status, {
    description: r.description,
    ...(r.headers && { headers: r.headers }),
    content: r.html
      ? { 'text/html': { schema: { type: 'string' } } }
      : { 'application/json': { schema: ref(r.schema!), ...(r.examples && { examples: r.examples }) } },
  }]));
  return {
    operationId: key,
    summary: doc.summary,
    ...(doc.description && { description: doc.description }),
    tags: [route.path === API_ROUTES.health.path ? 'operations' : 'patient'],
    ...(doc.parameters && { parameters: doc.parameters }),
    ...(doc.bearer ? { security: [{ bearer: [] }] } : { security: [] }),
    ...(doc.request && {
      requestBody: { required: true, content: { 'application/json': { schema: ref(doc.request.schema), examples: doc.request.examples } } },
    }),
    responses,
  };
}

/** The whole document; its version is the package's. */
export function openApiDocument(version = packageJson.version): Json {
  const paths: Json = {};
  for (const [key, route] of Object.entries(API_ROUTES) as [RouteKey, ApiRoute][]) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(key, route);
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Patient registration API',
      version,
      description: [
        'Every JSON answer is `{ success, message, data? }`; a refusal is `{ success: false, message, errors? }` (errors per field on 422).',
        'Strings are trimmed before validation, passwords excepted. Custom rules appear as `x-…` extensions with their meaning in `description`.',
        'Besides the answers listed per route: 404 (no such route), 405 locally (wrong method, with Allow) and, in AWS, answers of API Gateway itself:',
        '403 (web application firewall), 413 (body over its limit), 429 (throttling, with Retry-After), 504 (no answer in time), all in the same envelope; 500 for anything unexpected, without detail.',
        `CORS: allowed origins per stage (CORS_ALLOWED_ORIGINS); a browser may send ${CORS_ALLOW_HEADERS.join(', ')}.`,
      ].join('\n\n'),
    },
    // No `servers`: paths are then relative to where the document is served (npm start, or the stage URL).
    tags: [{ name: 'patient', description: 'Registration, sign-in and the patient\'s own account' }, { name: 'operations' }],
    paths,
    components: {
      schemas: {
        ...Object.fromEntries(Object.entries(REQUEST_SCHEMAS).map(([name, schema]) => [name, toOpenApiSchema(schema as Json)])),
        ...RESPONSE_SCHEMAS,
      },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The access_token of a sign-in.' } },
    },
  };
}

/** Every request schema the validators are generated from is in the document (a test checks none is left out). */
export const DOCUMENTED_REQUEST_SCHEMAS: readonly object[] = Object.values(REQUEST_SCHEMAS);
