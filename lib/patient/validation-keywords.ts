import { countryCode, postalCode } from './keywords/address.js';
import { emailDomainLabel, emailLocalPart } from './keywords/email.js';
import type { ValidationKeyword } from './keywords/keyword.js';
import { differsFrom, passwordPolicy, sameAs } from './keywords/password.js';
import { age, personName } from './keywords/person.js';
import { e164Phone } from './keywords/phone.js';

export { validationContext, type ValidationContext, type ValidationKeyword } from './keywords/keyword.js';

/**
 * Every custom keyword, for what compiles schemas: lib/validation/ajv.ts (and so the build-time
 * generator and the tests). Nothing a function runs imports this list: a generated validator imports
 * each keyword it uses from its module in ./keywords/, so it loads only the data those rules need.
 */
export const VALIDATION_KEYWORDS: readonly ValidationKeyword[] = [
  e164Phone, personName, passwordPolicy, sameAs, age, postalCode, countryCode, emailLocalPart, emailDomainLabel,
  // New keywords go last: the generated modules number keywords in this order.
  differsFrom,
];
