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
} as const satisfies Record<string, TableItemGrants>;

export type TableCall = keyof typeof TABLE_CALLS;

/** The union of the listed adapter methods' table access, each action's prefixes deduplicated in first-seen order. */
export function tableAccessFor(...calls: TableCall[]): TableItemGrants {
  const merged = new Map<PatientTableAction, PatientKeyPrefix[]>();
  for (const call of calls) {
    for (const [action, prefixes] of Object.entries(TABLE_CALLS[call]) as [PatientTableAction, readonly PatientKeyPrefix[]][]) {
      const list = merged.get(action) ?? [];
      for (const prefix of prefixes) if (!list.includes(prefix)) list.push(prefix);
      merged.set(action, list);
    }
  }
  return Object.fromEntries(merged);
}
