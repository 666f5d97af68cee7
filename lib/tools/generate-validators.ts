/**
 * Precompiles the request schemas into one module per function, lib/patient/generated/<function>.js
 * (ajv standalone code, ESM), so that no function compiles a schema, or bundles ajv's compiler, at cold
 * start, and no function carries a schema, keyword or format it never uses. FUNCTION_VALIDATORS below
 * says which request schemas of lib/patient/registration-schema.ts each function validates; a module
 * exports each compiled schema under its `$id` ("verify-email-request" → verifyEmailRequest) and the
 * function's ready validator (validateVerifyEmail) built from it by lib/patient/validators.ts.
 * Same ajv options, formats and custom keywords as lib/validation/ajv.ts; the code imports each custom
 * keyword from its own module in lib/patient/keywords/, and ucs2length and the formats from
 * lib/validation/standalone-*.ts, only when its schemas use them, instead of serializing them.
 * Run: npm run generate  (a unit test fails when a committed module is stale, missing or extra)
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { _, Name, type AnySchemaObject } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import * as addressKeywords from '../patient/keywords/address.js';
import * as emailKeywords from '../patient/keywords/email.js';
import * as passwordKeywords from '../patient/keywords/password.js';
import * as personKeywords from '../patient/keywords/person.js';
import * as phoneKeywords from '../patient/keywords/phone.js';
import * as requestSchemas from '../patient/registration-schema.js';
import { VALIDATION_KEYWORDS } from '../patient/validation-keywords.js';
import { createAjv } from '../validation/ajv.js';
import { ucs2length } from '../validation/standalone-runtime.js';

export const GENERATED_DIR = fileURLToPath(new URL('../patient/generated/', import.meta.url));

/** One validator a function exports: its schema, the TypeScript type it returns, and whether it is judged on a clock. */
export interface ValidatorSpec {
  readonly schema: AnySchemaObject;
  /** Exported by lib/patient/registration-schema.ts; the declaration file names it. */
  readonly type: string;
  /** The schema has a rule on today's date (age): the validator takes the caller's clock. */
  readonly clocked?: boolean;
}

/** functions/<name> → its validators by export name. Only these schemas reach that function's bundle. */
export const FUNCTION_VALIDATORS: Readonly<Record<string, Readonly<Record<string, ValidatorSpec>>>> = {
  register: { validateRegistration: { schema: requestSchemas.registrationSchema, type: 'RegistrationRequest', clocked: true } },
  'verify-email': { validateVerifyEmail: { schema: requestSchemas.verifyEmailSchema, type: 'VerifyEmailRequest' } },
  'resend-verification': { validateResendVerification: { schema: requestSchemas.resendVerificationSchema, type: 'ResendVerificationRequest' } },
  login: { validateLogin: { schema: requestSchemas.loginSchema, type: 'LoginRequest' } },
  'token-refresh': { validateRefreshToken: { schema: requestSchemas.refreshTokenSchema, type: 'RefreshTokenRequest' } },
  logout: { validateRefreshToken: { schema: requestSchemas.refreshTokenSchema, type: 'RefreshTokenRequest' } },
  'phone-claim': { validatePhoneClaim: { schema: requestSchemas.phoneClaimSchema, type: 'PhoneClaimRequest' } },
  'phone-verify': { validatePhoneVerify: { schema: requestSchemas.phoneVerifySchema, type: 'PhoneVerifyRequest' } },
  'password-forgot': { validateForgotPassword: { schema: requestSchemas.forgotPasswordSchema, type: 'ForgotPasswordRequest' } },
  'password-reset': { validatePasswordReset: { schema: requestSchemas.passwordResetSchema, type: 'PasswordResetRequest' } },
  'password-change': { validatePasswordChange: { schema: requestSchemas.passwordChangeSchema, type: 'PasswordChangeRequest' } },
  'me-update': {
    validateProfilePatch: { schema: requestSchemas.profilePatchSchema, type: 'ProfilePatch' },
    validateProfile: { schema: requestSchemas.profileSchema, type: 'ProfileFields', clocked: true },
  },
  'me-close': { validateAccountClose: { schema: requestSchemas.accountCloseSchema, type: 'AccountCloseRequest' } },
  'me-phone': { validatePhoneMove: { schema: requestSchemas.phoneMoveSchema, type: 'PhoneMoveRequestBody' } },
  'me-phone-verify': { validatePhoneVerify: { schema: requestSchemas.phoneVerifySchema, type: 'PhoneVerifyRequest' } },
  'me-email': { validateEmailMove: { schema: requestSchemas.emailMoveSchema, type: 'EmailMoveRequestBody' } },
  'me-email-confirm': {
    validateEmailMoveConfirm: { schema: requestSchemas.emailMoveConfirmSchema, type: 'EmailMoveConfirmRequest' },
    validateEmailMovePage: { schema: requestSchemas.verifyEmailSchema, type: 'EmailMovePageRequest' },
  },
  'me-totp-confirm': { validateTotpConfirm: { schema: requestSchemas.totpConfirmSchema, type: 'TotpConfirmRequest' } },
  'me-totp-remove': { validateSecondFactor: { schema: requestSchemas.secondFactorSchema, type: 'SecondFactorRequest' } },
  'login-mfa': { validateLoginMfa: { schema: requestSchemas.loginMfaSchema, type: 'LoginMfaRequest' } },
  'passkey-enrol': { validatePasskeyEnrol: { schema: requestSchemas.passkeyEnrolSchema, type: 'PasskeyEnrolRequest' } },
  'passkey-login': { validatePasskeySignIn: { schema: requestSchemas.passkeySignInSchema, type: 'PasskeySignInRequest' } },
};

