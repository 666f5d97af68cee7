import { randomInt } from 'node:crypto';
import type { RateLimit } from '../rate-limit/ports.js';

/** How long a code works: long enough to read an SMS, short enough that guessing has little time. */
export const PHONE_CODE_TTL_MS = 10 * 60_000;
/** Wrong tries per code: 5 of 1,000,000 codes leaves a guesser a 1-in-200,000 chance per code. */
export const MAX_WRONG_TRIES = 5;
/** Codes per patient in any 60 minutes (a sliding window, not clock hours): with 5 tries each, at most 15 guesses in any hour. */
export const PHONE_CODE_LIMIT: RateLimit = { limit: 3, windowSeconds: 3600 };

/** Six digits, uniformly from a CSPRNG (randomInt has no modulo bias); leading zeros kept. */
export function newPhoneCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** What is digested: the patient id binds the code to its patient, so two patients' equal codes differ. */
export const phoneCodeDigestInput = (patientId: string, code: string) => `${patientId}:${code}`;

/** The SMS: the code first (phones show it in the notification), and no link. */
export function phoneCodeText(code: string): string {
  return `${code} is your patient portal verification code. It expires in 10 minutes. Never share it: we will not ask you for it.`;
}
