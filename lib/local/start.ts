/**
 * `npm start`: the API on a local port, running the Lambda handlers against DynamoDB Local and the
 * SES emulator (each started here unless DYNAMODB_ENDPOINT / SES_ENDPOINT point elsewhere).
 */
import type { AddressInfo } from 'node:net';
import { createApiServer } from './api-server.js';
import { startOutboxRelay } from './outbox-relay.js';
import { loadRoutes } from './routes.js';
import { ensureTable, JAVA_MISSING, startDynamoDbLocal, startSesEmulator, type RunningService } from './services.js';
import { useStorage } from '../wiring.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const env = process.env;
const port = Number(env.PORT ?? 3000);
const started: RunningService[] = [];
/** dynamodb (the default, as deployed) or postgres: DATABASE_URL, else embedded PGlite. */
const storage = env.STORAGE || 'dynamodb';

/** Loaded only here, dynamically, so the PostgreSQL adapter and drivers stay out of the Lambda bundles. */
async function startPostgres(): Promise<string> {
  const { openPostgres } = await import('../adapters/postgres/open-database.js');
  const db = await openPostgres({ databaseUrl: env.DATABASE_URL || undefined, dataDir: env.DATA_DIR || undefined });
  started.push({ endpoint: db.description, stop: () => db.close() });
  useStorage(db.storage);
  return db.description;
}

async function main(): Promise<void> {
  if (storage !== 'dynamodb' && storage !== 'postgres') throw new Error(`STORAGE must be "dynamodb" or "postgres", not "${storage}"`);
  const postgres = storage === 'postgres' ? await startPostgres() : undefined;
  if (!postgres && !env.DYNAMODB_ENDPOINT) {
    try {
      const dynamo = await startDynamoDbLocal({ port: Number(env.DYNAMODB_PORT ?? 8000), ...(env.DATA_DIR && { dataDir: env.DATA_DIR }) });
      started.push(dynamo);
      env.DYNAMODB_ENDPOINT = dynamo.endpoint;
    } catch (error) {
      if ((error as Error).message === JAVA_MISSING) {
        console.error(JAVA_MISSING);
        process.exit(1);
      }
      throw error;
    }
  }
  if (!env.SES_ENDPOINT) {
    const ses = await startSesEmulator({ port: Number(env.SES_PORT ?? 8005) });
    started.push(ses);
    env.SES_ENDPOINT = ses.endpoint;
  }
  env.TABLE_NAME ??= 'patients';
  env.VERIFY_URL_BASE ??= `http://localhost:${port}/api/v1/patient/verify-email`;
  if (!postgres) await ensureTable(env.DYNAMODB_ENDPOINT!, env.TABLE_NAME);

  const server = createApiServer(await loadRoutes());
  const relay = await startOutboxRelay();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} is in use; set PORT to another port`) : error),
    );
    server.listen(port, resolve);
  });
  const { port: actualPort } = server.address() as AddressInfo;
  console.log(`Patient registration API  http://localhost:${actualPort}/api/v1/patient/register`);
  console.log(`Email inbox (SES emulator) ${env.SES_ENDPOINT}`);
  if (postgres) console.log(`PostgreSQL                 ${postgres}`);
  else console.log(`DynamoDB                   ${env.DYNAMODB_ENDPOINT} (table ${env.TABLE_NAME}${env.DATA_DIR ? `, data in ${env.DATA_DIR}` : ', in memory'})`);
  console.log('Press Ctrl-C to stop.');

  const shutdown = async () => {
    relay.stop();
    server.close();
    server.closeAllConnections();
    await Promise.all(started.map((s) => s.stop()));
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch(async (error: unknown) => {
  console.error(`Could not start: ${(error as Error).message}`);
  await Promise.all(started.map((s) => s.stop()));
  process.exit(1);
});
