import type { JSONSchemaType } from 'ajv';

export const GENDERS = ['male', 'female', 'other', 'prefer_not_to_say'] as const;
export type Gender = (typeof GENDERS)[number];

export interface RegistrationRequest {
  first_name: string;
  last_name: string;
  email: string;
  phone_number: string;
  password: string;
  confirm_password: string;
  date_of_birth: string;
  gender: Gender;
  address: { street: string; city: string; state: string; zip: string; country?: string };
  emergency_contact?: { name: string; phone: string; relationship?: string };
  medical_history?: string[];
  insurance_info?: { provider: string; policy_number: string };
  /**
   * The code POST /phone-claim texted to `phone_number` (issue 19 item 4): it proves the number, so a
   * registration carrying it takes the number from an account that holds it unproven.
   */
  phone_claim_code?: string;
}

/** Fields the server owns: named in the error so a client learns why they were refused. */
export const SERVER_OWNED_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'patient_id',
  'password_hash',
  'email_verified',
  'phone_verified',
  'is_active',
  'created_at',
  'updated_at',
]);

export const MIN_AGE_YEARS = 13;
export const MAX_AGE_YEARS = 150;
export const PASSWORD_MAX_BYTES = 72;

const text = (minLength: number, maxLength: number) => ({ type: 'string', minLength, maxLength }) as const;

/**
 * A password being chosen (registration, reset, change): the one definition of the password rules,
 * so every flow gives the same messages. `confirm_password` must sit beside `password`.
 */
const chosenPassword = { type: 'string', minLength: 1, maxLength: 256, passwordPolicy: true } as const;
const confirmedPassword = { type: 'string', minLength: 1, maxLength: 256, sameAs: 'password' } as const;

/**
 * The single source of truth for the request. `JSONSchemaType` makes the compiler check it against
 * RegistrationRequest; the custom keywords (lib/patient/validation-keywords.ts) state what JSON
 * Schema cannot: age on today's date, E.164 after separators, postal format per country, password rules,
 * the characters a name may have.
 * Strings are trimmed before validation (except passwords), so `minLength: 1` means "not blank".
 */
export const registrationSchema: JSONSchemaType<RegistrationRequest> = {
  $id: 'registration-request',
  type: 'object',
  additionalProperties: false,
  required: [
    'first_name',
    'last_name',
    'email',
    'phone_number',
    'password',
    'confirm_password',
    'date_of_birth',
    'gender',
    'address',
  ],
  properties: {
    first_name: { ...text(2, 50), personName: true },
    last_name: { ...text(2, 50), personName: true },
    email: { type: 'string', minLength: 1, maxLength: 254, format: 'email', emailLocalPart: 64, emailDomainLabel: 63 },
    phone_number: { type: 'string', minLength: 1, maxLength: 32, e164Phone: true },
    password: chosenPassword,
    confirm_password: confirmedPassword,
    date_of_birth: { type: 'string', minLength: 1, format: 'date', age: { min: MIN_AGE_YEARS, max: MAX_AGE_YEARS } },
    gender: { type: 'string', enum: [...GENDERS] },
    address: {
      type: 'object',
      additionalProperties: false,
      required: ['street', 'city', 'state', 'zip'],
      properties: {
        street: text(1, 200),
        city: text(1, 100),
        state: text(1, 50),
        zip: { type: 'string', minLength: 1, maxLength: 16, postalCode: true },
        country: { type: 'string', nullable: true, countryCode: true },
      },
    },
    emergency_contact: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      required: ['name', 'phone'],
      properties: {
        name: { ...text(1, 100), personName: true },
        phone: { type: 'string', minLength: 1, maxLength: 32, e164Phone: true },
        relationship: { ...text(1, 50), nullable: true },
      },
    },
    medical_history: {
      type: 'array',
      nullable: true,
      maxItems: 50,
      items: text(1, 500),
    },
    insurance_info: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      required: ['provider', 'policy_number'],
      properties: {
        provider: text(1, 100),
        policy_number: text(1, 50),
      },
    },
    phone_claim_code: { type: 'string', nullable: true, minLength: 1, maxLength: 6, pattern: '^[0-9]{6}$' },
  },
};

export interface VerifyEmailRequest {
  token: string;
  password: string;
}

/**
 * A password being checked, not chosen: no strength rules (a patient must still be able to sign in
 * with a password an older rule allowed), only a bound on what bcrypt is asked to read.
 */
const presentedPassword = { type: 'string', minLength: 1, maxLength: 1024 } as const;
/** base64url of 32 random bytes is 43 characters; anything else cannot be one of our tokens. */
export const opaqueToken = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' } as const;

