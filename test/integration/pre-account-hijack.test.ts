import { describe, expect, it } from 'vitest';
import { createRegisterHandler } from '../../functions/register/handler.js';
import { handler as outboxMailer } from '../../functions/outbox-mailer/handler.js';
import { handler as resend } from '../../functions/resend-verification/handler.js';
import { loadConfig } from '../../lib/config.js';
import { API_PATHS } from '../../lib/http/routes.js';
import { createRegisterDeps } from '../../lib/wiring.js';
import { awaitMails, getItem } from '../support/local-aws.js';
import { useOutboxStream } from '../support/outbox-stream.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';
import { api, newestToken } from '../support/sign-in-api.js';
import { auditTrailOf } from '../support/audit-trail.js';

useOutboxStream(); // the outbox mailer on this file's table stream, as npm start and AWS run it

const ATTACKER_PASSWORD = 'Attacker-owns-this-1!';
const VICTIM_PASSWORD = 'Victims-own-secret-2?';
const DAY_MS = 24 * 3600 * 1000;

/** A registration made `daysAgo` days ago (the register function on a clock that far back). */
const registerAt = (daysAgo: number) => {
  const deps = createRegisterDeps(loadConfig());
  return createRegisterHandler({ ...deps, clock: { now: () => new Date(Date.now() - daysAgo * DAY_MS) } });
};

async function squat(victim: Record<string, any>, daysAgo = 0) {
  const attacker = uniqueRegistration({ email: victim.email, phone_number: victim.phone_number, password: ATTACKER_PASSWORD, confirm_password: ATTACKER_PASSWORD });
  const response = await invoke(registerAt(daysAgo), apiEvent(attacker));
  expect(response.statusCode).toBe(201);
  return response.body.data.patient_id as string;
}

describe('pre-account hijacking (the black-box attack in issue 10)', () => {
  it('the victim\'s click on a resent link does not verify the squatter\'s account', async () => {
    const victim = uniqueRegistration({ password: VICTIM_PASSWORD, confirm_password: VICTIM_PASSWORD });
    const squatted = await squat(victim);

    // The victim is refused, and asks for a new link: it goes to the victim's own mailbox.
    const refused = await api.register(victim);
    expect(refused.statusCode).toBe(422);
    expect(refused.body.errors).toHaveProperty('email');
    expect((await invoke(resend, apiEvent({ email: victim.email }, { path: API_PATHS.resendVerification }))).statusCode).toBe(200);
    await outboxMailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never);
    expect(await awaitMails(victim.email, 2)).toHaveLength(2);

    // The victim clicks and types their own password: refused, and the account stays unverified.
    const click = await api.verify(await newestToken(victim.email), VICTIM_PASSWORD);
    expect(click.statusCode).toBe(401);
    expect((await getItem(`PATIENT#${squatted}`, 'PROFILE'))!.email_verified).toBe(false);

    // The squatter cannot sign in to the unverified account, with the password they chose.
    const squatter = await api.login(victim.email, ATTACKER_PASSWORD);
    expect(squatter.statusCode).toBe(403);
    expect(squatter.body).not.toHaveProperty('data');

    expect((await auditTrailOf(squatted)).map((e) => [e.action, e.reason])).toEqual([
      ['email_verification', 'wrong_password'],
      ['sign_in', 'unverified'],
    ]);
  });

  it('a squatted registration lapses after 7 days: the victim then registers the same email and phone', async () => {
    const victim = uniqueRegistration({ password: VICTIM_PASSWORD, confirm_password: VICTIM_PASSWORD });
    const squatted = await squat(victim, 7);
    const registered = await api.register(victim);
    expect(registered.statusCode).toBe(201);
    expect(registered.body.data.patient_id).not.toBe(squatted);
    const verified = await api.verify(await newestToken(victim.email), VICTIM_PASSWORD);
    expect(verified.statusCode).toBe(200);
    expect((await api.login(victim.email, VICTIM_PASSWORD)).statusCode).toBe(200);
    expect((await api.login(victim.email, ATTACKER_PASSWORD)).statusCode).toBe(401);
  });

  it('six days in, the squatter still holds it (the lapse is 7 days, not sooner)', async () => {
    const victim = uniqueRegistration();
    await squat(victim, 6);
    expect((await api.register(victim)).statusCode).toBe(422);
  });
});
