import { randomBytes } from 'node:crypto';
import type { ChallengePurpose, PasskeyChallenge, PasskeyStore } from './ports.js';

/** Where passkeys of this stage are bound (lib/config.ts RP_ID, WEBAUTHN_ORIGIN) and what browsers show. */
export interface RelyingParty {
  rpId: string;
  origin: string;
  /** The service's name, shown by the browser while a passkey is made. */
  name: string;
}

/**
 * How long a browser has to answer: the options' `timeout` and the stored challenge's life. Five
 * minutes is WebAuthn's recommended upper bound for user verification (§15.1); a challenge is spent
 * by its first answer anyway.
 */
export const CHALLENGE_TTL_MS = 5 * 60_000;

/** 32 random bytes (WebAuthn asks for at least 16), base64url as the client data carries it. */
export const newChallenge = (): string => randomBytes(32).toString('base64url');

/** What newChallenge makes: 43 base64url characters. Anything else was never issued here. */
const ISSUED_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** What every WebAuthn answer carries: the client data the authenticator signed over. */
export interface WebAuthnAnswer {
  id: string;
  response: { clientDataJSON: string };
}

/**
 * The challenge named in an answer's client data; undefined when it names none, or one of a shape
 * never issued (a store key is built from it: DynamoDB refuses keys over 2 KB with a 500, so a
 * stranger's 4 KB challenge must be an unknown one, as on the other stores). Read before the
 * signature is checked only to find the stored challenge: the signature check then proves it.
 */
export function challengeOf(answer: WebAuthnAnswer): string | undefined {
  try {
    const clientData: unknown = JSON.parse(Buffer.from(answer.response.clientDataJSON, 'base64url').toString('utf8'));
    const challenge = (clientData as { challenge?: unknown } | null)?.challenge;
    return typeof challenge === 'string' && ISSUED_CHALLENGE.test(challenge) ? challenge : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Spends the challenge an answer names: the store deletes it (conditional delete / DELETE …
 * RETURNING), so of two requests with one answer exactly one gets it, and a replay finds nothing.
 * Undefined for a challenge that is unknown, spent, expired, for another purpose or another patient.
 */
export async function spendChallenge(
  store: PasskeyStore,
  answer: WebAuthnAnswer,
  purpose: ChallengePurpose,
  now: Date,
  patientId?: string,
): Promise<PasskeyChallenge | undefined> {
  const named = challengeOf(answer);
  if (!named) return undefined;
  const stored = await store.takeChallenge(named);
  if (!stored || stored.purpose !== purpose || stored.patientId !== patientId) return undefined;
  if (stored.expiresAt.getTime() <= now.getTime()) return undefined;
  return stored;
}

/** The patient's id as WebAuthn's user handle: the bytes the authenticator returns with a discoverable credential. */
export const userHandleOf = (patientId: string): string => Buffer.from(patientId, 'utf8').toString('base64url');
