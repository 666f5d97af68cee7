/**
 * The key design: every item type, its partition key prefix and its fixed sort key. The prefix also
 * decides the table an item lives in as deployed (placement.ts); locally all share one.
 */
export const keys = {
  patient: (id: string) => ({ pk: `PATIENT#${id}`, sk: 'PROFILE' }),
  /** Reservations are keyed by the keyed digest of the identifier (lib/identifiers), never the value. */
  email: (emailDigest: string) => ({ pk: `EMAIL#${emailDigest}`, sk: 'UNIQUE' }),
  phone: (phoneDigest: string) => ({ pk: `PHONE#${phoneDigest}`, sk: 'UNIQUE' }),
  verificationToken: (tokenHash: string) => ({ pk: `VERIFY#${tokenHash}`, sk: 'TOKEN' }),
  /** Password-reset tokens, by digest; the patient item names its newest as reset_token_hash. */
  resetToken: (tokenHash: string) => ({ pk: `RESET#${tokenHash}`, sk: 'TOKEN' }),
  /** Email-move links, by digest; the patient item names its newest as email_move_token_hash. */
  emailMoveToken: (tokenHash: string) => ({ pk: `EMAILMOVE#${tokenHash}`, sk: 'TOKEN' }),
  outbox: (id: string) => ({ pk: `OUTBOX#${id}`, sk: 'MAIL' }),
  idempotency: (scope: string, key: string) => ({ pk: `IDEMPOTENCY#${key}`, sk: scope.toUpperCase() }),
  rateWindow: (key: string, windowStart: number) => ({ pk: `RATE#${key}`, sk: `WINDOW#${windowStart}` }),
  /** A sliding window's admitted hits (a list of epoch ms) and its version, for compare-and-set. */
  rateSlide: (key: string) => ({ pk: `RATE#${key}`, sk: 'SLIDING' }),
  /** Sign-in items have prefixes of their own (not PATIENT#), so a grant to them opens no patient profile. */
  refreshToken: (tokenHash: string) => ({ pk: `REFRESH#${tokenHash}`, sk: 'TOKEN' }),
  sessionFamily: (familyId: string) => ({ pk: `FAMILY#${familyId}`, sk: 'SESSION' }),
  /** The ids of a patient's session families (a string set), so revoking them all needs no Scan. */
  patientSessions: (patientId: string) => ({ pk: `SESSIONS#${patientId}`, sk: 'FAMILIES' }),
  /**
   * Password attempts per throttled subject (lib/auth/lockout-policy.ts `attemptSubjects`: an account,
   * a device, a link, a session). Items of the former `FAILURES` sort key are no longer read and go by TTL.
   */
  loginAttempts: (subject: string) => ({ pk: `LOGIN#${subject}`, sk: 'ATTEMPTS' }),
  /** A patient's current phone verification code (its keyed digest): a new code overwrites it. */
  phoneCode: (patientId: string) => ({ pk: `PHONECODE#${patientId}`, sk: 'CODE' }),
  /** A number's current claim code (issue 19 item 4), keyed by the number's keyed digest, never the number. */
  phoneClaim: (claimKey: string) => ({ pk: `PHONECLAIM#${claimKey}`, sk: 'CODE' }),
  /** A patient's authenticator app: the encrypted secret, the last used step, the recovery codes' digests. */
  totp: (patientId: string) => ({ pk: `TOTP#${patientId}`, sk: 'FACTOR' }),
  /** The second step of a sign-in, by the mfa_token's SHA-256. */
  mfaChallenge: (tokenHash: string) => ({ pk: `MFA#${tokenHash}`, sk: 'CHALLENGE' }),
  /**
   * Passkeys (issue 21), under prefixes of their own: a patient's credentials in one partition (the
   * list is one Query), and per credential an owner item (PASSKEYID#: no prefix of PASSKEYS#, so grants on either stay apart), found from the credential id a browser
   * presents. Keys carry the id's SHA-256 (base64url), since an id may be 1,023 bytes and a sort key
   * holds 1,024.
   */
  passkey: (patientId: string, credentialDigest: string) => ({ pk: `PASSKEYS#${patientId}`, sk: `CREDENTIAL#${credentialDigest}` }),
  /**
   * The digests of a patient's passkeys (a string set), in their partition but outside the CREDENTIAL#
   * range the list reads: an addition adds to it under a size condition, so the cap holds in the write.
   */
  passkeyIds: (patientId: string) => ({ pk: `PASSKEYS#${patientId}`, sk: 'IDS' }),
  /** The partition alone, for the Query that lists them. */
  passkeysOf: (patientId: string) => ({ pk: `PASSKEYS#${patientId}` }),
  passkeyOwner: (credentialDigest: string) => ({ pk: `PASSKEYID#${credentialDigest}`, sk: 'OWNER' }),
  /** A WebAuthn challenge until its answer spends it (the challenge is random and public: no digest needed). */
  passkeyChallenge: (challenge: string) => ({ pk: `WEBAUTHN#${challenge}`, sk: 'CHALLENGE' }),
};

