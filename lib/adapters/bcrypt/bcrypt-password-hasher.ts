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

/** bcryptjs, async so the event loop keeps serving other requests while a hash is computed. */
export function createBcryptPasswordHasher(rounds: number): PasswordHasher {
  if (rounds < MIN_BCRYPT_ROUNDS) throw new Error(`bcrypt cost must be at least ${MIN_BCRYPT_ROUNDS}`);
  return {
    hash: (password) => bcrypt.hash(password, rounds),
    compare: (password, hash) => bcrypt.compare(password, hash),
    needsRehash: (hash) => needsBcryptRehash(hash, rounds),
  };
}
