import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DuplicateRegistrationError, ServiceUnavailableError } from '../../errors.js';
import type { IdentifierDigests } from '../../identifiers/ports.js';
import type { PatientContact, PatientRecord, PatientRepository, TokenConsumption, VerificationTokenRecord } from '../../patient/ports.js';
import { callAws } from '../aws-errors.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';
import { outboxItem } from './outbox-store.js';
import { toPatientItem } from './patient-item.js';

const epochSeconds = (d: Date) => Math.floor(d.getTime() / 1000);
/** Used and expired tokens stay a week so a late click still gets "expired"/"used", then TTL removes them. */
const TOKEN_RETENTION_SECONDS = 7 * 24 * 3600;

export interface DynamoRepositoryOptions {
  /** Attempts for a transaction cancelled by a conflicting one (not for throttling: the SDK retries that). */
  maxTransactionAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const RETRYABLE_REASONS = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);
const reasonCodes = (error: TransactionCanceledException) => (error.CancellationReasons ?? []).map((r) => r.Code);

/**
 * Reservation items are keyed by a keyed digest of the email and phone, never the values: keys end
 * up in CloudTrail data events and error reports. During a key rotation a reservation may still
 * sit under an older version, so lookups try every version and a new patient's transaction checks
 * that none exists.
 */
