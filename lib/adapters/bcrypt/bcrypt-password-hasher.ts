import bcrypt from 'bcryptjs';
import { MIN_BCRYPT_ROUNDS } from '../../config.js';
import type { PasswordHasher } from '../../patient/ports.js';

/** bcryptjs, async so the event loop keeps serving other requests while a hash is computed. */
export function createBcryptPasswordHasher(rounds: number): PasswordHasher {
  if (rounds < MIN_BCRYPT_ROUNDS) throw new Error(`bcrypt cost must be at least ${MIN_BCRYPT_ROUNDS}`);
  return { hash: (password) => bcrypt.hash(password, rounds) };
}
