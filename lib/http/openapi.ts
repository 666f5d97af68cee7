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
import { AUDIT_ACTIONS } from '../audit/ports.js';
import { EXPORT_FORMATS } from '../record/export-record.js';
import { US_CORE_PATIENT } from '../record/fhir.js';
import { FHIR_JSON } from './content-negotiation.js';
import {
  accountCloseSchema, passkeyEnrolSchema, passkeySignInSchema, loginMfaSchema, secondFactorSchema, totpConfirmSchema, emailMoveConfirmSchema, emailMoveSchema, phoneMoveSchema, forgotPasswordSchema, loginSchema, passwordChangeSchema, passwordResetSchema, phoneVerifySchema, profilePatchSchema, profileSchema, refreshTokenSchema,
  registrationSchema, resendVerificationSchema, verifyEmailSchema, PASSWORD_MAX_BYTES, phoneClaimSchema,
} from '../patient/registration-schema.js';
import { passwordProblems } from '../patient/keywords/password.js';
import { VALIDATION_KEYWORDS } from '../patient/validation-keywords.js';
import { CORS_ALLOW_HEADERS } from './cors.js';
import { HEALTHY } from './health.js';
import { JWKS_MAX_AGE_SECONDS } from './jwks.js';
import { API_ROUTES, type ApiRoute } from './routes.js';
import { MAX_PASSKEYS } from '../passkey/limits.js';
import { InvalidMfaTokenError, PasskeyEnrolmentError, PasskeyLimitError, PasskeySignInError, SignInRefusedError, StepUpRequiredError, TotpStateError, WrongSecondFactorError } from '../errors.js';
import { ACR_AAL2 } from '../auth/assurance.js';
import { STEP_UP_MAX_AGE_SECONDS } from '../auth/step-up.js';
import { RECOVERY_CODE_COUNT } from '../auth/recovery-codes.js';
import { MFA_TOKEN_TTL_MS } from '../auth/mfa-sign-in.js';
import { ACCOUNT_CLOSED_ANSWER } from '../record/close-account.js';
import { EMAIL_MOVE_REQUESTED_ANSWER } from '../record/move-email.js';
import { PHONE_MOVE_REQUESTED_ANSWER } from '../record/move-phone.js';

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
/** camelCase to kebab-case, digits staying with their word: e164Phone → e164-phone. */
const kebab = (name: string) => name.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);

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

const SESSION_DATA = {
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
};
const { nullable: _nullable, description: _description, ...presentedDeviceToken } = loginSchema.properties.device_token;
const DEVICE_TOKEN_NOTE =
  'Keep it on this client and send it as `device_token` with the next sign-in: this client is then throttled on its own counter, ' +
  'so a stranger\'s wrong passwords (which lock the account for clients without one) cannot keep it out. Valid until the password changes.';
/** The FHIR answer is described, not restated: FHIR's own definitions are the schema. */
const FHIR_PATIENT_SCHEMA = {
  type: 'object',
  description: `A FHIR R4 Patient resource conforming to US Core Patient (${US_CORE_PATIENT}).`,
  required: ['resourceType', 'id', 'identifier', 'name', 'gender'],
  properties: {
    resourceType: { const: 'Patient' },
    id: { type: 'string' },
    identifier: { type: 'array', items: { type: 'object' } },
    name: { type: 'array', items: { type: 'object' } },
    gender: { enum: ['male', 'female', 'other', 'unknown'] },
  },
  externalDocs: { url: 'https://hl7.org/fhir/R4/patient.html' },
};

const FHIR_BUNDLE_SCHEMA = {
  type: 'object',
  description: 'A FHIR R4 Bundle of type `collection`: the US Core Patient, a Coverage for the insurance (if any) and a Condition (`code.text`) per medical-history entry.',
  required: ['resourceType', 'type', 'timestamp', 'entry'],
  properties: {
    resourceType: { const: 'Bundle' },
    type: { const: 'collection' },
    timestamp: { type: 'string', format: 'date-time' },
    entry: {
      type: 'array',
      items: { type: 'object', required: ['fullUrl', 'resource'], properties: { fullUrl: { type: 'string', format: 'uri' }, resource: { type: 'object', required: ['resourceType'], properties: { resourceType: { enum: ['Patient', 'Coverage', 'Condition'] } } } } },
    },
  },
  externalDocs: { url: 'https://hl7.org/fhir/R4/bundle.html' },
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const registration = toOpenApiSchema(registrationSchema as Json);
const { password: _password, confirm_password: _confirm, phone_claim_code: _claim, ...storedFields } = registration.properties as Json;

const REQUEST_SCHEMAS = {
  RegistrationRequest: registrationSchema,
  VerifyEmailRequest: verifyEmailSchema,
  ResendVerificationRequest: resendVerificationSchema,
  LoginRequest: loginSchema,
  RefreshTokenRequest: refreshTokenSchema,
  ForgotPasswordRequest: forgotPasswordSchema,
  PasswordResetRequest: passwordResetSchema,
  PasswordChangeRequest: passwordChangeSchema,
  AccountCloseRequest: accountCloseSchema,
  EmailMoveRequest: emailMoveSchema,
  EmailMoveConfirmRequest: emailMoveConfirmSchema,
  PhoneMoveRequest: phoneMoveSchema,
  PhoneVerifyRequest: phoneVerifySchema,
  PhoneClaimRequest: phoneClaimSchema,
  ProfilePatchRequest: profilePatchSchema,
  TotpConfirmRequest: totpConfirmSchema,
  SecondFactorRequest: secondFactorSchema,
  LoginMfaRequest: loginMfaSchema,
  PasskeyEnrolRequest: passkeyEnrolSchema,
  PasskeySignInRequest: passkeySignInSchema,
} as const;
type RequestSchemaName = keyof typeof REQUEST_SCHEMAS;

/**
 * A JSON Merge Patch of a schema (RFC 7396), for the documents: every member optional, `null` removes
 * it, objects merge member by member. What the patch may name is profilePatchSchema's; what the merged
 * record must be is the schema itself (`Profile`), judged after the merge.
 */
function mergePatchOf(schema: Json): Json {
  const { required: _required, ...rest } = schema;
  const out: Json = { ...rest };
  if (rest.properties) out.properties = Object.fromEntries(Object.entries(rest.properties as Json).map(([name, s]) => [name, mergePatchOf(s as Json)]));
  if (out.type !== undefined && !(Array.isArray(out.type) && out.type.includes('null'))) out.type = [out.type, 'null'].flat();
  return out;
}
const requestSchemaDoc = (name: string, schema: Json): Json =>
  name === 'ProfilePatchRequest'
    ? {
      ...mergePatchOf(toOpenApiSchema(profileSchema as Json)),
      type: 'object',
      minProperties: profilePatchSchema.minProperties,
      description: 'A JSON Merge Patch (RFC 7396) of the profile: send only what changes; `null` removes an optional field; objects such as `address` merge field by field; a list replaces the list. Email and phone number have their own routes; server-owned fields are refused. The merged record must satisfy `Profile`, with the registration\'s rules and messages.',
    }
    : toOpenApiSchema(schema);

const success = (data?: Json): Json => ({
  type: 'object',
  additionalProperties: false,
  required: ['success', 'message', ...(data ? ['data'] : [])],
  properties: { success: { const: true }, message: { type: 'string' }, ...(data && { data }) },
});

// ——— the published keys (GET /.well-known/jwks.json): a JWK Set, not the envelope ———

const JWKS_NOTE = `Access tokens are ES256 JWTs. Their public keys are published as a JWK Set at [${API_ROUTES.jwks.path}](${API_ROUTES.jwks.path}) `
  + `(current signing key first; cacheable for ${JWKS_MAX_AGE_SECONDS} s), so another service can verify them itself, e.g. with jose's createRemoteJWKSet; `
  + 'check `iss`, `aud`, `exp` and allow only ES256.';

const JWKS_SCHEMAS: Record<string, Json> = {
  Jwks: {
    type: 'object',
    additionalProperties: false,
    required: ['keys'],
    description: 'A JWK Set (RFC 7517): public keys only.',
    properties: {
      keys: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'],
          properties: {
            kty: { const: 'EC' },
            crv: { const: 'P-256' },
            x: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
            y: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
            kid: { type: 'string', description: 'The RFC 7638 thumbprint of the key; a token names its key by it in the `kid` header.' },
            alg: { const: 'ES256' },
            use: { const: 'sig' },
          },
        },
      },
    },
  },
};

