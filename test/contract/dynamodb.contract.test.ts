import { createHash } from 'node:crypto';
import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createDynamoDocumentClient } from '../../lib/adapters/aws-clients.js';
import { auditKeys } from '../../lib/adapters/dynamodb/audit-table.js';
import { createDynamoAuditTrail, readUnattributedDay } from '../../lib/adapters/dynamodb/audit-trail.js';
import { keys, PRE_SHARDING_DUE_PARTITION } from '../../lib/adapters/dynamodb/keys.js';
import { outboxItem } from '../../lib/adapters/dynamodb/outbox-store.js';
import { placementOf } from '../../lib/adapters/dynamodb/placement.js';
import { MAX_LIVE_FAMILIES } from '../../lib/adapters/dynamodb/session-store.js';
import { createDynamoStorage } from '../../lib/adapters/dynamodb/storage.js';
import { loadConfig } from '../../lib/config.js';
import { fromPatientItem } from '../../lib/adapters/dynamodb/patient-item.js';
import { DuplicateRegistrationError } from '../../lib/errors.js';
import { identifierKeyRingJson, testIdentifierDigests } from '../support/identifier-keys.js';
import { documentClient, scanTable } from '../support/local-aws.js';
import { fullAuditEvent, minimalAuditEvent } from './audit-trail.contract.js';
import { describeStorageContract, mailFor, patientFixture, tokenFor } from './patient-repository.contract.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { constantPartitions, kindOf, recordPartitionWrites, type PartitionWrite } from '../support/partition-keys.js';
import { usePlacedTables } from '../support/placed-tables.js';

// As deployed: the item families on their tables (lib/adapters/dynamodb/placement.ts).
await usePlacedTables();

/** Every partition key the storage contract's operations write, for the check at the end of this file. */
let written: PartitionWrite[] = [];

// DynamoDB Local and this file's table come from the integration setup (global-setup.ts, integration-env.ts).
describeStorageContract('DynamoDB (DynamoDB Local)', async () => {
  const config = loadConfig();
  const db = createDynamoDocumentClient(config);
  written = recordPartitionWrites(db);
  return {
    ...createDynamoStorage(db, config, testIdentifierDigests()),
    // Pages of 3 items, so every trail the contract reads back spans pages.
    audit: createDynamoAuditTrail(db, config.auditTableName, { pageSize: 3 }),
    lapsedRemovedBy: 'ttl',
    async readPatient(id) {
      const { Item } = await db.send(new GetCommand({ TableName: config.tableName, Key: keys.patient(id), ConsistentRead: true }));
      return Item && fromPatientItem(Item);
    },
    async outboxAddress(id) {
      const { Item } = await db.send(new GetCommand({ TableName: config.tableName, Key: keys.outbox(id), ConsistentRead: true }));
      return Item?.to ?? Item?.requested_address;
    },
    async outboxRaw(id) {
      const { Item } = await db.send(new GetCommand({ TableName: config.tableName, Key: keys.outbox(id), ConsistentRead: true }));
      return Item && JSON.stringify(Item);
    },
    async outboxText(id) {
      const { Item } = await db.send(new GetCommand({ TableName: config.tableName, Key: keys.outbox(id), ConsistentRead: true }));
      return Item?.sms_text;
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
    await createDynamoStorage(db, config, testIdentifierDigests()).repository.createPatient(patient, tokenFor(patient), mailFor(patient));
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
    const before = createDynamoStorage(db, config, testIdentifierDigests(JSON.stringify(v1))).repository;
    const rotated = { ...JSON.parse(identifierKeyRingJson(['v2'])), v1: v1.v1 };
    const after = createDynamoStorage(db, config, testIdentifierDigests(JSON.stringify(rotated))).repository;

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
    const storage = createDynamoStorage(db, config, testIdentifierDigests());
    // A registered, active patient: a family starts only under one (issue 19 item 3).
    const patient = patientFixture();
    await storage.repository.createPatient(patient, tokenFor(patient), mailFor(patient));
    const [patientId, familyId] = [patient.id, randomUUID()];
    const hash = () => createHash('sha256').update(randomBytes(32)).digest('hex');
    const first = hash();
    const now = new Date();
    await storage.sessions.startFamily({ familyId, patientId, tokenHash: first, now, idleTtlMs: 60_000, absoluteTtlMs: 120_000 });
    const second = hash();
    expect((await storage.sessions.rotate(first, second, now, 0)).outcome).toBe('rotated');
    await storage.loginFailures.reserve(`account:${patientId}`, now, { maxCounted: 100, lockSeconds: () => 0 });

    const mine = (await scanTable()).filter((i) =>
      [`FAMILY#${familyId}`, `REFRESH#${first}`, `REFRESH#${second}`, `SESSIONS#${patientId}`, `LOGIN#account:${patientId}`].includes(i.pk));
    expect(mine).toHaveLength(5);
    for (const item of mine) expect(item.ttl, item.pk).toBeGreaterThan(Math.floor(now.getTime() / 1000));
  });
});

