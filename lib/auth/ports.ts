import type { KeyObject } from 'node:crypto';

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
}

export interface IssuedAccessToken {
  token: string;
  /** Seconds until it expires, as an OAuth token response states it. */
  expiresIn: number;
}

/**
 * Short-lived access tokens (ES256 JWTs) that a request proves itself with. Verifying needs no
 * network call per request: the public keys are loaded once per process.
 */
export interface AccessTokens {
  issue(patientId: string, now: Date, sessionId?: string): Promise<IssuedAccessToken>;
  /** Throws InvalidAccessTokenError for any token that is not ours, not intact or not current. */
  verify(token: string, now: Date): Promise<VerifiedAccessToken>;
}

/**
 * A P-256 key that signs without handing out its private half: a KMS key in AWS, a key file
 * locally. jose cannot sign with a remote key, so the JWS is assembled around this port.
 */
export interface Es256KeySource {
  /** The 64-byte r‖s signature (JWS form) of ECDSA P-256 with SHA-256 over `signingInput`. */
  sign(signingInput: Uint8Array): Promise<Uint8Array>;
  /** The public half, loaded once per process; tokens name it by its JWK thumbprint (`kid`). */
  publicKey(): Promise<KeyObject>;
}
