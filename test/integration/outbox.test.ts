import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startSesEmulator, type RunningService } from '../../lib/local/services.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';
import { getItem, scanTable, tokenFrom, type StoredMail } from '../support/local-aws.js';

/**
 * SES fails during registration, comes back, and the mail arrives exactly once. This file has an
 * SES emulator of its own, so stopping it does not disturb other test files.
 */
const sesPort = await freePort();
process.env.SES_ENDPOINT = `http://127.0.0.1:${sesPort}`;
const { handler: register, REGISTERED, REGISTERED_MAIL_PENDING } = await import('../../functions/register/handler.js');
const { handler: mailer } = await import('../../functions/outbox-mailer/handler.js');
const { handler: verify } = await import('../../functions/verify-email/handler.js');
const { deliverDueMails } = await import('../../lib/outbox/deliver-mail.js');
const { createMailerDeps } = await import('../../lib/wiring.js');
const { loadConfig } = await import('../../lib/config.js');

let ses: RunningService | undefined;
afterAll(async () => ses?.stop());

async function inbox(address: string): Promise<StoredMail[]> {
  const { emails } = (await (await fetch(`${process.env.SES_ENDPOINT}/store`)).json()) as { emails: StoredMail[] };
  return emails.filter((m) => m.destination.to.includes(address));
}
const outboxOf = async (patientId: string) => (await scanTable()).filter((i) => i.entity === 'outbox' && i.patient_id === patientId);

/** The INSERT record the table's KEYS_ONLY stream delivers for an outbox item: its keys, no image. */
const streamInsert = (item: Record<string, any>) => ({
  Records: [{ eventName: 'INSERT', dynamodb: { SequenceNumber: '1', StreamViewType: 'KEYS_ONLY', Keys: { pk: { S: item.pk }, sk: { S: item.sk } } } }],
});

describe('transactional outbox', () => {
  it('SES down during registration: 201 stands, the mail waits, and arrives exactly once when SES is back', async () => {
    const body = uniqueRegistration();
    const response = await invoke(register, apiEvent(body));
    expect(response.statusCode).toBe(201);
    expect(response.body.message).toBe(REGISTERED_MAIL_PENDING);
    const patientId = response.body.data.patient_id;
    const [pending] = await outboxOf(patientId);
    expect(pending).toMatchObject({ status: 'pending', attempts: 1, to: body.email });
    expect(Date.parse(pending!.due_at)).toBeGreaterThan(Date.now()); // backing off

    ses = await startSesEmulator({ port: sesPort });
    const deps = createMailerDeps(loadConfig(process.env, ['mail']));
    const later = (ms: number) => ({ ...deps, clock: { now: () => new Date(Date.now() + ms) } });

    // Not yet due: nothing is sent before the backoff ends.
    await deliverDueMails(deps);
    expect(await inbox(body.email)).toHaveLength(0);

    const first = await deliverDueMails(later(31_000));
    expect(first.sent).toBeGreaterThanOrEqual(1);
    expect(await inbox(body.email)).toHaveLength(1);

    // Every other path that could send it again: another sweep, the stream record, a late retry.
    await deliverDueMails(later(3_600_000));
    await mailer(streamInsert(pending!) as never);
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

  it('with SES up the request sends the mail itself, and the stream mailer then finds nothing to do', async () => {
    ses ??= await startSesEmulator({ port: sesPort });
    const body = uniqueRegistration();
    const response = await invoke(register, apiEvent(body));
    expect(response.body.message).toBe(REGISTERED);
    const [item] = await outboxOf(response.body.data.patient_id);
    expect(item).toMatchObject({ status: 'sent', attempts: 1 });
    expect(await mailer(streamInsert(item!) as never)).toEqual({ batchItemFailures: [] });
    expect(await inbox(body.email)).toHaveLength(1);
  });

  it('a KEYS_ONLY stream record of a due mail delivers it: the outbox id comes from the record\'s Keys', async () => {
    ses ??= await startSesEmulator({ port: sesPort });
    const { documentClient } = await import('../support/local-aws.js');
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const { outboxItem } = await import('../../lib/adapters/dynamodb/outbox-store.js');
    // A mail written by a request that died before sending it: due now, nobody has claimed it.
    const to = uniqueRegistration().email;
    const item = outboxItem({
      kind: 'verification_email', id: randomUUID(), patientId: randomUUID(), to, firstName: 'Jane',
      verifyUrl: 'https://app.clinic.test/verify-email?token=t', createdAt: new Date().toISOString(),
    });
    await documentClient.send(new PutCommand({ TableName: process.env.TABLE_NAME, Item: item }));

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
    const { documentClient } = await import('../support/local-aws.js');
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    await documentClient.send(new UpdateCommand({
      TableName: process.env.TABLE_NAME, Key: { pk: item!.pk, sk: item!.sk },
      UpdateExpression: 'SET #s = :sending, due_pk = :due, due_at = :lease, verify_url = :url',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':sending': 'sending', ':due': 'OUTBOX', ':lease': new Date(Date.now() + 60_000).toISOString(), ':url': 'https://app.clinic.test/verify-email?token=t' },
    }));
    expect((await deliverDueMails(deps)).sent).toBe(0); // lease still held
    const after = { ...deps, clock: { now: () => new Date(Date.now() + 61_000) } };
    expect((await deliverDueMails(after)).sent).toBeGreaterThanOrEqual(1);
    // The crashed sender may or may not have sent it; the outbox guarantees it goes out at least once more.
    expect(await inbox(body.email)).toHaveLength(2);
    expect(await getItem(item!.pk, item!.sk)).toMatchObject({ status: 'sent' });
  });
});
