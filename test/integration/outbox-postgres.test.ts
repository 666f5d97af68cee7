import { afterAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../lib/adapters/postgres/open-database.js';
import { startOutboxNotifications } from '../../lib/local/outbox-relay.js';
import { useStorage } from '../../lib/wiring.js';
import { mailsTo, tokenFrom, type StoredMail } from '../support/local-aws.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';

/**
 * STORAGE=postgres: the same handlers on embedded PGlite (as `npm start` runs them without
 * DATABASE_URL). A registration's mail is delivered by the outbox mailer on the outbox row's
 * NOTIFY (migration 010), with no sweep. The store is set before the handlers are imported: they
 * build their dependencies at module load, like a cold start.
 */
const db = await openPostgres({});
useStorage(db.storage);
const { handler: register, REGISTERED } = await import('../../functions/register/handler.js');
const { handler: verify } = await import('../../functions/verify-email/handler.js');
const notifications = await startOutboxNotifications(db.onOutboxInsert);
afterAll(async () => {
  await notifications.stop();
  await db.close();
});

async function firstMail(address: string): Promise<StoredMail> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [mail] = await mailsTo(address);
    if (mail) return mail;
    if (Date.now() > deadline) throw new Error(`no mail to ${address} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('PostgreSQL: the outbox mailer on NOTIFY', () => {
  it('registers (201 right after the commit), the mail arrives on its own, and its link verifies', async () => {
    const body = uniqueRegistration();
    const response = await invoke(register, apiEvent(body));
    expect(response.statusCode).toBe(201);
    expect(response.body.message).toBe(REGISTERED);

    const mail = await firstMail(body.email);
    const verified = await invoke(verify, apiEvent({ token: tokenFrom(mail), password: body.password }, { path: '/api/v1/patient/verify-email' }));
    expect(verified.statusCode).toBe(200);
    expect(await db.storage.outbox.listDue(new Date(), 10)).toEqual([]); // sent: nothing left for a sweep
  });
});
