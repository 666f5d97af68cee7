import { randomInt } from 'node:crypto';
import type { IdentifierDigests } from '../identifiers/ports.js';

/** How many recovery codes confirming an authenticator app answers (shown once). */
export const RECOVERY_CODE_COUNT = 10;
/** No 0/o, 1/l/i: a code read off paper is typed back right. 31 symbols × 10 ≈ 49.5 bits each. */
const ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';
const LENGTH = 10;

/** `xxxxx-xxxxx`, from the CSPRNG. */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const chars = Array.from({ length: LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** As typed: case, spaces and hyphens do not matter. */
export const normalizeRecoveryCode = (code: string): string => code.toLowerCase().replace(/[\s-]/g, '');

/**
 * What is stored of a code: its keyed digest (identifier keys, kind `recovery-code`) over the patient
 * id and the code, so a leaked table cannot be tried against the ~2^50 codes offline, nor one
 * patient's digest against another's.
 */
const digestInput = (patientId: string, code: string) => `${patientId}:${normalizeRecoveryCode(code)}`;
export const recoveryCodeDigest = (identifiers: IdentifierDigests, patientId: string, code: string) => identifiers.current('recovery-code', digestInput(patientId, code));
/** Every key version's digest, for a code stored before a rotation. */
export const recoveryCodeDigests = (identifiers: IdentifierDigests, patientId: string, code: string) => identifiers.all('recovery-code', digestInput(patientId, code));