describe('DynamoDB audit table', () => {
  const config = loadConfig();
  const db = createDynamoDocumentClient(config);
  afterAll(() => db.destroy());
  const audit = () => createDynamoStorage(db, config, testIdentifierDigests()).audit;
  const itemsUnder = async (pk: string) =>
    (await db.send(new QueryCommand({ TableName: config.auditTableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true }))).Items ?? [];

  it('is its own table: events never land in the patient table, whose TTL and lapse they must outlive', async () => {
    expect(config.auditTableName).not.toBe(config.tableName);
    const event = fullAuditEvent();
    await audit().record(event);
    expect((await itemsUnder(`PATIENT#${event.patientId}`)).map((i) => i.id)).toEqual([event.id]);
    expect((await scanTable()).filter((i) => i.id === event.id || String(i.sk).includes(event.id))).toEqual([]);
  });

  it('has TTL on `ttl`, as the local runner and the tests create it', async () => {
    const { TimeToLiveDescription } = await db.send(new DescribeTimeToLiveCommand({ TableName: config.auditTableName }));
    expect(TimeToLiveDescription).toMatchObject({ AttributeName: 'ttl', TimeToLiveStatus: 'ENABLED' });
  });

  it('keeps every event 6 calendar years and 30 days: its TTL', async () => {
    const event = fullAuditEvent({ at: '2024-02-29T23:59:59.999Z' });
    await audit().record(event);
    const [item] = await itemsUnder(`PATIENT#${event.patientId}`);
    // 2030 has no 29 February: six years on is 1 March 2030, plus 30 days is 31 March.
    expect(item?.ttl).toBe(Math.floor(Date.parse('2030-03-31T23:59:59.999Z') / 1000));
  });

  it('files events that name no patient under their UTC day, spread over its shards; readUnattributedDay reads them back in order', async () => {
    const day = '2025-06-02';
    const events = Array.from({ length: 12 }, (_, i) => minimalAuditEvent({ at: `${day}T23:59:${String(i).padStart(2, '0')}.000Z` }));
    await Promise.all(events.map((event) => audit().record(event)));
    const shards = await Promise.all(auditKeys.unattributedDay(day).map(itemsUnder));
    const mine = (items: { id?: unknown }[]) => items.filter((i) => events.some((e) => e.id === i.id));
    expect(shards.filter((items) => mine(items).length > 0).length).toBeGreaterThan(1);
    const read = await readUnattributedDay(db, config.auditTableName, day);
    expect(read.filter((e) => events.some((m) => m.id === e.id)).map((e) => e.id)).toEqual(events.map((e) => e.id));
  });

  it('stores exactly the event\'s fields beside its keys and TTL: nothing else reaches the table', async () => {
    const full = fullAuditEvent();
    // A caller that put patient data on the object anyway (a bug): it must not be stored.
    await audit().record({ ...full, email: 'jane@example.com', medical_history: ['asthma'] } as typeof full);
    const bare = minimalAuditEvent({ patientId: randomUUID() });
    await audit().record(bare);
    const [fullItem] = await itemsUnder(`PATIENT#${full.patientId}`);
    const [bareItem] = await itemsUnder(`PATIENT#${bare.patientId}`);
    const always = ['pk', 'sk', 'ttl', 'id', 'at', 'action', 'outcome'];
    expect(Object.keys(fullItem ?? {}).sort()).toEqual([...always, 'patient_id', 'reason', 'fields', 'session_id', 'request_id', 'source_ip_digest'].sort());
    expect(Object.keys(bareItem ?? {}).sort()).toEqual([...always, 'patient_id'].sort());
    expect(fullItem?.fields).toEqual(full.fields); // a list, in order (a string set would lose both)
  });
});

