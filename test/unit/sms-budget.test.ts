import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { SmsBudgetExhaustedError } from '../../lib/errors.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { phoneCountryOf } from '../../lib/phone/phone-country.js';
import { sendPhoneCode } from '../../lib/phone/send-phone-code.js';
import { captureOutput } from '../support/capture-output.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { CONTEXT, registeredPatient } from '../support/signed-in.js';

const US = '+1 202 555 0123';
const GB = '+44 20 7946 0958';
const JM = '+1 876 555 1234';

const output = captureOutput();

/** A verified patient with this number, signed in, at 22:00 UTC (two hours before the budgets' day ends). */
async function patientWith(deps: FakeDeps, phone: string) {
  const { patientId } = await registeredPatient(deps, { overrides: { phone_number: phone } });
  deps.clock.set(new Date('2025-06-01T22:00:00.000Z'));
  return deps.tokens.verify((await deps.tokens.issue(patientId, deps.clock.now())).token, deps.clock.now());
}

const refusal = (attempt: Promise<void>) => attempt.then(() => expect.fail('the code was sent'), (e: unknown) => e as SmsBudgetExhaustedError);

describe('text budgets (issue 19 item 16: SMS pumping)', () => {
  it('the service-wide budget: texts beyond it are refused with 429 until the UTC day ends, nothing is queued, the refusal is logged and audited', async () => {
    const deps = createFakeDeps();
    deps.smsBudgets = { daily: 2, countryDaily: 100, countries: {} };
    for (const phone of [US, GB]) await sendPhoneCode(await patientWith(deps, phone), CONTEXT, deps);
    const caller = await patientWith(deps, '+1 202 555 0188');
    output.reset();
    const error = await refusal(sendPhoneCode(caller, CONTEXT, deps));
    expect(error).toBeInstanceOf(SmsBudgetExhaustedError);
    expect({ status: error.statusCode, budget: error.budget, retryAfter: error.retryAfterSeconds, message: error.message }).toEqual({
      status: 429, budget: 'service', retryAfter: 2 * 3600, message: 'We cannot send more text messages today. Please try again later.',
    });
    await deliverDueMails(deps);
    expect(deps.sms.sent).toHaveLength(2);
    expect(output.text()).toMatch(/"message":"sms budget exhausted".*"budget":"service"|"budget":"service".*"message":"sms budget exhausted"/);
    expect(output.text()).not.toContain('2025550188');
    expect((await deps.audit.eventsFor(caller.patientId)).at(-1)).toMatchObject({ action: 'phone_code_sent', outcome: 'failure', reason: 'sms_budget_service' });
    deps.clock.set(new Date('2025-06-02T00:00:00.000Z'));
    await expect(sendPhoneCode(caller, CONTEXT, deps)).resolves.toBeUndefined();
  });

  it('the per-country budget refuses that country only, and a refused country does not spend the service budget', async () => {
    const deps = createFakeDeps();
    deps.smsBudgets = { daily: 2, countryDaily: 100, countries: { GB: 1 } };
    await sendPhoneCode(await patientWith(deps, GB), CONTEXT, deps);
    const error = await refusal(sendPhoneCode(await patientWith(deps, '+44 20 7946 0959'), CONTEXT, deps));
    expect({ budget: error.budget, message: error.message }).toEqual({ budget: 'country', message: 'We cannot send more text messages to this country today. Please try again later.' });
    await sendPhoneCode(await patientWith(deps, US), CONTEXT, deps); // the service's second text, not its third
    expect((await refusal(sendPhoneCode(await patientWith(deps, '+1 202 555 0177'), CONTEXT, deps))).budget).toBe('service');
  });

  it('the default per-country budget applies to every country not named; 0 sends nothing there', async () => {
    const deps = createFakeDeps();
    deps.smsBudgets = { daily: 100, countryDaily: 1, countries: { JM: 0 } };
    expect((await refusal(sendPhoneCode(await patientWith(deps, JM), CONTEXT, deps))).budget).toBe('country');
    await sendPhoneCode(await patientWith(deps, US), CONTEXT, deps);
    expect((await refusal(sendPhoneCode(await patientWith(deps, '+1 202 555 0166'), CONTEXT, deps))).budget).toBe('country');
    await sendPhoneCode(await patientWith(deps, GB), CONTEXT, deps);
  });

  it('parallel sends against a budget of 3 send exactly 3', async () => {
    const deps = createFakeDeps();
    deps.smsBudgets = { daily: 3, countryDaily: 100, countries: {} };
    const callers = [];
    for (let i = 0; i < 8; i++) callers.push(await patientWith(deps, `+1 202 555 01${10 + i}`));
    const answers = await Promise.allSettled(callers.map((caller) => sendPhoneCode(caller, CONTEXT, deps)));
    expect(answers.filter((a) => a.status === 'fulfilled')).toHaveLength(3);
  });
});

describe('phoneCountryOf', () => {
  it.each([
    ['+12025550123', 'US'],
    ['+18765551234', 'JM'], // behind +1, but its own country: pumping targets such numbers
    ['+442079460958', 'GB'],
    ['+77012345678', 'KZ'],
    ['+1234567890', '+1'], // the spec's example: no country claims it
    ['+882123456789', '+882'],
  ])('%s rings in %s', (phone, country) => expect(phoneCountryOf(phone)).toBe(country));
});

describe('text budget settings (lib/config.ts)', () => {
  const local = { LOCAL_MODE: '1' };
  it('have local defaults, and per-country exceptions by ISO code or calling code', () => {
    expect(loadConfig(local)).toMatchObject({ smsDailyBudget: 5000, smsCountryDailyBudget: 1000, smsCountryBudgets: {}, smsBudgetShards: 16 });
    expect(loadConfig({ ...local, SMS_DAILY_BUDGET: '300', SMS_COUNTRY_DAILY_BUDGET: '20', SMS_COUNTRY_BUDGETS: 'US=250, +882=0', SMS_BUDGET_SHARDS: '4' }))
      .toMatchObject({ smsDailyBudget: 300, smsCountryDailyBudget: 20, smsCountryBudgets: { US: 250, '+882': 0 }, smsBudgetShards: 4 });
  });
  it.each([
    [{ SMS_DAILY_BUDGET: '0' }, /SMS_DAILY_BUDGET must be a whole number of texts, at least 1/],
    [{ SMS_COUNTRY_DAILY_BUDGET: 'lots' }, /SMS_COUNTRY_DAILY_BUDGET must be a whole number/],
    [{ SMS_COUNTRY_BUDGETS: 'usa=5' }, /SMS_COUNTRY_BUDGETS must list entries such as/],
    [{ SMS_BUDGET_SHARDS: '0' }, /SMS_BUDGET_SHARDS must be a whole number from 1 to 256/],
    [{ SMS_BUDGET_SHARDS: '257' }, /SMS_BUDGET_SHARDS must be a whole number from 1 to 256/],
  ])('refuse a bad value at cold start: %o', (env, message) => expect(() => loadConfig({ ...local, ...env })).toThrow(message));
  it('must be set in a deployed function that texts', () => {
    expect(() => loadConfig({ TABLE_NAME: 't', IDENTITY_TABLE_NAME: 'i', TOKEN_TABLE_NAME: 'k', OUTBOX_TABLE_NAME: 'o', AUDIT_TABLE_NAME: 'a', AWS_REGION: 'us-east-1' }, ['sms-budget'])).toThrow(/SMS_DAILY_BUDGET must be set/);
  });
});
