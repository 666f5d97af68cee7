import { describe, expect, it } from 'vitest';
import { handler as phoneClaim, PHONE_CLAIM_ANSWER } from '../../functions/phone-claim/handler.js';
import { handler as register } from '../../functions/register/handler.js';
import { API_PATHS } from '../../lib/http/routes.js';
import { auditTrailOf } from '../support/audit-trail.js';
import { handler as forgot } from '../../functions/password-forgot/handler.js';
import { handler as reset } from '../../functions/password-reset/handler.js';
import { codeFrom, getItem, mailsTo, reservationKeys, scanTable, textsTo, tokenFrom } from '../support/local-aws.js';
import { codeSentTo, phoneApi } from '../support/phone-api.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';
import { api, verifiedPatient } from '../support/sign-in-api.js';

/*
 * Issue 19 item 4, the attack's repro over the real handlers: a squatter registers (and verifies) its
 * own email with the victim's number. Before, the victim's registration got 422 forever; now the
 * victim proves the number by SMS and registers with it, and the squatter is told by mail.
 */
const askClaim = (phone: string) => invoke(phoneClaim, apiEvent({ phone_number: phone }, { path: API_PATHS.phoneClaim }));
const registerWith = (body: Record<string, unknown>) => invoke(register, apiEvent(body));

