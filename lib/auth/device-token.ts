import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IdentifierDigests } from '../identifiers/ports.js';

/**
 * Device tokens (OWASP Authentication Cheat Sheet, "device cookies"): a successful sign-in hands the
 * client one; presented at the next sign-in, it lets that client be throttled on its own counter
 * instead of the account's, so a stranger's guesses cannot lock out a device that signed in before.
 *
 * `<device id>.<mac>`: 16 random bytes (hex) naming the device, and the keyed digest (kind `device`,
 * the identifier keys) of `<patient id>:<device id>:<password hash>`. Nothing is stored: the token is
 * valid only for that patient and only while the password (its hash) stays the same, so a password
 * change or reset makes every earlier device untrusted again. A token made under an identifier key
 * version since dropped stops verifying; such a client is treated as new.
 */
const DEVICE_TOKEN = /^([0-9a-f]{32})\.(v[0-9]{1,4})\.([0-9a-f]{64})$/;

export interface DeviceCredentials {
  id: string;
  password_hash: string;
}

const macInput = (patient: DeviceCredentials, deviceId: string) => `${patient.id}:${deviceId}:${patient.password_hash}`;

export async function issueDeviceToken(patient: DeviceCredentials, identifiers: IdentifierDigests, deviceId = randomBytes(16).toString('hex')): Promise<string> {
  return `${deviceId}.${await identifiers.current('device', macInput(patient, deviceId))}`;
}

/** The device id a token names, if it is this patient's under the current password; undefined otherwise. */
export async function trustedDeviceOf(token: string | null | undefined, patient: DeviceCredentials, identifiers: IdentifierDigests): Promise<string | undefined> {
  const parts = typeof token === 'string' ? DEVICE_TOKEN.exec(token) : null;
  if (!parts) return undefined;
  const [, deviceId, version, mac] = parts as unknown as [string, string, string, string];
  const presented = Buffer.from(`${version}.${mac}`);
  for (const digest of await identifiers.all('device', macInput(patient, deviceId))) {
    const expected = Buffer.from(digest);
    if (expected.length === presented.length && timingSafeEqual(expected, presented)) return deviceId;
  }
  return undefined;
}
