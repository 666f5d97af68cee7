import type { LinkKind, LinkState } from '../../patient/ports.js';

/** Each kind of link's token table and the patients column naming the newest token of that kind. */
export const LINK_TABLES: Record<LinkKind, { table: string; newestColumn: string }> = {
  verification: { table: 'verification_tokens', newestColumn: 'verification_token_hash' },
  reset: { table: 'password_reset_tokens', newestColumn: 'reset_token_hash' },
};

/**
 * A link's state from the one row that joins its token and its patient (none: unknown), in the
 * order consumeVerificationToken and resetPassword judge it: a lapsed registration's link is
 * unknown, then used, then expired, then replaced by a newer one.
 */
export function linkStateOf(row: { lapsed: boolean; used: boolean; expired: boolean; newest: boolean } | undefined): LinkState {
  if (!row || row.lapsed) return 'unknown';
  if (row.used) return 'used';
  if (row.expired) return 'expired';
  return row.newest ? 'usable' : 'superseded';
}
