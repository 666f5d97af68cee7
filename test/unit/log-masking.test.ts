import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lib/http/openapi.js';
import { describeError, logger, MASK } from '../../lib/logging/logger.js';
import type { OutboxItem } from '../../lib/outbox/ports.js';
import { captureOutput } from '../support/capture-output.js';

/**
 * The masking replacer, through the real Powertools logger and its real output: the code logs ids
 * only, so without these tests removing the replacer (or a gap in it) would pass every suite.
 */
const output = captureOutput();
const canary = (name: string) => `canary-${name}-${randomBytes(6).toString('hex')}`;
const lines = () => output.text().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

afterEach(() => {
  output.reset();
  logger.resetKeys();
});

/** Every property name of every request and response schema the API documents (requests, tokens, the record). */
function schemaPropertyNames(): string[] {
  const names = new Set<string>();
  const walk = (schema: unknown): void => {
    if (!schema || typeof schema !== 'object') return;
    if (Array.isArray(schema)) return schema.forEach(walk);
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'properties' && value && typeof value === 'object') {
        for (const [name, property] of Object.entries(value)) {
          names.add(name);
          walk(property);
        }
      } else {
        walk(value);
      }
    }
  };
  walk(openApiDocument().components.schemas);
  return [...names];
}

/** One outbox item of every kind with every field set (the compiler checks both): the test reads their field names. */
const OUTBOX_ITEMS: { [K in OutboxItem['kind']]: Required<Extract<OutboxItem, { kind: K }>> } = {
  verification_email: { kind: 'verification_email', id: 'i', patientId: 'p', to: 't', verifyUrl: 'u', createdAt: 'c' },
  resend_request: { kind: 'resend_request', id: 'i', to: 't', createdAt: 'c' },
  password_reset_request: { kind: 'password_reset_request', id: 'i', to: 't', createdAt: 'c' },
  phone_claim_request: { kind: 'phone_claim_request', id: 'i', to: 't', createdAt: 'c' },
  password_reset_email: { kind: 'password_reset_email', id: 'i', patientId: 'p', to: 't', resetUrl: 'u', createdAt: 'c' },
  password_changed_email: { kind: 'password_changed_email', id: 'i', patientId: 'p', to: 't', firstName: 'f', createdAt: 'c', sessionsEnded: 'all' },
  phone_code_sms: { kind: 'phone_code_sms', id: 'i', patientId: 'p', to: 't', text: 's', createdAt: 'c' },
  account_notice_email: { kind: 'account_notice_email', id: 'i', patientId: 'p', to: 't', notice: 'profile_changed', createdAt: 'c' },
  email_move_email: { kind: 'email_move_email', id: 'i', patientId: 'p', to: 't', confirmUrl: 'u', createdAt: 'c' },
};

/** Of those names, the ones whose values are never patient data or a secret, and why. Nothing else may be logged. */
const NOT_SECRET: Readonly<Record<string, string>> = {
  kind: 'an outbox item\'s kind, a constant of the code',
  patientId: 'a random id',
  // The export's audit-trail entries (GET /me/export) name these too; the logger lists them for the same values.
  outcome: 'an audit event\'s outcome: success or failure',
  reason: 'a short code chosen in the code (wrong_password, used, …)',
  fields: 'schema field names (never their values)',
};

/**
 * Keys under which the code holds patient data or secrets: every request and response field, every
 * outbox item field (the mail's link, the SMS text with its code), and a few more names the code uses.
 * Adding any of them to the logger's list of loggable keys fails a test here.
 */
const SENSITIVE = [
  ...new Set([...schemaPropertyNames(), ...Object.values(OUTBOX_ITEMS).flatMap((item) => Object.keys(item)), 'body', 'aUnknownKey']),
].filter((name) => !(name in NOT_SECRET)).sort();

it('derives its canaries from the schemas and the outbox: the credentials and codes are among them', () => {
  for (const name of ['refresh_token', 'access_token', 'current_password', 'password', 'token', 'code', 'resetUrl', 'verifyUrl', 'text', 'to', 'first_name', 'medical_history']) {
    expect(SENSITIVE).toContain(name);
  }
});

describe('log masking: only listed keys are written in clear', () => {
  it.each(SENSITIVE)('a value under "%s" never reaches the output, at the top or nested at any depth', (key) => {
    const secret = key === 'verifyUrl' || key === 'resetUrl' ? `https://clinic.test/link?token=${canary('token')}` : canary(key);
    logger.info('top level', { [key]: secret });
    logger.info('nested', { patientId: { [key]: secret }, fields: [{ [key]: secret }], outcome: { attempts: [{ patientId: { [key]: secret } }] }, deeper: { a: { [key]: secret } } });
    const text = output.text();
    expect(text).toContain('"message":"nested"'); // the capture works
    expect(text).not.toContain(secret);
    expect(text).not.toContain('token=');
    // The key stays visible, its value does not; Powertools drops its own reserved keys (message) instead.
    if (key !== 'message') expect(lines()[0]![key]).toBe(MASK);
  });

  it('writes the ids, outcomes and counts the code logs in clear', () => {
    const entry = { patientId: 'p-2f1c', outboxId: 'o-77aa', outcome: 'verified', attempts: 3, statusCode: 422, fields: ['email', 'address.zip'], driverCode: '23505', kind: 'resend_request' };
    logger.info('ids', entry);
    logger.info('outbox sweep', { sent: 2, 'not-due': 1, failed: 0 });
    const [ids, sweep] = lines();
    expect(ids).toMatchObject({ level: 'INFO', message: 'ids', service: 'patient-registration', ...entry });
    expect(typeof ids!.timestamp).toBe('string');
    expect(sweep).toMatchObject({ sent: 2, 'not-due': 1, failed: 0 });
  });

  it('writes describeError in clear but never the error itself, whose message can echo patient data', () => {
    const secret = canary('error-message');
    const error = Object.assign(new Error(`email ${secret} is taken`), { $metadata: { httpStatusCode: 400, requestId: 'req-1' } });
    logger.error('request failed', { statusCode: 500, ...describeError(error) });
    logger.error('raw error passed by mistake', error);
    logger.error('error under a listed key', { errorName: error, fields: [error] });
    const [described, raw, listed] = lines();
    expect(described).toMatchObject({ statusCode: 500, errorName: 'Error', httpStatusCode: 400, awsRequestId: 'req-1' });
    expect(described!.stack).toMatch(/^\s+at /);
    expect(raw!.error).toBe(MASK);
    expect(listed).toMatchObject({ errorName: MASK, fields: [MASK] });
    expect(output.text()).not.toContain(secret);
  });

  it('masks what Powertools adds on its own: persistent keys, extra strings, and its key names when nested', () => {
    const secret = canary('elsewhere');
    logger.appendKeys({ email: secret });
    logger.info({ message: 'object message', firstName: secret }, secret);
    logger.info('powertools names are listed at the top only', { patientId: { message: secret, level: secret, timestamp: secret } });
    expect(output.text()).not.toContain(secret);
    expect(lines()[0]).toMatchObject({ message: 'object message', email: MASK, firstName: MASK, extra: MASK });
  });

  it('survives a cycle and still masks around it', () => {
    const secret = canary('cycle');
    const looped: Record<string, unknown> = { patientId: 'p-1', email: secret };
    looped.outcome = looped;
    logger.info('cycle', { outcome: looped });
    expect(output.text()).not.toContain(secret);
    expect(lines()[0]).toMatchObject({ outcome: { patientId: 'p-1', email: MASK } });
  });
});
