import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../lib/http/routes.js';
import { matchesFilter, OUTBOX_STREAM_SOURCE } from '../../lib/outbox/stream-source.js';

const load = (name: string) => JSON.parse(readFileSync(new URL(`../../events/${name}.json`, import.meta.url), 'utf8'));
/** The body as the function reads it: the deployed API hands every body over as base64 of its bytes. */
const bodyOf = (name: string) => JSON.parse(Buffer.from(load(name).body, 'base64').toString('utf8'));

describe('sample API Gateway (REST, v1 proxy) events for sam local invoke', () => {
  it.each(Object.values(API_ROUTES))('events/$functionName.json is a $method $path event', ({ functionName, method, path }) => {
    const event = load(functionName);
    // A body arrives base64-encoded (binaryMediaTypes */*), a missing one as null.
    // `path` is the path as requested: a `{name}` of the route's is a value there, named in pathParameters.
    const asRequested = new RegExp(`^${path.replace(/\{(\w+)\}/g, (_m, name: string) => event.pathParameters?.[name] ?? '{missing}')}$`);
    expect(event).toMatchObject({ httpMethod: method, resource: path, isBase64Encoded: event.body !== null });
    expect(event.path).toMatch(asRequested);
    expect(event.requestContext).toMatchObject({ httpMethod: method, resourcePath: path });
    expect(typeof event.headers).toBe('object');
    expect(Object.keys(event.multiValueHeaders)).toEqual(Object.keys(event.headers));
  });

  it('register carries the spec example request as a base64 JSON body', () => {
    const body = bodyOf('register');
    expect(body).toMatchObject({ first_name: 'Jane', email: 'jane.smith@email.com', password: 'SecurePassword123!' });
    expect(body.address).toEqual({ street: '456 Main Street', city: 'Boston', state: 'MA', zip: '02101' });
  });

  it('verify-email (POST body) and the page (query string) carry a 43-char base64url token', () => {
    const token = bodyOf('verify-email').token;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const page = load('verify-email-page');
    expect(page.body).toBeNull();
    expect(page.queryStringParameters.token).toBe(token);
  });

  it('phone-claim carries the spec example number as a base64 JSON body', () => {
    expect(bodyOf('phone-claim')).toEqual({ phone_number: '+1234567890' });
  });

  it('resend-verification carries the spec example address as a base64 JSON body', () => {
    expect(bodyOf('resend-verification')).toEqual({ email: 'jane.smith@email.com' });
  });
});

describe('sample outbox-mailer events', () => {
  it('outbox-mailer-stream is an INSERT of an outbox item, so it passes the event source filter', () => {
    const { Records } = load('outbox-mailer-stream');
    expect(Records).toHaveLength(1);
    const [record] = Records;
    expect(record).toMatchObject({ eventName: 'INSERT', eventSource: 'aws:dynamodb', dynamodb: { StreamViewType: 'KEYS_ONLY' } });
    // The outbox table's stream, the only one (issue 23: the other tables have none).
    expect(record.eventSourceARN).toMatch(/:table\/PatientRegistration-dev-Stateful-OutboxTable[0-9A-F]{8}-\w+\/stream\//);
    expect(record.dynamodb.Keys.pk.S).toMatch(/^OUTBOX#[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(record.dynamodb.Keys.sk).toEqual({ S: 'MAIL' });
    // What the deployed stream delivers: keys, no item images.
    expect(Object.keys(record.dynamodb.Keys).sort()).toEqual(['pk', 'sk']);
    expect(record.dynamodb.NewImage).toBeUndefined();
    expect(record.dynamodb.OldImage).toBeUndefined();
    expect(typeof record.dynamodb.SequenceNumber).toBe('string');
    // The mapping's own filter (the one the local stream consumer applies too) lets it through.
    expect(matchesFilter(OUTBOX_STREAM_SOURCE.filterPattern, record)).toBe(true);
    expect(matchesFilter(OUTBOX_STREAM_SOURCE.filterPattern, { ...record, eventName: 'MODIFY' })).toBe(false);
    expect(matchesFilter(OUTBOX_STREAM_SOURCE.filterPattern, { ...record, dynamodb: { ...record.dynamodb, Keys: { pk: { S: 'PATIENT#1' }, sk: { S: 'PROFILE' } } } })).toBe(false);
  });

  it('outbox-mailer-schedule is an EventBridge scheduled event (no Records: the handler sweeps)', () => {
    const event = load('outbox-mailer-schedule');
    expect(event).toMatchObject({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });
    expect(event.Records).toBeUndefined();
  });
});