describe('DynamoDB registration lapse (TTL)', () => {
  const config = loadConfig();
  const db = createDynamoDocumentClient(config);
  afterAll(() => db.destroy());
  const DAY = 24 * 3600_000;
  const item = async (key: Record<string, string>) =>
    (await db.send(new GetCommand({ TableName: config.tableName, Key: key, ConsistentRead: true }))).Item;
  const reservationsOf = async (patientId: string) =>
    (await scanTable()).filter((i) => i.entity === 'reservation' && i.patient_id === patientId);
  const rings = () => {
    const v1 = JSON.parse(identifierKeyRingJson(['v1']));
    const rotated = { ...JSON.parse(identifierKeyRingJson(['v2'])), v1: v1.v1 };
    return {
      before: createDynamoStorage(db, config, testIdentifierDigests(JSON.stringify(v1))).repository,
      after: createDynamoStorage(db, config, testIdentifierDigests(JSON.stringify(rotated))).repository,
    };
  };
  /** The patient and both its reservations carry no lapse any more. */
  const expectLapseLifted = async (patientId: string) => {
    const stored = (await item(keys.patient(patientId)))!;
    expect(stored).not.toHaveProperty('ttl');
    expect(stored).not.toHaveProperty('lapses_at');
    const reservations = await reservationsOf(patientId);
    expect(reservations).toHaveLength(2);
    for (const reservation of reservations) expect(reservation).not.toHaveProperty('ttl');
  };
  const unverified = (lapsesAt: Date) => {
    const patient = patientFixture({ lapses_at: lapsesAt.toISOString() });
    return { patient, token: tokenFor(patient, new Date(Date.now() + DAY)), mail: mailFor(patient) };
  };

  it('the patient, its two reservations and its mail carry ttl = lapses_at; verifying removes it from the patient and both reservations', async () => {
    const repository = createDynamoStorage(db, config, testIdentifierDigests()).repository;
    const lapse = new Date(Date.now() + 7 * DAY + 400);
    const { patient, token, mail } = unverified(lapse);
    await repository.createPatient(patient, token, mail);
    const ttl = Math.floor(lapse.getTime() / 1000);

    expect(await item(keys.patient(patient.id))).toMatchObject({ ttl, lapses_at: patient.lapses_at });
    expect((await reservationsOf(patient.id)).map((r) => r.ttl)).toEqual([ttl, ttl]);
    expect((await item(keys.outbox(mail.id)))!.ttl).toBe(ttl);
    const tokenTtl = (await item(keys.verificationToken(token.tokenHash)))!.ttl;
    expect(tokenTtl).toBe(Math.floor(token.expiresAt.getTime() / 1000) + 7 * 24 * 3600); // its own, unchanged

    expect(await repository.consumeVerificationToken(token.tokenHash, new Date())).toMatchObject({ outcome: 'verified' });
    await expectLapseLifted(patient.id);
  });

  it('a password reset removes the lapse TTL from the patient and both reservations (the mailbox is proven; the number proven by SMS stays)', async () => {
    const repository = createDynamoStorage(db, config, testIdentifierDigests()).repository;
    const { patient: unproven, token, mail } = unverified(new Date(Date.now() + 7 * DAY));
    // A proven number stays with a taken-back account (issue 20); an unproven one is released (below).
    const patient = { ...unproven, phone_verified: true };
    await repository.createPatient(patient, token, mail);
    const reset = { tokenHash: createHash('sha256').update(randomUUID()).digest('hex'), patientId: patient.id, expiresAt: new Date(Date.now() + 1800_000), seed: randomUUID() };
    const link = { kind: 'password_reset_email' as const, id: randomUUID(), patientId: patient.id, to: patient.email, resetUrl: 'https://x.test/r?token=t', createdAt: new Date().toISOString() };
    expect(await repository.issueResetToken(reset, link)).toBe(true);
    const notice = { kind: 'password_changed_email' as const, id: randomUUID(), patientId: patient.id, to: patient.email, firstName: patient.first_name, createdAt: new Date().toISOString(), sessionsEnded: 'others' as const };
    expect(await repository.resetPassword({ tokenHash: reset.tokenHash, passwordHash: 'new-hash', notice, now: new Date() })).toMatchObject({ outcome: 'reset' });
    await expectLapseLifted(patient.id);
  });

  it('a taken-back account\'s unproven number: its reservation deleted and dropped from reservation_pks, the email\'s kept without TTL (issue 20)', async () => {
    const repository = createDynamoStorage(db, config, testIdentifierDigests()).repository;
    const { patient, token, mail } = unverified(new Date(Date.now() + 7 * DAY));
    await repository.createPatient(patient, token, mail);
    const reset = { tokenHash: createHash('sha256').update(randomUUID()).digest('hex'), patientId: patient.id, expiresAt: new Date(Date.now() + 1800_000), seed: randomUUID() };
    const link = { kind: 'password_reset_email' as const, id: randomUUID(), patientId: patient.id, to: patient.email, resetUrl: 'https://x.test/r?token=t', createdAt: new Date().toISOString() };
    expect(await repository.issueResetToken(reset, link)).toBe(true);
    const notice = { kind: 'password_changed_email' as const, id: randomUUID(), patientId: patient.id, to: patient.email, firstName: patient.first_name, createdAt: new Date().toISOString(), sessionsEnded: 'all' as const };
    expect(await repository.resetPassword({ tokenHash: reset.tokenHash, passwordHash: 'new-hash', notice, now: new Date() })).toMatchObject({ takenBack: { phoneReleased: true } });
    const reservations = await reservationsOf(patient.id);
    expect(reservations.map((r) => String(r.pk).split('#')[0])).toEqual(['EMAIL']);
    expect(reservations[0]).not.toHaveProperty('ttl');
    const stored = (await item(keys.patient(patient.id)))!;
    expect(stored.reservation_pks).toEqual([reservations[0]!.pk]);
    expect(stored).not.toHaveProperty('medical_history');
    expect(stored).not.toHaveProperty('phi_key');
  });

  it('verifying after an identifier-key rotation removes the TTL from the reservations under the older version', async () => {
    const { before, after } = rings();
    const { patient, token, mail } = unverified(new Date(Date.now() + 7 * DAY));
    await before.createPatient(patient, token, mail);
    expect(await after.consumeVerificationToken(token.tokenHash, new Date())).toMatchObject({ outcome: 'verified' });
    const reservations = await reservationsOf(patient.id);
    expect(reservations.map((r) => String(r.pk).split('.')[0]).sort()).toEqual(['EMAIL#v1', 'PHONE#v1']);
    for (const reservation of reservations) expect(reservation).not.toHaveProperty('ttl');
  });

  it('a phone takeover during an identifier-key rotation: the holder\'s older-key reservation goes to the new owner too (issue 19 item 4)', async () => {
    const { before, after } = rings();
    const phoneCodes = createDynamoStorage(db, config, testIdentifierDigests()).phoneCodes;
    const { patient: holder, token, mail } = unverified(new Date(Date.now() + 7 * DAY));
    await before.createPatient(holder, token, mail);
    const claim = { claimKey: `claim-${randomUUID()}`, codeId: randomUUID(), digest: 'claim-digest', expiresAt: new Date(Date.now() + 600_000), createdAt: new Date() };
    await phoneCodes.issueClaim(claim, { kind: 'phone_code_sms', id: randomUUID(), patientId: holder.id, to: holder.phone_number, text: '123456', createdAt: new Date().toISOString() });
    const owner = patientFixture({ phone_number: holder.phone_number, phone_verified: true });
    const notice = { kind: 'account_notice_email' as const, id: randomUUID(), patientId: holder.id, to: holder.email, notice: 'phone_number_taken_over' as const, createdAt: new Date().toISOString() };
    await after.createPatient(owner, tokenFor(owner), mailFor(owner), { claimKey: claim.claimKey, codeId: claim.codeId, now: new Date(), maxWrongTries: 5, holder: { id: holder.id, notice } });
    const phoneReservations = (await reservationsOf(owner.id)).filter((r) => String(r.pk).startsWith('PHONE#')).map((r) => String(r.pk).split('.')[0]).sort();
    expect(phoneReservations).toEqual(['PHONE#v1', 'PHONE#v2']);
    expect((await item(keys.patient(holder.id)))!.reservation_pks.some((pk: string) => pk.startsWith('PHONE#'))).toBe(false);
    expect(await after.findPhoneHolder(holder.phone_number)).toMatchObject({ id: owner.id });
    const third = patientFixture({ phone_number: holder.phone_number });
    await expect(after.createPatient(third, tokenFor(third), mailFor(third))).rejects.toBeInstanceOf(DuplicateRegistrationError);
  });

  it('a lapsed reservation under an older key version does not block a new registration of the same email and phone', async () => {
    const { before, after } = rings();
    const old = unverified(new Date(Date.now() - 60_000));
    await before.createPatient(old.patient, old.token, old.mail);
    const next = patientFixture({ email: old.patient.email, phone_number: old.patient.phone_number });
    await after.createPatient(next, tokenFor(next), mailFor(next));
    expect(await after.findPatientByEmail(next.email)).toMatchObject({ id: next.id });
    expect(await before.findTakenIdentifiers(next.email, next.phone_number)).toEqual({ email: false, phone: false });
  });

  it('removeLapsedRegistrations has nothing to do: TTL deletes the items', async () => {
    const repository = createDynamoStorage(db, config, testIdentifierDigests()).repository;
    const { patient, token, mail } = unverified(new Date(Date.now() - 60_000));
    await repository.createPatient(patient, token, mail);
    expect(await repository.removeLapsedRegistrations(new Date())).toBe(0);
  });
});