/** Confirming the email also proves the password (pre-account hijacking: issue 10). */
export const verifyEmailSchema: JSONSchemaType<VerifyEmailRequest> = {
  $id: 'verify-email-request',
  type: 'object',
  additionalProperties: false,
  required: ['token', 'password'],
  properties: {
    token: opaqueToken,
    password: presentedPassword,
  },
};

export interface LoginRequest {
  email: string;
  password: string;
  device_token?: string;
}

export const loginSchema: JSONSchemaType<LoginRequest> = {
  $id: 'login-request',
  type: 'object',
  additionalProperties: false,
  required: ['email', 'password'],
  properties: {
    email: { type: 'string', minLength: 1, maxLength: 254, format: 'email' },
    password: presentedPassword,
    // The device token an earlier sign-in on this client returned (lib/auth/device-token.ts): with a
    // valid one, this client's attempts are throttled on its own counter, not the account's lock.
    // Any other string is accepted and treated as no token (an old or foreign token is no error).
    device_token: {
      type: 'string',
      nullable: true,
      minLength: 1,
      maxLength: 200,
      pattern: '^[A-Za-z0-9._-]+$',
      description: 'The device_token of an earlier successful sign-in on this client (optional).',
    },
  },
};

/** Refresh and sign-out both present the refresh token and nothing else. */
export interface RefreshTokenRequest {
  refresh_token: string;
}

export const refreshTokenSchema: JSONSchemaType<RefreshTokenRequest> = {
  $id: 'refresh-token-request',
  type: 'object',
  additionalProperties: false,
  required: ['refresh_token'],
  properties: {
    refresh_token: opaqueToken,
  },
};

export interface ResendVerificationRequest {
  email: string;
}

export const resendVerificationSchema: JSONSchemaType<ResendVerificationRequest> = {
  $id: 'resend-verification-request',
  type: 'object',
  additionalProperties: false,
  required: ['email'],
  properties: {
    email: { type: 'string', minLength: 1, maxLength: 254, format: 'email', emailLocalPart: 64, emailDomainLabel: 63 },
  },
};

/** POST /phone-claim: the number whose claim code is asked for (issue 19 item 4). */
export interface PhoneClaimRequest {
  phone_number: string;
}

export const phoneClaimSchema: JSONSchemaType<PhoneClaimRequest> = {
  $id: 'phone-claim-request',
  type: 'object',
  additionalProperties: false,
  required: ['phone_number'],
  properties: {
    phone_number: { type: 'string', minLength: 1, maxLength: 32, e164Phone: true },
  },
};

/** POST /phone/verify: the code from the SMS, six digits as sent (leading zeros are part of it). */
export interface PhoneVerifyRequest {
  code: string;
}

export const phoneVerifySchema: JSONSchemaType<PhoneVerifyRequest> = {
  $id: 'phone-verify-request',
  type: 'object',
  additionalProperties: false,
  required: ['code'],
  properties: {
    code: { type: 'string', minLength: 1, maxLength: 6, pattern: '^[0-9]{6}$' },
  },
};

export interface ForgotPasswordRequest {
  email: string;
}

export const forgotPasswordSchema: JSONSchemaType<ForgotPasswordRequest> = {
  ...resendVerificationSchema,
  $id: 'forgot-password-request',
};

export interface PasswordResetRequest {
  token: string;
  password: string;
  confirm_password: string;
}

/** Setting a new password with a reset link's token: the registration's password rules. */
export const passwordResetSchema: JSONSchemaType<PasswordResetRequest> = {
  $id: 'password-reset-request',
  type: 'object',
  additionalProperties: false,
  required: ['token', 'password', 'confirm_password'],
  properties: {
    token: opaqueToken,
    password: chosenPassword,
    confirm_password: confirmedPassword,
  },
};

export interface PasswordChangeRequest {
  current_password: string;
  password: string;
  confirm_password: string;
}

/** A signed-in patient's new password: the current one is checked, not judged by today's rules. */
export const passwordChangeSchema: JSONSchemaType<PasswordChangeRequest> = {
  $id: 'password-change-request',
  type: 'object',
  additionalProperties: false,
  required: ['current_password', 'password', 'confirm_password'],
  properties: {
    current_password: presentedPassword,
    password: { ...chosenPassword, differsFrom: 'current_password' },
    confirm_password: confirmedPassword,
  },
};

export interface AccountCloseRequest {
  password: string;
}

