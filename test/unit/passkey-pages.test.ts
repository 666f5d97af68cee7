import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { PASSKEY_PAGE_CSP, passkeyEnrolPage, passkeySignInPage } from '../../lib/http/passkey-pages.js';
import { PAGE_CSP } from '../../lib/http/page.js';
import { lambdaContext } from '../support/requests.js';

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
const get = (path: string) => ({ httpMethod: 'GET', path, headers: {}, requestContext: {} }) as never;

describe('the passkey pages (issue 21)', () => {
  it.each([
    ['enrol', passkeyEnrolPage, 'Add a passkey'],
    ['sign-in', passkeySignInPage, 'Sign in with a passkey'],
  ] as const)('%s: one script, pinned by its hash; fetch to this origin only; WebAuthn allowed for this origin alone; no inline handler', async (_, page, title) => {
    const response = await page('Clinic')(get('/api/v1/patient/passkeys/x'), lambdaContext);
    expect(response.statusCode).toBe(200);
    const html = response.body;
    expect(html).toContain(`<h1>${title}</h1>`);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(1);
    expect(PASSKEY_PAGE_CSP['script-src']).toBe(hash(scripts[0]!));
    expect(PASSKEY_PAGE_CSP['script-src']).not.toBe(PAGE_CSP['script-src']);
    expect(PASSKEY_PAGE_CSP['connect-src']).toBe("'self'");
    const csp = response.headers!['Content-Security-Policy']!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(response.headers!['Permissions-Policy']).toContain('publickey-credentials-get=(self)');
    expect(response.headers!['Cache-Control']).toBe('no-store');
    // Without a script the page says what it needs.
    expect(html).toContain('<noscript><p>Passkeys need JavaScript');
  });
});

describe('RP_ID and WEBAUTHN_ORIGIN', () => {
  const local = { LOCAL_MODE: '1' };
  it('default locally to localhost and the local server\'s origin', () => {
    expect(loadConfig({ ...local, PORT: '4000' })).toMatchObject({ rpId: 'localhost', webauthnOrigin: 'http://localhost:4000' });
  });

  it('accept an origin on the RP id or under it', () => {
    expect(loadConfig({ ...local, RP_ID: 'clinic.example', WEBAUTHN_ORIGIN: 'https://app.clinic.example' })).toMatchObject({ rpId: 'clinic.example' });
    expect(loadConfig({ ...local, RP_ID: 'clinic.example', WEBAUTHN_ORIGIN: 'https://clinic.example' })).toMatchObject({ webauthnOrigin: 'https://clinic.example' });
  });

  it.each([
    ['an origin on another site', 'clinic.example', 'https://clinic.example.evil.test'],
    ['plain http off localhost', 'clinic.example', 'http://app.clinic.example'],
    ['a path after the origin', 'clinic.example', 'https://app.clinic.example/'],
    ['an RP id with a scheme', 'https://clinic.example', 'https://clinic.example'],
    ['an RP id with upper case', 'Clinic.example', 'https://clinic.example'],
  ])('refuse to start with %s', (_, rpId, origin) => {
    expect(() => loadConfig({ ...local, RP_ID: rpId, WEBAUTHN_ORIGIN: origin })).toThrow(/RP_ID|WEBAUTHN_ORIGIN/);
  });

  it('are required of a Lambda that runs a ceremony (need "passkeys")', () => {
    const lambda = { AWS_LAMBDA_FUNCTION_NAME: 'f', TABLE_NAME: 't', IDENTITY_TABLE_NAME: 'i', TOKEN_TABLE_NAME: 'k', OUTBOX_TABLE_NAME: 'o', AUDIT_TABLE_NAME: 'a', AWS_REGION: 'us-east-1' };
    expect(() => loadConfig(lambda, ['passkeys'])).toThrow(/RP_ID must be set/);
    expect(loadConfig({ ...lambda, RP_ID: 'clinic.example', WEBAUTHN_ORIGIN: 'https://clinic.example' }, ['passkeys'])).toMatchObject({ rpId: 'clinic.example' });
  });
});