export const TTL_ATTRIBUTE = 'ttl';

/**
 * The sparse index of mails still to send: only outbox items carry `due_pk`; `due_at` is when each
 * becomes due (now for a new mail, after a backoff for a failed one, after its lease for a claimed
 * one). Sent mails drop both attributes and leave the index.
 *
 * `due_pk` is one of OUTBOX_SHARDS shards (`OUTBOX#0` … `OUTBOX#<n-1>`), hashed from the item's id,
 * never one constant: every outbox write, claim and mark-sent writes the index too, one index
 * partition takes about 1,000 writes a second, a rising `due_at` defeats split-for-heat, and a
 * throttled index throttles the base-table writes behind it (registrations included). The sweep
 * queries every shard (lib/adapters/README.md, "The outbox's due index").
 */
export const DUE_INDEX = 'due';
export const DEFAULT_OUTBOX_SHARDS = 32;
/** The sweep queries every shard each run: more than this buys nothing and costs reads. */
export const MAX_OUTBOX_SHARDS = 256;

/** FNV-1a (32 bit): cheap, stable across processes and versions, spreads UUIDs evenly. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** The due index's partition of one outbox item: a function of its id, so every writer agrees. */
export const dueShardOf = (id: string, shards: number): string => `OUTBOX#${fnv1a(id) % shards}`;
/**
 * The one partition every item used before the index was sharded: read by the sweep (never written),
 * so an item still waiting for a retry when the sharded code is deployed is not stranded. Drop it from
 * `dueShards` once a deploy is older than the longest retry (the 8th attempt, hours) plus a sweep.
 */
export const PRE_SHARDING_DUE_PARTITION = 'OUTBOX';
/** Every due-index partition, for the sweep. */
export const dueShards = (shards: number): string[] => [...Array.from({ length: shards }, (_, i) => `OUTBOX#${i}`), PRE_SHARDING_DUE_PARTITION];

/**
 * Table definition shared by the local runner, the tests and the CDK stack. The table that holds the
 * outbox (placement.ts) carries the due index and the stream; the others neither.
 */
export const tableDefinition = (tableName: string, { holdsOutbox = true }: { holdsOutbox?: boolean } = {}) => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST' as const,
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' as const },
    { AttributeName: 'sk', AttributeType: 'S' as const },
    ...(holdsOutbox ? [{ AttributeName: 'due_pk', AttributeType: 'S' as const }, { AttributeName: 'due_at', AttributeType: 'S' as const }] : []),
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' as const },
    { AttributeName: 'sk', KeyType: 'RANGE' as const },
  ],
  ...(holdsOutbox && {
    GlobalSecondaryIndexes: [
      {
        IndexName: DUE_INDEX,
        KeySchema: [
          { AttributeName: 'due_pk', KeyType: 'HASH' as const },
          { AttributeName: 'due_at', KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' as const },
      },
    ],
    // The outbox mailer reads new OUTBOX# items from the stream (locally: lib/local/stream-consumer.ts).
    // Keys only: the mailer needs just the outbox id, and a full image would carry password hashes,
    // names, dates of birth and unsent links through event payloads (and any log or DLQ that kept one).
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' as const },
  }),
});