const JWKS_OPERATION = {
  summary: 'Public keys of the access tokens (JWK Set)',
  description: `Every key whose tokens are accepted, the current signing key first; during a rotation the retired key stays until its last token expired. Cache-Control: public, max-age=${JWKS_MAX_AGE_SECONDS}.`,
  responses: {
    200: {
      description: 'The keys.',
      schema: 'Jwks',
      headers: { 'Cache-Control': { description: `\`public, max-age=${JWKS_MAX_AGE_SECONDS}\``, schema: { type: 'string' } } },
      examples: {
        keys: {
          summary: 'One signing key',
          value: { keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs', alg: 'ES256', use: 'sig' }] },
        },
      },
    },
  },
} satisfies OperationDoc;

const PATIENT_RECORD_DATA: Json = {
  type: 'object',
  additionalProperties: false,
  required: ['id', ...(registrationSchema.required as readonly string[]).filter((f) => f !== 'password' && f !== 'confirm_password'),
    'email_verified', 'phone_verified', 'is_active', 'created_at', 'updated_at'],
  // The registration's own fields as stored (without the passwords), and what the server keeps.
  properties: {
    id: { type: 'string', format: 'uuid' },
    ...storedFields,
    phone_number: {
      ...storedFields.phone_number, type: ['string', 'null'],
      description: 'E.164, as stored; null once the number was taken over by someone who proved it by SMS (see `phone_number_released`).',
    },
    email_verified: { type: 'boolean' },
    phone_verified: { type: 'boolean' },
    phone_number_released: {
      type: 'boolean',
      description: 'Present (true) only when the number, never proven by SMS here, was taken over by its owner, who proved it with a claim code '
        + '(`POST /phone-claim`). The account has no number until the patient adds a new one (`POST /me/phone`).',
    },
    profile_review_required: {
      type: 'boolean',
      description: 'Present (true) after a password reset took back a registration that was never verified: its medical history, insurance and '
        + 'emergency contact were deleted and an unproven phone number released. Cleared by a PATCH that names all of first_name, last_name, '
        + 'date_of_birth, gender and address (changed or confirmed as they are); a PATCH of only some leaves it set.',
    },
    is_active: { type: 'boolean' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
};

const SESSION_LIST: Json = {
  type: 'array',
  description: 'Live sessions (signed in, neither ended nor expired), most recently used first.',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'created_at', 'last_used_at', 'device', 'current'],
    properties: {
      id: { type: 'string', format: 'uuid', description: 'The session\'s id: the `sid` claim of its access tokens; what DELETE /me/sessions/{id} takes.' },
      created_at: { type: 'string', format: 'date-time', description: 'The sign-in (login or email verification) that started it.' },
      last_used_at: { type: 'string', format: 'date-time', description: 'The sign-in, or its newest refresh since.' },
      device: {
        type: ['string', 'null'], maxLength: 100,
        description: 'A summary of the user agent that signed in ("Chrome 120 on macOS"); the header itself is never kept. null when it said nothing recognisable.',
      },
      current: { type: 'boolean', description: 'The session this request\'s access token belongs to.' },
    },
  },
};

/** One passkey as the list shows it (lib/passkey/passkey-view.ts): never its public key or counter. */
const PASSKEY_VIEW = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'created_at', 'last_used_at', 'transports', 'aaguid'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', description: 'The credential id (base64url): what DELETE /me/passkeys/{id} takes.' },
    name: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    last_used_at: { type: ['string', 'null'], format: 'date-time', description: 'The latest sign-in with it; null before the first.' },
    transports: { type: 'array', items: { type: 'string' } },
    aaguid: { type: 'string', description: 'The authenticator model (all zeros when it does not say).' },
  },
};

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
      phone_verified: { type: 'boolean', description: 'false, unless the request carried a `phone_claim_code` that proved the number.' },
    },
  }),
  Session: success(SESSION_DATA),
  // The login answer: the spec's session fields, and the device token (issue 19 item 2) that the
  // request's optional device_token takes back, one schema for both (the request's).
  LoginSession: success({
    ...SESSION_DATA,
    required: [...SESSION_DATA.required, 'device_token'],
    properties: { ...SESSION_DATA.properties, device_token: { ...presentedDeviceToken, description: DEVICE_TOKEN_NOTE } },
  }),
  // POST /login for a patient with a second factor (issue 21): no session yet, the token for /login/mfa.
  MfaRequired: success({
    type: 'object',
    additionalProperties: false,
    required: ['mfa_required', 'mfa_token', 'methods'],
    properties: {
      mfa_required: { const: true },
      mfa_token: { ...loginMfaSchema.properties.mfa_token, description: `Send it with a code or a passkey's assertion to POST /login/mfa within ${MFA_TOKEN_TTL_MS / 60_000} minutes; it works once.` },
      methods: { type: 'array', items: { enum: ['totp', 'passkey'] }, minItems: 1, description: 'The second factors the patient holds.' },
      passkey_options: {
        type: 'object',
        required: ['challenge', 'rpId', 'userVerification', 'allowCredentials'],
        description: 'Only with `passkey` among the methods: pass to `navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(passkey_options) })` '
          + 'and send the answer with the mfa_token to POST /login/mfa. It lists the patient\'s own passkeys only; its challenge belongs to this mfa_token (it works once, as the token does, within the same minutes).',
        properties: {
          challenge: { type: 'string', pattern: '^[A-Za-z0-9_-]+$' },
          rpId: { type: 'string' },
          timeout: { type: 'integer' },
          userVerification: { const: 'required' },
          allowCredentials: { type: 'array', minItems: 1, items: { type: 'object', required: ['id', 'type'], properties: { id: { type: 'string' }, type: { const: 'public-key' }, transports: { type: 'array', items: { type: 'string' } } } } },
        },
      },
    },
  }),
  LoginAnswer: { anyOf: [{ $ref: '#/components/schemas/LoginSession' }, { $ref: '#/components/schemas/MfaRequired' }] },
  TotpEnrolment: success({
    type: 'object',
    additionalProperties: false,
    required: ['secret', 'otpauth_uri', 'qr_svg'],
    properties: {
      secret: { type: 'string', pattern: '^[A-Z2-7]{32}$', description: 'The shared secret (base32), for typing into an app that cannot scan.' },
      otpauth_uri: { type: 'string', description: 'The otpauth://totp/ URI (SHA-1, 6 digits, 30 s) the QR code holds.' },
      qr_svg: { type: 'string', description: 'The URI as a QR code, an SVG document drawn on the server (show it as an image).' },
    },
  }),
  RecoveryCodes: success({
    type: 'object',
    additionalProperties: false,
    required: ['recovery_codes'],
    properties: {
      recovery_codes: {
        type: 'array', minItems: RECOVERY_CODE_COUNT, maxItems: RECOVERY_CODE_COUNT,
        items: { type: 'string', pattern: '^[2-9a-z]{5}-[2-9a-z]{5}$' },
        description: 'Single-use codes for when the app is lost: shown this once (only their keyed digests are kept).',
      },
    },
  }),
  PatientRecord: success(PATIENT_RECORD_DATA),
  SessionList: success({
    type: 'object',
    additionalProperties: false,
    required: ['sessions'],
    properties: { sessions: SESSION_LIST },
  }),
  RecordExport: success({
    type: 'object',
    additionalProperties: false,
    required: ['exported_at', 'record', 'sessions', 'audit_trail'],
    properties: {
      exported_at: { type: 'string', format: 'date-time' },
      record: { ...PATIENT_RECORD_DATA, description: 'As GET /me answers it.' },
      sessions: { ...SESSION_LIST, description: 'Live sessions, as GET /me/sessions answers them.' },
      audit_trail: {
        type: 'array',
        description: 'Every event naming the patient, oldest first, up to (not including) this export, which the next export shows. '
          + 'Without the source address or its keyed digest (the same for every patient behind one address) and without the patient id.',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'at', 'action', 'outcome'],
          properties: {
            id: { type: 'string', format: 'uuid' },
            at: { type: 'string', format: 'date-time' },
            action: { enum: [...AUDIT_ACTIONS] },
            outcome: { enum: ['success', 'failure'] },
            reason: { type: 'string', description: 'Why a failure failed, as a short code (`wrong_password`, `locked`, `inactive`, …); on some successes, which kind.' },
            fields: { type: 'array', items: { type: 'string' }, description: 'The record fields read or changed, by name (never their values).' },
            session_id: { type: 'string', format: 'uuid', description: 'The session the event came through (an id of GET /me/sessions while it lives).' },
            request_id: { type: 'string', description: 'API Gateway\'s request id: what to quote to support about one request.' },
          },
        },
      },
    },
  }),
  // Passkeys (issue 21): the options are WebAuthn's own JSON forms (W3C WebAuthn Level 3,
  // PublicKeyCredentialCreationOptionsJSON / …RequestOptionsJSON), for PublicKeyCredential.parse…FromJSON.
  PasskeyCreationOptions: success({
    type: 'object',
    required: ['challenge', 'rp', 'user', 'pubKeyCredParams', 'authenticatorSelection'],
    description: 'Pass to `navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(data) })`. The challenge works once, for 5 minutes.',
    properties: {
      challenge: { type: 'string', pattern: '^[A-Za-z0-9_-]+$' },
      rp: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } },
      user: { type: 'object', required: ['id', 'name', 'displayName'], properties: { id: { type: 'string' }, name: { type: 'string' }, displayName: { type: 'string' } } },
      pubKeyCredParams: { type: 'array', items: { type: 'object' } },
      timeout: { type: 'integer' },
      excludeCredentials: { type: 'array', items: { type: 'object' } },
      authenticatorSelection: { type: 'object' },
      attestation: { const: 'none' },
    },
  }),
  PasskeyRequestOptions: success({
    type: 'object',
    required: ['challenge', 'rpId', 'userVerification'],
    description: 'Pass to `navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(data) })`. No allow-list: the browser offers the patient\'s own passkeys for this site. The challenge works once, for 5 minutes.',
    properties: {
      challenge: { type: 'string', pattern: '^[A-Za-z0-9_-]+$' },
      rpId: { type: 'string' },
      timeout: { type: 'integer' },
      userVerification: { const: 'required' },
    },
  }),
  PasskeyAdded: success({ type: 'object', additionalProperties: false, required: ['passkey'], properties: { passkey: PASSKEY_VIEW } }),
  PasskeyList: success({
    type: 'object', additionalProperties: false, required: ['passkeys'],
    properties: { passkeys: { type: 'array', description: 'The patient\'s passkeys, oldest first.', items: PASSKEY_VIEW } },
  }),
  PhoneVerified: success({ type: 'object', additionalProperties: false, required: ['phone_verified'], properties: { phone_verified: { const: true } } }),
  Health: success({ type: 'object', additionalProperties: false, required: ['status'], properties: { status: { const: HEALTHY.data.status } } }),
  ...JWKS_SCHEMAS,
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
const EXAMPLE_SESSION_ID = '5c4d3e2f-1a0b-4c9d-8e7f-6a5b4c3d2e1f';
const EXAMPLE_DEVICE_TOKEN = '9b1f0c7e4a2d4e6f8a0b1c2d3e4f5a6b.v1.4c1e7f0a9b2d3e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f';
const EXAMPLE_ACCESS_TOKEN = 'eyJhbGciOiJFUzI1NiIsImtpZCI6InYxIn0.eyJzdWIiOiIzZjJiOGMxZSJ9.c2lnbmF0dXJl';
const SESSION_EXAMPLE = {
  success: true,
  message: 'Login successful',
  data: { patient_id: EXAMPLE_PATIENT_ID, access_token: EXAMPLE_ACCESS_TOKEN, token_type: 'Bearer', expires_in: ACCESS_TOKEN_TTL_SECONDS, refresh_token: EXAMPLE_TOKEN },
};
const { password: _p, confirm_password: _c, ...storedExample } = SPEC_REGISTRATION_EXAMPLE;
const NEW_PASSWORD = 'Another-Secure-Pass-42';
const { insurance_info: _insurance, ...uninsuredExample } = storedExample;

