import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler as outboxMailer } from '../../functions/outbox-mailer/handler.js';
import { outboxItem } from '../../lib/adapters/dynamodb/outbox-store.js';
import { DEFAULT_OUTBOX_SHARDS } from '../../lib/adapters/dynamodb/keys.js';
import { captureOutput } from '../support/capture-output.js';
import { documentClient, mailsTo } from '../support/local-aws.js';

/** Issue 12 item 7: the sweep (every 5 s locally, every minute in AWS) logs only when it did something. */
const output = captureOutput(); // the logger at DEBUG: any line the sweep writes shows
const sweep = () => outboxMailer({ source: 'local.outbox-relay', 'detail-type': 'Scheduled Event' } as never);

describe('the outbox sweep\'s log', () => {
  it('an idle sweep writes nothing at all, however often it runs', async () => {
    output.reset();
    for (let i = 0; i < 3; i++) await sweep();
    expect(output.text()).toBe('');
  });

  it('a sweep that delivers writes one "outbox sweep" line with its counts (and the mail\'s own line)', async () => {
    const to = `jane.${randomUUID().slice(0, 8)}@email.com`;
    const mail = { kind: 'verification_email' as const, id: randomUUID(), patientId: randomUUID(), to, verifyUrl: 'https://app.clinic.test/verify-email?token=t', createdAt: new Date().toISOString() };
    await documentClient.send(new PutCommand({ TableName: process.env.TABLE_NAME, Item: outboxItem(mail, DEFAULT_OUTBOX_SHARDS) }));
    output.reset();
    await sweep();
    expect(await mailsTo(to)).toHaveLength(1);
    const lines = output.text().trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.filter((l) => l.message === 'outbox sweep')).toEqual([expect.objectContaining({ level: 'INFO', sent: 1, failed: 0 })]);
    expect(lines.map((l) => l.message).sort()).toEqual(['mail sent', 'outbox sweep']);
    output.reset();
    await sweep(); // idle again
    expect(output.text()).toBe('');
  });
});
