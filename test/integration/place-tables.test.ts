import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDynamoDocumentClient } from '../../lib/adapters/aws-clients.js';
import { createDynamoStorage } from '../../lib/adapters/dynamodb/storage.js';
import { loadConfig } from '../../lib/config.js';
import { DuplicateRegistrationError } from '../../lib/errors.js';
import { ensureTables } from '../../lib/local/services.js';
import { copyPlacedFamilies } from '../../lib/tools/place-tables/copy-placed-families.js';
import { mailFor, patientFixture, tokenFor } from '../contract/patient-repository.contract.js';
import { testIdentifierDigests } from '../support/identifier-keys.js';
import { documentClient } from '../support/local-aws.js';

/**
 * Moving a stage from one table to four (issue 23; `npm run place-tables`): what a patient held on
 * the one table (the account's reservations, a session, a lock count) holds on the four tables after
 * the copy, and a second run copies nothing again.
 */
describe('npm run place-tables: a one-table stage moved to four tables', () => {
  it('copies reservations, sessions and counters to their tables; the account stays taken and the session live; a re-run copies nothing', async () => {
    const single = loadConfig(); // this file's one table, as a stage deployed before the split
    const before = createDynamoStorage(createDynamoDocumentClient(single), single, testIdentifierDigests());
    const patient = patientFixture();
    await before.repository.createPatient(patient, tokenFor(patient), mailFor(patient));
    const family = { familyId: randomUUID(), patientId: patient.id };
    const now = new Date();
    await before.sessions.startFamily({ ...family, tokenHash: randomBytes(32).toString('hex'), now, idleTtlMs: 3_600_000, absoluteTtlMs: 7_200_000 });
    await before.loginFailures.reserve(`account:${patient.id}`, now, { maxCounted: 100, lockSeconds: () => 0 });

    const names = { ...single, identityTableName: `${single.tableName}-identities`, tokenTableName: `${single.tableName}-tokens`, outboxTableName: `${single.tableName}-outbox` };
    await ensureTables(process.env.DYNAMODB_ENDPOINT!, names);

    // The registration's mail is still to send: the copy says so (the move waits for the outbox to drain).
    const first = await copyPlacedFamilies(documentClient, names);
    expect(first.unsentOutbox).toBe(1);
    expect(first.copied[names.identityTableName]).toBe(4); // the email and phone reservations, the session index, the lock count
    expect(first.copied[names.tokenTableName]).toBe(3); // the verification token, the family, its refresh token
    expect(first.copied[names.outboxTableName]).toBeUndefined();

    const after = createDynamoStorage(createDynamoDocumentClient(loadConfig({ ...process.env, IDENTITY_TABLE_NAME: names.identityTableName, TOKEN_TABLE_NAME: names.tokenTableName, OUTBOX_TABLE_NAME: names.outboxTableName })), names, testIdentifierDigests());
    expect(await after.repository.findTakenIdentifiers(patient.email, patient.phone_number)).toEqual({ email: true, phone: true });
    expect((await after.repository.findCredentials(patient.email))?.id).toBe(patient.id);
    expect(await after.sessions.isLive(family, new Date())).toBe(true);
    const squatter = patientFixture({ email: patient.email });
    await expect(after.repository.createPatient(squatter, tokenFor(squatter), mailFor(squatter))).rejects.toBeInstanceOf(DuplicateRegistrationError);

    const again = await copyPlacedFamilies(documentClient, names);
    expect(again.copied).toEqual({});
    expect(again.present).toBe(7);
  });
});