/** The keyword modules, by file name in lib/patient/keywords/; each exports its keywords under their own names. */
const KEYWORD_MODULES: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  'address.js': addressKeywords,
  'email.js': emailKeywords,
  'password.js': passwordKeywords,
  'person.js': personKeywords,
  'phone.js': phoneKeywords,
};

/** keyword name → the keyword module that exports it under that name. */
function keywordModules(): Map<string, string> {
  const found = new Map<string, string>();
  for (const { keyword, validate } of VALIDATION_KEYWORDS) {
    const file = Object.keys(KEYWORD_MODULES).find((name) => (KEYWORD_MODULES[name]![keyword] as { validate?: unknown } | undefined)?.validate === validate);
    if (!file) throw new Error(`keyword ${keyword}: no module in lib/patient/keywords/ exports it as "${keyword}" (add it to KEYWORD_MODULES)`);
    found.set(keyword, file);
  }
  return found;
}

/** Names the generated code uses for what it imports from lib/validation/standalone-*.ts. */
const FORMATS = new Name('formats');
const UCS2LENGTH = new Name('ucs2length');

const header = (name: string) =>
  `// Generated by lib/tools/generate-validators.ts for functions/${name} from lib/patient/registration-schema.ts: do not edit, run \`npm run generate\`.`;

