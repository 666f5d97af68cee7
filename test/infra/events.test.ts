import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../infra/stacks/stateless-stack.js';

const load = (name: string) => JSON.parse(readFileSync(new URL(`../../events/${name}.json`, import.meta.url), 'utf8'));

describe('sample API Gateway (REST, v1 proxy) events for sam local invoke', () => {
  it.each([
    ['register', 'POST', ROUTES.register],
    ['verify-email', 'POST', ROUTES.verifyEmail],
    ['verify-email-page', 'GET', ROUTES.verifyEmail],
    ['resend-verification', 'POST', ROUTES.resendVerification],
  ])('%s matches its route', (name, method, route) => {
    const event = load(name);
    expect(event).toMatchObject({ httpMethod: method, resource: route, path: route, isBase64Encoded: false });
    expect(event.requestContext).toMatchObject({ httpMethod: method, resourcePath: route });
    expect(typeof event.headers).toBe('object');
  });

  it('register carries the spec example request as a JSON string body', () => {
    const body = JSON.parse(load('register').body);
    expect(body).toMatchObject({ first_name: 'Jane', email: 'jane.smith@email.com', password: 'SecurePassword123!' });
    expect(body.address).toEqual({ street: '456 Main Street', city: 'Boston', state: 'MA', zip: '02101' });
  });

  it('verify-email (POST body) and the page (query string) carry a 43-char base64url token', () => {
    const token = JSON.parse(load('verify-email').body).token;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const page = load('verify-email-page');
    expect(page.body).toBeNull();
    expect(page.queryStringParameters.token).toBe(token);
  });

  it('resend-verification carries the spec example address as a JSON string body', () => {
    expect(JSON.parse(load('resend-verification').body)).toEqual({ email: 'jane.smith@email.com' });
  });
});

describe('sample outbox-mailer events', () => {
  it('outbox-mailer-stream is an INSERT of an outbox item, so it passes the event source filter', () => {
    const { Records } = load('outbox-mailer-stream');
    expect(Records).toHaveLength(1);
    const [record] = Records;
    expect(record).toMatchObject({ eventName: 'INSERT', eventSource: 'aws:dynamodb', dynamodb: { StreamViewType: 'KEYS_ONLY' } });
    expect(record.dynamodb.Keys.pk.S).toMatch(/^OUTBOX#[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(record.dynamodb.Keys.sk).toEqual({ S: 'MAIL' });
    // What the deployed stream delivers: keys, no item images.
    expect(Object.keys(record.dynamodb.Keys).sort()).toEqual(['pk', 'sk']);
    expect(record.dynamodb.NewImage).toBeUndefined();
    expect(record.dynamodb.OldImage).toBeUndefined();
    expect(typeof record.dynamodb.SequenceNumber).toBe('string');
  });

  it('outbox-mailer-schedule is an EventBridge scheduled event (no Records: the handler sweeps)', () => {
    const event = load('outbox-mailer-schedule');
    expect(event).toMatchObject({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });
    expect(event.Records).toBeUndefined();
  });
});
