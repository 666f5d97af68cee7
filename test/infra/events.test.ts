import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../infra/stacks/stateless-stack.js';

const load = (name: string) => JSON.parse(readFileSync(new URL(`../../events/${name}.json`, import.meta.url), 'utf8'));

describe('sample API Gateway (REST, v1 proxy) events for sam local invoke', () => {
  it.each([
    ['register', 'POST', ROUTES.register],
    ['verify-email', 'POST', ROUTES.verifyEmail],
    ['verify-email-page', 'GET', ROUTES.verifyEmail],
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
});
