import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_OUTBOX_SHARDS } from '../../lib/adapters/dynamodb/keys.js';
import { createDynamoPatientRepository } from '../../lib/adapters/dynamodb/patient-repository.js';
import { DuplicateRegistrationError, ServiceUnavailableError } from '../../lib/errors.js';
import type { PatientRecord } from '../../lib/patient/ports.js';
import { identifierKeyRingJson, testIdentifierDigests } from '../support/identifier-keys.js';

/** Faults DynamoDB Local cannot produce on demand: conflicts, throttling, outages. */
const db = mockClient(DynamoDBDocumentClient);
const repository = createDynamoPatientRepository(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 't', testIdentifierDigests(identifierKeyRingJson()), {
  outboxShards: DEFAULT_OUTBOX_SHARDS,
  sleep: async () => {},
});

const patient = { id: '5f8e2b1c-0000-4000-8000-000000000001', email: 'a@b.co', phone_number: '+12345678901', created_at: 'now' } as PatientRecord;
const token = { tokenHash: 'ab'.repeat(32), patientId: patient.id, expiresAt: new Date(), seed: 'seed' };
const mail = { kind: 'verification_email' as const, id: 'm1', patientId: patient.id, to: patient.email, verifyUrl: 'https://x.test/?token=t', createdAt: 'now' };

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });

beforeEach(() => db.reset());

describe('the registration transaction under faults', () => {
  it('retries a transaction conflict with the same ClientRequestToken, then succeeds', async () => {
    db.on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'TransactionConflict', 'None', 'None', 'None'))
      .rejectsOnce(cancelled('None', 'None', 'TransactionConflict', 'None', 'None'))
      .resolves({});
    await repository.createPatient(patient, token, mail);
    const calls = db.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((c) => c.args[0].input.ClientRequestToken))).toEqual(new Set([patient.id]));
  });

  it('gives up after a bounded number of conflicts with a 503, not a 500', async () => {
    db.on(TransactWriteCommand).rejects(cancelled('None', 'TransactionConflict', 'None', 'None', 'None'));
    await expect(repository.createPatient(patient, token, mail)).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(6);
  });

  it('retries item-level throttling reported inside a cancellation, then answers 503', async () => {
    db.on(TransactWriteCommand).rejects(cancelled('None', 'ThrottlingError', 'None', 'None', 'None'));
    await expect(repository.createPatient(patient, token, mail)).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(6);
  });

  it('maps the cancellation reasons of the email and phone items to the duplicate fields', async () => {
    db.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'ConditionalCheckFailed', 'None', 'None'));
    await expect(repository.createPatient(patient, token, mail)).rejects.toMatchObject({
      constructor: DuplicateRegistrationError,
      clashes: { email: false, phone: true },
    });
  });

  it.each([
    ['throttled', { name: 'ProvisionedThroughputExceededException', $fault: 'client' }],
    ['failing inside DynamoDB', { name: 'InternalServerError', $fault: 'server' }],
    ['unreachable', { name: 'Error', code: 'ECONNREFUSED' }],
  ])('turns DynamoDB %s into a 503', async (_name, fault) => {
    db.on(BatchGetCommand).rejects(Object.assign(new Error('boom'), fault));
    await expect(repository.findTakenIdentifiers('a@b.co', '+12345678901')).rejects.toBeInstanceOf(ServiceUnavailableError);
  });
});
