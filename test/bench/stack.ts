/**
 * The local stack as `npm start` runs it (lib/local/local-stack.ts), in this process and on free
 * ports (never 3000/8000/8005, which a developer's `npm start` may hold), on the four tables a stage
 * deploys. Mails go out as there: the
 * outbox mailer on the outbox table's stream. Only the 5 s sweep is left out (nothing fails here to retry;
 * it would only add noise).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { startLocalStack } from '../../lib/local/local-stack.js';
import { startOutboxStream } from '../../lib/local/outbox-relay.js';
import type { HashingPool } from '../../lib/adapters/bcrypt/hashing-pool.js';

export interface BenchStack {
  apiUrl: string;
  /** The very hasher the API's handlers hash with: the floor is measured through it. */
  hasher: HashingPool;
  sesEndpoint: string;
  stop(): Promise<void>;
}

export async function startStack(): Promise<BenchStack> {
  const env = process.env;
  delete env.DYNAMODB_ENDPOINT;
  delete env.SES_ENDPOINT;
  env.TABLE_NAME = `bench-${randomBytes(4).toString('hex')}`;
  // The item families on their tables, as every stage deploys them (lib/adapters/dynamodb/placement.ts).
  env.IDENTITY_TABLE_NAME = `${env.TABLE_NAME}-identities`;
  env.TOKEN_TABLE_NAME = `${env.TABLE_NAME}-tokens`;
  env.OUTBOX_TABLE_NAME = `${env.TABLE_NAME}-outbox`;
  env.LOCAL_MASTER_KEY = randomBytes(32).toString('base64'); // so nothing is written to .local/
  env.LOCAL_ACCESS_TOKEN_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  env.MAIL_FROM ??= 'no-reply@bench.local';
  env.VERIFY_URL_BASE = 'http://localhost/api/v1/patient/verify-email';
  delete env.KMS_KEY_ID;
  delete env.AWS_LAMBDA_FUNCTION_NAME;
  // The bench sets its own concurrency and times every request it sends: the pool admits them all
  // (the door's refusals are tested in test/integration/hashing-saturation.test.ts, not timed here).
  const stack = await startLocalStack({ port: 0, storage: 'dynamodb', outboxRelay: false, hashing: { budgetMs: Number.POSITIVE_INFINITY } });
  const stream = await startOutboxStream(env.DYNAMODB_ENDPOINT!, env.OUTBOX_TABLE_NAME);
  const stop = async () => {
    await stream.stop();
    await stack.stop();
  };
  return { apiUrl: stack.apiUrl.replace('localhost', '127.0.0.1'), sesEndpoint: stack.sesEndpoint, hasher: stack.hasher, stop };
}

/** Verification tokens by recipient, from the SES emulator's store. */
export async function verificationTokens(sesEndpoint: string): Promise<Map<string, string>> {
  const response = await fetch(`${sesEndpoint}/store`);
  const { emails } = (await response.json()) as { emails: { destination: { to: string[] }; body: { text: string } }[] };
  const tokens = new Map<string, string>();
  for (const mail of emails) {
    const token = /[?&]token=([A-Za-z0-9_-]+)/.exec(mail.body.text)?.[1];
    for (const to of mail.destination.to) if (token) tokens.set(to, token);
  }
  return tokens;
}
