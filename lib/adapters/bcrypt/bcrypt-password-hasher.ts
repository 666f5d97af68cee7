import bcrypt from 'bcryptjs';
import { MIN_BCRYPT_ROUNDS } from '../../config.js';
import type { PasswordHasher } from '../../patient/ports.js';

/** The cost a bcrypt hash was made with ($2b$12$…); 0 for anything that is not a bcrypt hash. */
export function bcryptCost(hash: string): number {
  const match = /^\$2[abxy]\$(\d{2})\$/.exec(hash);
  return match ? Number(match[1]) : 0;
}

/** A stored hash below the configured cost (or not bcrypt at all) is re-hashed at the next sign-in. */
export const needsBcryptRehash = (hash: string, rounds: number) => bcryptCost(hash) < rounds;

/**
 * A well-formed bcrypt hash at `rounds` that no password matches (its digest part was never computed
 * from any input). bcrypt spends the cost's work before it compares, so checking an unknown email
 * against this takes as long as a wrong password against a real hash of the same cost.
 */
export function bcryptDummyHash(rounds: number): string {
  return `$2b$${String(rounds).padStart(2, '0')}$${DUMMY_SALT_AND_DIGEST}`;
}
/** 22 salt characters + 31 digest characters of bcrypt's base64 alphabet. */
const DUMMY_SALT_AND_DIGEST = 'NoPasswordMatchesThis.uDummyHashForUnknownEmailsOnly0';

/** bcryptjs, async so the event loop keeps serving other requests while a hash is computed. */
export function createBcryptPasswordHasher(rounds: number): PasswordHasher {
  if (rounds < MIN_BCRYPT_ROUNDS) throw new Error(`bcrypt cost must be at least ${MIN_BCRYPT_ROUNDS}`);
  return {
    hash: (password) => bcrypt.hash(password, rounds),
    compare: (password, hash) => bcrypt.compare(password, hash),
    needsRehash: (hash) => needsBcryptRehash(hash, rounds),
  };
}
