import { signIn, type SignInAnswer } from '../../lib/auth/sign-in.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { registerPatient } from '../../lib/patient/register-patient.js';
import type { RegistrationRequest } from '../../lib/patient/registration-schema.js';
import { verifyEmail } from '../../lib/patient/verify-email.js';
import type { FakeDeps } from './fakes/index.js';
import { uniqueRegistration } from './requests.js';

/** signIn for a patient without a second factor: the session answer, or the test fails. */
export async function signInSession(...args: Parameters<typeof signIn>): Promise<SignInAnswer> {
  const answer = await signIn(...args);
  if ('mfa_required' in answer) throw new Error('signInSession: this patient holds a second factor');
  return answer;
}

export const CONTEXT = { requestId: 'req-test', sourceIp: '203.0.113.9' };

/** A registered patient, its email verified (unless told otherwise), with the tokens verification gave it. */
export async function registeredPatient(deps: FakeDeps, { verified = true, overrides = {} }: { verified?: boolean; overrides?: Partial<RegistrationRequest> } = {}) {
  const body = uniqueRegistration(overrides) as RegistrationRequest;
  const { patient } = await registerPatient(body, deps);
  await deliverDueMails(deps); // the outbox mailer sends the verification mail, as the stream would
  const token = new URL(deps.mailer.sent.at(-1)!.verifyUrl).searchParams.get('token')!;
  const session = verified ? await verifyEmail({ token, password: body.password }, CONTEXT, deps) : undefined;
  return { patientId: patient.patient_id, email: body.email, password: body.password, body, session };
}
