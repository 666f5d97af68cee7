import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/register/handler.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';
import { awaitMails, reservationKeys, scanTable } from '../support/local-aws.js';
import { useOutboxStream } from '../support/outbox-stream.js';

useOutboxStream(); // the outbox mailer on this file's table stream, as npm start and AWS run it

const EMAIL_TAKEN = { email: ['Email is already registered'] };
const PHONE_TAKEN = { phone_number: ['Phone number is already registered'] };
const register = (body: Record<string, unknown>) => invoke(handler, apiEvent(body));

/** Same digits, other separators: "+1 (415) 555-2671" for "+14155552671". */
const reformat = (phone: string) => `${phone.slice(0, 2)} (${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8)}`;

async function itemsOf(email: string, phone: string) {
  const reserved = await reservationKeys(email, phone);
  return (await scanTable()).filter((i) => i.pk === reserved.email || i.pk === reserved.phone || i.email === email);
}

describe('duplicate registrations', () => {
  it.each([
    ['the same email', (f: any, s: any) => ({ ...s, email: f.email }), EMAIL_TAKEN],
    ['the email in another case, padded', (f: any, s: any) => ({ ...s, email: `  ${f.email.toUpperCase()}  ` }), EMAIL_TAKEN],
    ['the same phone', (f: any, s: any) => ({ ...s, phone_number: f.phone_number }), PHONE_TAKEN],
    ['the phone with other formatting', (f: any, s: any) => ({ ...s, phone_number: reformat(f.phone_number) }), PHONE_TAKEN],
    ['both the email and the phone', (f: any, s: any) => ({ ...s, email: f.email.toUpperCase(), phone_number: reformat(f.phone_number) }), { ...EMAIL_TAKEN, ...PHONE_TAKEN }],
  ])('a second registration with %s is refused with 422', async (_name, clash, errors) => {
    const first = uniqueRegistration();
    expect((await register(first)).statusCode).toBe(201);
    const second = clash(first, uniqueRegistration());

    const before = await scanTable();
    const response = await register(second);

    expect(response.statusCode).toBe(422);
    expect(response.body).toEqual({ success: false, message: 'Validation failed', errors });
    // A refused attempt reserves nothing: not its free email or phone either.
    expect(await scanTable()).toHaveLength(before.length);
    const expected = second.email.trim().toLowerCase() === first.email ? 1 : 0;
    expect(await awaitMails(second.email.trim().toLowerCase(), expected)).toHaveLength(expected);
  });

  it('a refused registration leaves its other identifier free for the next attempt', async () => {
    const first = uniqueRegistration();
    await register(first);
    const second = uniqueRegistration({ phone_number: first.phone_number });
    expect((await register(second)).statusCode).toBe(422);
    expect((await register({ ...second, phone_number: uniqueRegistration().phone_number })).statusCode).toBe(201);
  });

  it('20 concurrent registrations of one email (mixed case) and one phone (mixed formatting): exactly one wins', async () => {
    const base = uniqueRegistration();
    const attempts = Array.from({ length: 20 }, (_, i) => ({
      ...uniqueRegistration(),
      email: i % 2 ? base.email.toUpperCase() : base.email,
      phone_number: i % 3 ? reformat(base.phone_number) : base.phone_number,
    }));

    const responses = await Promise.all(attempts.map(register));

    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 422)).toHaveLength(19);
    for (const r of responses.filter((r) => r.statusCode === 422)) {
      expect(r.body.errors).toEqual({ ...EMAIL_TAKEN, ...PHONE_TAKEN });
    }
    const winner = responses.find((r) => r.statusCode === 201)!.body.data.patient_id;
    const items = await scanTable();
    const mine = items.filter((i) => i.id === winner || i.patient_id === winner);
    // patient, email and phone reservations, one token, one outbox mail: no orphans from the 19 losers
    expect(mine.map((i) => i.entity).sort()).toEqual(['outbox', 'patient', 'reservation', 'reservation', 'verification_token']);
    expect(await itemsOf(base.email, base.phone_number)).toHaveLength(3);
    expect(items.filter((i) => i.entity === 'patient' && i.email === base.email)).toHaveLength(1);
    expect(await awaitMails(base.email, 1)).toHaveLength(1);
  });
});
