import { describe, expect, it } from 'vitest';
import { TooManyRequestsError } from '../../lib/errors.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { registerPatient } from '../../lib/patient/register-patient.js';
import type { RegistrationRequest } from '../../lib/patient/registration-schema.js';
import { requestVerificationResend, RESEND_LIMIT, type RequestResendDeps } from '../../lib/patient/resend-verification.js';
import { MIN_RESEND_LIFE_MS } from '../../lib/patient/link-token.js';
import { TOKEN_LIFETIME_MS } from '../../lib/patient/verification-token.js';
import { verifyEmail } from '../../lib/patient/verify-email.js';
import { captureOutput } from '../support/capture-output.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { uniqueRegistration } from '../support/requests.js';

captureOutput();

const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

/** Every port call a resend request makes, in order, with what was asked of it. */
function recording(deps: FakeDeps): { deps: RequestResendDeps; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    deps: {
      clock: deps.clock,
      identifiers: {
        current: async (kind, value) => (calls.push(`digest ${kind}`), deps.identifiers.current(kind, value)),
        all: async () => expect.fail('a resend request never looks an address up'),
      },
      rateLimiter: { ...deps.rateLimiter, hit: async (key, rule, now) => (calls.push(`hit ${rule.limit}/${rule.windowSeconds}s`), deps.rateLimiter.hit(key, rule, now)) },
      outbox: { ...deps.outbox, enqueue: async (request) => (calls.push(`enqueue ${request.kind}`), deps.outbox.enqueue(request)) },
    },
  };
}

async function scenario(kind: 'unknown' | 'verified' | 'unverified') {
  const deps = createFakeDeps();
  const body = uniqueRegistration() as RegistrationRequest;
  if (kind !== 'unknown') {
    await registerPatient(body, deps);
    await deliverDueMails(deps); // the verification mail, sent by the outbox mailer
    if (kind === 'verified') await verifyEmail({ token: tokenOf(deps.mailer.sent.at(-1)!.verifyUrl), password: body.password }, {}, deps);
  }
  return { deps, email: body.email, password: body.password };
}

describe('requestVerificationResend: the answer cannot depend on the address', () => {
  it('does exactly the same port calls for an unknown, a verified and an unverified address', async () => {
    const traces = [];
    for (const kind of ['unknown', 'verified', 'unverified'] as const) {
      const { deps, email } = await scenario(kind);
      const { deps: recorded, calls } = recording(deps);
      const mailsBefore = deps.mailer.sent.length;
      await requestVerificationResend(email.toUpperCase(), recorded);
      expect(deps.mailer.sent).toHaveLength(mailsBefore); // nothing sent in the request
      traces.push(calls.join(' → '));
    }
    expect(new Set(traces)).toEqual(new Set(['digest email → hit 3/3600s → enqueue resend_request']));
  });

  it('counts every address against the same limit, then refuses with Retry-After', async () => {
    const { deps, email } = await scenario('unknown');
    for (let i = 0; i < RESEND_LIMIT.limit; i++) await requestVerificationResend(email, deps);
    const refused = await requestVerificationResend(` ${email.toUpperCase()} `, deps).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    expect((refused as TooManyRequestsError).retryAfterSeconds).toBeGreaterThan(0);
  });

  it('queues the normalized address, which is all the outbox needs', async () => {
    const { deps, email } = await scenario('unknown');
    await requestVerificationResend(`  ${email.toUpperCase()} `, deps);
    const [id] = await deps.outbox.listDue(deps.clock.now(), 10);
    expect(await deps.outbox.claim(id!, deps.clock.now(), 60_000)).toMatchObject({ kind: 'resend_request', to: email });
  });
});

describe('the outbox acts on a resend request', () => {
  it('inside the live link\'s life, an unverified patient gets that same link again: a stranger\'s requests cannot replace it', async () => {
    const { deps, email, password } = await scenario('unverified');
    const owners = tokenOf(deps.mailer.sent[0]!.verifyUrl);
    deps.clock.advance(3600_000);
    await requestVerificationResend(email, deps);
    expect(await deliverDueMails(deps)).toMatchObject({ sent: 1, failed: 0 });
    expect(deps.mailer.sent).toHaveLength(2);
    expect(tokenOf(deps.mailer.sent[1]!.verifyUrl)).toBe(owners);
    await expect(verifyEmail({ token: owners, password }, {}, deps)).resolves.toMatchObject({ patient_id: expect.any(String) });
  });

  it('with less than 5 minutes left, an unverified patient gets a new link; the old one is superseded and the new one verifies', async () => {
    const { deps, email, password } = await scenario('unverified');
    const oldToken = tokenOf(deps.mailer.sent[0]!.verifyUrl);
    deps.clock.advance(TOKEN_LIFETIME_MS - MIN_RESEND_LIFE_MS + 1000);
    await requestVerificationResend(email, deps);
    expect(await deliverDueMails(deps)).toMatchObject({ sent: 1, failed: 0 });
    expect(deps.mailer.sent).toHaveLength(2);
    const newToken = tokenOf(deps.mailer.sent[1]!.verifyUrl);
    expect(newToken).not.toBe(oldToken);
    await expect(verifyEmail({ token: oldToken, password }, {}, deps)).rejects.toMatchObject({ statusCode: 410 });
    await expect(verifyEmail({ token: newToken, password }, {}, deps)).resolves.toMatchObject({ patient_id: expect.any(String) });
  });

  it.each(['unknown', 'verified'] as const)('an %s address gets nothing, and the request is done', async (kind) => {
    const { deps, email } = await scenario(kind);
    const mailsBefore = deps.mailer.sent.length;
    await requestVerificationResend(email, deps);
    expect(await deliverDueMails(deps)).toMatchObject({ sent: 1, failed: 0 });
    expect(deps.mailer.sent).toHaveLength(mailsBefore);
    expect(await deps.outbox.listDue(new Date(deps.clock.now().getTime() + 3600_000), 10)).toEqual([]);
  });

  it('a lookup that fails leaves the request in the outbox for a later attempt', async () => {
    const { deps, email } = await scenario('unverified');
    await requestVerificationResend(email, deps);
    deps.repository.findPatientByEmail = async () => { throw new Error('DynamoDB unavailable'); };
    expect(await deliverDueMails(deps)).toMatchObject({ sent: 0, failed: 1 });
    expect(await deps.outbox.listDue(new Date(deps.clock.now().getTime() + 3600_000), 10)).toHaveLength(1);
  });
});
