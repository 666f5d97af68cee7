import { randomUUID } from 'node:crypto';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { outboxItem } from '../../lib/adapters/dynamodb/outbox-store.js';
import { DEFAULT_OUTBOX_SHARDS, dueShardOf } from '../../lib/adapters/dynamodb/keys.js';
import { freePort, startSesEmulator, type RunningService } from '../../lib/local/services.js';
import { startStreamConsumer } from '../../lib/local/stream-consumer.js';
import { OUTBOX_STREAM_SOURCE } from '../../lib/outbox/stream-source.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';
import { documentClient, getItem, scanTable, tokenFrom, type StoredMail } from '../support/local-aws.js';

/**
 * The registration answers after its commit; the outbox mailer delivers the mail, triggered by the
 * table's stream (the local consumer of DynamoDB Local's stream, as Lambda's event source mapping
 * in AWS), and the sweep delivers what the stream missed. This file has an SES emulator of its own,
 * so stopping it does not disturb other test files.
 */
const sesPort = await freePort();
process.env.SES_ENDPOINT = `http://127.0.0.1:${sesPort}`;
const { handler: register, REGISTERED } = await import('../../functions/register/handler.js');
const { handler: mailer } = await import('../../functions/outbox-mailer/handler.js');
const { handler: verify } = await import('../../functions/verify-email/handler.js');
const { deliverDueMails } = await import('../../lib/outbox/deliver-mail.js');
const { startOutboxStream } = await import('../../lib/local/outbox-relay.js');
const { createMailerDeps } = await import('../../lib/wiring.js');
const { loadConfig } = await import('../../lib/config.js');

const env = process.env as Record<string, string> & { DYNAMODB_ENDPOINT: string; TABLE_NAME: string };
let ses: RunningService | undefined;
let stream: { stop(): Promise<void> } | undefined;
afterEach(async () => {
  await stream?.stop();
  stream = undefined;
});
afterAll(async () => ses?.stop());

async function inbox(address: string): Promise<StoredMail[]> {
  const { emails } = (await (await fetch(`${env.SES_ENDPOINT}/store`)).json()) as { emails: StoredMail[] };
  return emails.filter((m) => m.destination.to.includes(address));
}
const outboxOf = async (patientId: string) => (await scanTable()).filter((i) => i.entity === 'outbox' && i.patient_id === patientId);

/** Polls until check() gives a value (bounded), for what the stream consumer does on its own. */
async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The INSERT record the table's KEYS_ONLY stream delivers for an outbox item: its keys, no image. */
const streamInsert = (item: Record<string, any>) => ({
  Records: [{ eventName: 'INSERT', dynamodb: { SequenceNumber: '1', StreamViewType: 'KEYS_ONLY', Keys: { pk: { S: item.pk }, sk: { S: item.sk } } } }],
});

/** A mail as a request writes it into the outbox: due now, nobody has claimed it. */
async function putDueMail(): Promise<{ to: string; item: Record<string, any> }> {
  const to = uniqueRegistration().email as string;
  const item = outboxItem({
    kind: 'verification_email', id: randomUUID(), patientId: randomUUID(), to,
    verifyUrl: 'https://app.clinic.test/verify-email?token=t', createdAt: new Date().toISOString(),
  }, DEFAULT_OUTBOX_SHARDS);
  await documentClient.send(new PutCommand({ TableName: env.TABLE_NAME, Item: item }));
  return { to, item };
}