/** "verify-email-request" → "verifyEmailRequest" */
export function exportName(id: string): string {
  return id.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** The exported schemas with an `$id`, by their export name in the generated modules. */
export function requestSchemasById(): Record<string, AnySchemaObject> {
  const found: Record<string, AnySchemaObject> = {};
  for (const value of Object.values(requestSchemas)) {
    if (value && typeof value === 'object' && !Array.isArray(value) && typeof (value as AnySchemaObject).$id === 'string') {
      found[exportName((value as AnySchemaObject).$id as string)] = value as AnySchemaObject;
    }
  }
  return Object.fromEntries(Object.entries(found).sort(([a], [b]) => a.localeCompare(b)));
}

export interface GeneratedModule {
  /** The function, and the file names in GENERATED_DIR: <function>.js and <function>.d.ts. */
  readonly name: string;
  readonly js: string;
  readonly dts: string;
}

export function generateValidatorModule(name: string, validators: Readonly<Record<string, ValidatorSpec>>): GeneratedModule {
  const ajv = createAjv(VALIDATION_KEYWORDS, { code: { source: true, esm: true, lines: true, formats: FORMATS } });
  // ajv names each value a compiled function uses; registering the values first, with the code that
  // reaches them at run time, makes the generated code import them instead of failing to serialize them.
  for (const { keyword, validate } of VALIDATION_KEYWORDS) {
    ajv.scope.value('keyword', { ref: validate, code: _`${new Name(keyword)}.validate` });
  }
  ajv.scope.value('func', { ref: ucs2length, code: _`${UCS2LENGTH}` });

  const refs: Record<string, string> = {};
  for (const { schema } of Object.values(validators)) {
    const id = schema.$id as string;
    if (refs[exportName(id)]) continue; // two validators of one schema share its compiled code
    ajv.addSchema(schema);
    refs[exportName(id)] = id;
  }
  // CommonJS module whose exports are the function: `.default` is the same function everywhere.
  const code = standaloneCode.default(ajv, refs);
  if (/\brequire\(|\bself\b/.test(code)) throw new Error('generated validators reference require() or self: not standalone ESM');

  const modules = keywordModules();
  const keywordsByModule = new Map<string, string[]>();
  for (const { keyword } of VALIDATION_KEYWORDS) {
    if (!new RegExp(`\\b${keyword}\\.validate\\b`).test(code)) continue;
    const file = modules.get(keyword)!;
    keywordsByModule.set(file, [...(keywordsByModule.get(file) ?? []), keyword]);
  }
  const specs = Object.entries(validators);
  const factories = [...new Set(specs.map(([, spec]) => (spec.clocked ? 'clockedRequestValidator' : 'requestValidator')))].sort();
  const imports = [
    `import { ${factories.join(', ')} } from '../validators.js';`,
    ...[...keywordsByModule].sort(([a], [b]) => a.localeCompare(b)).map(([file, names]) => `import { ${names.sort().join(', ')} } from '../keywords/${file}';`),
    ...(new RegExp(`\\b${FORMATS.str}\\.`).test(code) ? [`import { ${FORMATS.str} } from '../../validation/standalone-formats.js';`] : []),
    ...(new RegExp(`\\b${UCS2LENGTH.str}\\b`).test(code) ? [`import { ${UCS2LENGTH.str} } from '../../validation/standalone-runtime.js';`] : []),
  ];
  const js = [
    header(name),
    '/* eslint-disable */',
    ...imports,
    code.replace(/^"use strict";\n?/, ''),
    ...specs.map(([exported, spec]) =>
      `export const ${exported} = ${spec.clocked ? 'clockedRequestValidator' : 'requestValidator'}(${exportName(spec.schema.$id as string)});`),
    '',
  ].join('\n');

  const types = [...new Set(specs.map(([, spec]) => spec.type))].sort();
  const dts = [
    header(name),
    "import type { PrecompiledValidate } from '../../validation/precompiled.js';",
    `import type { ${factories.map((f) => (f === 'requestValidator' ? 'RequestValidator' : 'ClockedRequestValidator')).join(', ')} } from '../validators.js';`,
    `import type { ${types.join(', ')} } from '../registration-schema.js';`,
    ...Object.keys(refs).sort().map((schema) => `export declare const ${schema}: PrecompiledValidate;`),
    ...specs.map(([exported, spec]) => `export declare const ${exported}: ${spec.clocked ? 'ClockedRequestValidator' : 'RequestValidator'}<${spec.type}>;`),
    '',
  ].join('\n');
  return { name, js, dts };
}

export function generateValidatorModules(): GeneratedModule[] {
  return Object.entries(FUNCTION_VALIDATORS).map(([name, validators]) => generateValidatorModule(name, validators));
}

/** The file names GENERATED_DIR must hold: a .js and a .d.ts per function with validators. */
export function generatedFileNames(modules: readonly GeneratedModule[]): string[] {
  return modules.flatMap(({ name }) => [`${name}.d.ts`, `${name}.js`]).sort();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const modules = generateValidatorModules();
  const wanted = new Set(generatedFileNames(modules));
  for (const file of readdirSync(GENERATED_DIR)) {
    if (!wanted.has(file)) rmSync(path.join(GENERATED_DIR, file));
  }
  for (const { name, js, dts } of modules) {
    writeFileSync(path.join(GENERATED_DIR, `${name}.js`), js);
    writeFileSync(path.join(GENERATED_DIR, `${name}.d.ts`), dts);
  }
  console.log(`wrote ${modules.length} validator modules to ${GENERATED_DIR}`);
}