describe('DynamoDB sign-in reads (issue 19 item 18)', () => {
  const config = loadConfig();
  const db = createDynamoDocumentClient(config);
  afterAll(() => db.destroy());

  it('findCredentials sends the same reads for an unknown email as for a known one', async () => {
    const storage = createDynamoStorage(db, config, testIdentifierDigests());
    const patient = patientFixture();
    await storage.repository.createPatient(patient, tokenFor(patient), mailFor(patient));
    const sent: string[] = [];
    db.middlewareStack.add((next, context) => async (args) => {
      sent.push(context.commandName ?? '?');
      return next(args);
    }, { step: 'initialize', name: 'countSignInReads' });
    try {
      expect(await storage.repository.findCredentials(patient.email)).toMatchObject({ id: patient.id });
      const known = sent.splice(0);
      expect(await storage.repository.findCredentials(`nobody-${randomUUID()}@example.com`)).toBeUndefined();
      expect(known).toEqual(['GetItemCommand', 'GetItemCommand']);
      expect(sent).toEqual(known);
    } finally {
      db.middlewareStack.remove('countSignInReads');
    }
  });
});

describe('DynamoDB outbox items queued before the due index was sharded', () => {
  const config = loadConfig();
  const db = createDynamoDocumentClient(config);
  afterAll(() => db.destroy());

  it('are still swept and claimed: their partition (OUTBOX) is read, though nothing writes it any more', async () => {
    const id = randomUUID();
    const createdAt = new Date().toISOString();
    const mail = { kind: 'verification_email' as const, id, patientId: randomUUID(), to: 'jane@example.com', firstName: 'Jane', verifyUrl: 'https://app.clinic.test/verify-email?token=t', createdAt };
    await db.send(new PutCommand({ TableName: config.tableName, Item: { ...outboxItem(mail, config.outboxShards), due_pk: PRE_SHARDING_DUE_PARTITION } }));
    const { outbox } = createDynamoStorage(db, config, testIdentifierDigests());
    expect(await outbox.listDue(new Date(), 1000)).toContain(id);
    expect((await outbox.claim(id, new Date(), 60_000))?.id).toBe(id);
  });
});

