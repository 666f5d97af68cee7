/** The single-table key design: every item type, its partition key prefix and its fixed sort key. */
export const keys = {
  patient: (id: string) => ({ pk: `PATIENT#${id}`, sk: 'PROFILE' }),
  /** Reservations are keyed by the keyed digest of the identifier (lib/identifiers), never the value. */
  email: (emailDigest: string) => ({ pk: `EMAIL#${emailDigest}`, sk: 'UNIQUE' }),
  phone: (phoneDigest: string) => ({ pk: `PHONE#${phoneDigest}`, sk: 'UNIQUE' }),
  verificationToken: (tokenHash: string) => ({ pk: `VERIFY#${tokenHash}`, sk: 'TOKEN' }),
  /** Password-reset tokens, by digest; the patient item names its newest as reset_token_hash. */
  resetToken: (tokenHash: string) => ({ pk: `RESET#${tokenHash}`, sk: 'TOKEN' }),
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
  loginFailures: (patientId: string) => ({ pk: `LOGIN#${patientId}`, sk: 'FAILURES' }),
  /** A patient's current phone verification code (its keyed digest): a new code overwrites it. */
  phoneCode: (patientId: string) => ({ pk: `PHONECODE#${patientId}`, sk: 'CODE' }),
};

export const TTL_ATTRIBUTE = 'ttl';

/**
 * The sparse index of mails still to send: only outbox items carry `due_pk`; `due_at` is when each
 * becomes due (now for a new mail, after a backoff for a failed one, after its lease for a claimed
 * one). Sent mails drop both attributes and leave the index.
 */
export const DUE_INDEX = 'due';
export const DUE_PARTITION = 'OUTBOX';

/** Table definition shared by the local runner, the tests and (by convention) the CDK stack. */
export const tableDefinition = (tableName: string) => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST' as const,
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' as const },
    { AttributeName: 'sk', AttributeType: 'S' as const },
    { AttributeName: 'due_pk', AttributeType: 'S' as const },
    { AttributeName: 'due_at', AttributeType: 'S' as const },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' as const },
    { AttributeName: 'sk', KeyType: 'RANGE' as const },
  ],
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
});
