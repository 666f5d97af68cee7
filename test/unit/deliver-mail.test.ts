import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deliverDueMails, deliverMail, SEND_LEASE_MS } from '../../lib/outbox/deliver-mail.js';
import { MAX_SEND_ATTEMPTS } from '../../lib/outbox/retry-policy.js';
import type { OutboxMail } from '../../lib/patient/ports.js';
import { captureOutput } from '../support/capture-output.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';

const output = captureOutput(); // the failure paths log on purpose: keep them out of the test report

function queued(deps: FakeDeps): OutboxMail {
  const mail: OutboxMail = {
    kind: 'verification_email',
    id: randomUUID(),
    patientId: randomUUID(),
    to: `jane.${randomUUID().slice(0, 8)}@email.com`,
    verifyUrl: `${deps.verifyUrlBase}?token=${'A'.repeat(43)}`,
    createdAt: deps.clock.now().toISOString(),
  };
  deps.outbox.add(mail);
  return mail;
}

describe('deliverMail: claim, send, mark sent', () => {
  it('sends the mail as queued, once; a second sender finds it not due', async () => {
    const deps = createFakeDeps();
    const mail = queued(deps);
    expect(await deliverMail(mail.id, deps)).toBe('sent');
    expect(await deliverMail(mail.id, deps)).toBe('not-due');
    expect(deps.mailer.sent).toEqual([{ to: mail.to, verifyUrl: mail.verifyUrl }]);
    expect(deps.outbox.statusOf(mail.id)).toEqual({ status: 'sent', attempts: 1 });
  });

  it('a failed send goes back to the outbox and is sent by a later attempt after the backoff', async () => {
    const deps = createFakeDeps();
    const mail = queued(deps);
    deps.mailer.failing = true;
    expect(await deliverMail(mail.id, deps)).toBe('failed');
    expect(deps.outbox.statusOf(mail.id)).toEqual({ status: 'pending', attempts: 1 });
    deps.mailer.failing = false;
    expect(await deliverMail(mail.id, deps)).toBe('not-due'); // 30 s backoff
    deps.clock.advance(30_000);
    expect(await deliverMail(mail.id, deps)).toBe('sent');
    expect(deps.mailer.sent).toHaveLength(1);
  });

  it(`is given up after ${MAX_SEND_ATTEMPTS} failed attempts, with an error for the operator on the last`, async () => {
    const deps = createFakeDeps();
    const mail = queued(deps);
    deps.mailer.failing = true;
    for (let i = 0; i < MAX_SEND_ATTEMPTS; i++) {
      output.reset();
      expect(await deliverMail(mail.id, deps)).toBe('failed');
      deps.clock.advance(3600_000);
      const level = i + 1 < MAX_SEND_ATTEMPTS ? 'WARN' : 'ERROR';
      expect(JSON.parse(output.text())).toMatchObject({ level, outboxId: mail.id, attempts: i + 1, errorName: 'TimeoutError' });
    }
    expect(deps.outbox.statusOf(mail.id)).toEqual({ status: 'failed', attempts: MAX_SEND_ATTEMPTS });
    expect(await deliverMail(mail.id, deps)).toBe('not-due');
    expect(deps.mailer.attempts).toBe(MAX_SEND_ATTEMPTS);
  });

  it('a sender that crashed mid-send leaves the mail to the next one after its lease', async () => {
    const deps = createFakeDeps();
    const mail = queued(deps);
    await deps.outbox.claim(mail.id, deps.clock.now(), SEND_LEASE_MS); // claimed, never marked
    expect(await deliverMail(mail.id, deps)).toBe('not-due');
    deps.clock.advance(SEND_LEASE_MS);
    expect(await deliverMail(mail.id, deps)).toBe('sent');
  });
});

describe('deliverDueMails: the sweep', () => {
  it('delivers every due mail and counts the outcomes', async () => {
    const deps = createFakeDeps();
    const [first, second] = [queued(deps), queued(deps)];
    deps.clock.advance(1000);
    const late = queued(deps); // due only from now on: still due, the sweep runs at this same instant
    await deps.outbox.claim(second.id, deps.clock.now(), SEND_LEASE_MS);
    expect(await deliverDueMails(deps)).toEqual({ sent: 2, 'not-due': 0, failed: 0 });
    expect(deps.mailer.sent.map((m) => m.to).sort()).toEqual([first.to, late.to].sort());
  });
});
