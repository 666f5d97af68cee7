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
  /** Email reservation → patient (ConsistentRead GetItem each; an unknown email reads a patient item no one has, issue 19 item 18). */
  'patients.findCredentials': { 'dynamodb:GetItem': ['EMAIL#', 'PATIENT#'] },
  'patients.getPatient': { 'dynamodb:GetItem': ['PATIENT#'] },
  /** Compare-and-set of the hash after a sign-in at a lower cost. */
  'patients.replacePasswordHash': { 'dynamodb:UpdateItem': ['PATIENT#'] },
  /** The token (VERIFY#), then its patient (is the registration lapsed?). */
  'patients.findVerificationToken': { 'dynamodb:GetItem': ['VERIFY#', 'PATIENT#'] },
  /** PATCH /me: a conditional Update of the patient; with a notice, one transaction that also Puts its OUTBOX# item. */
  'patients.updateProfile': { 'dynamodb:UpdateItem': ['PATIENT#'], 'dynamodb:PutItem': ['OUTBOX#'] },
  /** Read the token and its patient, then one transaction: token used + patient verified (two Updates). */
  // Verifying also lifts the lapse TTL from both reservations (lib/adapters/dynamodb/patient-repository.ts).
  'patients.consumeVerificationToken': { 'dynamodb:GetItem': ['VERIFY#', 'PATIENT#'], 'dynamodb:UpdateItem': ['VERIFY#', 'PATIENT#', 'EMAIL#', 'PHONE#'] },

  /**
   * A link's state for its page (GET): the token, then its patient (the newest-link pointer and the
   * lapse), as consuming reads them (judgeMailboxToken), and no write.
   */
  'patients.linkState.verification': { 'dynamodb:GetItem': ['VERIFY#', 'PATIENT#'] },
  'patients.linkState.reset': { 'dynamodb:GetItem': ['RESET#', 'PATIENT#'] },

  // lib/adapters/dynamodb/login-failure-counter.ts
  'loginFailures.read': { 'dynamodb:GetItem': ['LOGIN#'] },
  /** Read the subject's count (ConsistentRead), then one Update conditional on the version read; again on a conflict. */
  'loginFailures.reserve': { 'dynamodb:GetItem': ['LOGIN#'], 'dynamodb:UpdateItem': ['LOGIN#'] },
  /** A wrong password's lock, from the answer: one Update conditional on moving the end later. */
  'loginFailures.extendLock': { 'dynamodb:UpdateItem': ['LOGIN#'] },
  'loginFailures.reset': { 'dynamodb:DeleteItem': ['LOGIN#'] },

  // lib/adapters/dynamodb/session-store.ts
  /**
   * Get SESSIONS# (the patient's live families), then one transaction: Put FAMILY#, Put REFRESH#,
   * Update SESSIONS# (add this family, prune ended ones), beyond the cap Update FAMILY# (the oldest
   * revoked), and ConditionCheck PATIENT# (still active, still at the password hash the sign-in
   * compared: issue 19 item 3).
   */
  'sessions.startFamily': {
    'dynamodb:GetItem': ['SESSIONS#'], 'dynamodb:PutItem': ['FAMILY#', 'REFRESH#'], 'dynamodb:UpdateItem': ['SESSIONS#', 'FAMILY#'],
    'dynamodb:ConditionCheckItem': ['PATIENT#'],
  },
  /**
   * Get REFRESH# then FAMILY#; one transaction Update FAMILY# + Put REFRESH#; on reuse, revokeFamily
   * (Update FAMILY# + SESSIONS#).
   */
  'sessions.rotate': { 'dynamodb:GetItem': ['REFRESH#', 'FAMILY#'], 'dynamodb:UpdateItem': ['FAMILY#', 'SESSIONS#'], 'dynamodb:PutItem': ['REFRESH#'] },
  /** Get REFRESH# then its FAMILY# (the family must still exist to name its patient). */
  'sessions.familyOf': { 'dynamodb:GetItem': ['REFRESH#', 'FAMILY#'] },
  /** Every Bearer request: one consistent Get of the access token's FAMILY# (lib/auth/authenticate.ts). */
  'sessions.isLive': { 'dynamodb:GetItem': ['FAMILY#'] },
  /** One transaction: Update FAMILY# (revoked) + Update SESSIONS# (the family leaves the patient's index). */
  'sessions.revokeFamily': { 'dynamodb:UpdateItem': ['FAMILY#', 'SESSIONS#'] },
  /** The session list: Get SESSIONS# (the patient's live families), then BatchGet their FAMILY# items; no Scan. */
  'sessions.listLive': { 'dynamodb:GetItem': ['SESSIONS#'], 'dynamodb:BatchGetItem': ['FAMILY#'] },
  /**
   * One transaction: Update FAMILY# conditioned on owner and liveness + Update SESSIONS#; a family
   * without an index (started before it) gets the FAMILY# Update alone.
   */
  'sessions.endOwn': { 'dynamodb:UpdateItem': ['FAMILY#', 'SESSIONS#'] },
  /** Get SESSIONS#, then one transaction: every other FAMILY# revoked, the index emptied of them. */
  'sessions.endOthers': { 'dynamodb:GetItem': ['SESSIONS#'], 'dynamodb:UpdateItem': ['FAMILY#', 'SESSIONS#'] },

  // lib/adapters/dynamodb/rate-limiter.ts: one conditional ADD on the window's counter.
  'rateLimits.hit': { 'dynamodb:UpdateItem': ['RATE#'] },
  /** A sliding window: ConsistentRead GetItem of its hits, then an Update conditioned on the version read. */
  'rateLimits.slide': { 'dynamodb:GetItem': ['RATE#'], 'dynamodb:UpdateItem': ['RATE#'] },

  // lib/adapters/dynamodb/outbox-store.ts
  /** A request queued for the outbox (resend, forgot password): one conditional Put. */
  'outbox.enqueue': { 'dynamodb:PutItem': ['OUTBOX#'] },

  // Issue 11: read from the s11-reset and s11-phone branches while they were being written; the lead
  // reconciles each line with the recorded calls (test/iam) after the merge.
  // lib/adapters/dynamodb/patient-repository.ts
  /** The outbox, on a forgot-password request: one transaction, Update PATIENT# (its newest token) + Put RESET# + Put OUTBOX# (the mail). */
  'patients.issueResetToken': { 'dynamodb:UpdateItem': ['PATIENT#'], 'dynamodb:PutItem': ['RESET#', 'OUTBOX#'] },
  /** The token (RESET#), then its patient. */
  'patients.findResetToken': { 'dynamodb:GetItem': ['RESET#', 'PATIENT#'] },
  /**
   * Read token, patient and the patient's live families (SESSIONS#), then one transaction: token used,
   * new hash + email verified (patient), the lapse TTL lifted from the reservations (EMAIL#, PHONE#),
   * the "password changed" notice, every family revoked (FAMILY#) and the index emptied (SESSIONS#);
   * a taken-back account (issue 20) also deletes its unproven number's reservation (PHONE#).
   */
  'patients.resetPassword': {
    'dynamodb:GetItem': ['RESET#', 'PATIENT#', 'SESSIONS#'],
    'dynamodb:UpdateItem': ['RESET#', 'PATIENT#', 'EMAIL#', 'PHONE#', 'FAMILY#', 'SESSIONS#'],
    'dynamodb:PutItem': ['OUTBOX#'],
    'dynamodb:DeleteItem': ['PHONE#'],
    // With no session to end, the index is only checked: unchanged since it was read (no sign-in meanwhile).
    'dynamodb:ConditionCheckItem': ['SESSIONS#'],
  },
  /**
   * Read the patient's live families (SESSIONS#), then one transaction: the compare-and-set of the
   * hash (PATIENT#, also ending the reset links), the notice (OUTBOX#), every other family revoked
   * (FAMILY#) and removed from the index (SESSIONS#).
   */
  'patients.changePassword': {
    'dynamodb:GetItem': ['SESSIONS#'],
    'dynamodb:UpdateItem': ['PATIENT#', 'FAMILY#', 'SESSIONS#'],
    'dynamodb:PutItem': ['OUTBOX#'],
    'dynamodb:ConditionCheckItem': ['SESSIONS#'],
  },
  /**
   * Read the patient's live families (SESSIONS#), then one transaction: the conditional deactivation
   * (PATIENT#, also ending the reset links), the "account closed" notice (OUTBOX#), every family
   * revoked (FAMILY#) and removed from the index (SESSIONS#).
   */
  'patients.closeAccount': {
    'dynamodb:GetItem': ['SESSIONS#'],
    'dynamodb:UpdateItem': ['PATIENT#', 'FAMILY#', 'SESSIONS#'],
    'dynamodb:PutItem': ['OUTBOX#'],
  },

  /** The pre-check of an address (and a number) before a move: one BatchGet of the reservations. */
  'patients.findTakenIdentifiers': { 'dynamodb:BatchGetItem': ['EMAIL#', 'PHONE#'] },

  // lib/adapters/dynamodb/contact-moves.ts
  /** One transaction: the patient's pointer to its newest move link (PATIENT#), the link (EMAILMOVE#), the link mail and the notice (OUTBOX#). */
  'contactMoves.requestEmailMove': { 'dynamodb:UpdateItem': ['PATIENT#'], 'dynamodb:PutItem': ['EMAILMOVE#', 'OUTBOX#'] },
  /** The link, then its patient (the newest-link pointer and the lapse): the page's read, and the move's. */
  'contactMoves.emailMoveLink': { 'dynamodb:GetItem': ['EMAILMOVE#', 'PATIENT#'] },
  /**
   * The link's reads and the patient's live families (SESSIONS#), then one transaction: the link used,
   * the patient's email replaced, the new reservation put (EMAIL#, checked under older key versions
   * too) and the old one deleted, the notice (OUTBOX#), every other family revoked.
   */
  'contactMoves.confirmEmailMove': {
    'dynamodb:GetItem': ['EMAILMOVE#', 'PATIENT#', 'SESSIONS#'],
    'dynamodb:UpdateItem': ['EMAILMOVE#', 'PATIENT#', 'FAMILY#', 'SESSIONS#'],
    'dynamodb:PutItem': ['EMAIL#', 'OUTBOX#'],
    'dynamodb:ConditionCheckItem': ['EMAIL#', 'SESSIONS#'],
    'dynamodb:DeleteItem': ['EMAIL#'],
  },

  /** The live holder of a number (issue 19 item 4): each key version's PHONE# reservation, then its PATIENT#. */
  'patients.findPhoneHolder': { 'dynamodb:GetItem': ['PHONE#', 'PATIENT#'] },
  /**
   * A registration with a claim code (issue 19 item 4): read the holder's reservation_pks, then in the
   * registration's transaction Delete PHONECLAIM# (the claim spent), Update PATIENT# (the holder
   * released), Put PHONE# over the holder's reservation (under an older key version too) and Put
   * OUTBOX# (the holder's notice). The rest of the registration transaction is the register function's own grant.
   */
  'patients.createPatient.takeover': {
    'dynamodb:GetItem': ['PATIENT#'],
    'dynamodb:UpdateItem': ['PATIENT#'],
    'dynamodb:DeleteItem': ['PHONECLAIM#'],
    'dynamodb:PutItem': ['PHONE#', 'OUTBOX#'],
  },

  // lib/adapters/dynamodb/phone-code-store.ts
  /** One transaction: Put PHONECLAIM# (replacing the number's older claim code) + Put OUTBOX# (its SMS). */
  'phoneCodes.issueClaim': { 'dynamodb:PutItem': ['PHONECLAIM#', 'OUTBOX#'] },
  /** Read the claim code; a wrong try ADDs to its count (a right one is spent by the registration's transaction). */
  'phoneCodes.attemptClaim': { 'dynamodb:GetItem': ['PHONECLAIM#'], 'dynamodb:UpdateItem': ['PHONECLAIM#'] },
  /** One transaction: Put PHONECODE# (replacing the older code) + Put OUTBOX# (its SMS). */
  'phoneCodes.issueCode': { 'dynamodb:PutItem': ['PHONECODE#', 'OUTBOX#'] },
  /** Read the code; a right one: Delete PHONECODE# + Update PATIENT# (phone_verified) in one transaction; a wrong one: ADD its tries. */
  'phoneCodes.attemptCode': {
    'dynamodb:GetItem': ['PHONECODE#'],
    'dynamodb:DeleteItem': ['PHONECODE#'],
    'dynamodb:UpdateItem': ['PHONECODE#', 'PATIENT#'],
  },
  /**
   * Read the code; a right one: read the patient (its reservations) and the new number's holder (its
   * PHONE# reservation, then its PATIENT#: held unproven? issue 19 item 4), then one transaction:
   * Delete PHONECODE#, Update PATIENT# (number, verified), Put the new PHONE# reservation (checked
   * free under older key versions too), Delete the old one, Put the notice (OUTBOX#); taking the
   * number over also Updates the holder's PATIENT# (released), Puts over its PHONE# reservation under
   * an older key version, and Puts its notice (OUTBOX#). A wrong one: ADD its tries.
   */
  'phoneCodes.attemptMoveCode': {
    'dynamodb:GetItem': ['PHONECODE#', 'PATIENT#', 'PHONE#'],
    'dynamodb:DeleteItem': ['PHONECODE#', 'PHONE#'],
    'dynamodb:UpdateItem': ['PHONECODE#', 'PATIENT#'],
    'dynamodb:PutItem': ['PHONE#', 'OUTBOX#'],
    'dynamodb:ConditionCheckItem': ['PHONE#'],
  },

  // lib/adapters/dynamodb/totp-store.ts and mfa-challenge-store.ts (issue 21)
  /** One consistent GetItem of TOTP# (also what SecondFactors.methodsOf reads). */
  'totp.read': { 'dynamodb:GetItem': ['TOTP#'] },
  /** One Put of TOTP#, conditioned on no active app. */
  'totp.begin': { 'dynamodb:PutItem': ['TOTP#'] },
  /** One transaction: Update TOTP# (on, its recovery digests) + Put OUTBOX# (the notice). */
  'totp.activate': { 'dynamodb:UpdateItem': ['TOTP#'], 'dynamodb:PutItem': ['OUTBOX#'] },
  /** One Update of TOTP# conditioned on a later step. */
  'totp.useStep': { 'dynamodb:UpdateItem': ['TOTP#'] },
  /** One Update of TOTP# per presented digest, conditioned on the digest being in the set. */
  'totp.useRecoveryCode': { 'dynamodb:UpdateItem': ['TOTP#'] },
  /** One transaction: Delete TOTP# + Put OUTBOX# (the notice). */
  'totp.remove': { 'dynamodb:DeleteItem': ['TOTP#'], 'dynamodb:PutItem': ['OUTBOX#'] },
  'mfaChallenges.create': { 'dynamodb:PutItem': ['MFA#'] },
  'mfaChallenges.read': { 'dynamodb:GetItem': ['MFA#'] },
  'mfaChallenges.spend': { 'dynamodb:UpdateItem': ['MFA#'] },

  // lib/adapters/dynamodb/passkey-store.ts (issue 21)
  /** A challenge until its answer: one conditional Put (with a TTL). */
  'passkeys.saveChallenge': { 'dynamodb:PutItem': ['WEBAUTHN#'] },
  /** Spent by one conditional Delete that returns it. */
  'passkeys.takeChallenge': { 'dynamodb:DeleteItem': ['WEBAUTHN#'] },
  /** One transaction: Put PASSKEYID# (only if absent) + Put PASSKEYS# (the credential) + Put OUTBOX# (the notice). */
  'passkeys.add': { 'dynamodb:PutItem': ['PASSKEYID#', 'PASSKEYS#', 'OUTBOX#'], 'dynamodb:UpdateItem': ['PASSKEYS#'] },
  /** Get PASSKEYID# (the owner), then Get the credential in its patient's PASSKEYS# partition. */
  'passkeys.find': { 'dynamodb:GetItem': ['PASSKEYID#', 'PASSKEYS#'] },
  /** One Query of the patient's PASSKEYS# partition. */
  'passkeys.listFor': { 'dynamodb:Query': ['PASSKEYS#'] },
  /** One transaction: Delete PASSKEYS# (the caller's) + Delete PASSKEYID# (owner = caller) + Put OUTBOX# (the notice). */
  'passkeys.remove': { 'dynamodb:DeleteItem': ['PASSKEYS#', 'PASSKEYID#'], 'dynamodb:PutItem': ['OUTBOX#'], 'dynamodb:UpdateItem': ['PASSKEYS#'] },
  /** One Update of the credential (its patient known from `find`) conditioned on its counter being lower. */
  'passkeys.advanceCounter': { 'dynamodb:UpdateItem': ['PASSKEYS#'] },
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
