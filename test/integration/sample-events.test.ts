import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { handler as register } from '../../functions/register/handler.js';
import { handler as verify } from '../../functions/verify-email/handler.js';
import { handler as verifyPage } from '../../functions/verify-email-page/handler.js';
import { lambdaContext } from '../support/requests.js';

/** The events/ files that `sam local invoke` feeds the functions, run through the same handlers here. */
const load = (name: string) => JSON.parse(readFileSync(new URL(`../../events/${name}.json`, import.meta.url), 'utf8'));

describe('sample API Gateway REST events pass through the handlers', () => {
  it('events/register.json registers the spec example', async () => {
    const response = await register(load('register'), lambdaContext);
    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body).data).toMatchObject({ email: 'jane.smith@email.com', phone_number: '+1234567890' });
  });

  it('events/verify-email.json reaches the use case (its placeholder token is unknown: 400)', async () => {
    const response = await verify(load('verify-email'), lambdaContext);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).message).toMatch(/invalid/);
  });

  it('events/verify-email-page.json serves the page', async () => {
    const response = await verifyPage(load('verify-email-page'), lambdaContext);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Confirm my email');
  });
});
