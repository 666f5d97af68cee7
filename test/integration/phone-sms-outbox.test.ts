import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lib/local/services.js';
import { startSmsInbox, type SmsInbox } from '../../lib/local/sms-inbox.js';
import { captureOutput } from '../support/capture-output.js';
import { codeFrom, scanTable, textsTo } from '../support/local-aws.js';

/**
 * The SMS service is down when the code is sent, comes back, and the text arrives exactly once. This
 * file has an SMS inbox of its own, so stopping it does not disturb other test files.
 */
const output = captureOutput(); // the failed send logs a warning on purpose
const smsPort = await freePort();
process.env.SMS_ENDPOINT = `http://127.0.0.1:${smsPort}`;
const { phoneApi } = await import('../support/phone-api.js');
const { verifiedPatient } = await import('../support/sign-in-api.js');
const { deliverDueMails } = await import('../../lib/outbox/deliver-mail.js');
const { createMailerDeps } = await import('../../lib/wiring.js');
const { loadConfig } = await import('../../lib/config.js');

let inbox: SmsInbox | undefined;
afterAll(async () => inbox?.stop());

describe('phone codes through the outbox', () => {
  it('the SMS inbox down: the code waits in the outbox, and arrives exactly once when it is back; then it verifies', async () => {
    const { session, body, patientId } = await verifiedPatient();
    const phone = body.phone_number as string;
    expect((await phoneApi.requestCode(session.access_token)).statusCode).toBe(202);

    await phoneApi.sweep(); // the SMS service is unreachable
    const [pending] = (await scanTable()).filter((i) => i.entity === 'outbox' && i.patient_id === patientId && i.kind === 'phone_code_sms');
    expect(pending).toMatchObject({ status: 'pending', attempts: 1, sms_text: expect.stringMatching(/\d{6}/) });
    expect(output.text()).toContain('"kind":"phone_code_sms"');
    expect(output.text()).not.toContain(pending!.sms_text); // the code never reaches a log

    inbox = await startSmsInbox({ port: smsPort });
    const deps = createMailerDeps(loadConfig(process.env, ['mail', 'sms']));
    const later = (ms: number) => ({ ...deps, clock: { now: () => new Date(Date.now() + ms) } });
    await deliverDueMails(deps); // still backing off
    expect(await textsTo(phone)).toHaveLength(0);
    await deliverDueMails(later(31_000));
    await deliverDueMails(later(3_600_000));
    await phoneApi.sweep();
    const texts = await textsTo(phone);
    expect(texts).toHaveLength(1);
    const [sent] = (await scanTable()).filter((i) => i.pk === pending!.pk);
    expect(sent).toMatchObject({ status: 'sent', attempts: 2 });
    expect(sent).not.toHaveProperty('sms_text');

    const verified = await phoneApi.verify(session.access_token, { code: codeFrom(texts[0]!) });
    expect(verified.statusCode).toBe(200);
  });
});
