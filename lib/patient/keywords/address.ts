import { postcodeValidator, postcodeValidatorExistsForCountry } from 'postcode-validator';
import { keyword } from './keyword.js';

const COUNTRY_CODE = /^[A-Z]{2}$/;
// ICU knows every ISO 3166-1 region; these codes it also knows are groupings, not countries.
const REGION_NAMES = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
const NOT_COUNTRIES = new Set(['EU', 'EZ', 'QO', 'UN', 'ZZ']);

function isCountryCode(code: string): boolean {
  return COUNTRY_CODE.test(code) && !NOT_COUNTRIES.has(code) && REGION_NAMES.of(code) !== undefined;
}

const FALLBACK_POSTAL = /^[A-Za-z0-9][A-Za-z0-9 -]{1,14}$/;
// Real codes that postcode-validator's patterns miss; matched with the same case-insensitivity and
// optional space as its own pattern for that country. GIR 0AA is Girobank's, still delivered by Royal Mail.
const EXTRA_POSTAL: Partial<Record<string, RegExp>> = { GB: /^GIR ?0AA$/i };

function postalCodeProblems(zip: string, country: unknown): string[] {
  const code = typeof country === 'string' ? country : 'US';
  if (!isCountryCode(code)) return []; // the country keyword reports it
  const valid = postcodeValidatorExistsForCountry(code)
    ? postcodeValidator(zip, code) || EXTRA_POSTAL[code]?.test(zip) === true
    : FALLBACK_POSTAL.test(zip);
  if (valid) return [];
  return [code === 'US' ? 'Must be a valid US ZIP code (12345 or 12345-6789)' : `Must be a valid postal code for ${code}`];
}

/** postcode-validator's patterns come with this module only. */
export const postalCode = keyword('postalCode', (_s, zip: string, parent) => postalCodeProblems(zip, parent?.country));

export const countryCode = keyword('countryCode', (_s, country: string) =>
  isCountryCode(country) ? [] : ['Must be an ISO 3166-1 alpha-2 country code such as US'],
);