describe('phone claim (handlers, DynamoDB Local, SES emulator, SMS inbox)', () => {
  it('possession wins: the victim proves the squatted number and registers with it; the squatter loses it and is told', async () => {
    const squatter = await verifiedPatient();
    const phone = squatter.body.phone_number as string;
    const victim = uniqueRegistration({ phone_number: phone });
    expect((await registerWith(victim)).statusCode).toBe(422);

    const asked = await askClaim(phone);
    expect(asked.statusCode).toBe(202);
    expect(asked.body).toEqual({ success: true, message: PHONE_CLAIM_ANSWER });
    await phoneApi.sweep();
    const [text] = await textsTo(phone);
    expect(text!.body).toMatch(/^\d{6} is your patient portal code to register with this phone number/);

    const registered = await registerWith({ ...victim, phone_claim_code: codeFrom(text!) });
    expect(registered.statusCode).toBe(201);
    expect(registered.body.data).toMatchObject({ phone_number: phone, phone_verified: true, email_verified: false });

    // The squatter's record: no number, not provable, flagged; a notice without name or number.
    const me = await api.meAs(squatter.session.access_token as string);
    expect(me.body.data).toMatchObject({ phone_number: null, phone_verified: false, phone_number_released: true });
    expect((await phoneApi.requestCode(squatter.session.access_token as string)).statusCode).toBe(409);
    await phoneApi.sweep();
    const notice = (await mailsTo(squatter.body.email as string)).find((m) => m.subject.includes('The phone number on your account was removed'));
    expect(notice).toBeDefined();
    expect(JSON.stringify(notice)).not.toContain(phone);
    expect(JSON.stringify(notice)).not.toContain(squatter.body.first_name as string);

    const trail = await auditTrailOf(squatter.patientId);
    expect(trail.find((e) => e.reason === 'phone_taken_over')).toMatchObject({ action: 'record_update', outcome: 'success', fields: ['phone_number'] });

    // The number is the victim's now, proven: a third registration with it is the spec's 422.
    const third = await registerWith(uniqueRegistration({ phone_number: phone }));
    expect(third.statusCode).toBe(422);
    expect(third.body.errors).toEqual({ phone_number: ['Phone number is already registered'] });
  });

  it('a claimed registration (its number proven, its email not) taken back by a reset keeps its number and its reservation stops lapsing', async () => {
    const held = uniqueRegistration();
    expect((await registerWith(held)).statusCode).toBe(201);
    const phone = held.phone_number as string;
    await askClaim(phone);
    await phoneApi.sweep();
    const owner = uniqueRegistration({ phone_number: phone });
    const registered = await registerWith({ ...owner, phone_claim_code: codeFrom((await textsTo(phone)).at(-1)!) });
    expect(registered.statusCode).toBe(201);
    const { phone: phoneKey } = await reservationKeys(owner.email as string, phone);
    expect((await getItem(phoneKey, 'UNIQUE'))?.ttl).toBeDefined(); // lapses with the unverified registration

    // The owner forgets the password before verifying: the reset proves the mailbox (a take-back).
    expect((await invoke(forgot, apiEvent({ email: owner.email }, { path: API_PATHS.passwordForgot }))).statusCode).toBe(200);
    await phoneApi.sweep();
    const token = tokenFrom((await mailsTo(owner.email as string)).find((m) => /reset/i.test(m.subject))!);
    const password = 'Owner-Owns-1t-Now!';
    expect((await invoke(reset, apiEvent({ token, password, confirm_password: password }, { path: API_PATHS.passwordReset }))).statusCode).toBe(200);

    // The number was proven by SMS: kept, and its reservation no longer lapses (the takeover's holder is another account).
    const reservation = await getItem(phoneKey, 'UNIQUE');
    expect(reservation).toMatchObject({ patient_id: registered.body.data.patient_id });
    expect(reservation?.ttl).toBeUndefined();
    const stored = await getItem(`PATIENT#${registered.body.data.patient_id}`, 'PROFILE');
    expect(stored).toMatchObject({ phone_number: phone, phone_verified: true, email_verified: true, profile_review_required: true });
    expect(stored?.phone_number_released).toBeUndefined();
  });

  it('answers the same 202 for a free, a held and a proven number, and texts only the held unproven one', async () => {
    const held = uniqueRegistration();
    expect((await registerWith(held)).statusCode).toBe(201);
    const proven = await verifiedPatient();
    const provenPhone = proven.body.phone_number as string;
    await codeSentTo(proven.session.access_token as string, provenPhone).then((code) => phoneApi.verify(proven.session.access_token as string, { code }));
    const free = uniqueRegistration().phone_number as string;
    const textsBefore = (await textsTo(provenPhone)).length;

    const answers = await Promise.all([free, held.phone_number as string, provenPhone].map(askClaim));
    expect(answers.map((a) => a.statusCode)).toEqual([202, 202, 202]);
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    await phoneApi.sweep();
    expect(await textsTo(free)).toHaveLength(0);
    expect(await textsTo(held.phone_number as string)).toHaveLength(1);
    expect(await textsTo(provenPhone)).toHaveLength(textsBefore);
  });

  it('a wrong code is 422 on phone_claim_code, nothing registered; the claim code is stored only as a digest', async () => {
    const held = uniqueRegistration();
    expect((await registerWith(held)).statusCode).toBe(201);
    await askClaim(held.phone_number as string);
    await phoneApi.sweep();
    const code = codeFrom((await textsTo(held.phone_number as string)).at(-1)!);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const victim = uniqueRegistration({ phone_number: held.phone_number, phone_claim_code: wrong });
    const refused = await registerWith(victim);
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toEqual({ success: false, message: 'Validation failed', errors: { phone_claim_code: ['The code is not correct. 4 tries left.'] } });
    const claims = (await scanTable()).filter((i) => i.entity === 'phone_claim');
    expect(JSON.stringify(claims)).not.toContain(code);
    expect(JSON.stringify(claims)).not.toContain(held.phone_number as string);
    expect((await registerWith({ ...victim, phone_claim_code: code })).statusCode).toBe(201);
  });

  it('refuses a malformed number or code with the spec\'s 422', async () => {
    const bad = await askClaim('not a number');
    expect(bad.statusCode).toBe(422);
    expect(bad.body.errors.phone_number).toBeDefined();
    const badCode = await registerWith(uniqueRegistration({ phone_claim_code: '12ab' }));
    expect(badCode.statusCode).toBe(422);
    expect(badCode.body.errors.phone_claim_code).toBeDefined();
  });
});
