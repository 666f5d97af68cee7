import { MIN_BCRYPT_ROUNDS } from '../../config.js';
import type { PasswordHasher } from '../../patient/ports.js';
import { processBcrypt, type BcryptImplementation } from './bcrypt-implementation.js';

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
 * Well-formed means canonical base64 too: the native binding answers `false` at once, without the
 * work, for a salt or digest whose last character carries bits the bytes do not have (bcryptjs
 * ignores them), and that would tell unknown emails apart by timing.
 */
export function bcryptDummyHash(rounds: number): string {
  return `$2b$${String(rounds).padStart(2, '0')}$${DUMMY_SALT_AND_DIGEST}`;
}
/** 22 salt characters (16 bytes) + 31 digest characters (23 bytes) of bcrypt's base64 alphabet, each canonical. */
const DUMMY_SALT_AND_DIGEST = 'NoPasswordMatchesThis.uDummyHashForUnknownEmailsOnly.';

/**
 * Async either way, so the event loop keeps serving while a hash is computed. The implementation is
 * the process's (native @node-rs/bcrypt where it loads, else bcryptjs; bcrypt-implementation.ts).
 */
export function createBcryptPasswordHasher(rounds: number, bcrypt: BcryptImplementation = processBcrypt()): PasswordHasher {
  if (rounds < MIN_BCRYPT_ROUNDS) throw new Error(`bcrypt cost must be at least ${MIN_BCRYPT_ROUNDS}`);
  return {
    hash: (password) => bcrypt.hash(password, rounds),
    compare: (password, hash) => bcrypt.compare(password, hash),
    needsRehash: (hash) => needsBcryptRehash(hash, rounds),
  };
}
