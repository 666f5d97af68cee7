import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createDynamoDocumentClient } from '../../lib/adapters/aws-clients.js';
import { keys } from '../../lib/adapters/dynamodb/keys.js';
import { createDynamoStorage } from '../../lib/adapters/dynamodb/storage.js';
import { loadConfig } from '../../lib/config.js';
import type { PatientRecord } from '../../lib/patient/ports.js';
import { DuplicateRegistrationError } from '../../lib/errors.js';
import { identifierKeyRingJson, testIdentifierDigests } from '../support/identifier-keys.js';
import { scanTable } from '../support/local-aws.js';
import { describeStorageContract, mailFor, patientFixture, tokenFor } from './patient-repository.contract.js';
import { randomBytes, randomUUID } from 'node:crypto';

/** The inverse of toPatientItem: key and bookkeeping attributes dropped, ciphertexts and phi_key folded back. */
function fromPatientItem(item: Record<string, any>): PatientRecord {
  const { pk, sk, entity, phi_key, email_verified_at, verification_token_hash, medical_history, insurance_info, ...fields } = item;
  const ciphertexts = { ...(medical_history && { medical_history }), ...(insurance_info && { insurance_info }) };
  return {
    ...(fields as PatientRecord),
    ...(phi_key && { encrypted: { keyId: phi_key.key_id, wrappedKey: phi_key.wrapped_key, ciphertexts } }),
  };
}

// DynamoDB Local and this file's table come from the integration setup (global-setup.ts, integration-env.ts).
describeStorageContract('DynamoDB (DynamoDB Local)', async () => {
  const config = loadConfig();
  const db = createDynamoDocumentClient(config);
  return {
    ...createDynamoStorage(db, config.tableName, testIdentifierDigests()),
    async readPatient(id) {
      const { Item } = await db.send(new GetCommand({ TableName: config.tableName, Key: keys.patient(id), ConsistentRead: true }));
      return Item && fromPatientItem(Item);
    },
    async outboxAddress(id) {
      const { Item } = await db.send(new GetCommand({ TableName: config.tableName, Key: keys.outbox(id), ConsistentRead: true }));
      return Item?.to ?? Item?.requested_address;
    },
    cleanup: async () => db.destroy(),
  };
});

describe('DynamoDB reservation keys', () => {
  const config = loadConfig();
  const db = createDynamoDocumentClient(config);
  afterAll(() => db.destroy());
  const reservationsOf = async (patientId: string) =>
    (await scanTable()).filter((i) => i.entity === 'reservation' && i.patient_id === patientId).map((i) => i.pk as string);

  it('name neither the email nor the phone number, nor their bare SHA-256', async () => {
    const patient = patientFixture();
    await createDynamoStorage(db, config.tableName, testIdentifierDigests()).repository.createPatient(patient, tokenFor(patient), mailFor(patient));
    const keys = await reservationsOf(patient.id);
    expect(keys).toHaveLength(2);
    for (const value of [patient.email, patient.phone_number]) {
      const sha256 = createHash('sha256').update(value).digest('hex');
      expect(keys.join(' ')).not.toContain(value);
      expect(keys.join(' ')).not.toContain(sha256);
    }
    expect(keys.sort()).toEqual([expect.stringMatching(/^EMAIL#v1\.[0-9a-f]{64}$/), expect.stringMatching(/^PHONE#v1\.[0-9a-f]{64}$/)]);
  });

  it('during a key rotation a reservation under the older version still counts, everywhere', async () => {
    const v1 = JSON.parse(identifierKeyRingJson(['v1']));
    const before = createDynamoStorage(db, config.tableName, testIdentifierDigests(JSON.stringify(v1))).repository;
    const rotated = { ...JSON.parse(identifierKeyRingJson(['v2'])), v1: v1.v1 };
    const after = createDynamoStorage(db, config.tableName, testIdentifierDigests(JSON.stringify(rotated))).repository;

    const patient = patientFixture();
    await before.createPatient(patient, tokenFor(patient), mailFor(patient));
    expect(await after.findTakenIdentifiers(patient.email, patient.phone_number)).toEqual({ email: true, phone: true });
    expect(await after.findPatientByEmail(patient.email)).toMatchObject({ id: patient.id });

    // Even a writer that skipped the pre-check is refused by the transaction's check of the older key.
    const squatter = patientFixture({ email: patient.email });
    const refused = await after.createPatient(squatter, tokenFor(squatter), mailFor(squatter)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DuplicateRegistrationError);
    expect((refused as DuplicateRegistrationError).clashes).toEqual({ email: true, phone: false });
    expect(await reservationsOf(squatter.id)).toEqual([]);

    // New reservations are written under the current version.
    const newcomer = patientFixture();
    await after.createPatient(newcomer, tokenFor(newcomer), mailFor(newcomer));
    expect((await reservationsOf(newcomer.id)).every((k) => k.includes('#v2.'))).toBe(true);
    expect(await before.findTakenIdentifiers(newcomer.email, newcomer.phone_number)).toEqual({ email: false, phone: false });
  });
});

describe('DynamoDB sign-in items', () => {
  const config = loadConfig();
  const db = createDynamoDocumentClient(config);
  afterAll(() => db.destroy());

  it('all carry a TTL, so ended families, old tokens and stale counters leave the table without a Scan', async () => {
    const storage = createDynamoStorage(db, config.tableName, testIdentifierDigests());
    const [patientId, familyId] = [randomUUID(), randomUUID()];
    const hash = () => createHash('sha256').update(randomBytes(32)).digest('hex');
    const first = hash();
    const now = new Date();
    await storage.sessions.startFamily({ familyId, patientId, tokenHash: first, now, idleTtlMs: 60_000, absoluteTtlMs: 120_000 });
    const second = hash();
    expect((await storage.sessions.rotate(first, second, now)).outcome).toBe('rotated');
    await storage.loginFailures.recordFailure(patientId, now, 100);

    const mine = (await scanTable()).filter((i) =>
      [`FAMILY#${familyId}`, `REFRESH#${first}`, `REFRESH#${second}`, `SESSIONS#${patientId}`, `LOGIN#${patientId}`].includes(i.pk));
    expect(mine).toHaveLength(5);
    for (const item of mine) expect(item.ttl, item.pk).toBeGreaterThan(Math.floor(now.getTime() / 1000));
  });
});