/** POST /me/close: the password again, so a token left on a shared computer cannot close the account. */
export const accountCloseSchema: JSONSchemaType<AccountCloseRequest> = {
  $id: 'account-close-request',
  type: 'object',
  additionalProperties: false,
  required: ['password'],
  properties: {
    password: presentedPassword,
  },
};

export interface EmailMoveRequestBody {
  email: string;
  password: string;
}

/** POST /me/email: the new address (the registration's rules) and the password again. */
export const emailMoveSchema: JSONSchemaType<EmailMoveRequestBody> = {
  $id: 'email-move-request',
  type: 'object',
  additionalProperties: false,
  required: ['email', 'password'],
  properties: {
    email: registrationSchema.properties!.email,
    password: presentedPassword,
  },
};

export interface EmailMoveConfirmRequest {
  token: string;
}

/** POST /me/email/confirm (Bearer): the link's token; the session proves the account. */
export const emailMoveConfirmSchema: JSONSchemaType<EmailMoveConfirmRequest> = {
  $id: 'email-move-confirm-request',
  type: 'object',
  additionalProperties: false,
  required: ['token'],
  properties: { token: opaqueToken },
};

/** The move link's page: the token and the account's password (no session there), judged by the verification page's schema. */
export type EmailMovePageRequest = VerifyEmailRequest;

export interface PhoneMoveRequestBody {
  phone_number: string;
  password: string;
}

/** POST /me/phone: the new number (the registration's rule, normalized the same way) and the password again. */
export const phoneMoveSchema: JSONSchemaType<PhoneMoveRequestBody> = {
  $id: 'phone-move-request',
  type: 'object',
  additionalProperties: false,
  required: ['phone_number', 'password'],
  properties: {
    phone_number: registrationSchema.properties!.phone_number,
    password: presentedPassword,
  },
};

/** A code from an authenticator app: six digits (RFC 6238 with the defaults every app reads from the URI). */
const totpCode = { type: 'string', minLength: 6, maxLength: 6, pattern: '^\\d{6}$', description: 'The current 6-digit code from the authenticator app.' } as const;
/** A recovery code as printed (`xxxxx-xxxxx`); case, spaces and hyphens are ignored. */
const recoveryCode = { type: 'string', minLength: 10, maxLength: 20, pattern: '^[0-9A-Za-z -]+$', description: 'One unused recovery code, as printed (case, spaces and hyphens do not matter).' } as const;

export interface TotpConfirmRequest {
  code: string;
}

/** POST /me/totp/confirm: the first code from the app turns it on. */
export const totpConfirmSchema: JSONSchemaType<TotpConfirmRequest> = {
  $id: 'totp-confirm-request',
  type: 'object',
  additionalProperties: false,
  required: ['code'],
  properties: { code: totpCode },
};

/** Exactly one of a code or a recovery code (issue 21). */
export interface SecondFactorRequest {
  code?: string;
  recovery_code?: string;
}

/** DELETE /me/totp: a code or a recovery code, exactly one. */
export const secondFactorSchema: JSONSchemaType<SecondFactorRequest> = {
  $id: 'second-factor-request',
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: { code: { ...totpCode, nullable: true }, recovery_code: { ...recoveryCode, nullable: true } },
};

/**
 * Passkeys (issue 21). A WebAuthn answer as the browser's `PublicKeyCredential.toJSON()` gives it:
 * binary fields base64url. Only the shape is judged here; @simplewebauthn/server checks the content.
 * The inner `response` may carry more than these fields (browsers add some), so it is left open.
 */
const base64url = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+$' }) as const;
/** A credential id is at most 1,023 bytes (WebAuthn §5.8.3): 1,364 characters of base64url. */
const credentialId = base64url(1364);
const answerEnvelope = {
  id: credentialId,
  rawId: credentialId,
  type: { type: 'string', const: 'public-key' },
  clientExtensionResults: { type: 'object' },
  authenticatorAttachment: { type: 'string', maxLength: 32, nullable: true },
} as const;

export interface PasskeyRegistrationAnswer {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; attestationObject: string; transports?: string[] };
  clientExtensionResults: Record<string, unknown>;
  authenticatorAttachment?: string | null;
}

export interface PasskeyEnrolRequest {
  response: PasskeyRegistrationAnswer;
  /** The patient's label for it ("Work laptop"); "Passkey" when left out. */
  name?: string;
}