/** Passkey examples: shapes only. A WebAuthn answer signs a live challenge, so the test sends a fresh one in their place. */
const B64 = 'AAAAAAAAAAAAAAAAAAAAAA';
const PASSKEY_CREATION_EXAMPLE = {
  success: true,
  message: 'Passkey creation options',
  data: {
    challenge: EXAMPLE_TOKEN, rp: { name: 'Patient Registration', id: 'localhost' },
    user: { id: Buffer.from(EXAMPLE_PATIENT_ID).toString('base64url'), name: SPEC_REGISTRATION_EXAMPLE.email, displayName: SPEC_REGISTRATION_EXAMPLE.email },
    pubKeyCredParams: [{ alg: -7, type: 'public-key' }, { alg: -257, type: 'public-key' }], timeout: 300000, attestation: 'none', excludeCredentials: [],
    authenticatorSelection: { residentKey: 'required', userVerification: 'required', requireResidentKey: true },
  },
};
const PASSKEY_REQUEST_EXAMPLE = {
  success: true,
  message: 'Passkey request options',
  data: { rpId: 'localhost', challenge: EXAMPLE_TOKEN, timeout: 300000, userVerification: 'required' },
};
const PASSKEY_REGISTRATION_EXAMPLE = {
  id: B64, rawId: B64, type: 'public-key', authenticatorAttachment: 'platform', clientExtensionResults: {},
  response: { clientDataJSON: B64, attestationObject: B64, transports: ['internal'] },
};
const PASSKEY_ASSERTION_EXAMPLE = {
  id: B64, rawId: B64, type: 'public-key', authenticatorAttachment: 'platform', clientExtensionResults: {},
  response: { clientDataJSON: B64, authenticatorData: B64, signature: B64, userHandle: B64 },
};
const PASSKEY_VIEW_EXAMPLE = {
  id: 'lHn1ZE8Q0xXw0R1cB7ZyWA', name: 'Work laptop', created_at: '2026-01-10T08:00:00.000Z', last_used_at: null, transports: ['internal'], aaguid: '00000000-0000-0000-0000-000000000000',
};

interface Example { summary: string; value: unknown }
interface ResponseDoc {
  description: string;
  schema?: string;
  headers?: Json;
  examples?: Record<string, Example>;
  html?: boolean;
  /** Other media types the same answer can take, chosen by the request's Accept header. */
  alternatives?: Record<string, Json>;
}
interface OperationDoc {
  summary: string;
  description?: string;
  bearer?: boolean;
  request?: { schema: RequestSchemaName; examples: Record<string, Example>; mediaTypes?: readonly string[] };
  /** Request headers the operation reads (If-Match). */
  headers?: Json[];
  /** The fields a page's form posts (application/x-www-form-urlencoded, no JavaScript): the answer is then the page, same status. */
  form?: { fields: readonly string[]; tokenInQuery?: boolean; /** Where the fields' rules are, when not in the JSON body's schema. */ schema?: RequestSchemaName };
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
  503: { ...error('A dependency (DynamoDB, KMS, SES) failed, the request ran out of time (a registration only before its patient was written), or the password hashing is saturated (refused before any work); retry after Retry-After.'), headers: RETRY_AFTER },
};
const BEARER_ERRORS: Record<number, ResponseDoc> = {
  401: { ...error('The access token is missing, expired or not ours, or its session has ended (sign-out, password reset or change, refresh-token reuse).', message('no-token', 'Invalid or expired access token')), headers: WWW_AUTHENTICATE },
  403: error('The account is deactivated.'),
};
/** The passkey cap (MAX_PASSKEYS), before the ceremony and again when its answer is stored. */
const PASSKEY_LIMIT = error(`The account holds the most passkeys it can (${MAX_PASSKEYS}): "${new PasskeyLimitError(MAX_PASSKEYS).message}"`);
const TOKEN_QUERY = { name: 'token', in: 'query', required: true, description: 'The token from the mailed link.', schema: { ...verifyEmailSchema.properties.token } };
const htmlPage = (description: string): ResponseDoc => ({ description, html: true });
/** API Gateway's own answer to a stage over its rate (every operation can get it in AWS). */
const THROTTLED: Record<number, ResponseDoc> = { 429: { ...error('Throttled by API Gateway (the stage\'s rate limit).'), headers: RETRY_AFTER } };
const LINK_PAGE_ERRORS: Record<number, ResponseDoc> = { 400: htmlPage('Opened without a token (a link cut short): the page says so and offers a new link.') };

/** Resend and forgot: an address in, the same answer whether or not it is registered, a per-address limit. */
function mailByAddress(summary: string, schema: RequestSchemaName, queued: string, answer: string): OperationDoc {
  return {
    summary,
    description: 'The same answer whether or not the address is registered; 3 per address per hour.',
    request: { schema, examples: { address: { summary: 'An address', value: { email: SPEC_REGISTRATION_EXAMPLE.email } } } },
    form: { fields: ['email'] },
    responses: {
      200: { description: queued, schema: 'Message', examples: { address: { summary: 'Queued', value: { success: true, message: answer } } } },
      ...BODY_ERRORS,
      429: { ...error('Too many requests for this address.'), headers: RETRY_AFTER },
      ...UNAVAILABLE,
    },
  };
}

/** A factor change by a password-only sign-in once a second factor is held (lib/auth/step-up.ts). */
const STEP_UP_AAL2_MESSAGE = new StepUpRequiredError({ maxAgeSeconds: STEP_UP_MAX_AGE_SECONDS, acrValues: ACR_AAL2 }).message;

/** What a closed account's sign-in (and any Bearer route) answers: lib/errors.ts SignInRefusedError('inactive'). */
const CLOSED_MESSAGE = new SignInRefusedError('inactive').message;

