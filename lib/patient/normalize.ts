import { parsePhoneNumberFromString as parseWith, type MetadataJson, type PhoneNumber } from 'libphonenumber-js/core';
import { unpackJson } from '../compact-data.js';
import { PHONE_METADATA } from './phone-metadata.js';

/** Emails are stored and compared trimmed and lowercased, so case variants collide. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const PHONE_SEPARATORS = /[\s\-.()]/g;
const E164 = /^\+[1-9]\d{7,14}$/;
// "+44 (0)20 …": the (0) after the country code is the trunk prefix, dialled only from inside the country.
const TRUNK_ZERO = /^(\+[\s\-.]*[1-9]\d{0,2})[\s\-.]*\(0\)/;

const digitsOf = (phone: string) => phone.replace(PHONE_SEPARATORS, '');

// libphonenumber-js/min's metadata, packed (lib/tools/generate-phone-metadata.ts). Unpacked on the
// first phone number, not at import: functions that import this module only to trim never unpack it,
// and their bundles drop it.
let metadata: MetadataJson | undefined;
const parsePhoneNumberFromString = (text: string) => parseWith(text, (metadata ??= unpackJson<MetadataJson>(PHONE_METADATA)));

/**
 * The E.164 form of a phone number written in international form, or undefined when it is not one.
 * Spaces, dashes, dots and parentheses are ignored and a trunk prefix written "(0)" is dropped; what
 * is left must be a plausible E.164 number (8–15 digits, the first 1–9) under a country calling code
 * that exists. For a number the numbering plan knows, libphonenumber-js's metadata-driven E.164 is
 * stored, which also drops a trunk 0 written without parentheses ("+44 020 …"), so the ways people
 * write one number collide. Numbers the plan calls invalid are still accepted (the spec's +1234567890
 * registers), with their digits as written.
 */
export function normalizePhone(phone: string): string | undefined {
  const withoutTrunk = phone.replace(TRUNK_ZERO, '$1 ');
  const typed = digitsOf(withoutTrunk);
  if (!E164.test(typed)) return undefined;
  const parsed = parsePhoneNumberFromString(withoutTrunk);
  if (!parsed) return undefined;
  if (parsed.isValid()) return keepsDigits(parsed, typed) && E164.test(parsed.number) ? parsed.number : typed;
  // Italy dials its leading 0 from abroad too: an Italian number written "+39 (0)6 …" is valid with it.
  if (withoutTrunk !== phone) {
    const asWritten = parsePhoneNumberFromString(phone);
    if (asWritten?.isValid() && asWritten.number === digitsOf(phone)) return asWritten.number;
  }
  return typed;
}

/**
 * Whether the library changed no digit but a 0 trunk prefix after the country code. It also strips
 * carrier codes and other national prefixes; trusting those rewrites would merge distinct numbers.
 */
function keepsDigits(parsed: PhoneNumber, typed: string): boolean {
  const code = `+${parsed.countryCallingCode}`;
  return parsed.number === typed || parsed.number === typed.replace(`${code}0`, code);
}

const UNTRIMMED_KEYS = new Set(['password', 'confirm_password', 'current_password']);
const MAX_TRIM_DEPTH = 4;

/**
 * Copy of a parsed body with every string trimmed, so that blank counts as missing. Passwords are
 * left as typed (a space is a legal password character). Depth is bounded: anything deeper than the
 * schema goes is returned untouched and refused by the schema.
 */
export function trimStrings(value: unknown, depth = 0, key = ''): unknown {
  if (typeof value === 'string') return UNTRIMMED_KEYS.has(key) ? value : value.trim();
  if (depth >= MAX_TRIM_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => trimStrings(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // defineProperty keeps a "__proto__" key an ordinary field for the schema to refuse.
    Object.defineProperty(copy, k, { value: trimStrings(v, depth + 1, k), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}
