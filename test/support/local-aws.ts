import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../lib/adapters/dynamodb/keys.js';
import { placementOf, type TableNames } from '../../lib/adapters/dynamodb/placement.js';
import { loadConfig } from '../../lib/config.js';
import { testIdentifierDigests } from './identifier-keys.js';

const env = process.env;

export const documentClient = DynamoDBDocumentClient.from(
  new DynamoDBClient({ endpoint: env.DYNAMODB_ENDPOINT, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
);

/** This file's tables, as the functions read them (one table unless the file placed its families: placed-tables.ts). */
const tableNames = (): TableNames => loadConfig();

/** Every item of this test file's table (or, with the families placed on tables of their own, of all four), as stored. */
export async function scanTable(): Promise<Record<string, any>[]> {
  const names = tableNames();
  const items: Record<string, any>[] = [];
  for (const table of new Set([names.tableName, names.identityTableName, names.tokenTableName, names.outboxTableName])) {
    let start: Record<string, any> | undefined;
    do {
      const page = await documentClient.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return items;
}

/** The partition keys of the email and phone reservations, as the handlers of this test file write them. */
export async function reservationKeys(email: string, phone: string): Promise<{ email: string; phone: string }> {
  const digests = testIdentifierDigests();
  return { email: keys.email(await digests.current('email', email)).pk, phone: keys.phone(await digests.current('phone', phone)).pk };
}

export async function getItem(pk: string, sk: string) {
  const { Item } = await documentClient.send(new GetCommand({ TableName: placementOf(tableNames())(pk), Key: { pk, sk }, ConsistentRead: true }));
  return Item;
}

export interface StoredMail {
  destination: { to: string[] };
  from: string;
  subject: string;
  body: { text: string; html: string };
}

/** Mails the SES emulator received for one address. */
export async function mailsTo(address: string): Promise<StoredMail[]> {
  const response = await fetch(`${env.SES_ENDPOINT}/store`);
  const { emails } = (await response.json()) as { emails: StoredMail[] };
  return emails.filter((m) => m.destination.to.includes(address));
}

/**
 * The mails for an address once at least `count` arrived and the outbox has nothing left to send
 * now (no item due or being sent), so the result is final: a test can then count exactly, 0
 * included. Bounded: it fails after timeoutMs, naming what arrived. Something must deliver (the
 * file's useOutboxStream(), or a sweep the test runs).
 */
export async function awaitMails(address: string, count = 1, timeoutMs = 30_000): Promise<StoredMail[]> {
  return awaitDelivered(() => mailsTo(address), count, timeoutMs, `mail(s) to ${address}`);
}

/** The texts to a phone number once at least `count` arrived and the outbox is idle: as awaitMails. */
export async function awaitTexts(phone: string, count = 1, timeoutMs = 30_000): Promise<StoredText[]> {
  return awaitDelivered(() => textsTo(phone), count, timeoutMs, 'text(s) to the phone');
}

async function awaitDelivered<T>(read: () => Promise<T[]>, count: number, timeoutMs: number, what: string): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const delivered = await read();
    if (delivered.length >= count && (await outboxIdle())) return delivered;
    if (Date.now() > deadline) {
      const busy = (await scanTable()).filter((i) => i.entity === 'outbox' && (i.status === 'sending' || (i.status === 'pending' && i.due_at <= new Date().toISOString())));
      const items = busy.map((i) => `${i.kind} ${i.status} attempts ${i.attempts} due ${i.due_at}`).join('; ');
      throw new Error(`${delivered.length} of ${count} ${what} after ${timeoutMs} ms; not sent yet: ${items || 'none'} (useOutboxStream() in this file?)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** No outbox item of this file's table is due now or being sent (one backing off after a failure is not due). */
export async function outboxIdle(): Promise<boolean> {
  let start: Record<string, any> | undefined;
  do {
    const page = await documentClient.send(new ScanCommand({
      TableName: tableNames().outboxTableName,
      Select: 'COUNT',
      FilterExpression: 'entity = :outbox AND (#s = :sending OR (#s = :pending AND due_at <= :now))',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':outbox': 'outbox', ':sending': 'sending', ':pending': 'pending', ':now': new Date().toISOString() },
      ExclusiveStartKey: start,
    }));
    if (page.Count) return false;
    start = page.LastEvaluatedKey;
  } while (start);
  return true;
}

export function tokenFrom(mail: StoredMail): string {
  const match = /[?&]token=([A-Za-z0-9_-]+)/.exec(mail.body.text);
  if (!match?.[1]) throw new Error('no token link in the mail');
  return match[1];
}

/** A text as the local SMS inbox (lib/local/sms-inbox.ts) stored it. */
export interface StoredText {
  to: string;
  from: string;
  body: string;
  messageType?: string;
}

/** Texts the local SMS inbox received for one phone number (E.164), oldest first. */
export async function textsTo(phone: string, endpoint = env.SMS_ENDPOINT): Promise<StoredText[]> {
  const { texts } = (await (await fetch(`${endpoint}/store`)).json()) as { texts: StoredText[] };
  return texts.filter((t) => t.to === phone);
}

/** The 6-digit code in a phone verification text. */
export function codeFrom(text: StoredText): string {
  const match = /\b(\d{6})\b/.exec(text.body);
  if (!match?.[1]) throw new Error('no code in the text');
  return match[1];
}

/**
 * Brings a patient's newest link (verification or reset) to its last minute, as time would: a request
 * inside a live link's life sends that link again (lib/patient/link-token.ts), so only a link about
 * to expire is replaced by the next request. Integration tests run on the wall clock; this is the
 * stored expiry the use case reads, the token's own expiry is left as it is.
 */
export async function bringLinkNearItsEnd(email: string, link: 'verification' | 'reset'): Promise<void> {
  const patient = (await scanTable()).find((item) => item.entity === 'patient' && item.email === email.toLowerCase());
  if (!patient) throw new Error(`no patient with ${email}`);
  await documentClient.send(new UpdateCommand({
    TableName: env.TABLE_NAME,
    Key: { pk: patient.pk, sk: patient.sk },
    UpdateExpression: `SET ${link}_link_expires_at = :soon`,
    ConditionExpression: `attribute_exists(${link}_link_seed)`,
    ExpressionAttributeValues: { ':soon': new Date(Date.now() + 60_000).toISOString() },
  }));
}