export const OPERATIONS: Readonly<Record<RouteKey, OperationDoc>> = {
  register: {
    summary: 'Register a patient',
    description: 'Mails a verification link. With an `Idempotency-Key`, a retry of the same body answers the first answer again. '
      + 'A phone number held by another account that never proved it by SMS can be registered with `phone_claim_code`, the code '
      + '`POST /phone-claim` texted to it: the number is taken over (`phone_verified: true` in the answer) and the other account is told by '
      + 'mail. A number proven by SMS stays its owner\'s: 422 as without a code. A wrong, expired or used code is 422 on `phone_claim_code` '
      + '(5 wrong tries per code), checked before anything is written.',
    parameters: [{
      name: 'Idempotency-Key', in: 'header', required: false,
      description: '1 to 128 characters: letters, digits, "-", "_", ".", ":".', schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' },
    }],
    request: {
      schema: 'RegistrationRequest',
      examples: {
        spec: { summary: 'The specification\'s example', value: SPEC_REGISTRATION_EXAMPLE },
        invalid: {
          // Breaks only rules JSON Schema cannot state (x-age, x-password-policy): a valid instance of the
          // schema's shape, as a linter wants every example, yet refused by the handler.
          summary: 'Too young, weak password',
          value: { ...SPEC_REGISTRATION_EXAMPLE, password: 'short', confirm_password: 'short', date_of_birth: '2020-01-01' },
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
    description: 'Opening it reads the link\'s state and changes nothing; its form posts the password (works without JavaScript).',
    parameters: [TOKEN_QUERY],
    responses: { 200: htmlPage('The confirmation page while the link is usable; for a used link "already confirmed, sign in", for a replaced, expired or unknown one a page offering a new link.'), ...LINK_PAGE_ERRORS, ...THROTTLED },
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
    form: { fields: ['password'], tokenInQuery: true },
    responses: {
      200: { description: 'Verified and signed in.', schema: 'Session', examples: { link: { summary: 'Verified', value: { ...SESSION_EXAMPLE, message: 'Email verified successfully.' } } } },
      ...BODY_ERRORS,
      400: error('Unknown token (or a body that is not JSON).', message('unknown', 'This verification link is invalid. Request a new verification email.')),
      401: error('The password is not the account\'s; it counts against this link (5 tries), not the account\'s sign-in lock.'),
      403: error('The account is deactivated.'),
      410: error('The link expired, was used, was replaced by a newer one, or was spent by 5 wrong passwords.', message('used', 'This verification link has already been used. Your email address is verified.')),
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
        'known-device': { summary: 'From a client that signed in before', value: { email: 'jane.smith@email.com', password: 'SecurePassword123!', device_token: EXAMPLE_DEVICE_TOKEN } },
      },
    },
    responses: {
      200: {
        description: 'Signed in; or, for a patient with a second factor, `mfa_required` and the `mfa_token` for POST /login/mfa (no session yet, no device token).',
        schema: 'LoginAnswer',
        examples: {
          credentials: { summary: 'Signed in', value: { ...SESSION_EXAMPLE, data: { ...SESSION_EXAMPLE.data, device_token: EXAMPLE_DEVICE_TOKEN } } },
          'mfa-required': {
            summary: 'A second factor is on',
            value: { success: true, message: 'Enter the code from your authenticator app', data: { mfa_required: true, mfa_token: EXAMPLE_TOKEN, methods: ['totp'] } },
          },
          'mfa-passkey': {
            summary: 'A passkey is held: its request options come along',
            value: {
              success: true, message: 'Confirm the sign-in with your passkey',
              data: {
                mfa_required: true, mfa_token: EXAMPLE_TOKEN, methods: ['passkey'],
                passkey_options: { ...PASSKEY_REQUEST_EXAMPLE.data, allowCredentials: [{ id: PASSKEY_VIEW_EXAMPLE.id, type: 'public-key', transports: ['internal'] }] },
              },
            },
          },
          'known-device': { summary: 'Signed in from a known device', value: { ...SESSION_EXAMPLE, data: { ...SESSION_EXAMPLE.data, device_token: EXAMPLE_DEVICE_TOKEN } } },
        },
      },
      ...BODY_ERRORS,
      401: error('Unknown email or wrong password (one answer for both).', message('wrong-password', 'Invalid email or password')),
      403: error('The email is not verified yet, or the account is closed (the message says how to reopen it: a password reset).', message('closed', CLOSED_MESSAGE)),
      429: {
        ...error('Too many failed sign-ins: locked for a while. Without a valid device token the account\'s lock applies; with one, only that device\'s.'),
        headers: RETRY_AFTER,
      },
      ...UNAVAILABLE,
    },
  },
  tokenRefresh: {
    summary: 'Trade the refresh token for a new pair',
    description: 'Each refresh token works once. Presented again within 10 s of its use (a retry after a lost answer, two tabs at once) it gets the same new refresh token; presented later, or after that new one was used, it ends the whole session family.',
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
    description: 'With `Accept: application/fhir+json` the record is a FHIR R4 Patient resource (US Core Patient profile) instead of the envelope. '
      + 'On a stage with `requireMfa` on, a sign-in without a second factor gets 401 `insufficient_user_authentication` (`acr_values` AAL2), here and on PATCH.',
    bearer: true,
    responses: {
      200: {
        description: 'The record as stored, decrypted, without the password hash.',
        schema: 'PatientRecord',
        headers: { ETag: { description: 'The record\'s version: send it as If-Match to correct the record (PATCH).', schema: { type: 'string' } } },
        alternatives: { [FHIR_JSON]: { schema: FHIR_PATIENT_SCHEMA } },
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
    description: 'No body: the code goes to the stored number, never one from the request. 3 codes per patient in any 60 minutes '
      + '(a sliding window, not clock hours), and within the day\'s text budgets: the whole service\'s and the destination country\'s '
      + '(stage settings, reset at midnight UTC).',
    bearer: true,
    responses: {
      202: {
        description: 'The code is stored and its SMS queued.',
        schema: 'Message',
        examples: { 'signed-in': { summary: 'Queued', value: { success: true, message: 'A verification code is on its way to your phone. It is valid for 10 minutes.' } } },
      },
      ...BEARER_ERRORS,
      409: error('The phone number is already verified, or it was released (taken over by its owner): add a new number in your account.'),
      429: {
        // In words, not as examples: the document's examples are each sent to the handlers (test/integration/api-surface.test.ts),
        // and a day's text budget cannot be spent there.
        ...error('Too many codes for this patient ("Too many codes requested. Please try again later."), or a text budget spent for today: '
          + 'the destination country\'s ("We cannot send more text messages to this country today. Please try again later.") or the whole '
          + 'service\'s ("We cannot send more text messages today. Please try again later."). Retry-After says when (the budgets: midnight UTC).'),
        headers: RETRY_AFTER,
      },
      ...UNAVAILABLE,
    },
  },
  phoneClaim: {
    summary: 'Text a claim code to a phone number, to register with it although another account holds it unproven',
    description: 'For a number another account registered without proving it by SMS (possession wins, issue 19 item 4). The same answer '
      + 'whatever the number\'s state: a code goes out only when the number is held by an account whose phone is not verified. 3 requests per '
      + 'number in any 60 minutes (a sliding window), counted in every case; a code is also within the day\'s text budgets. The code is valid for '
      + '10 minutes and 5 tries; send it as `phone_claim_code` with the registration.',
    request: { schema: 'PhoneClaimRequest', examples: { number: { summary: 'A number', value: { phone_number: SPEC_REGISTRATION_EXAMPLE.phone_number } } } },
    responses: {
      202: {
        description: 'Queued; whether a code goes out is decided later and never told.',
        schema: 'Message',
        examples: { number: { summary: 'Queued', value: { success: true, message: 'If this phone number can be claimed, a code is on its way to it by text message.' } } },
      },
      ...BODY_ERRORS,
      429: { ...error('Too many requests for this number ("Too many codes requested. Please try again later.").'), headers: RETRY_AFTER },
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
    description: 'Opening it reads the link\'s state and changes nothing; its form posts the new password (works without JavaScript).',
    parameters: [TOKEN_QUERY],
    responses: { 200: htmlPage('The new-password form while the link is usable; for a used, replaced, expired or unknown link a page saying so and offering a new link.'), ...LINK_PAGE_ERRORS, ...THROTTLED },
  },
  passwordReset: {
    summary: 'Set a new password with the reset link\'s token',
    description: 'Signs every session out and verifies the email (the mailbox is proven). The page\'s form may post `application/x-www-form-urlencoded` too.',
    request: {
      schema: 'PasswordResetRequest',
      examples: { link: { summary: 'The token from the mail and a new password', value: { token: EXAMPLE_TOKEN, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD } } },
    },
    form: { fields: ['password', 'confirm_password'], tokenInQuery: true },
    responses: {
      200: { description: 'Changed.', schema: 'Message', examples: { link: { summary: 'Changed', value: { success: true, message: 'Your password has been changed. You can now sign in with it.' } } } },
      ...BODY_ERRORS,
      400: error('Unknown token (or a body that is not JSON).'),
      410: error('The link expired, was used, or was replaced by a newer one.'),
      ...UNAVAILABLE,
    },
  },
  meUpdate: {
    summary: 'Correct the signed-in patient\'s own record',
    description: 'Send the ETag of the record you read (GET /me) as If-Match. A change of name or date of birth mails a notice without the values. Medical history and insurance stay encrypted. '
      + 'While `profile_review_required` is true, a patch naming all of first_name, last_name, date_of_birth, gender and address confirms them and clears it.',
    bearer: true,
    headers: [{
      name: 'If-Match', in: 'header', required: true, schema: { type: 'string' },
      description: 'The ETag of the record the correction is based on (or `*`). Missing: 428; another version: 412 with the current ETag.',
    }],
    request: {
      schema: 'ProfilePatchRequest',
      mediaTypes: ['application/json', 'application/merge-patch+json'],
      examples: {
        correction: { summary: 'A new address and a new list of conditions; the insurance removed', value: {
          address: { street: '12 Elm Street', zip: '02139', city: 'Cambridge' }, medical_history: ['Hypertension'], insurance_info: null,
        } },
        'no-if-match': { summary: 'Without If-Match', value: { last_name: 'Jones' } },
        stale: { summary: 'With the ETag of an older read', value: { last_name: 'Jones' } },
        invalid: { summary: 'Rules of the registration broken', value: { first_name: 'J4ne', address: { zip: 'ABCDE' } } },
      },
    },
    responses: {
      200: {
        description: 'Corrected: the record as GET /me now shows it, with its new ETag.',
        schema: 'PatientRecord',
        headers: { ETag: { description: 'The new version.', schema: { type: 'string' } } },
        examples: { correction: { summary: 'Corrected', value: {
          success: true, message: 'Patient record updated',
          data: {
            id: EXAMPLE_PATIENT_ID, ...uninsuredExample, address: { street: '12 Elm Street', city: 'Cambridge', state: 'MA', zip: '02139', country: 'US' },
            medical_history: ['Hypertension'], email_verified: true, phone_verified: false, is_active: true,
            created_at: '2026-01-05T09:30:00.000Z', updated_at: '2026-02-11T16:02:45.000Z',
          },
        } } },
      },
      ...BODY_ERRORS,
      422: { description: 'The patch names a field it may not, or the merged record breaks a registration rule: every problem, per field.', schema: 'ValidationError', examples: {
        invalid: { summary: 'Refused field by field', value: { success: false, message: 'Validation failed', errors: { first_name: ['May contain only letters, spaces, apostrophes, hyphens and periods'], 'address.zip': ['Must be a valid US ZIP code (12345 or 12345-6789)'] } } },
      } },
      ...BEARER_ERRORS,
      412: { ...error('The record changed since the ETag you sent: read it again (the current ETag is in the answer).', message('stale', 'The record has changed since you read it: read it again and re-apply your change')), headers: { ETag: { description: 'The current version.', schema: { type: 'string' } } } },
      428: error('If-Match is missing.', message('no-if-match', 'If-Match is required: send the ETag of the record you read (GET /api/v1/patient/me)')),
      ...UNAVAILABLE,
    },
  },
  passwordChange: {
    summary: 'Change the password (signed in)',
    description: 'Signs the other sessions out, ends every reset link already mailed, and mails a notice. A new password equal to the current one is refused (422). '
      + `Needs a sign-in within the last ${STEP_UP_MAX_AGE_SECONDS / 60} minutes, with the second factor if one is on (RFC 9470 step-up: otherwise 401 \`insufficient_user_authentication\`).`,
    bearer: true,
    request: {
      schema: 'PasswordChangeRequest',
      examples: { change: { summary: 'The current and a new password', value: { current_password: NEW_PASSWORD, password: 'Third-Secure-Pass-77', confirm_password: 'Third-Secure-Pass-77' } } },
    },
    responses: {
      200: { description: 'Changed.', schema: 'Message', examples: { change: { summary: 'Changed', value: { success: true, message: 'Your password has been changed. Your other sessions were signed out.' } } } },
      ...BODY_ERRORS,
      401: { ...error('The access token is bad or its session has ended, or the current password is wrong (it counts toward this session\'s lock, not the account\'s).'), headers: WWW_AUTHENTICATE },
      403: error('The account is deactivated.'),
      429: { ...error('Too many wrong current passwords in this session: locked for a while.'), headers: RETRY_AFTER },
      ...UNAVAILABLE,
    },
  },
  meClose: {
    summary: 'Close the signed-in patient\'s account',
    description:
      'The password again, then: the account is deactivated (`is_active: false`), every session ends at once (its refresh and access tokens, the caller\'s too), ' +
      'every reset link already mailed ends, and a confirmation is mailed. The record is kept, closed, for the medical-records retention (HIPAA, six years) ' +
      'and is not readable through the API while closed; the email address and phone number stay reserved to it. ' +
      'To reopen, the patient proves the mailbox: POST /password/forgot, then the mailed link (POST /password/reset) reactivates the account with the new password. ' +
      `Needs a sign-in within the last ${STEP_UP_MAX_AGE_SECONDS / 60} minutes, with the second factor if one is on (RFC 9470 step-up: otherwise 401 \`insufficient_user_authentication\`).`,
    bearer: true,
    request: {
      schema: 'AccountCloseRequest',
      examples: {
        close: { summary: 'The current password', value: { password: 'Third-Secure-Pass-77' } },
        'wrong-password': { summary: 'A wrong password', value: { password: 'NotThePassword1!' } },
      },
    },
    responses: {
      200: { description: 'Closed; every session signed out.', schema: 'Message', examples: { close: { summary: 'Closed', value: { success: true, message: ACCOUNT_CLOSED_ANSWER } } } },
      ...BODY_ERRORS,
      401: {
        ...error('The access token is bad or its session has ended, or the password is wrong (it counts toward this session\'s lock, not the account\'s).', message('wrong-password', 'The current password is not correct.')),
        headers: WWW_AUTHENTICATE,
      },
      403: error('The account is already closed.'),
      429: { ...error('Too many wrong passwords in this session: locked for a while.'), headers: RETRY_AFTER },
      ...UNAVAILABLE,
    },
  },
  meEmail: {
    summary: 'Move the signed-in patient\'s account to another email address',
    description:
      'The password again (it counts toward this session\'s lock, as for a password change), then a single-use link (30 minutes; only the newest works) goes to the new address ' +
      'and a notice to the current one. Nothing changes until the link is used (POST /me/email/confirm, or its page). An address that already has an account gets the same 202 and only a mail saying ' +
      'someone tried to move an account to it: the answer never tells whether an address is registered. '
      + `Needs a sign-in within the last ${STEP_UP_MAX_AGE_SECONDS / 60} minutes (AAL2 when the patient holds a second factor); otherwise 401 \`insufficient_user_authentication\` (RFC 9470). `,
    bearer: true,
    request: {
      schema: 'EmailMoveRequest',
      examples: {
        move: { summary: 'The new address and the current password', value: { email: 'jane.new@example.com', password: 'Third-Secure-Pass-77' } },
        'wrong-password': { summary: 'A wrong password', value: { email: 'jane.new@example.com', password: 'NotThePassword1!' } },
      },
    },
    responses: {
      202: { description: 'The link is on its way (or, for a registered address, the "someone tried" mail).', schema: 'Message', examples: { move: { summary: 'Asked', value: { success: true, message: EMAIL_MOVE_REQUESTED_ANSWER } } } },
      ...BODY_ERRORS,
      401: {
        ...error('The access token is bad or its session has ended, or the password is wrong (it counts toward this session\'s lock, not the account\'s).', message('wrong-password', 'The current password is not correct.')),
        headers: WWW_AUTHENTICATE,
      },
      403: error('The account is deactivated.'),
      429: { ...error('Too many wrong passwords in this session (locked for a while), or 3 moves asked for in the last hour.'), headers: RETRY_AFTER },
      ...UNAVAILABLE,
    },
  },
  meEmailConfirmPage: {
    summary: 'The page behind the email-move link',
    description: 'Opening it reads the link\'s state and changes nothing; its form posts the account\'s password (works without JavaScript): the link alone proves only the new mailbox.',
    parameters: [TOKEN_QUERY],
    responses: { 200: htmlPage('The confirmation page while the link is usable; for a used link "address changed", for a replaced, expired or unknown one a page saying to sign in and ask again.'), ...LINK_PAGE_ERRORS, ...THROTTLED },
  },
  meEmailConfirm: {
    summary: 'Use the email-move link: the account moves to the new address',
    description:
      'Bearer: the session of the account that asked proves the account (another account\'s link reads as unknown). In one write the new address is reserved (if it was registered meanwhile: 422, nothing written), ' +
      'the old one released, the email replaced (still verified), the record\'s version (`ETag`, `updated_at`) moves, every other session ends at once (refresh and access tokens; the one that asked goes on) ' +
      'and the old address is told. The page\'s form may also post `application/x-www-form-urlencoded` with the account\'s `password` (token in the query, no Bearer): the answer is then the page, with the same status.',
    bearer: true,
    request: {
      schema: 'EmailMoveConfirmRequest',
      examples: { unknown: { summary: 'A token that was never issued', value: { token: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } } },
    },
    // The page's form is judged by the verification page's schema (the token and the account's password).
    form: { fields: ['password'], tokenInQuery: true, schema: 'VerifyEmailRequest' },
    responses: {
      200: { description: 'Moved.', schema: 'Message' },
      ...BODY_ERRORS,
      400: error('Unknown token, another account\'s, or a body that is not JSON.', message('unknown', 'This email change link is invalid. Sign in and ask for the change again.')),
      401: { ...error('The access token is bad or its session has ended; on the page\'s form, the password is wrong (it counts against this link: 5 tries).'), headers: WWW_AUTHENTICATE },
      403: error('The account is deactivated.'),
      410: error('The link expired (30 minutes), was used, was replaced by a newer one or ended by a password reset, change or account close, or was spent by 5 wrong passwords on its page.'),
      422: { description: 'The body does not match the request schema, or the new address was registered meanwhile (`email`: "Email is already registered"); nothing was written.', schema: 'ValidationError' },
      ...UNAVAILABLE,
    },
  },
  mePhone: {
    summary: 'Move the signed-in patient\'s account to another phone number',
    description:
      'The password again (it counts toward this session\'s lock), then a 6-digit code by SMS to the new number, under the phone verification\'s own limits (3 codes per patient in any hour, ' +
      'the day\'s text budgets). The number is normalized as at registration. Nothing changes until the code comes back (POST /me/phone/verify). Also how a patient without a usable number adds one. ' +
      'A number another account holds without having proven it by SMS is texted like a free one (possession wins: the right code takes it over); one its holder proved is 422. '
      + `Needs a sign-in within the last ${STEP_UP_MAX_AGE_SECONDS / 60} minutes (AAL2 when the patient holds a second factor); otherwise 401 \`insufficient_user_authentication\` (RFC 9470).`,
    bearer: true,
    request: {
      schema: 'PhoneMoveRequest',
      examples: {
        move: { summary: 'The new number and the current password', value: { phone_number: '+1 202 555 0147', password: 'Third-Secure-Pass-77' } },
        'wrong-password': { summary: 'A wrong password', value: { phone_number: '+1 202 555 0147', password: 'NotThePassword1!' } },
      },
    },
    responses: {
      202: { description: 'The code is on its way.', schema: 'Message', examples: { move: { summary: 'Texted', value: { success: true, message: PHONE_MOVE_REQUESTED_ANSWER } } } },
      ...BODY_ERRORS,
      401: {
        ...error('The access token is bad or its session has ended, or the password is wrong (it counts toward this session\'s lock, not the account\'s).', message('wrong-password', 'The current password is not correct.')),
        headers: WWW_AUTHENTICATE,
      },
      403: error('The account is deactivated.'),
      422: { description: 'The body does not match the request schema, the number is already this account\'s, or another account holds it proven by SMS (`phone_number`: "Phone number is already registered", as at registration).', schema: 'ValidationError' },
      429: { ...error('Too many wrong passwords in this session, too many codes in the hour, or a text budget spent for the day.'), headers: RETRY_AFTER },
      ...UNAVAILABLE,
    },
  },
  mePhoneVerify: {
    summary: 'Use the code from the SMS: the account moves to the new number',
    description:
      'Wrong codes count as on phone verification (5 per code). The right one, in one write: the new number reserved (another account holding it proven by now: 422, nothing written), ' +
      'the old one released, `phone_verified: true`, the record\'s version (`ETag`, `updated_at`) moves, and the account\'s address is told. ' +
      'A number another account still holds without having proven it is taken from that account in the same write: its GET /me shows `phone_number: null` and `phone_number_released: true`, and it is told by mail (no name, no number).',
    bearer: true,
    request: {
      schema: 'PhoneVerifyRequest',
      examples: { code: { summary: 'The six digits from the SMS to the new number', value: { code: '042917' } } },
    },
    responses: {
      200: { description: 'Moved and verified.', schema: 'Message', examples: { code: { summary: 'Moved', value: { success: true, message: 'Your phone number was changed and is verified.' } } } },
      ...BODY_ERRORS,
      422: { description: 'Not six digits, a wrong code (with the tries left), or the number was registered and proven meanwhile (`phone_number`; the code is kept).', schema: 'ValidationError' },
      ...BEARER_ERRORS,
      410: error('The code expired, was tried too often, or none was issued for a move: request a new one.'),
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
      401: { ...error('The access token is missing, expired or not ours, or its session has already ended.'), headers: WWW_AUTHENTICATE },
      ...UNAVAILABLE,
    },
  },
  meSessions: {
    summary: 'The signed-in patient\'s sessions',
    description: 'Every live session (each sign-in on a device, kept alive by its refreshes), to spot one the patient does not recognise and end it.',
    bearer: true,
    responses: {
      200: {
        description: 'The live sessions, the caller\'s own flagged `current`.',
        schema: 'SessionList',
        examples: {
          'signed-in': {
            summary: 'Two sessions',
            value: {
              success: true,
              message: 'Active sessions',
              data: {
                sessions: [
                  { id: EXAMPLE_SESSION_ID, created_at: '2026-01-10T08:00:00.000Z', last_used_at: '2026-01-12T17:45:10.120Z', device: 'Chrome 120 on macOS', current: true },
                  { id: '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d', created_at: '2026-01-02T19:12:00.000Z', last_used_at: '2026-01-09T07:30:00.000Z', device: 'Safari 17 on iOS', current: false },
                ],
              },
            },
          },
        },
      },
      ...BEARER_ERRORS,
      ...UNAVAILABLE,
    },
  },
  meSessionEnd: {
    summary: 'End one of the signed-in patient\'s sessions',
    description: 'Its refresh token and its access tokens stop working at once. The caller\'s own current session may be ended too: that is a sign-out.',
    bearer: true,
    parameters: [{ name: 'id', in: 'path', required: true, description: 'A session id from GET /me/sessions.', schema: { type: 'string', format: 'uuid' }, example: EXAMPLE_SESSION_ID }],
    responses: {
      200: { description: 'The session has ended.', schema: 'Message', examples: { other: { summary: 'Ended', value: { success: true, message: 'Session ended' } } } },
      ...BEARER_ERRORS,
      404: error('No live session of the caller\'s has this id (unknown, already ended, or another patient\'s: one answer for all).', message('unknown', 'No such session')),
      ...UNAVAILABLE,
    },
  },
  meSessionsRevokeOthers: {
    summary: 'End every other session of the signed-in patient',
    description: 'No body. Every session but the one this request\'s access token belongs to ends: their refresh and access tokens stop working at once.',
    bearer: true,
    responses: {
      200: { description: 'The other sessions have ended.', schema: 'Message', examples: { 'signed-in': { summary: 'Ended', value: { success: true, message: 'Other sessions ended' } } } },
      ...BEARER_ERRORS,
      ...UNAVAILABLE,
    },
  },
  meExport: {
    summary: 'Everything held about the signed-in patient (the right of access)',
    description: 'The decrypted record, the live sessions and the patient\'s own audit trail (who read or changed the record, when, with what outcome). '
      + 'With `?format=fhir` the record alone, as a FHIR R4 collection Bundle (`application/fhir+json`). Every export is an audit event (`record_export`). Never cached (`Cache-Control: no-store`). '
      + `Needs a sign-in within the last ${STEP_UP_MAX_AGE_SECONDS / 60} minutes (AAL2 when the patient holds a second factor); otherwise 401 \`insufficient_user_authentication\` (RFC 9470). On a stage with \`requireMfa\` on, AAL2 is needed however recent.`,
    bearer: true,
    parameters: [{
      name: 'format', in: 'query', required: false, schema: { enum: [...EXPORT_FORMATS], default: 'json' },
      description: '`json` (default): the envelope below; `fhir`: a FHIR R4 Bundle of type collection. Anything else is 400.',
    }],
    responses: {
      200: {
        description: 'Everything held about the caller.',
        schema: 'RecordExport',
        alternatives: { [FHIR_JSON]: { schema: FHIR_BUNDLE_SCHEMA } },
        examples: {
          'signed-in': {
            summary: 'The export',
            value: {
              success: true,
              message: 'Everything held about you',
              data: {
                exported_at: '2026-01-12T17:46:00.000Z',
                record: {
                  id: EXAMPLE_PATIENT_ID, ...storedExample, email_verified: true, phone_verified: false, is_active: true,
                  created_at: '2026-01-05T09:30:00.000Z', updated_at: '2026-01-05T09:31:12.000Z',
                },
                sessions: [{ id: EXAMPLE_SESSION_ID, created_at: '2026-01-10T08:00:00.000Z', last_used_at: '2026-01-12T17:45:10.120Z', device: 'Chrome 120 on macOS', current: true }],
                audit_trail: [
                  { id: '0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f', at: '2026-01-05T09:31:12.000Z', action: 'email_verification', outcome: 'success', session_id: EXAMPLE_SESSION_ID, request_id: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef' },
                  { id: '1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a', at: '2026-01-12T17:45:30.000Z', action: 'record_read', outcome: 'success', fields: ['first_name', 'medical_history'], request_id: 'd7b0ab07-8c72-11e6-9a41-93e8deadbeef' },
                ],
              },
            },
          },
        },
      },
      400: error('`format` is neither `json` nor `fhir`.', message('unknown-format', 'format must be one of: json, fhir')),
      ...BEARER_ERRORS,
      ...UNAVAILABLE,
    },
  },
  loginMfa: {
    summary: 'Sign in, second step: the code from the authenticator app, or a passkey',
    description: `After POST /login answered \`mfa_required\`: its \`mfa_token\` (valid ${MFA_TOKEN_TTL_MS / 60_000} minutes, works once) and exactly one of the app's current code, an unused recovery code, `
      + 'or `response`: the browser\'s answer to the `passkey_options` POST /login gave (one of the patient\'s own passkeys, user verified, over that mfa_token\'s challenge; its counter must move forward). '
      + 'A code works once (a replay, even within its 30 s, is refused) with one step of clock drift either way; wrong codes and refused assertions count toward the same lock as wrong passwords. '
      + 'The answer is the login answer; its access tokens say `amr: ["pwd", "otp"]` (a code) or `["pwd", "hwk", "user"]` (a passkey), and `acr` AAL2.',
    request: {
      schema: 'LoginMfaRequest',
      examples: {
        code: { summary: 'The mfa_token and the app\'s code', value: { mfa_token: EXAMPLE_TOKEN, code: '492039' } },
        'used-token': { summary: 'The same mfa_token again', value: { mfa_token: EXAMPLE_TOKEN, code: '492039' } },
        passkey: { summary: 'The mfa_token and the passkey\'s answer (placeholders here: an answer signs the live challenge)', value: { mfa_token: EXAMPLE_TOKEN, response: PASSKEY_ASSERTION_EXAMPLE } },
        'other-passkey': { summary: 'An answer by a passkey that is not the patient\'s', value: { mfa_token: EXAMPLE_TOKEN, response: PASSKEY_ASSERTION_EXAMPLE } },
      },
    },
    responses: {
      200: {
        description: 'Signed in (AAL2).',
        schema: 'LoginSession',
        examples: {
          code: { summary: 'Signed in', value: { ...SESSION_EXAMPLE, data: { ...SESSION_EXAMPLE.data, device_token: EXAMPLE_DEVICE_TOKEN } } },
          passkey: { summary: 'Signed in with the password and the passkey', value: { ...SESSION_EXAMPLE, data: { ...SESSION_EXAMPLE.data, device_token: EXAMPLE_DEVICE_TOKEN } } },
        },
      },
      ...BODY_ERRORS,
      401: error('The mfa_token is unknown, used or expired, or the password changed since (sign in again); or the code is wrong or used; or the passkey\'s answer was refused.', {
        ...message('used-token', new InvalidMfaTokenError().message),
        ...message('other-passkey', new WrongSecondFactorError('passkey').message),
      }),
      403: error('The account is closed.'),
      429: { ...error('Too many wrong passwords and codes: locked for a while (the lock of the sign-in\'s first step).'), headers: RETRY_AFTER },
      ...UNAVAILABLE,
    },
  },
  meTotp: {
    summary: 'Set up an authenticator app (TOTP)',
    description: `No body. Needs a sign-in within the last ${STEP_UP_MAX_AGE_SECONDS / 60} minutes (AAL2 if a second factor is already held; otherwise 401 with \`WWW-Authenticate: Bearer error="insufficient_user_authentication"\`, RFC 9470). `
      + 'Answers a new secret, its otpauth:// URI and a QR code; it is off until POST /me/totp/confirm. Asked again before confirming, it starts over with a new secret. The secret is stored only envelope-encrypted.',
    bearer: true,
    responses: {
      200: {
        description: 'A new secret, pending.',
        schema: 'TotpEnrolment',
        examples: {
          'signed-in': {
            summary: 'Scan it',
            value: {
              success: true,
              message: 'Scan the QR code with your authenticator app, then confirm with the code it shows',
              data: {
                secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
                otpauth_uri: 'otpauth://totp/Patient%20Registration:jane.smith%40email.com?issuer=Patient%20Registration&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30',
                qr_svg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 45 45">…</svg>',
              },
            },
          },
        },
      },
      ...BEARER_ERRORS,
      409: error('An authenticator app is already on: remove it first.'),
      ...UNAVAILABLE,
    },
  },
  meTotpConfirm: {
    summary: 'Turn the authenticator app on with its first code',
    description: `Answers ${RECOVERY_CODE_COUNT} single-use recovery codes, shown this once. A notice is mailed. From now on POST /login asks for a code.`,
    bearer: true,
    request: {
      schema: 'TotpConfirmRequest',
      examples: {
        code: { summary: 'The code the app shows', value: { code: '492039' } },
        'wrong-code': { summary: 'A wrong code', value: { code: '000000' } },
      },
    },
    responses: {
      200: {
        description: 'On; the recovery codes.',
        schema: 'RecoveryCodes',
        examples: {
          code: {
            summary: 'On',
            value: {
              success: true,
              message: 'Authenticator app turned on. Keep these recovery codes somewhere safe: they are shown only once',
              data: { recovery_codes: ['k7m2p-x9c4d', 'q3w8e-r5t2y', 'u6h4j-n8b2v', 'c5x7z-a3s9d', 'f2g6h-j8k4m', 'p9q3r-s7t5u', 'v2w4x-y6z8a', 'b3c5d-e7f9g', 'h2j4k-m6n8p', 'r3s5t-u7v9w'] },
            },
          },
        },
      },
      ...BODY_ERRORS,
      401: { ...error('The access token is bad, or the code is wrong (it counts toward this session\'s lock).', message('wrong-code', new WrongSecondFactorError().message)), headers: WWW_AUTHENTICATE },
      403: error('The account is deactivated.'),
      409: error('Nothing to confirm (never begun, begun again, or already on).', message('already-on', new TotpStateError('active').message)),
      429: { ...error('Too many wrong codes in this session: locked for a while.'), headers: RETRY_AFTER },
      ...UNAVAILABLE,
    },
  },
  meTotpRemove: {
    summary: 'Remove the authenticator app',
    description: `Needs a sign-in within the last ${STEP_UP_MAX_AGE_SECONDS / 60} minutes with the second factor (AAL2), and a current code or an unused recovery code. `
      + 'The app and its recovery codes are removed, every other session is signed out and a notice is mailed.',
    bearer: true,
    request: {
      schema: 'SecondFactorRequest',
      examples: {
        'recovery-code': { summary: 'An unused recovery code', value: { recovery_code: 'k7m2p-x9c4d' } },
        'step-up': { summary: 'From a password-only sign-in', value: { recovery_code: 'k7m2p-x9c4d' } },
      },
    },
    responses: {
      200: { description: 'Removed.', schema: 'Message', examples: { 'recovery-code': { summary: 'Removed', value: { success: true, message: 'Authenticator app removed; your other sessions were signed out' } } } },
      ...BODY_ERRORS,
      401: {
        ...error('The access token is bad; or the sign-in is too old or was without the second factor (`WWW-Authenticate: Bearer error="insufficient_user_authentication"` with `acr_values` and `max_age`); or the code is wrong or used.', {
          ...message('step-up', new StepUpRequiredError({ maxAgeSeconds: STEP_UP_MAX_AGE_SECONDS, acrValues: ACR_AAL2 }).message),
        }),
        headers: WWW_AUTHENTICATE,
      },
      403: error('The account is deactivated.'),
      409: error('No authenticator app is on.'),
      429: { ...error('Too many wrong codes in this session: locked for a while.'), headers: RETRY_AFTER },
      ...UNAVAILABLE,
    },
  },
  passkeyEnrolOptions: {
    summary: 'Start adding a passkey',
    description: 'No body. Creation options for a discoverable, user-verified passkey of this site, for the signed-in patient. Needs a sign-in within the last 10 minutes, at AAL2 when the patient already holds a second factor (else 401 `insufficient_user_authentication`, RFC 9470).',
    bearer: true,
    responses: {
      200: { description: 'The options for `navigator.credentials.create()`.', schema: 'PasskeyCreationOptions', examples: { 'signed-in': { summary: 'Options', value: PASSKEY_CREATION_EXAMPLE } } },
      409: PASSKEY_LIMIT,
      ...BEARER_ERRORS,
      ...UNAVAILABLE,
    },
  },
  passkeyEnrol: {
    summary: 'Add a passkey',
    description: 'The browser\'s answer (`credential.toJSON()`) to the creation options, and an optional name. The challenge it signed is spent: the same answer again is refused. The patient is mailed a notice. Same step-up as the options.',
    bearer: true,
    request: {
      schema: 'PasskeyEnrolRequest',
      examples: {
        enrol: { summary: 'The browser\'s answer (placeholders here: an answer signs a live challenge)', value: { response: PASSKEY_REGISTRATION_EXAMPLE, name: 'Work laptop' } },
        replayed: { summary: 'The same answer again', value: { response: PASSKEY_REGISTRATION_EXAMPLE } },
      },
    },
    responses: {
      201: { description: 'Stored.', schema: 'PasskeyAdded', examples: { enrol: { summary: 'Added', value: { success: true, message: 'Passkey added', data: { passkey: PASSKEY_VIEW_EXAMPLE } } } } },
      ...BODY_ERRORS,
      400: error('The answer\'s challenge is unknown, spent or expired, the answer does not verify (another site, no user verification), or the passkey is registered already.', message('replayed', new PasskeyEnrolmentError('challenge').message)),
      409: PASSKEY_LIMIT,
      ...BEARER_ERRORS,
      ...UNAVAILABLE,
    },
  },
  passkeyList: {
    summary: 'The signed-in patient\'s passkeys',
    bearer: true,
    responses: {
      200: { description: 'Oldest first.', schema: 'PasskeyList', examples: { 'signed-in': { summary: 'One passkey', value: { success: true, message: 'Passkeys', data: { passkeys: [PASSKEY_VIEW_EXAMPLE] } } } } },
      ...BEARER_ERRORS,
      ...UNAVAILABLE,
    },
  },
  passkeyRemove: {
    summary: 'Remove a passkey',
    description: 'It stops signing in at once, every other session of the patient ends (one of them may be the device it signed in), and the patient is mailed a notice. Same step-up as adding one.',
    bearer: true,
    parameters: [{ name: 'id', in: 'path', required: true, description: 'A passkey id from GET /me/passkeys.', schema: { type: 'string', pattern: '^[A-Za-z0-9_-]+$' }, example: PASSKEY_VIEW_EXAMPLE.id }],
    responses: {
      200: { description: 'Removed.', schema: 'Message', examples: { removed: { summary: 'Removed', value: { success: true, message: 'Passkey removed. Your other sessions were signed out.' } } } },
      ...BEARER_ERRORS,
      401: {
        ...BEARER_ERRORS[401]!,
        description: `${BEARER_ERRORS[401]!.description} Or the sign-in is too old or too weak for a factor change (\`insufficient_user_authentication\`, RFC 9470): a patient who holds a passkey signs in with it (AAL2) to remove one.`,
        examples: { ...message('no-token', 'Invalid or expired access token'), ...message('password-only', STEP_UP_AAL2_MESSAGE) },
      },
      404: error('The caller has no passkey with this id (unknown, removed, or another patient\'s: one answer for all).', message('unknown', 'No such passkey')),
      ...UNAVAILABLE,
    },
  },
  passkeyEnrolPage: {
    summary: 'The page that adds a passkey',
    description: 'Sign in with email and password on the page, then the browser makes the passkey. It needs JavaScript (WebAuthn is a browser API); its one script is pinned by hash in the page\'s CSP and calls the routes above.',
    responses: { 200: htmlPage('The page.'), ...THROTTLED },
  },
  passkeySignInPage: {
    summary: 'The page that signs in with a passkey',
    description: 'One button: the browser offers the passkeys saved for this site. It needs JavaScript; its one script is pinned by hash in the page\'s CSP.',
    responses: { 200: htmlPage('The page.'), ...THROTTLED },
  },
  passkeyLoginOptions: {
    summary: 'Start signing in with a passkey',
    description: 'No body, no email: any passkey of this site may answer, the browser offers the patient\'s own.',
    responses: {
      200: { description: 'The options for `navigator.credentials.get()`.', schema: 'PasskeyRequestOptions', examples: { options: { summary: 'Options', value: PASSKEY_REQUEST_EXAMPLE } } },
      ...UNAVAILABLE,
      ...THROTTLED,
    },
  },
  passkeyLogin: {
    summary: 'Sign in with a passkey',
    description: 'The browser\'s answer (`credential.toJSON()`) to the request options. A passkey is two factors in one (something held, verified by the device\'s PIN or biometric): the tokens state `amr` ["hwk","user"] and `acr` AAL2. A failure counts toward no lock.',
    request: {
      schema: 'PasskeySignInRequest',
      examples: {
        assertion: { summary: 'The browser\'s answer (placeholders here: an answer signs a live challenge)', value: { response: PASSKEY_ASSERTION_EXAMPLE } },
        replayed: { summary: 'The same answer again', value: { response: PASSKEY_ASSERTION_EXAMPLE } },
      },
    },
    responses: {
      200: { description: 'Signed in.', schema: 'Session', examples: { assertion: { summary: 'Signed in', value: SESSION_EXAMPLE } } },
      ...BODY_ERRORS,
      401: error('The passkey was not accepted: unknown, its challenge spent or expired, a signature, site or counter that does not check (one answer for all).', message('replayed', new PasskeySignInError('challenge').message)),
      403: error('The email is not verified yet, or the account is closed.'),
      ...UNAVAILABLE,
    },
  },
  jwks: { ...JWKS_OPERATION, responses: { ...JWKS_OPERATION.responses, ...THROTTLED } },
  health: {
    summary: 'Health check',
    description: 'For load balancers and uptime checks: no data, no dependency touched.',
    responses: { 200: { description: 'Up.', schema: 'Health', examples: { up: { summary: 'Up', value: HEALTHY } } }, ...THROTTLED },
  },
};

const HTML = { 'text/html': { schema: { type: 'string' } } };

/** The form a page posts: the request schema's fields it carries (the token rides in the query). */
function formSchema(request: RequestSchemaName, fields: readonly string[]): Json {
  const schema = toOpenApiSchema(REQUEST_SCHEMAS[request] as Json);
  return {
    type: 'object',
    required: fields.filter((f) => (schema.required as string[]).includes(f)),
    properties: Object.fromEntries(fields.map((f) => [f, schema.properties[f]])),
  };
}

function operation(key: RouteKey, route: ApiRoute): Json {
  const doc = OPERATIONS[key];
  const responses = Object.fromEntries(Object.entries(doc.responses).map(([status, r]) => [status, {
    description: r.description,
    ...(r.headers && { headers: r.headers }),
    content: r.html
      ? HTML
      : { 'application/json': { schema: ref(r.schema!), ...(r.examples && { examples: r.examples }) }, ...(doc.form && HTML), ...r.alternatives },
  }]));
  const tokenForForm = doc.form?.tokenInQuery
    ? [{ ...TOKEN_QUERY, required: false, description: 'The link\'s token, when its page\'s form posts (the JSON body carries it otherwise).' }] : [];
  const parameters = [...(doc.parameters ?? []), ...(doc.headers ?? []), ...tokenForForm];
  return {
    operationId: key,
    summary: doc.summary,
    ...(doc.description && { description: doc.description }),
    tags: [route.path === API_ROUTES.health.path || route.path === API_ROUTES.jwks.path ? 'operations' : 'patient'],
    ...(parameters.length > 0 && { parameters }),
    ...(doc.bearer ? { security: [{ bearer: [] }] } : { security: [] }),
    ...(doc.request && {
      requestBody: {
        required: true,
        content: {
          ...Object.fromEntries((doc.request.mediaTypes ?? ['application/json']).map((type) => [type, { schema: ref(doc.request!.schema), examples: doc.request!.examples }])),
          ...(doc.form && { 'application/x-www-form-urlencoded': { schema: formSchema(doc.form.schema ?? doc.request.schema, doc.form.fields) } }),
        },
      },
    }),
    responses,
  };
}

/**
 * Where the API answers: npm start's default address (the served document names the address it was
 * fetched from). A deployed stage answers at the ApiUrl output of `cdk deploy` (https://<id>.execute-api.<region>.amazonaws.com/<stage>).
 */
export const DEFAULT_SERVERS: readonly Json[] = [
  { url: 'http://127.0.0.1:3000', description: '`npm start` (PORT and HOST change it). A deployed stage: the ApiUrl output of `cdk deploy`.' },
];

/** The whole document; its version is the package's. */
export function openApiDocument(version = packageJson.version, servers: readonly Json[] = DEFAULT_SERVERS): Json {
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
      // The package is private and carries no licence: say so rather than leave it unsaid.
      license: { name: 'Proprietary: all rights reserved', identifier: 'LicenseRef-Proprietary' },
      description: [
        'Every JSON answer is `{ success, message, data? }`; a refusal is `{ success: false, message, errors? }` (errors per field on 422).',
        'Strings are trimmed before validation, passwords excepted. Custom rules appear as `x-…` extensions with their meaning in `description`.',
        'Besides the answers listed per route: 404 (no such route), 405 locally (wrong method, with Allow) and, in AWS, answers of API Gateway itself:',
        '403 (web application firewall), 413 (body over its limit), 429 (throttling, with Retry-After), 504 (no answer in time), all in the same envelope; 500 for anything unexpected, without detail.',
        `CORS: allowed origins per stage (CORS_ALLOWED_ORIGINS); a browser may send ${CORS_ALLOW_HEADERS.join(', ')}.`,
        JWKS_NOTE,
      ].join('\n\n'),
    },
    servers,
    tags: [
      { name: 'patient', description: 'Registration, sign-in and the patient\'s own account' },
      { name: 'operations', description: 'For load balancers, uptime checks and `npm start`\'s readiness' },
    ],
    paths,
    components: {
      schemas: {
        ...Object.fromEntries(Object.entries(REQUEST_SCHEMAS).map(([name, schema]) => [name, requestSchemaDoc(name, schema as Json)])),
        ...RESPONSE_SCHEMAS,
      },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: `The access_token of a sign-in: an ES256 JWT whose \`kid\` names a key of [${API_ROUTES.jwks.path}](${API_ROUTES.jwks.path}).` } },
    },
  };
}

/** Every request schema the validators are generated from is in the document (a test checks none is left out). */
// The profile's own schema is documented inside ProfilePatchRequest, in its merge-patch form.
export const DOCUMENTED_REQUEST_SCHEMAS: readonly object[] = [...Object.values(REQUEST_SCHEMAS), profileSchema];