/**
 * Issue 23 item 1: no write path writes a constant partition key. The storage contract above runs
 * every operation of every store; this reads the keys they wrote (base table, due index, audit table).
 * Runs after the contract (file order); with `-t`, run it together with the contract.
 */
describe('DynamoDB partition keys written by the storage contract', () => {
  const config = loadConfig();
  const kinds = (target: string) => new Set(written.filter((w) => w.target === target).map((w) => kindOf(w.partition)));

  it('covers every key builder of the patient table and the due index', () => {
    const builders = Object.values(keys).map((build) => kindOf((build as (...a: string[]) => { pk: string })('x', 'x').pk));
    expect([...kinds(config.tableName)].sort()).toEqual(expect.arrayContaining(builders.sort()));
    expect([...kinds(`${config.tableName}/index/due`)]).toEqual(['OUTBOX']);
  });

  it('spreads every kind of item over many partitions: none is constant', () => {
    const onPatientTable = written.filter((w) => w.target.startsWith(config.tableName));
    expect(constantPartitions(onPatientTable)).toEqual([]);
    // The audit table's events without a patient share one partition a day (UNATTRIBUTED#<day>):
    // issue 19 item 19 spreads it; until then it is the one known constant key, and only it.
    const onAuditTable = written.filter((w) => w.target === config.auditTableName && kindOf(w.partition) !== 'UNATTRIBUTED');
    expect(constantPartitions(onAuditTable)).toEqual([]);
  });
});

