import { parsePhoneNumberFromString as parseWith, type MetadataJson } from 'libphonenumber-js/core';
import { unpackJson } from '../compact-data.js';
import { PHONE_METADATA } from '../patient/phone-metadata.js';

let metadata: MetadataJson | undefined;

/**
 * The country an E.164 number rings in, for the per-country text budget: its ISO 3166-1 alpha-2
 * region where the numbering plan places it (+1 876 … is JM, not US: pumping often targets such
 * numbers behind a shared calling code), else `+<calling code>` (the spec's +1234567890 is `+1`),
 * else `unknown`. Unpacked on first use, as lib/patient/normalize.ts does.
 */
export function phoneCountryOf(e164: string): string {
  const parsed = parseWith(e164, (metadata ??= unpackJson<MetadataJson>(PHONE_METADATA)));
  if (!parsed) return 'unknown';
  return parsed.country ?? `+${parsed.countryCallingCode}`;
}
