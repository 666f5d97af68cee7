import { randomUUID } from 'node:crypto';
import type { Clock } from '../patient/ports.js';
import { assuranceOf, PASSWORD_SIGN_IN, type SignInAssurance, type SignInMethods } from './assurance.js';
import type { AccessTokens } from './ports.js';
import { hashRefreshToken, newRefreshToken } from './refresh-token.js';
import type { SessionStore } from './session-ports.js';

/** 30 days sliding, 90 days absolute: a patient who uses the app monthly stays signed in for a quarter. */
export const SESSION_IDLE_TTL_MS = 30 * 24 * 3600 * 1000;
export const SESSION_ABSOLUTE_TTL_MS = 90 * 24 * 3600 * 1000;
/**
 * How long after a rotation the rotated token still gets its successor instead of revoking the
 * family: Supabase Auth's default (GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL, 10 s). Long enough
 * for a client's retry after a lost answer or a timeout; a thief replaying the token later is caught.
 */
export const REFRESH_REUSE_INTERVAL_MS = 10_000;

/**
 * The store refused to start the session (SessionStore.startFamily answered `refused`): the password
 * the caller checked was replaced meanwhile (a reset or change committed while bcrypt ran) or the
 * account was closed. Nothing was written; each use case answers it as its own wrong credential.
 */
export class SessionRefusedError extends Error {
  override readonly name = 'SessionRefusedError';
  constructor() {
    super('session refused: the credential checked is no longer current');
  }
}

/** The `data` of every answer that signs a patient in (login, refresh, verification). */
export interface SessionTokens {
  patient_id: string;
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
}

export interface SessionDeps {
  sessions: SessionStore;
  tokens: AccessTokens;
  clock: Clock;
}

/**
 * A new refresh-token family and a first access token; returns the family id for the audit trail.
 * `device` (the request's summarised user agent) is kept with the family for the session list;
 * `auth` (how the patient signed in: default a password, now) is kept with it for every refresh.
 * `sessionId` may be chosen by the caller, so that an audit entry naming it can be written alongside.
 * `credential`: the password hash the caller compared the password against; the store starts the
 * family only while it is still the current one (and the account active), else SessionRefusedError.
 */
export async function startSession(
  patientId: string, deps: SessionDeps, device?: string, auth?: SignInMethods, sessionId: string = randomUUID(),
  credential?: { passwordHash: string },
): Promise<{ tokens: SessionTokens; sessionId: string }> {
  const now = deps.clock.now();
  const assurance = assuranceOf(auth ?? { amr: PASSWORD_SIGN_IN, authTime: now });
  const refreshToken = newRefreshToken();
  const started = await deps.sessions.startFamily({
    familyId: sessionId,
    patientId,
    tokenHash: hashRefreshToken(refreshToken),
    now,
    idleTtlMs: SESSION_IDLE_TTL_MS,
    absoluteTtlMs: SESSION_ABSOLUTE_TTL_MS,
    ...(device && { device }),
    assurance,
    ...(credential && { credential }),
  });
  if (started === 'refused') throw new SessionRefusedError();
  return { tokens: await sessionTokens(patientId, refreshToken, deps.tokens, now, sessionId, assurance), sessionId };
}

/**
 * A family started before issue 21 kept no sign-in: its tokens state a password sign-in at the
 * epoch, so they read as AAL1 and too old for any step-up (the patient signs in again for those).
 */
export const UNRECORDED_SIGN_IN: SignInAssurance = assuranceOf({ amr: PASSWORD_SIGN_IN, authTime: new Date(0) });

/**
 * `sessionId` (the family) goes into the access token as `sid`: a password change keeps that session.
 * `auth` is the family's sign-in, unchanged by refreshes.
 */
export async function sessionTokens(patientId: string, refreshToken: string, tokens: AccessTokens, now: Date, sessionId: string, auth: SignInMethods): Promise<SessionTokens> {
  const access = await tokens.issue(patientId, now, sessionId, auth);
  return { patient_id: patientId, access_token: access.token, token_type: 'Bearer', expires_in: access.expiresIn, refresh_token: refreshToken };
}