/**
 * Issue 19 item 5: a fault where the old code ended the sessions (after the password had committed)
 * now fails the one transaction that does both, so nothing is half-written and a retry finishes the
 * job. DynamoDB Local cannot fail on demand, so a middleware on a client of its own fails the first
 * write that touches a FAMILY# item, once, as an outage would (a 503).
 */
describe('DynamoDB password writes under a fault', () => {
  const config = loadConfig();
  const db = createDynamoDocumentClient(config);
  let armed = false;
  db.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { TransactItems?: unknown; UpdateExpression?: unknown };
      if (armed && (input.TransactItems || input.UpdateExpression) && JSON.stringify(input).includes('FAMILY#')) {
        armed = false;
        throw Object.assign(new Error('injected outage'), { name: 'InternalServerError', $fault: 'server', $metadata: { httpStatusCode: 500 } });
      }
      return next(args);
    },
    { step: 'initialize', name: 'failFirstFamilyWrite' },
  );
  const storage = createDynamoStorage(db, config, testIdentifierDigests());
  afterAll(() => db.destroy());
  const notice = (patientId: string, to: string) => ({ kind: 'password_changed_email' as const, id: randomUUID(), patientId, to, firstName: 'A', createdAt: new Date().toISOString(), sessionsEnded: 'all' as const });
  const NEW_HASH = '$2b$12$newnewnewnewnewnewnewuJ6bHpu0WjKlVq1Ff0cPh8O3AxYzZ9Ae';

  async function patientWithSessions() {
    const patient = patientFixture({ email_verified: true });
    await storage.repository.createPatient(patient, tokenFor(patient), mailFor(patient));
    const families = await Promise.all([0, 1].map(async () => {
      const family = { familyId: randomUUID(), patientId: patient.id };
      await storage.sessions.startFamily({ ...family, tokenHash: randomBytes(32).toString('hex'), now: new Date(), idleTtlMs: 3_600_000, absoluteTtlMs: 7_200_000 });
      return family;
    }));
    const live = async () => Promise.all(families.map((f) => storage.sessions.isLive(f, new Date())));
    return { patient, families, live };
  }

  it('a reset whose session revocation fails writes nothing; the same link then does all of it', async () => {
    const { patient, live } = await patientWithSessions();
    const token = { tokenHash: randomBytes(32).toString('hex'), patientId: patient.id, expiresAt: new Date(Date.now() + 1_800_000), seed: randomUUID() };
    const mail = { kind: 'password_reset_email' as const, id: randomUUID(), patientId: patient.id, to: patient.email, resetUrl: 'https://x.test/r', createdAt: new Date().toISOString() };
    expect(await storage.repository.issueResetToken(token, mail)).toBe(true);
    const write = () => storage.repository.resetPassword({ tokenHash: token.tokenHash, passwordHash: NEW_HASH, notice: notice(patient.id, patient.email), now: new Date() });

    armed = true;
    await expect(write()).rejects.toMatchObject({ statusCode: 503 });
    expect((await storage.repository.getPatient(patient.id))!.password_hash).toBe(patient.password_hash);
    expect(await live()).toEqual([true, true]);

    expect(await write()).toEqual({ outcome: 'reset', patientId: patient.id });
    expect((await storage.repository.getPatient(patient.id))!.password_hash).toBe(NEW_HASH);
    expect(await live()).toEqual([false, false]);
  });

  it('a change whose session revocation fails writes nothing; the same current password then does all of it', async () => {
    const { patient, families, live } = await patientWithSessions();
    const write = () => storage.repository.changePassword({
      patientId: patient.id, expectedHash: patient.password_hash, passwordHash: NEW_HASH, keepSessionId: families[0]!.familyId, notice: notice(patient.id, patient.email), now: new Date(),
    });

    armed = true;
    await expect(write()).rejects.toMatchObject({ statusCode: 503 });
    expect((await storage.repository.getPatient(patient.id))!.password_hash).toBe(patient.password_hash);
    expect(await live()).toEqual([true, true]);

    expect(await write()).toBe(true);
    expect((await storage.repository.getPatient(patient.id))!.password_hash).toBe(NEW_HASH);
    expect(await live()).toEqual([true, false]);
  });
});