export function createDynamoPatientRepository(
  db: DynamoDBDocumentClient,
  tableName: string,
  identifiers: IdentifierDigests,
  { maxTransactionAttempts = 6, sleep = wait }: DynamoRepositoryOptions = {},
): PatientRepository {
  const emailKeys = async (email: string) => (await identifiers.all('email', email)).map(keys.email);
  const phoneKeys = async (phone: string) => (await identifiers.all('phone', phone)).map(keys.phone);

  /**
   * Runs a transaction, retrying conflicts and item-level throttling (which DynamoDB reports inside a
   * cancellation, where the SDK does not retry it) with jittered backoff; the same ClientRequestToken
   * makes retries idempotent.
   */
  async function transact(command: TransactWriteCommand): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await callAws('dynamodb', () => db.send(command));
        return;
      } catch (error) {
        const retryable = error instanceof TransactionCanceledException && reasonCodes(error).some((code) => RETRYABLE_REASONS.has(code ?? ''));
        if (!retryable) throw error;
        if (attempt >= maxTransactionAttempts) throw new ServiceUnavailableError('dynamodb');
        await sleep(Math.random() * 25 * 2 ** attempt);
      }
    }
  }

  function tokenPut(token: VerificationTokenRecord) {
    const expiresAt = epochSeconds(token.expiresAt);
    return {
      Put: {
        TableName: tableName,
        Item: {
          ...keys.verificationToken(token.tokenHash),
          entity: 'verification_token',
          patient_id: token.patientId,
          expires_at: expiresAt,
          [TTL_ATTRIBUTE]: expiresAt + TOKEN_RETENTION_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  const get = async (key: Record<string, string>, projection?: string) =>
    (await callAws('dynamodb', () =>
      db.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true, ...(projection && { ProjectionExpression: projection }) })),
    )).Item;

  async function readToken(tokenHash: string) {
    return (await get(keys.verificationToken(tokenHash))) as { patient_id: string; expires_at: number; used_at?: string } | undefined;
  }

  return {
    async findTakenIdentifiers(email, phone) {
      const [emailKeyList, phoneKeyList] = await Promise.all([emailKeys(email), phoneKeys(phone)]);
      const found = new Set<string>();
      let pending: Record<string, unknown>[] | undefined = [...emailKeyList, ...phoneKeyList];
      for (let round = 0; pending && pending.length > 0 && round < 3; round++) {
        const out = await callAws('dynamodb', () =>
          db.send(new BatchGetCommand({
            RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true, ProjectionExpression: 'pk' } },
          })),
        );
        for (const item of out.Responses?.[tableName] ?? []) found.add(item.pk as string);
        pending = out.UnprocessedKeys?.[tableName]?.Keys;
      }
      if (pending && pending.length > 0) throw new ServiceUnavailableError('dynamodb');
      return { email: emailKeyList.some((k) => found.has(k.pk)), phone: phoneKeyList.some((k) => found.has(k.pk)) };
    },

    async createPatient(patient: PatientRecord, token: VerificationTokenRecord, mail) {
      const absent = { ConditionExpression: 'attribute_not_exists(pk)' };
      const reservation = { entity: 'reservation', patient_id: patient.id, created_at: patient.created_at };
      const [[emailKey, ...olderEmailKeys], [phoneKey, ...olderPhoneKeys]] = await Promise.all([
        emailKeys(patient.email),
        phoneKeys(patient.phone_number),
      ]);
      // A reservation written under an older key version still counts while a rotation is under way.
      const stillFree = (key: Record<string, string>) => ({ ConditionCheck: { TableName: tableName, Key: key, ...absent } });
      const command = new TransactWriteCommand({
        ClientRequestToken: patient.id,
        TransactItems: [
          { Put: { TableName: tableName, Item: { ...toPatientItem(patient), verification_token_hash: token.tokenHash }, ...absent } },
          { Put: { TableName: tableName, Item: { ...emailKey!, ...reservation }, ...absent } },
          { Put: { TableName: tableName, Item: { ...phoneKey!, ...reservation }, ...absent } },
          tokenPut(token),
          { Put: { TableName: tableName, Item: outboxItem(mail), ...absent } },
          ...olderEmailKeys.map(stillFree),
          ...olderPhoneKeys.map(stillFree),
        ],
      });
      try {
        await transact(command);
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const codes = reasonCodes(error);
        const failed = (index: number) => codes[index] === 'ConditionalCheckFailed';
        const olderEmail = olderEmailKeys.map((_, i) => 5 + i);
        const olderPhone = olderPhoneKeys.map((_, i) => 5 + olderEmailKeys.length + i);
        const clashes = { email: failed(1) || olderEmail.some(failed), phone: failed(2) || olderPhone.some(failed) };
        if (clashes.email || clashes.phone) throw new DuplicateRegistrationError(clashes);
        throw error;
      }
    },

    async consumeVerificationToken(tokenHash, now): Promise<TokenConsumption> {
      const token = await readToken(tokenHash);
      if (!token) return { outcome: 'unknown' };
      if (token.used_at) return { outcome: 'used' };
      if (token.expires_at <= epochSeconds(now)) return { outcome: 'expired' };
      const at = now.toISOString();
      try {
        await transact(new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: keys.verificationToken(tokenHash),
                UpdateExpression: 'SET used_at = :at',
                ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(used_at) AND expires_at > :now',
                ExpressionAttributeValues: { ':at': at, ':now': epochSeconds(now) },
              },
            },
            {
              Update: {
                TableName: tableName,
                Key: keys.patient(token.patient_id),
                UpdateExpression: 'SET email_verified = :yes, email_verified_at = :at, updated_at = :at',
                // Only the newest link verifies: a resend replaces the patient's token digest.
                ConditionExpression: 'verification_token_hash = :hash',
                ExpressionAttributeValues: { ':yes': true, ':at': at, ':hash': tokenHash },
              },
            },
          ],
        }));
        return { outcome: 'verified', patientId: token.patient_id };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        // Another click consumed it between our read and write, or a newer link replaced it.
        const [tokenReason, patientReason] = reasonCodes(error);
        if (tokenReason === 'ConditionalCheckFailed') return { outcome: 'used' };
        if (patientReason === 'ConditionalCheckFailed') return { outcome: 'superseded' };
        throw error;
      }
    },

    async findPatientByEmail(email): Promise<PatientContact | undefined> {
      let reservation: Record<string, unknown> | undefined;
      for (const key of await emailKeys(email)) {
        reservation = await get(key, 'patient_id');
        if (reservation) break;
      }
      if (!reservation) return undefined;
      const patient = await get(
        keys.patient(String(reservation.patient_id)),
        'id, first_name, email, phone_number, email_verified, verification_token_hash, registration_key, registration_fingerprint',
      );
      if (!patient) return undefined;
      return {
        id: patient.id,
        first_name: patient.first_name,
        email: patient.email,
        phone_number: patient.phone_number,
        registration_key: patient.registration_key,
        registration_fingerprint: patient.registration_fingerprint,
        email_verified: patient.email_verified === true,
        verification_token_hash: patient.verification_token_hash,
      };
    },

    async replaceVerificationToken(patient, token, mail) {
      const previous = patient.verification_token_hash;
      try {
        await transact(new TransactWriteCommand({
          ClientRequestToken: mail.id,
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: keys.patient(patient.id),
                UpdateExpression: 'SET verification_token_hash = :new, updated_at = :now',
                ConditionExpression: `email_verified = :no AND ${previous ? 'verification_token_hash = :old' : 'attribute_not_exists(verification_token_hash)'}`,
                ExpressionAttributeValues: {
                  ':new': token.tokenHash, ':now': mail.createdAt, ':no': false, ...(previous && { ':old': previous }),
                },
              },
            },
            tokenPut(token),
            { Put: { TableName: tableName, Item: outboxItem(mail), ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }));
        return true;
      } catch (error) {
        if (error instanceof TransactionCanceledException && reasonCodes(error)[0] === 'ConditionalCheckFailed') return false;
        throw error;
      }
    },
  };
}
