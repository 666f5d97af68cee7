import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startDynamoDbLocal, type RunningService } from '../../lib/local/services.js';
import { npmStart, type NpmStart } from '../support/npm-start.js';
import type { Target } from './runner.js';

/**
 * `npm start` on free loopback ports, as a newcomer runs it, with DynamoDB Local started here
 * (DYNAMODB_ENDPOINT) so the fault variant can restart it under the running server: with a
 * persistent DATA_DIR of its own when asked.
 */
/** Where the last run's `npm start` output is kept. */
export const SERVER_LOG = '.test-results/load/npm-start.log';

export interface LoadStack {
  target: Target;
  /** Stops DynamoDB Local and starts it again on the same port and data (the fault variant). */
  restartDynamoDb(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * npm start's own default names, set explicitly: a caller's environment (the integration tests') may
 * name others. The item families on their tables, as every stage deploys them (lib/adapters/dynamodb/placement.ts).
 */
const TABLES = { TABLE_NAME: 'patients', IDENTITY_TABLE_NAME: 'patient-identities', TOKEN_TABLE_NAME: 'patient-tokens', OUTBOX_TABLE_NAME: 'patient-outbox' };

export async function startLoadStack({ persistent }: { persistent: boolean }): Promise<LoadStack> {
  const dataDir = persistent ? mkdtempSync(path.join(tmpdir(), 'load-dynamodb-')) : undefined;
  const dynamoPort = await freePort();
  let dynamo: RunningService = await startDynamoDbLocal({ port: dynamoPort, ...(dataDir && { dataDir }) });
  const [port, sesPort, smsPort] = [await freePort(), await freePort(), await freePort()];
  let server: NpmStart | undefined;
  const stop = async () => {
    if (server) {
      try {
        process.kill(-server.child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      const killer = setTimeout(() => server!.kill(), 15_000);
      await server.exited;
      clearTimeout(killer);
      server.kill(); // anything of its group still there
      // The server's own output, for a run that went wrong.
      mkdirSync(path.dirname(SERVER_LOG), { recursive: true });
      writeFileSync(SERVER_LOG, server.output());
    }
    await dynamo.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    server = npmStart({ HOST: '127.0.0.1', PORT: String(port), SES_PORT: String(sesPort), SMS_PORT: String(smsPort), DYNAMODB_ENDPOINT: dynamo.endpoint, ...TABLES, AUDIT_TABLE_NAME: 'patient-audit' });
    await server.ready();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    target: { api: `http://127.0.0.1:${port}`, ses: `http://127.0.0.1:${sesPort}`, dynamodb: dynamo.endpoint, tableNames: Object.values(TABLES) },
    restartDynamoDb: async () => {
      const start = Date.now();
      await dynamo.stop();
      dynamo = await startDynamoDbLocal({ port: dynamoPort, ...(dataDir && { dataDir }) });
      return Date.now() - start;
    },
    stop,
  };
}
