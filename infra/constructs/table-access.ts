import type { PatientKeyPrefix, PatientTableAction, TableItemGrants } from './least-privilege.js';

/**
 * What each DynamoDB adapter method does to the patient table: the actions it sends and the key
 * prefixes of the items it sends them on (TransactWriteItems counted as its items' single actions).
 * Read from lib/adapters/dynamodb/*.ts; a function's table grant is the union of the methods its use
 * case calls (`tableAccessFor`), so when an adapter changes, its one line here changes and every
 * function using it follows.
 */
export const TABLE_CALLS = {
  // lib/adapters/dynamodb/patient-repository.ts
  /** Email reservation → patient (ConsistentRead GetItem each). */
  'patients.findCredentials': { 'dynamodb:GetItem': ['EMAIL#', 'PATIENT#'] },
  'patients.getPatient': { 'dynamodb:GetItem': ['PATIENT#'] },
  /** Compare-and-set of the hash after a sign-in at a lower cost. */
  'patients.replacePasswordHash': { 'dynamodb:UpdateItem': ['PATIENT#'] },
  'patients.findVerificationToken': { 'dynamodb:GetItem': ['VERIFY#'] },
  /** Read the token, then one transaction: token used + patient verified (two Updates). */
  // Verifying also lifts the lapse TTL from both reservations (lib/adapters/dynamodb/patient-repository.ts).
  'patients.consumeVerificationToken': { 'dynamodb:GetItem': ['VERIFY#'], 'dynamodb:UpdateItem': ['VERIFY#', 'PATIENT#', 'EMAIL#', 'PHONE#'] },

  // lib/adapters/dynamodb/login-failure-counter.ts
  'loginFailures.read': { 'dynamodb:GetItem': ['LOGIN#'] },
  /** ADD under a cap condition, then (at the cap) a second plain Update. */
  'loginFailures.recordFailure': { 'dynamodb:UpdateItem': ['LOGIN#'] },
  'loginFailures.reset': { 'dynamodb:DeleteItem': ['LOGIN#'] },

  // lib/adapters/dynamodb/session-store.ts
  /** One transaction: Put FAMILY#, Put REFRESH#, Update SESSIONS# (the patient's family ids). */
  'sessions.startFamily': { 'dynamodb:PutItem': ['FAMILY#', 'REFRESH#'], 'dynamodb:UpdateItem': ['SESSIONS#'] },
  /**
   * Get REFRESH# then FAMILY#; one transaction Update FAMILY# + Put REFRESH#; on reuse, revokeFamily
   * (Update FAMILY#).
   */
  'sessions.rotate': { 'dynamodb:GetItem': ['REFRESH#', 'FAMILY#'], 'dynamodb:UpdateItem': ['FAMILY#'], 'dynamodb:PutItem': ['REFRESH#'] },
  /** Get REFRESH# then its FAMILY# (the family must still exist to name its patient). */
  'sessions.familyOf': { 'dynamodb:GetItem': ['REFRESH#', 'FAMILY#'] },
  'sessions.revokeFamily': { 'dynamodb:UpdateItem': ['FAMILY#'] },
  /** Get SESSIONS# (the patient's family ids), then revokeFamily on each (but the one kept). */
  'sessions.revokeAllFor': { 'dynamodb:GetItem': ['SESSIONS#'], 'dynamodb:UpdateItem': ['FAMILY#'] },

  // lib/adapters/dynamodb/rate-limiter.ts: one conditional ADD on the window's counter.
  'rateLimits.hit': { 'dynamodb:UpdateItem': ['RATE#'] },

  // lib/adapters/dynamodb/outbox-store.ts
  /** A request queued for the outbox (resend, forgot password): one conditional Put. */
  'outbox.enqueue': { 'dynamodb:PutItem': ['OUTBOX#'] },

  // Issue 11 (password reset, phone verification): the method names and their calls are the infra
  // branch's reading of the issue; the lead reconciles each line with the recorded calls (test/iam).
  /** Forgot-password request in the outbox: the current reset token (if any), then replace it and point the patient at it. */
  'passwordResets.issue': { 'dynamodb:GetItem': ['RESET#'], 'dynamodb:UpdateItem': ['RESET#', 'PATIENT#'] },
  /** The token from the link, then its patient. */
  'passwordResets.find': { 'dynamodb:GetItem': ['RESET#', 'PATIENT#'] },
  /**
   * One transaction: token used, new hash + email verified (patient), the lapse TTL lifted from both
   * reservations (as verification does), and the "your password was changed" mail.
   */
  'passwordResets.consume': { 'dynamodb:UpdateItem': ['RESET#', 'PATIENT#', 'EMAIL#', 'PHONE#'], 'dynamodb:PutItem': ['OUTBOX#'] },
  /** Compare-and-set of the hash with the "your password was changed" mail, in one transaction. */
  'patients.changePassword': { 'dynamodb:UpdateItem': ['PATIENT#'], 'dynamodb:PutItem': ['OUTBOX#'] },
  /** A new code replaces the patient's current one (Put, or Update when one exists) beside its SMS in the outbox. */
  'phoneCodes.issue': { 'dynamodb:PutItem': ['PHONECODE#', 'OUTBOX#'], 'dynamodb:UpdateItem': ['PHONECODE#'] },
  'phoneCodes.find': { 'dynamodb:GetItem': ['PHONECODE#'] },
  /** A wrong code: one conditional ADD on the code's tries. */
  'phoneCodes.recordWrongTry': { 'dynamodb:UpdateItem': ['PHONECODE#'] },
  /** One transaction: code used + patient phone_verified. */
  'phoneCodes.consume': { 'dynamodb:UpdateItem': ['PHONECODE#', 'PATIENT#'] },
} as const satisfies Record<string, TableItemGrants>;

export type TableCall = keyof typeof TABLE_CALLS;

/** The union of the listed adapter methods' table access, each action's prefixes deduplicated in first-seen order. */
export function tableAccessFor(...calls: TableCall[]): TableItemGrants {
  return mergeTableAccess(...calls.map((call) => TABLE_CALLS[call]));
}

/** The union of several grants (e.g. a function's older hand-written grants and its TABLE_CALLS). */
export function mergeTableAccess(...grants: TableItemGrants[]): TableItemGrants {
  const merged = new Map<PatientTableAction, PatientKeyPrefix[]>();
  for (const grant of grants) {
    for (const [action, prefixes] of Object.entries(grant) as [PatientTableAction, readonly PatientKeyPrefix[]][]) {
      const list = merged.get(action) ?? [];
      for (const prefix of prefixes) if (!list.includes(prefix)) list.push(prefix);
      merged.set(action, list);
    }
  }
  return Object.fromEntries(merged);
}
