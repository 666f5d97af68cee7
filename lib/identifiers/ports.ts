/**
 * Keyed digests of normalized identifiers (emails, phone numbers). Stores use them wherever an
 * identifier would otherwise become a key (reservation items, rate-limit windows, idempotency
 * scopes), because keys travel where values do not: CloudTrail data events, metrics, error reports.
 * A bare SHA-256 would not do: hashing a list of likely addresses reverses it. The same keys digest
 * request fingerprints ('request'), which cover fields that are stored only encrypted, and the source
 * addresses in audit events ('ip'), and phone verification codes ('phone-code', of
 * `<patientId>:<code>`, so that a leaked digest cannot be tried against a list of a million codes),
 * and sign device tokens ('device', lib/auth/device-token.ts), derive a refresh token's successor
 * from it ('refresh-successor': a retry of a refresh gets the same successor, which nobody can compute
 * without the key; lib/auth/refresh-token.ts), derive link tokens from their stored seeds ('link',
 * lib/patient/link-token.ts), and digest recovery codes ('recovery-code', of `<patientId>:<code>`,
 * lib/auth/recovery-codes.ts).
 */
export type IdentifierKind = 'email' | 'phone' | 'request' | 'ip' | 'phone-code' | 'device' | 'refresh-successor' | 'link' | 'recovery-code';

export interface IdentifierDigests {
  /** The digest under the current key version, `<version>.<hex>`: what new keys are written with. */
  current(kind: IdentifierKind, value: string): Promise<string>;
  /**
   * The digests under every key version still in use, current first: what a lookup or a
   * uniqueness check must try while a rotation is under way.
   */
  all(kind: IdentifierKind, value: string): Promise<string[]>;
}
