/**
 * The local stack as `npm start` runs it, in this process and on free ports (never 3000/8000/8005, which
 * a developer's `npm start` may hold): DynamoDB Local, the SES emulator and the API server with the
 * very handlers deployed to Lambda. The outbox relay is not started: registrations send their mail
 * inline, and a 5 s background sweep would only add noise to the timings.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createApiServer } from '../../lib/local/api-server.js';
import { ensureTable, startDynamoDbLocal, startSesEmulator, type RunningService } from '../../lib/local/services.js';

export interface BenchStack {
  apiUrl: string;
  sesEndpoint: string;
  stop(): Promise<void>;
}

export async function startStack(): Promise<BenchStack> {
  const started: RunningService[] = [];
  try {
    const [dynamo, ses] = await Promise.all([startDynamoDbLocal(), startSesEmulator()]);
    started.push(dynamo, ses);
    // Handlers read their configuration at import (a cold start): set everything before loadRoutes().
    const env = process.env;
    env.DYNAMODB_ENDPOINT = dynamo.endpoint;
    env.SES_ENDPOINT = ses.endpoint;
    env.TABLE_NAME = `bench-${randomBytes(4).toString('hex')}`;
    env.LOCAL_MASTER_KEY = randomBytes(32).toString('base64'); // so nothing is written to .local/
    env.MAIL_FROM ??= 'no-reply@bench.local';
    env.VERIFY_URL_BASE = 'http://localhost/api/v1/patient/verify-email';
    delete env.KMS_KEY_ID;
    delete env.AWS_LAMBDA_FUNCTION_NAME;
    await ensureTable(dynamo.endpoint, env.TABLE_NAME);

    const { loadRoutes } = await import('../../lib/local/routes.js');
    const server = createApiServer(await loadRoutes());
    // The client keeps connections alive; idle gaps between phases must not close them under it.
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    return {
      apiUrl: `http://127.0.0.1:${port}`,
      sesEndpoint: ses.endpoint,
      stop: async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.all(started.map((s) => s.stop()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.stop()));
    throw error;
  }
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
