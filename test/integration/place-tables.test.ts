import { randomBytes, randomUUID } from 'node:crypto';
import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createDynamoDocumentClient } from '../../lib/adapters/aws-clients.js';
import { keys } from '../../lib/adapters/dynamodb/keys.js';
import { roleOfKey } from '../../lib/adapters/dynamodb/placement.js';
import { createDynamoStorage } from '../../lib/adapters/dynamodb/storage.js';
import { loadConfig } from '../../lib/config.js';
import { DuplicateRegistrationError } from '../../lib/errors.js';
import { ensureTables } from '../../lib/local/services.js';
import { movePlacedFamilies } from '../../lib/tools/place-tables/move-placed-families.js';
import { mailFor, patientFixture, tokenFor } from '../contract/patient-repository.contract.js';
import { testIdentifierDigests } from '../support/identifier-keys.js';
import { documentClient } from '../support/local-aws.js';
import { clientWithInterlude } from '../support/racing-client.js';

/**
 * Moving a stage from one table to four (issue 23; `npm run place-tables`): what a patient held on
 * the one table (its reservations, its unsent mail, a session, a lock count) is found on the four
 * tables after the move and gone from the patient table; a run cut short is finished by the next.
 */
const raw = new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
afterAll(() => raw.destroy());

async function pksOn(table: string): Promise<string[]> {
  const page = await documentClient.send(new ScanCommand({ TableName: table, ProjectionExpression: 'pk' }));
  return (page.Items ?? []).map((i) => String(i.pk));
}

describe('npm run place-tables: a one-table stage moved to four tables', () => {
  it('moves reservations, the unsent mail, the session and the lock count; the account stays taken, the session live, the mail due', async () => {
    const single = loadConfig(); // this file's one table, as a stage deployed before the split
    const before = createDynamoStorage(createDynamoDocumentClient(single), single, testIdentifierDigests());
    const patient = patientFixture();
    const mail = mailFor(patient);
    await before.repository.createPatient(patient, tokenFor(patient), mail);
    const family = { familyId: randomUUID(), patientId: patient.id };
    const now = new Date();
    await before.sessions.startFamily({ ...family, tokenHash: randomBytes(32).toString('hex'), now, idleTtlMs: 3_600_000, absoluteTtlMs: 7_200_000 });
    await before.loginFailures.reserve(`account:${patient.id}`, now, { maxCounted: 100, lockSeconds: () => 0 });

    const names = { ...single, identityTableName: `${single.tableName}-identities`, tokenTableName: `${single.tableName}-tokens`, outboxTableName: `${single.tableName}-outbox` };
    await ensureTables(process.env.DYNAMODB_ENDPOINT!, names);
    // A run cut short after copying the session index but before deleting its original.
    const { Item: index } = await documentClient.send(new GetCommand({ TableName: single.tableName, Key: keys.patientSessions(patient.id), ConsistentRead: true }));
    await documentClient.send(new PutCommand({ TableName: names.identityTableName, Item: index }));

    const dryRun = await movePlacedFamilies(raw, names, { dryRun: true, segments: 2 });
    expect(dryRun.moved).toEqual({ [names.identityTableName]: 4, [names.tokenTableName]: 3, [names.outboxTableName]: 1 });
    expect((await pksOn(single.tableName)).filter((pk) => roleOfKey(pk))).toHaveLength(8);

    const report = await movePlacedFamilies(raw, names, { segments: 2 });
    // Email and phone reservations and the lock count; the index was there already.
    expect(report).toEqual({ moved: { [names.identityTableName]: 3, [names.tokenTableName]: 3, [names.outboxTableName]: 1 }, alreadyThere: 1, differing: 0, changedDuringMove: 0, sentOutboxLeft: 0 });
    expect(await pksOn(single.tableName)).toEqual([keys.patient(patient.id).pk]);

    const after = createDynamoStorage(createDynamoDocumentClient(loadConfig({ ...process.env, IDENTITY_TABLE_NAME: names.identityTableName, TOKEN_TABLE_NAME: names.tokenTableName, OUTBOX_TABLE_NAME: names.outboxTableName })), names, testIdentifierDigests());
    expect(await after.repository.findTakenIdentifiers(patient.email, patient.phone_number)).toEqual({ email: true, phone: true });
    expect((await after.repository.findCredentials(patient.email))?.id).toBe(patient.id);
    expect(await after.sessions.isLive(family, new Date())).toBe(true);
    expect(await after.outbox.listDue(new Date(Date.now() + 60_000), 10)).toContain(mail.id);
    const squatter = patientFixture({ email: patient.email });
    await expect(after.repository.createPatient(squatter, tokenFor(squatter), mailFor(squatter))).rejects.toBeInstanceOf(DuplicateRegistrationError);

    expect(await movePlacedFamilies(raw, names)).toEqual({ moved: {}, alreadyThere: 0, differing: 0, changedDuringMove: 0, sentOutboxLeft: 0 });
  });

  it('keeps both versions of an item changed while it moved (the write pause was not kept), and says so on the next run', async () => {
    const single = loadConfig();
    const names = { ...single, identityTableName: `${single.tableName}-ids2`, tokenTableName: `${single.tableName}-tok2`, outboxTableName: `${single.tableName}-out2` };
    await ensureTables(process.env.DYNAMODB_ENDPOINT!, names);
    const counter = { pk: `LOGIN#account:${randomUUID()}`, sk: 'ATTEMPTS' };
    await documentClient.send(new PutCommand({ TableName: single.tableName, Item: { ...counter, failures: 1 } }));
    // An old function still writing: the counter rises between its copy and the delete of the original.
    let changed = false;
    const racing = clientWithInterlude(raw, (command) => command instanceof DeleteItemCommand && !changed, async () => {
      changed = true;
      await documentClient.send(new UpdateCommand({ TableName: single.tableName, Key: counter, UpdateExpression: 'SET failures = :n', ExpressionAttributeValues: { ':n': 2 } }));
    });

    expect(await movePlacedFamilies(racing, names)).toMatchObject({ moved: { [names.identityTableName]: 1 }, changedDuringMove: 1 });
    const on = async (table: string) => (await documentClient.send(new GetCommand({ TableName: table, Key: counter, ConsistentRead: true }))).Item?.failures;
    expect([await on(single.tableName), await on(names.identityTableName)]).toEqual([2, 1]);
    // The next run cannot tell which is newer: both stay, counted for an operator.
    expect(await movePlacedFamilies(raw, names)).toMatchObject({ moved: {}, differing: 1, changedDuringMove: 0 });
    expect([await on(single.tableName), await on(names.identityTableName)]).toEqual([2, 1]);
  });
});