/** POST /me/passkeys: the browser's answer to the creation options, and a name for the list. */
export const passkeyEnrolSchema = {
  $id: 'passkey-enrol-request',
  type: 'object',
  additionalProperties: false,
  required: ['response'],
  properties: {
    response: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'rawId', 'type', 'response', 'clientExtensionResults'],
      properties: {
        ...answerEnvelope,
        response: {
          type: 'object',
          required: ['clientDataJSON', 'attestationObject'],
          properties: {
            clientDataJSON: base64url(4096),
            // Attestation statements with certificate chains run to a few KiB; the body guard caps the rest.
            attestationObject: base64url(32768),
            transports: { type: 'array', maxItems: 8, items: { type: 'string', maxLength: 32 } },
          },
        },
      },
    },
    name: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^\\p{Cc}\\p{Cf}]+$' },
  },
} as const;

export interface PasskeyAssertionAnswer {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string };
  clientExtensionResults: Record<string, unknown>;
  authenticatorAttachment?: string | null;
}

export interface PasskeySignInRequest {
  response: PasskeyAssertionAnswer;
}

/** A WebAuthn assertion: the browser's answer to request options (POST /login/passkey, POST /login/mfa). */
const passkeyAssertionAnswer = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'rawId', 'type', 'response', 'clientExtensionResults'],
  properties: {
    ...answerEnvelope,
    response: {
      type: 'object',
      required: ['clientDataJSON', 'authenticatorData', 'signature'],
      properties: {
        clientDataJSON: base64url(4096),
        authenticatorData: base64url(4096),
        signature: base64url(1024),
        // The patient's id as the authenticator keeps it (lib/passkey/webauthn.ts userHandleOf): at most 64 bytes.
        userHandle: base64url(88),
      },
    },
  },
} as const;

/** POST /login/passkey: the browser's answer to the request options. */
export const passkeySignInSchema = {
  $id: 'passkey-sign-in-request',
  type: 'object',
  additionalProperties: false,
  required: ['response'],
  properties: { response: passkeyAssertionAnswer },
} as const;

export interface LoginMfaRequest extends SecondFactorRequest {
  mfa_token: string;
  /** A passkey's assertion over the `passkey_options` POST /login answered. */
  response?: PasskeyAssertionAnswer;
}

/**
 * POST /login/mfa: the mfa_token of the password step and exactly one proof: a code, a recovery code
 * or a passkey's assertion (issue 21).
 */
export const loginMfaSchema = {
  $id: 'login-mfa-request',
  type: 'object',
  additionalProperties: false,
  required: ['mfa_token'],
  minProperties: 2,
  maxProperties: 2,
  properties: {
    mfa_token: { type: 'string', minLength: 43, maxLength: 43, pattern: '^[A-Za-z0-9_-]{43}$', description: 'The mfa_token POST /login answered.' },
    code: { ...totpCode, nullable: true },
    recovery_code: { ...recoveryCode, nullable: true },
    response: passkeyAssertionAnswer,
  },
} as const;

/** The part of the record a patient corrects with PATCH /me: everything registered but the credentials and contact points. */
export type ProfileFields = Pick<
  RegistrationRequest,
  'first_name' | 'last_name' | 'date_of_birth' | 'gender' | 'address' | 'emergency_contact' | 'medical_history' | 'insurance_info'
>;
export const PROFILE_FIELDS = [
  'first_name', 'last_name', 'date_of_birth', 'gender', 'address', 'emergency_contact', 'medical_history', 'insurance_info',
] as const satisfies readonly (keyof ProfileFields)[];

/** A JSON Merge Patch (RFC 7396) of the profile: which fields it may name; their values are judged after the merge. */
export type ProfilePatch = { [K in keyof ProfileFields]?: unknown };

/**
 * PATCH /me's body, judged before the merge: only the profile's fields (email and phone move by their
 * own flows; server-owned fields are refused as at registration), at least one of them.
 */
export const profilePatchSchema = {
  $id: 'profile-patch-request',
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: Object.fromEntries(PROFILE_FIELDS.map((field) => [field, {}])),
} as const;

// The registration's property schemas, picked by name (JSONSchemaType cannot type a pick; the profile schema's own type checks the result).
const registered = registrationSchema.properties as Record<keyof RegistrationRequest, any>;
const { first_name, last_name, date_of_birth, gender, address, emergency_contact, medical_history, insurance_info } = registered;

/**
 * The profile after a merge patch: the registration's own rules for each field (the same objects, so
 * the same messages), the same fields required.
 */
export const profileSchema: JSONSchemaType<ProfileFields> = {
  $id: 'profile',
  type: 'object',
  additionalProperties: false,
  required: ['first_name', 'last_name', 'date_of_birth', 'gender', 'address'],
  properties: { first_name, last_name, date_of_birth, gender, address, emergency_contact, medical_history, insurance_info },
};
