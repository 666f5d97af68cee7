import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../lib/local/local-stack.js';

/**
 * The README's "Try it with curl" section, run as written against the local stack `npm start` runs,
 * so a command that stops working, or an answer that changes, fails the tests instead of a newcomer.
 * Only the three addresses are swapped for this run's free ports.
 */
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const run = promisify(execFile);

/** The shell blocks of one README section, in order. */
function shellBlocks(markdown: string, heading: string): string[] {
  const section = markdown.split(`\n## ${heading}\n`)[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

let stack: LocalStack;
beforeAll(async () => {
  // Its own mail and SMS inboxes: the shared ones hold other files' mails to the spec's address.
  delete process.env.SES_ENDPOINT;
  delete process.env.SMS_ENDPOINT;
  stack = await startLocalStack({ port: 0, storage: 'dynamodb', outboxRelay: true });
});
afterAll(() => stack?.stop());

describe("the README's curl walk-through", () => {
  it('has the blocks it promises, with the documented addresses', () => {
    const blocks = shellBlocks(README, 'Try it with curl');
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    expect(blocks[0]).toContain('API=http://localhost:3000/api/v1/patient; MAIL=http://127.0.0.1:8005; SMS=http://127.0.0.1:8006');
  });

  it('registers, verifies, signs in, reads, refreshes, verifies the phone, signs out and resets the password, every answer a success', async () => {
    const script = shellBlocks(README, 'Try it with curl')
      .join('\n')
      .replace('http://localhost:3000', stack.apiUrl)
      .replace('http://127.0.0.1:8005', stack.sesEndpoint)
      .replace('http://127.0.0.1:8006', stack.smsEndpoint);
    // Each printed answer on a line of its own (the README's curl prints no newline).
    const { stdout } = await run('bash', ['-c', `set -u\ncurl() { command curl "$@"; echo; }\n${script}`], { timeout: 90_000 });
    const answers = stdout.trim().split('\n').map((line) => JSON.parse(line) as { success: boolean; message: string; data?: Record<string, unknown> });

    expect(answers.map((a) => [a.success, a.message])).toEqual([
      [true, 'Patient registered successfully. Verification email sent.'],
      [true, 'Email verified successfully.'],
      [true, 'Patient record'],
      [true, 'Patient record updated'],
      [true, 'A verification code is on its way to your phone. It is valid for 10 minutes.'],
      [true, 'Phone number verified'],
      [true, 'Logout successful'],
      [true, 'If an account exists for this email, a password reset email is on its way.'],
      [true, 'Your password has been changed. You can now sign in with it.'],
    ]);
    expect(answers[0]!.data).toMatchObject({ email: 'jane.smith@email.com', phone_number: '+1234567890', email_verified: false });
    expect(answers[2]!.data).toMatchObject({ email_verified: true, insurance_info: { provider: 'Blue Cross', policy_number: 'BC123456789' } });
    expect(answers[2]!.data).not.toHaveProperty('password_hash');
    expect(answers[3]!.data).toMatchObject({ address: { street: '12 Elm Street', city: 'Boston' } });
    expect(answers[5]!.data).toEqual({ phone_verified: true });
  });
});