describe('registration answers after the commit; the outbox delivers', () => {
  it('SES down: the 201 comes with the spec message anyway, the stream\'s attempt fails, and the sweep delivers exactly once when SES is back', async () => {
    stream = await startOutboxStream(env.DYNAMODB_ENDPOINT, env.TABLE_NAME);
    const body = uniqueRegistration();
    const response = await invoke(register, apiEvent(body));
    expect(response.statusCode).toBe(201);
    expect(response.body.message).toBe(REGISTERED);
    const patientId = response.body.data.patient_id;

    // The stream consumer tried on its own, after the answer, and the mail went back to the outbox.
    const pending = await eventually(async () => (await outboxOf(patientId)).find((i) => i.status === 'pending' && i.attempts === 1), 'the stream\'s failed attempt');
    expect(pending).toMatchObject({ to: body.email });
    expect(Date.parse(pending.due_at)).toBeGreaterThan(Date.now()); // backing off

    ses = await startSesEmulator({ port: sesPort });
    const deps = createMailerDeps(loadConfig(process.env, ['mail']));
    const later = (ms: number) => ({ ...deps, clock: { now: () => new Date(Date.now() + ms) } });
    // Not yet due: nothing is sent before the backoff ends.
    await deliverDueMails(deps);
    expect(await inbox(body.email)).toHaveLength(0);
    expect((await deliverDueMails(later(31_000))).sent).toBeGreaterThanOrEqual(1);
    expect(await inbox(body.email)).toHaveLength(1);

    // Every other path that could send it again: another sweep, the stream record, a late retry.
    await deliverDueMails(later(3_600_000));
    await mailer(streamInsert(pending) as never);
    await mailer({ source: 'aws.events' } as never);
    expect(await inbox(body.email)).toHaveLength(1);
    const [sent] = await outboxOf(patientId);
    expect(sent).toMatchObject({ status: 'sent' });
    expect(sent).not.toHaveProperty('verify_url'); // the link is a credential: forgotten once sent
    expect(sent).not.toHaveProperty('due_pk');

    // And the mail that finally arrived carries a working link.
    const token = tokenFrom((await inbox(body.email))[0]!);
    expect((await invoke(verify, apiEvent({ token, password: 'SecurePassword123!' }, { path: '/api/v1/patient/verify-email' }))).statusCode).toBe(200);
  });

  it('SES up: the stream consumer alone delivers the registration\'s mail (no sweep runs)', async () => {
    ses ??= await startSesEmulator({ port: sesPort });
    stream = await startOutboxStream(env.DYNAMODB_ENDPOINT, env.TABLE_NAME);
    const body = uniqueRegistration();
    const response = await invoke(register, apiEvent(body));
    expect(response.body.message).toBe(REGISTERED);
    const [mail] = await eventually(async () => { const m = await inbox(body.email); return m.length > 0 && m; }, 'the mail in the inbox');
    expect(tokenFrom(mail!)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [item] = await eventually(async () => { const o = await outboxOf(response.body.data.patient_id); return o[0]?.status === 'sent' && o; }, 'the item marked sent');
    expect(item).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('the stream consumer hands the handler only OUTBOX# INSERTs, as KEYS_ONLY records (the event source mapping\'s filter)', async () => {
    const received: DynamoDBRecord[] = [];
    stream = await startStreamConsumer({
      endpoint: env.DYNAMODB_ENDPOINT, tableName: env.TABLE_NAME, source: OUTBOX_STREAM_SOURCE,
      handler: async (event) => void received.push(...event.Records),
    });
    const other = { pk: `PATIENT#${randomUUID()}`, sk: 'PROFILE' };
    await documentClient.send(new PutCommand({ TableName: env.TABLE_NAME, Item: other })); // not the outbox
    const { item } = await putDueMail(); // the one record that passes
    const key = { pk: item.pk, sk: item.sk };
    await documentClient.send(new UpdateCommand({ TableName: env.TABLE_NAME, Key: key, UpdateExpression: 'SET attempts = :n', ExpressionAttributeValues: { ':n': 1 } })); // MODIFY
    await documentClient.send(new DeleteCommand({ TableName: env.TABLE_NAME, Key: key })); // REMOVE
    const marker = await putDueMail(); // a later INSERT: once it is in, every earlier record has been read
    await eventually(async () => received.some((r) => r.dynamodb?.Keys?.pk?.S === marker.item.pk), 'the marker record');

    expect(received.map((r) => [r.eventName, r.dynamodb?.Keys?.pk?.S])).toEqual([['INSERT', item.pk], ['INSERT', marker.item.pk]]);
    for (const record of received) {
      expect(record).toMatchObject({ eventSource: 'aws:dynamodb', dynamodb: { StreamViewType: 'KEYS_ONLY', Keys: { sk: { S: 'MAIL' } } } });
      expect(record.dynamodb).not.toHaveProperty('NewImage');
      expect(typeof record.dynamodb?.SequenceNumber).toBe('string');
      expect(typeof record.dynamodb?.ApproximateCreationDateTime).toBe('number');
    }
  });

  it('a consumer on a table with no stream records yet gets its first record, after other tables were written (DynamoDB Local numbers records across tables)', async () => {
    const { ensureTable } = await import('../../lib/local/services.js');
    const fresh = `outbox-fresh-${randomUUID().slice(0, 8)}`;
    await ensureTable(env.DYNAMODB_ENDPOINT, fresh);
    const received: DynamoDBRecord[] = [];
    stream = await startStreamConsumer({
      endpoint: env.DYNAMODB_ENDPOINT, tableName: fresh, source: OUTBOX_STREAM_SOURCE, pollMs: 20,
      handler: async (event) => void received.push(...event.Records),
    });
    await new Promise((resolve) => setTimeout(resolve, 100)); // a few empty reads of the fresh shard
    await putDueMail(); // another table's record moves the shared sequence on
    const first = { pk: `OUTBOX#${randomUUID()}`, sk: 'MAIL' };
    await documentClient.send(new PutCommand({ TableName: fresh, Item: first }));
    await eventually(async () => received.length > 0, 'the fresh table\'s first record');
    expect(received.map((r) => r.dynamodb?.Keys?.pk?.S)).toEqual([first.pk]);
  });

  it('a mail written while no consumer ran is missed by the stream (it starts at LATEST) and delivered by the sweep', async () => {
    ses ??= await startSesEmulator({ port: sesPort });
    const missed = await putDueMail(); // written in the gap
    stream = await startOutboxStream(env.DYNAMODB_ENDPOINT, env.TABLE_NAME);
    const seen = await putDueMail();
    await eventually(async () => (await inbox(seen.to)).length === 1, 'the mail written after the start');
    expect(await inbox(missed.to)).toHaveLength(0);
    expect(await getItem(missed.item.pk, missed.item.sk)).toMatchObject({ status: 'pending', attempts: 0 });

    await mailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);
    expect(await inbox(missed.to)).toHaveLength(1);
    expect(await getItem(missed.item.pk, missed.item.sk)).toMatchObject({ status: 'sent' });
  });

  it('a KEYS_ONLY stream record of a due mail delivers it: the outbox id comes from the record\'s Keys', async () => {
    ses ??= await startSesEmulator({ port: sesPort });
    const { to, item } = await putDueMail();
    expect(await mailer(streamInsert(item) as never)).toEqual({ batchItemFailures: [] });
    expect(await inbox(to)).toHaveLength(1);
    expect(await getItem(String(item.pk), String(item.sk))).toMatchObject({ status: 'sent' });
  });

  it('a mail whose sender crashed after claiming it is sent by the sweep once the lease ends (at-least-once)', async () => {
    ses ??= await startSesEmulator({ port: sesPort });
    const deps = createMailerDeps(loadConfig(process.env, ['mail']));
    const body = uniqueRegistration();
    const { body: res } = await invoke(register, apiEvent(body));
    const [item] = await outboxOf(res.data.patient_id);
    // Simulate a sender that claimed the mail and crashed: claimed state, live lease, link still there.
    await documentClient.send(new UpdateCommand({
      TableName: env.TABLE_NAME, Key: { pk: item!.pk, sk: item!.sk },
      UpdateExpression: 'SET #s = :sending, due_pk = :due, due_at = :lease, verify_url = :url',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':sending': 'sending', ':due': dueShardOf(String(item!.pk).slice('OUTBOX#'.length), DEFAULT_OUTBOX_SHARDS), ':lease': new Date(Date.now() + 60_000).toISOString(), ':url': 'https://app.clinic.test/verify-email?token=t' },
    }));
    expect((await deliverDueMails(deps)).sent).toBe(0); // lease still held
    const after = { ...deps, clock: { now: () => new Date(Date.now() + 61_000) } };
    expect((await deliverDueMails(after)).sent).toBeGreaterThanOrEqual(1);
    expect(await inbox(body.email)).toHaveLength(1);
    expect(await getItem(item!.pk, item!.sk)).toMatchObject({ status: 'sent' });
  });
});
