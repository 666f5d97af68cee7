import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/register/handler.js';
import { apiEvent, invoke, SPEC_EXAMPLE, uniqueRegistration } from '../support/requests.js';
import { awaitMails, getItem, mailsTo, reservationKeys, scanTable } from '../support/local-aws.js';
import { useOutboxStream } from '../support/outbox-stream.js';

useOutboxStream(); // the outbox mailer on this file's table stream, as npm start and AWS run it

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function expectStandardHeaders(headers: Record<string, string>) {
  expect(headers['Content-Type']).toBe('application/json; charset=utf-8');
  expect(headers['X-Content-Type-Options']).toBe('nosniff');
  expect(headers['Strict-Transport-Security']).toMatch(/^max-age=\d+/);
  expect(headers['Cache-Control']).toBe('no-store');
}

describe('POST /api/v1/patient/register with the spec example', () => {
  it('answers 201 exactly as the spec says, stores the patient and mails a verification link', async () => {
    // The SES emulator is shared by all test files (the sample-event test registers the spec example too).
    const mailsBefore = (await mailsTo('jane.smith@email.com')).length;
    const response = await invoke(handler, apiEvent(SPEC_EXAMPLE));

    expect(response.statusCode).toBe(201);
    expectStandardHeaders(response.headers);
    expect(response.body).toEqual({
      success: true,
      message: 'Patient registered successfully. Verification email sent.',
      data: {
        patient_id: expect.stringMatching(UUID_V4),
        email: 'jane.smith@email.com',
        phone_number: '+1234567890',
        email_verified: false,
        phone_verified: false,
      },
    });

    const id = response.body.data.patient_id;
    const item = await getItem(`PATIENT#${id}`, 'PROFILE');
    expect(item).toMatchObject({
      id,
      first_name: 'Jane',
      last_name: 'Smith',
      email: 'jane.smith@email.com',
      phone_number: '+1234567890',
      date_of_birth: '1990-05-15',
      gender: 'female',
      address: { street: '456 Main Street', city: 'Boston', state: 'MA', zip: '02101', country: 'US' },
      emergency_contact: { name: 'John Smith', phone: '+1234567891', relationship: 'spouse' },
      email_verified: false,
      phone_verified: false,
      is_active: true,
    });
    expect(item!.password_hash).toMatch(/^\$2[aby]\$12\$/);
    expect(Date.parse(item!.created_at)).not.toBeNaN();
    expect(item!.updated_at).toBe(item!.created_at);
    const reservations = await reservationKeys('jane.smith@email.com', '+1234567890');
    expect(await getItem(reservations.email, 'UNIQUE')).toMatchObject({ patient_id: id });
    expect(await getItem(reservations.phone, 'UNIQUE')).toMatchObject({ patient_id: id });

    const mails = await awaitMails('jane.smith@email.com', mailsBefore + 1);
    expect(mails).toHaveLength(mailsBefore + 1);
    const mail = mails.at(-1);
    // MAIL_FROM under the service's name (SERVICE_NAME, test/support/integration-env.ts).
    expect(mail!.from).toBe('"Riverside Clinic" <no-reply@clinic.test>');
    // The address has not proven itself: no text the registrant chose, not even the name (issue 19 item 9).
    expect(mail!.body.text).toMatch(/^Hello,\n/);
    expect(mail!.body.text).not.toContain('Jane');
    expect(mail!.body.text).toMatch(/https:\/\/app\.clinic\.test\/verify-email\?token=[A-Za-z0-9_-]{43}\b/);
    expect(mail!.body.html).toContain('https://app.clinic.test/verify-email?token=');
  });
});

