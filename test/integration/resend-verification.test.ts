import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { handler as register } from '../../functions/register/handler.js';
import { handler as resend, RESEND_ANSWER } from '../../functions/resend-verification/handler.js';
import { handler as verify } from '../../functions/verify-email/handler.js';
import { handler as outboxMailer } from '../../functions/outbox-mailer/handler.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';
import { bringLinkNearItsEnd, mailsTo, scanTable, tokenFrom } from '../support/local-aws.js';

const RESEND = '/api/v1/patient/resend-verification';
const askResend = (email: unknown) => invoke(resend, apiEvent({ email }, { path: RESEND }));
/** What the table's stream (or the sweep) does after the request: the outbox acts on what was asked. */
const runOutbox = () => outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);
const resendRequests = async () => (await scanTable()).filter((i) => i.entity === 'outbox' && i.kind === 'resend_request');
const postToken = (token: string) => invoke(verify, apiEvent({ token, password: 'SecurePassword123!' }, { path: '/api/v1/patient/verify-email' }));

async function registered() {
  const body = uniqueRegistration();
  await invoke(register, apiEvent(body));
  await runOutbox(); // the verification mail
  return body.email as string;
}

describe('POST /api/v1/patient/resend-verification', () => {
  it('inside the link\'s life, sends that same link again: a stranger\'s requests cannot replace the owner\'s link', async () => {
    const email = await registered();
    const owners = tokenFrom((await mailsTo(email))[0]!);
    expect((await askResend(email)).statusCode).toBe(200);
    await runOutbox();
    const mails = await mailsTo(email);
    expect(mails).toHaveLength(2);
    expect(tokenFrom(mails[1]!)).toBe(owners);
    expect((await postToken(owners)).statusCode).toBe(200);
  });

  it('a link about to expire: sends a fresh link; the old one stops working and the new one verifies', async () => {
    const email = await registered();
    const oldToken = tokenFrom((await mailsTo(email))[0]!);
    await bringLinkNearItsEnd(email, 'verification');

    const response = await askResend(email.toUpperCase());
    expect(response.statusCode).toBe(200);
    expect(response.body).toEqual({ success: true, message: RESEND_ANSWER });
    await runOutbox();
    const mails = await mailsTo(email);
    expect(mails).toHaveLength(2);
    const newToken = tokenFrom(mails[1]!);
    expect(newToken).not.toBe(oldToken);

    const old = await postToken(oldToken);
    expect(old.statusCode).toBe(410);
    expect(old.body.message).toMatch(/replaced by a newer one/);
    expect((await postToken(newToken)).statusCode).toBe(200);
  });

  it.each([
    ['an unknown address', async () => `nobody.${Date.now()}@email.com`],
    ['an already verified address', async () => {
      const email = await registered();
      await postToken(tokenFrom((await mailsTo(email))[0]!));
      return email;
    }],
  ])('answers %s exactly the same, and sends nothing', async (_name, prepare) => {
    const email = await prepare();
    const before = (await mailsTo(email)).length;
    const response = await askResend(email);
    expect(response.statusCode).toBe(200);
    expect(response.body).toEqual({ success: true, message: RESEND_ANSWER });
    await runOutbox();
    expect(await mailsTo(email)).toHaveLength(before);
  });

  it('answers before any lookup: the request is only counted and queued, whoever the address belongs to', async () => {
    const email = await registered();
    const before = await resendRequests();
    expect((await askResend(email)).statusCode).toBe(200);
    const queued = (await resendRequests()).filter((r) => !before.some((b) => b.pk === r.pk));
    expect(queued).toEqual([expect.objectContaining({ status: 'pending', requested_address: email })]);
    // Nothing was sent or replaced yet: the first link still is the only one.
    expect(await mailsTo(email)).toHaveLength(1);
    await runOutbox();
    expect(await mailsTo(email)).toHaveLength(2);
    const [handled] = (await resendRequests()).filter((r) => r.pk === queued[0]!.pk);
    expect(handled).toMatchObject({ status: 'sent' });
    expect(handled!.requested_address).toBeUndefined(); // the address asked about is forgotten once handled
  });

  it('keys the rate-limit window by a keyed digest, never by the address', async () => {
    const email = `nobody.${Date.now()}@email.com`;
    await askResend(email);
    const windows = (await scanTable()).filter((i) => String(i.pk).startsWith('RATE#'));
    expect(windows.length).toBeGreaterThan(0);
    const keys = windows.map((w) => w.pk as string).join(' ');
    expect(keys).not.toContain(email);
    expect(keys).not.toContain(createHash('sha256').update(email).digest('hex'));
  });

  it.each([
    ['a registered address', registered],
    ['an unknown address', async () => `nobody.${Date.now()}.${Math.random()}@email.com`],
  ])('allows 3 requests per hour for %s, then 429 with Retry-After', async (_name, prepare) => {
    const email = await prepare();
    for (let i = 0; i < 3; i++) expect((await askResend(email)).statusCode).toBe(200);
    const limited = await askResend(email.toUpperCase());
    expect(limited.statusCode).toBe(429);
    expect(limited.body).toEqual({ success: false, message: 'Too many requests. Please try again later.' });
    const retryAfter = Number(limited.headers['Retry-After']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
  });

  it.each([[{}], [{ email: 'not-an-email' }], [{ email: 'a@b.co', extra: 1 }]])('refuses %j with 422', async (body) => {
    const response = await invoke(resend, apiEvent(body, { path: RESEND }));
    expect(response.statusCode).toBe(422);
  });
});