/** Issue 19 item 12: SESSIONS#<patient> names only live families, so it stays small. */
describe('DynamoDB index of a patient\'s sessions', () => {
  const config = loadConfig();
  const db = createDynamoDocumentClient(config);
  afterAll(() => db.destroy());
  const { sessions, repository } = createDynamoStorage(db, config, testIdentifierDigests());
  /** A registered, active patient's id: a family starts only under one (issue 19 item 3). */
  const registered = async () => {
    const patient = patientFixture();
    await repository.createPatient(patient, tokenFor(patient), mailFor(patient));
    return patient.id;
  };
  const named = async (patientId: string) => {
    const { Item } = await db.send(new GetCommand({ TableName: config.tableName, Key: keys.patientSessions(patientId), ConsistentRead: true }));
    return Object.keys(Item ?? {}).filter((k) => k.startsWith('F#')).map((k) => k.slice(2)).sort();
  };
  const start = async (patientId: string, now: Date) => {
    const family = { familyId: randomUUID(), patientId };
    await sessions.startFamily({ ...family, tokenHash: randomBytes(32).toString('hex'), now, idleTtlMs: 60_000, absoluteTtlMs: 120_000 });
    return family;
  };

  it('signing out removes a family; a sign-in prunes those past their absolute end', async () => {
    const patientId = await registered();
    const t0 = new Date();
    const first = await Promise.all(Array.from({ length: 6 }, () => start(patientId, t0)));
    for (const family of first.slice(0, 2)) await sessions.revokeFamily(family, t0);
    expect(await named(patientId)).toEqual(first.slice(2).map((f) => f.familyId).sort());
    const later = await start(patientId, new Date(t0.getTime() + 120_000));
    expect(await named(patientId)).toEqual([later.familyId]);
  });

  it(`beyond ${MAX_LIVE_FAMILIES} live families a sign-in ends the oldest`, async () => {
    const patientId = await registered();
    const t0 = Date.now();
    const families = [];
    for (let i = 0; i <= MAX_LIVE_FAMILIES; i++) families.push(await start(patientId, new Date(t0 + i)));
    expect(await named(patientId)).toHaveLength(MAX_LIVE_FAMILIES);
    expect(await named(patientId)).not.toContain(families[0]!.familyId);
    expect(await sessions.isLive(families[0]!, new Date(t0 + 100))).toBe(false);
    expect(await sessions.isLive(families[1]!, new Date(t0 + 100))).toBe(true);
  });
});

/**
 * Issue 23: the contract above ran on four tables; each item it left is on the table its family is
 * placed on, and each table holds some, so the stores really wrote through the placement (one table
 * holding everything would pass the contract too).
 */
describe('DynamoDB item families on their tables', () => {
  const config = loadConfig();
  // A client without the placement: it reads each table as it is.
  const pksOf = async (table: string) => {
    const pks: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documentClient.send(new ScanCommand({ TableName: table, ProjectionExpression: 'pk', ExclusiveStartKey: start }));
      pks.push(...(page.Items ?? []).map((i) => String(i.pk)));
      start = page.LastEvaluatedKey;
    } while (start);
    return pks;
  };

  it('holds each family on its own table, and no table is left empty', async () => {
    const place = placementOf(config);
    const tables = [config.tableName, config.identityTableName, config.tokenTableName, config.outboxTableName];
    expect(new Set(tables).size).toBe(4);
    for (const table of tables) {
      const pks = await pksOf(table);
      expect(pks.length, table).toBeGreaterThan(0);
      expect(pks.filter((pk) => place(pk) !== table), table).toEqual([]);
    }
    expect(new Set((await pksOf(config.identityTableName)).map(kindOf))).toEqual(new Set(['EMAIL', 'PHONE', 'PHONECLAIM', 'LOGIN', 'SESSIONS']));
  });
});
