import type { KeyObject } from 'node:crypto';
import type { Acr, SignInMethods } from './assurance.js';

/** What a request may rely on once its access token verified: whose record it may touch, and which token it was. */
export interface VerifiedAccessToken {
  patientId: string;
  /** The token's `jti`: lets later work revoke or audit one token without logging the token. */
  tokenId: string;
  issuedAt: Date;
  expiresAt: Date;
  /**
   * The refresh-token family (session) the token was issued for (`sid` claim), so a password change
   * can keep the caller's session while it ends the others. Absent in tokens issued before the claim.
   */
  sessionId?: string;
  /**
   * How the session was signed in (claims `amr`, `auth_time`, `acr`; see assurance.ts). A token
   * issued before the claims existed reads as a password sign-in (AAL1) at its own `iat`.
   */
  amr: string[];
  authTime: Date;
  acr: Acr;
}

export interface IssuedAccessToken {
  token: string;
  /** Seconds until it expires, as an OAuth token response states it. */
  expiresIn: number;
}

/** A public key as the JWKS at `/.well-known/jwks.json` publishes it (RFC 7517; EC P-256, ES256). */
export interface PublishedJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  /** The RFC 7638 thumbprint of the key, which every token it signed names in its header. */
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

/**
 * Short-lived access tokens (ES256 JWTs) that a request proves itself with. Verifying needs no
 * network call per request: the public keys are loaded once per process.
 */
export interface AccessTokens {
  /**
   * `auth` says how the session was signed in; a refresh passes the family's original one (a refresh
   * is not a sign-in). Without it the token states a password sign-in at `now` (AAL1).
   */
  issue(patientId: string, now: Date, sessionId?: string, auth?: SignInMethods): Promise<IssuedAccessToken>;
  /** Throws InvalidAccessTokenError for any token that is not ours, not intact or not current. */
  verify(token: string, now: Date): Promise<VerifiedAccessToken>;
  /** Every public key whose tokens are accepted, the current signing key's first (the published JWKS). */
  publicKeys(): Promise<PublishedJwk[]>;
}

/**
 * The P-256 private key that signs access tokens, held in the memory of the signing functions only:
 * unwrapped from its KMS envelope once per cold start in AWS, a key file locally. Verifying functions
 * never build one; they get the public keys alone.
 */
export interface Es256KeySource {
  /** The 64-byte r‖s signature (JWS form) of ECDSA P-256 with SHA-256 over `signingInput`. */
  sign(signingInput: Uint8Array): Promise<Uint8Array>;
  /** The public half; tokens name it by its JWK thumbprint (`kid`). */
  publicKey(): Promise<KeyObject>;
}
