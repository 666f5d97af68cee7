/**
 * The local stack behind `npm start` and `npm run bench`: the Lambda handlers on a local HTTP port,
 * against DynamoDB Local (or PostgreSQL) and the SES emulator, each started here unless an endpoint
 * is given. The environment is set before the handlers are imported: they read it at module load,
 * like a Lambda cold start.
 */
import type { AddressInfo } from 'node:net';
import { createWorkerPasswordHasher } from '../adapters/bcrypt/worker-password-hasher.js';
import { loadConfig } from '../config.js';
import { usePasswordHasher, useStorage } from '../wiring.js';
import { createApiServer } from './api-server.js';
import { startLapseSweeper } from './lapse-sweeper.js';
import { startOutboxRelay } from './outbox-relay.js';
import { loadRoutes } from './routes.js';
import { assertListening, ensureAuditTable, ensureTable, LOOPBACK, startDynamoDbLocal, startSesEmulator, urlHost, type RunningService } from './services.js';
import { startSmsInbox } from './sms-inbox.js';

export interface LocalStackOptions {
  /** 0 picks a free port. */
  port: number;
  /** The address every service listens on (HOST): LOOPBACK unless given. */
  host?: string;
  storage: 'dynamodb' | 'postgres';
  dynamodbPort?: number;
  sesPort?: number;
  /** The local SMS inbox's port (SMS_PORT). */
  smsPort?: number;
  dataDir?: string;
  databaseUrl?: string;
  /** The timer that delivers outbox mails whose first send failed. */
  outboxRelay: boolean;
}

export interface LocalStack {
  apiUrl: string;
  sesEndpoint: string;
  /** Where texts go: the SMS inbox (its page at /, JSON at /store), or SMS_ENDPOINT as given. */
  smsEndpoint: string;
  /** Where the data lives, for the start-up banner. */
  store: string;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const env = process.env;
  // The one switch that lets settings fall back to local defaults and a local master key stand in for
  // KMS; nothing deployed sets it (and loadConfig refuses it in Lambda).
  env.LOCAL_MODE = '1';
  const host = options.host ?? LOOPBACK;
  const started: RunningService[] = [];
  const stopAll = () => Promise.all(started.reverse().map((s) => s.stop()));
  try {
    let store: string;
    if (options.storage === 'postgres') {
      // Imported only here, so the PostgreSQL adapter and drivers stay out of the Lambda bundles.
      const { openPostgres } = await import('../adapters/postgres/open-database.js');
      const db = await openPostgres({ databaseUrl: options.databaseUrl, dataDir: options.dataDir });
      started.push({ endpoint: db.description, stop: () => db.close() });
      useStorage(db.storage);
      // PostgreSQL has no TTL: lapsed unverified registrations are deleted every minute (DynamoDB: TTL).
      const sweeper = startLapseSweeper(db.storage.repository);
      started.push({ endpoint: 'lapse sweeper', stop: async () => sweeper.stop() });
      store = `PostgreSQL ${db.description}`;
    } else {
      if (!env.DYNAMODB_ENDPOINT) {
        const dynamo = await startDynamoDbLocal({ port: options.dynamodbPort, dataDir: options.dataDir, host });
        started.push(dynamo);
        env.DYNAMODB_ENDPOINT = dynamo.endpoint;
      }
      env.TABLE_NAME ??= 'patients';
      env.AUDIT_TABLE_NAME ??= 'patient-audit';
      await Promise.all([ensureTable(env.DYNAMODB_ENDPOINT, env.TABLE_NAME), ensureAuditTable(env.DYNAMODB_ENDPOINT, env.AUDIT_TABLE_NAME)]);
      store = `DynamoDB ${env.DYNAMODB_ENDPOINT} (table ${env.TABLE_NAME}${options.dataDir ? `, data in ${options.dataDir}` : ', in memory'})`;
    }
    if (!env.SES_ENDPOINT) {
      const ses = await startSesEmulator({ port: options.sesPort, host });
      started.push(ses);
      env.SES_ENDPOINT = ses.endpoint;
    }
    if (!env.SMS_ENDPOINT) {
      const sms = await startSmsInbox({ port: options.smsPort, host });
      started.push(sms);
      env.SMS_ENDPOINT = sms.endpoint;
    }

    // One process serves many requests here, unlike a Lambda instance: hash off the event loop.
    const hasher = createWorkerPasswordHasher(loadConfig(env).bcryptRounds);
    started.push({ endpoint: 'bcrypt workers', stop: () => hasher.close() });
    usePasswordHasher(hasher);

    const server = createApiServer(await loadRoutes());
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE' ? new Error(`port ${options.port} is in use; set PORT to another port`)
          : error.code === 'EADDRNOTAVAIL' ? new Error(`${host} is not an address of this machine; set HOST to one (127.0.0.1 by default)`)
          : error,
        ),
      );
      server.listen(options.port, host, resolve);
    });
    assertListening(server, options.port, 'PORT');
    started.push({
      endpoint: 'api',
      stop: () => new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    });
    if (options.outboxRelay) {
      const relay = await startOutboxRelay();
      started.push({ endpoint: 'outbox relay', stop: async () => relay.stop() });
    }
    const { port } = server.address() as AddressInfo;
    return { apiUrl: `http://${urlHost(host)}:${port}`, sesEndpoint: env.SES_ENDPOINT, smsEndpoint: env.SMS_ENDPOINT, store, stop: async () => void (await stopAll()) };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