describe('what a registration stores', () => {
  it('keeps a token only as its SHA-256 digest, expiring in 24 hours', async () => {
    const body = uniqueRegistration();
    const { body: res } = await invoke(handler, apiEvent(body));
    const tokens = (await scanTable()).filter((i) => i.entity === 'verification_token' && i.patient_id === res.data.patient_id);
    expect(tokens).toHaveLength(1);
    expect(tokens[0]!.pk).toMatch(/^VERIFY#[0-9a-f]{64}$/);
    const [mail] = await awaitMails(body.email);
    const token = /token=([A-Za-z0-9_-]+)/.exec(mail!.body.text)![1]!;
    expect(JSON.stringify(tokens[0])).not.toContain(token);
    const hoursLeft = (tokens[0]!.expires_at * 1000 - Date.now()) / 3_600_000;
    expect(hoursLeft).toBeGreaterThan(23.9);
    expect(hoursLeft).toBeLessThanOrEqual(24);
  });

  it('normalizes email case and phone formatting before storing and answering', async () => {
    const body = uniqueRegistration();
    const email = body.email as string;
    const phone = body.phone_number as string;
    const spaced = `${phone.slice(0, 2)} (${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8)}`;
    const { statusCode, body: res } = await invoke(handler, apiEvent({ ...body, email: `  ${email.toUpperCase()} `, phone_number: spaced }));
    expect(statusCode).toBe(201);
    expect(res.data).toMatchObject({ email, phone_number: phone });
  });

  it('registers a patient without optional fields, without calling for a data key', async () => {
    const { emergency_contact: _e, insurance_info: _i, ...body } = uniqueRegistration();
    const { statusCode, body: res } = await invoke(handler, apiEvent(body));
    expect(statusCode).toBe(201);
    const item = await getItem(`PATIENT#${res.data.patient_id}`, 'PROFILE');
    expect(item).not.toHaveProperty('insurance_info');
    expect(item).not.toHaveProperty('phi_key');
    expect(item).not.toHaveProperty('emergency_contact');
  });
});

describe('bad input gets a 4xx envelope and writes nothing', () => {
  async function expectNothingWritten(run: () => Promise<void>) {
    const before = (await scanTable()).length;
    await run();
    expect((await scanTable()).length).toBe(before);
  }

  it('422 lists every failing field', async () => {
    await expectNothingWritten(async () => {
      const response = await invoke(handler, apiEvent({ ...uniqueRegistration(), email: 'nope', gender: 'x', password_hash: 'x' }));
      expect(response.statusCode).toBe(422);
      expectStandardHeaders(response.headers);
      expect(response.body).toEqual({
        success: false,
        message: 'Validation failed',
        errors: {
          email: ['Must be a valid email address'],
          gender: ['Must be one of: male, female, other, prefer_not_to_say'],
          password_hash: ['Cannot be set by the client'],
        },
      });
    });
  });

  it.each([
    ['malformed JSON', apiEvent('{"first_name": "Jane",'), 400, 'Request body is not valid JSON'],
    ['an empty body', apiEvent(undefined), 400, 'Request body is not valid JSON'],
    ['a form body', apiEvent('first_name=Jane', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), 415, 'Content-Type must be application/json'],
    ['no content type', apiEvent('{}', { headers: {} }), 415, 'Content-Type must be application/json'],
    ['a body over 64 KiB', apiEvent({ ...SPEC_EXAMPLE, medical_history: ['x'.repeat(70_000)] }), 413, 'Request body must not exceed 64 KiB'],
    ['JSON that is not an object', apiEvent('[1,2,3]'), 422, 'Validation failed'],
  ])('%s → %i', async (_name, event, status, message) => {
    await expectNothingWritten(async () => {
      const response = await invoke(handler, event);
      expect(response.statusCode).toBe(status);
      expect(response.body).toMatchObject({ success: false, message });
      expectStandardHeaders(response.headers);
      expect(JSON.stringify(response.body)).not.toMatch(/at .*\.(ts|js):\d+/); // no stack trace
    });
  });

  it('accepts a charset parameter and a base64-encoded body', async () => {
    const body = uniqueRegistration();
    const event = { ...apiEvent(undefined, { headers: { 'content-type': 'application/json; charset=utf-8' } }), body: Buffer.from(JSON.stringify(body)).toString('base64'), isBase64Encoded: true };
    expect((await invoke(handler, event)).statusCode).toBe(201);
  });
});

describe('the response never carries secrets', () => {
  it('has no password, hash or patient data beyond the spec fields', async () => {
    const body = uniqueRegistration({ medical_history: ['Canary-Condition-7f3a'] });
    const { body: res } = await invoke(handler, apiEvent(body));
    const text = JSON.stringify(res);
    for (const secret of [body.password, '$2', 'Canary-Condition-7f3a', 'BC123456789', 'Blue Cross', '1990-05-15', 'Smith']) {
      expect(text).not.toContain(secret);
    }
  });
});
